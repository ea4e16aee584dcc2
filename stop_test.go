package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"kindling/store"
	"kindling/telegramtest"
)

// slowTelegram sits between kindling and telegramtest like the network
// and Telegram's servers: each sendMessage takes a while, and once a
// request has arrived the message is sent even if kindling stops waiting
// for the answer. A message kindling gave up on mid-call but did not record
// as sent would go out twice after a restart.
type slowTelegram struct {
	target  string
	latency time.Duration
	arrived atomic.Int64 // sendMessage calls received
	sent    atomic.Int64 // sendMessage calls Telegram accepted
}

func (p *slowTelegram) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	ctx := r.Context()
	send := strings.HasSuffix(r.URL.Path, "/sendMessage")
	if send {
		p.arrived.Add(1)
		time.Sleep(p.latency)
		ctx = context.WithoutCancel(ctx)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, p.target+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	req.Header = r.Header.Clone()
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if send && resp.StatusCode == http.StatusOK {
		p.sent.Add(1)
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(answer)
}

// seedBroadcast stores n clients whose day-1 step is due now: starting
// kindling sends each of them one message.
func seedBroadcast(t *testing.T, path string, srv *telegramtest.Server, first int64, n int) {
	t.Helper()
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	slot := now.Truncate(time.Minute)
	yesterday := now.AddDate(0, 0, -1).Format("2006-01-02")
	for start := 0; start < n; start += 500 {
		err := db.Update(func(tx *store.Tx) error {
			for i := start; i < min(start+500, n); i++ {
				id := first + int64(i)
				srv.User(id, fmt.Sprintf("Client%d", i), "en")
				c := store.Client{ChatID: id, UserID: id, Name: fmt.Sprintf("Client%d", i), Language: "en",
					TimeZone: "UTC", SendTime: slot.Format("15:04"), Sequence: "after-session",
					Status: store.StatusActive, ConsentAt: now, CreatedAt: now, Due: slot}
				if err := tx.PutClient(c); err != nil {
					return err
				}
				if err := tx.AddSession(store.Session{ChatID: id, Date: yesterday, CreatedAt: now}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// process is a running kindling binary.
type process struct {
	cmd    *exec.Cmd
	log    string
	exited chan struct{}
}

// startProcess starts the built binary with the config file config,
// logging to logPath, and waits for its exit in the background.
func startProcess(t *testing.T, config, token, logPath string) *process {
	t.Helper()
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	cmd := startKindling(t, filepath.Dir(logPath), binaryRun{configFile: config, env: []string{"KINDLING_TELEGRAM_TOKEN=" + token}, out: f})
	p := &process{cmd: cmd, log: logPath, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() { // before startKindling's own: the process is waited for here
		select {
		case <-p.exited:
		default:
			_ = cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

func (p *process) output(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(p.log)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// stop sends SIGTERM and returns how long the process took to exit.
func (p *process) stop(t *testing.T) time.Duration {
	t.Helper()
	began := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		t.Fatalf("kindling still running 20 s after SIGTERM\n%s", p.output(t))
	}
	took := time.Since(began)
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("kindling exited with %d after SIGTERM\n%s", code, p.output(t))
	}
	return took
}

func waitUntilTrue(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSIGTERMDuringBroadcast builds kindling, starts it with 5,000 clients
// due, stops it with SIGTERM while the messages go out, and starts it
// again: it stops within 10 s, every client gets their message exactly
// once, and a second kindling on the same database is refused.
func TestSIGTERMDuringBroadcast(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and sends 5,000 messages (about 15 s)")
	}
	// Mostly waiting on the binary: runs beside the other tests that wait.
	t.Parallel()
	const clients, first = 5000, int64(100000)
	dir := t.TempDir()
	srv := telegramtest.NewTB(t)
	proxy := &slowTelegram{target: srv.URL(), latency: 20 * time.Millisecond}
	front := httptest.NewServer(proxy)
	defer front.Close()

	dbPath := filepath.Join(dir, "kindling.db")
	seedBroadcast(t, dbPath, srv, first, clients)
	config := filepath.Join(dir, "config.yaml")
	yaml := fmt.Sprintf(`telegram:
  api_url: %s
  rate_per_second: 1000
  poll_timeout: 1s
store:
  path: %s
schedule:
  quiet_hours: ""
admin:
  listen: 127.0.0.1:0
backup:
  schedule: ""
log:
  format: json
`, front.URL, dbPath)
	if err := os.WriteFile(config, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}

	// The first run: SIGTERM once a tenth of the messages are out.
	run1 := startProcess(t, config, srv.Token(), filepath.Join(dir, "run1.log"))
	waitUntilTrue(t, 60*time.Second, "the broadcast to start", func() bool { return proxy.sent.Load() >= clients/10 })
	took := run1.stop(t)
	sentInRun1 := proxy.sent.Load()
	if took > 10*time.Second {
		t.Errorf("kindling took %s to stop, want at most 10 s", took)
	}
	log1 := run1.output(t)
	for _, want := range []string{`"msg":"kindling starting"`, `"msg":"stopping: no new updates`, `"msg":"stopped"`} {
		if !strings.Contains(log1, want) {
			t.Errorf("first run's log lacks %s:\n%s", want, log1)
		}
	}
	left := outboxSize(t, dbPath)
	if left == 0 || sentInRun1 >= clients {
		t.Fatalf("the broadcast finished before SIGTERM (%d sent, %d left): the test shows nothing", sentInRun1, left)
	}
	t.Logf("first run: stopped in %s; %d messages sent, %d left in the outbox", took.Round(time.Millisecond), sentInRun1, left)

	// The second run sends the rest; a third kindling is refused meanwhile.
	run2 := startProcess(t, config, srv.Token(), filepath.Join(dir, "run2.log"))
	waitUntilTrue(t, 30*time.Second, "the second run to start", func() bool {
		return strings.Contains(run2.output(t), `"msg":"kindling starting"`)
	})
	run3 := startProcess(t, config, srv.Token(), filepath.Join(dir, "run3.log"))
	select {
	case <-run3.exited:
	case <-time.After(15 * time.Second):
		t.Fatal("a second kindling on the same database is still running after 15 s")
	}
	if code, out := run3.cmd.ProcessState.ExitCode(), run3.output(t); code == 0 ||
		!strings.Contains(out, "database file is locked") || !strings.Contains(out, "store.path "+dbPath) {
		t.Errorf("second kindling on one database: exit %d, output:\n%s", code, out)
	}
	waitUntilTrue(t, 60*time.Second, "every message to be sent", func() bool { return proxy.sent.Load() >= clients })
	time.Sleep(300 * time.Millisecond) // a duplicate, if any, has time to show
	run2.stop(t)

	if n := outboxSize(t, dbPath); n != 0 {
		t.Errorf("%d messages still in the outbox after the second run", n)
	}
	var missing, doubled []int64
	for i := range int64(clients) {
		switch n := len(srv.Messages(first + i)); {
		case n == 0:
			missing = append(missing, first+i)
		case n > 1:
			doubled = append(doubled, first+i)
		}
	}
	if len(missing) > 0 || len(doubled) > 0 {
		t.Errorf("%d clients got no message (e.g. %v), %d got more than one (e.g. %v)",
			len(missing), missing[:min(3, len(missing))], len(doubled), doubled[:min(3, len(doubled))])
	}
	if got := proxy.sent.Load(); got != clients {
		t.Errorf("Telegram accepted %d messages, want %d", got, clients)
	}
	for _, out := range []string{log1, run2.output(t), run3.output(t)} {
		if strings.Contains(out, srv.Token()) {
			t.Error("the bot token appears in kindling's output")
		}
	}
}

// outboxSize counts the messages waiting in a stopped kindling's outbox.
func outboxSize(t *testing.T, path string) int {
	t.Helper()
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	err = db.View(func(tx *store.Tx) error {
		rows, err := tx.Outbox(0)
		n = len(rows)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSecondSignal stops kindling at once on a second SIGTERM, without
// waiting for what the first one lets finish.
func TestSecondSignal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	const clients, first = 1000, int64(100000)
	dir := t.TempDir()
	srv := telegramtest.NewTB(t)
	proxy := &slowTelegram{target: srv.URL(), latency: 1500 * time.Millisecond} // the first stop would wait for these
	front := httptest.NewServer(proxy)
	defer front.Close()
	dbPath := filepath.Join(dir, "kindling.db")
	seedBroadcast(t, dbPath, srv, first, clients)
	config := filepath.Join(dir, "config.yaml")
	yaml := fmt.Sprintf("telegram: {api_url: %s, rate_per_second: 1000, poll_timeout: 1s}\nstore: {path: %s}\nschedule: {quiet_hours: \"\"}\nadmin: {listen: \"\"}\nbackup: {schedule: \"\"}\n", front.URL, dbPath)
	if err := os.WriteFile(config, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startProcess(t, config, srv.Token(), filepath.Join(dir, "run.log"))
	waitUntilTrue(t, 30*time.Second, "the first sends", func() bool { return proxy.arrived.Load() > 0 })
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	began := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		t.Fatalf("still running 5 s after the second SIGTERM\n%s", p.output(t))
	}
	if took := time.Since(began); took > time.Second {
		t.Errorf("took %s to exit after the second signal", took)
	}
	if code, out := p.cmd.ProcessState.ExitCode(), p.output(t); code != 1 || !strings.Contains(out, "second signal") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
}
