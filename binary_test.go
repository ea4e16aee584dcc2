package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"kindling/admin"
	"kindling/telegramtest"
)

// binaryRig runs the built kindling binary with a config file and
// environment of its own, against a fake Telegram.
type binaryRig struct {
	t     *testing.T
	srv   *telegramtest.Server
	coach *telegramtest.User // coach 42, Sam
	dir   string             // holds config.yaml, kindling.db and the logs
	admin string             // admin.listen
	cfg   string             // extra config.yaml lines
	runs  int
}

func newBinaryRig(t *testing.T, cfg string) *binaryRig {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	r := &binaryRig{t: t, srv: telegramtest.NewTB(t), dir: t.TempDir(), admin: freeAddr(t), cfg: cfg}
	r.coach = r.srv.User(42, "Sam", "en")
	config := "admin:\n  listen: " + r.admin + "\nbackup:\n  schedule: \"\"\nenrollment: open\n" +
		"coaches:\n  - id: 42\n    name: Sam\n" + cfg
	if err := os.WriteFile(filepath.Join(r.dir, "config.yaml"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *binaryRig) db() string { return filepath.Join(r.dir, "kindling.db") }

func (r *binaryRig) command(args ...string) *exec.Cmd {
	r.t.Helper()
	bin, err := crashBinary()
	if err != nil {
		r.t.Fatal(err)
	}
	if len(args) > 0 && args[0] != "salvage" {
		args = append([]string{args[0], "--config", filepath.Join(r.dir, "config.yaml")}, args[1:]...)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(),
		"KINDLING_TELEGRAM_TOKEN="+r.srv.Token(),
		"KINDLING_TELEGRAM_API_URL="+r.srv.URL(),
		"KINDLING_TELEGRAM_POLL_TIMEOUT=1s",
		"KINDLING_TELEGRAM_RATE_PER_SECOND=1000",
		"KINDLING_STORE_PATH="+r.db(),
		"KINDLING_SCHEDULE_QUIET_HOURS=",
	)
	return cmd
}

// cli runs a command to its end.
func (r *binaryRig) cli(args ...string) (stdout, stderr string, status int) {
	r.t.Helper()
	cmd := r.command(args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		status = exit.ExitCode()
	case err != nil:
		r.t.Fatal(err)
	}
	return out.String(), errOut.String(), status
}

// start runs `kindling run` until the test stops it; its log is returned
// by the function.
func (r *binaryRig) start() (stop func(), log func() string) {
	r.t.Helper()
	r.runs++
	cmd := r.command("run")
	logs := &logBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				r.t.Errorf("kindling run ended with %v:\n%s", err, logs)
			}
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			r.t.Errorf("kindling run did not stop 15 s after SIGTERM:\n%s", logs)
		}
	}
	r.t.Cleanup(stop)
	return stop, logs.String
}

// health polls /healthz until ok says it is the answer wanted.
func (r *binaryRig) health(log func() string, ok func(admin.Health) bool) admin.Health {
	r.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last admin.Health
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + r.admin + "/healthz")
		if err == nil {
			last = admin.Health{}
			err = json.NewDecoder(resp.Body).Decode(&last)
			resp.Body.Close()
			if err == nil && ok(last) {
				return last
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.t.Fatalf("/healthz never answered as wanted; last %+v\n%s", last, log())
	return last
}

// waitText waits for a message to u containing want.
func waitText(t *testing.T, u *telegramtest.User, want string, log func() string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		for _, m := range u.Messages() {
			if strings.Contains(m.Text, want) {
				return m.Text
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	var texts []string
	for _, m := range u.Messages() {
		texts = append(texts, m.Text)
	}
	t.Fatalf("no message to %d contains %q; got %q\n%s", u.ID(), want, texts, log())
	return ""
}

// TestBinaryCompactAndHealthcheck: through the built binary, `kindling
// healthcheck` answers 0 while a kindling runs and 1 once it has stopped,
// and `kindling compact` refuses the file the running kindling holds,
// then compacts it once that kindling has stopped.
func TestBinaryCompactAndHealthcheck(t *testing.T) {
	t.Parallel()
	r := newBinaryRig(t, "")
	stop, log := r.start()
	r.health(log, func(h admin.Health) bool { return h.Status == "ok" })
	if out, stderr, status := r.cli("healthcheck"); status != 0 || !strings.Contains(out, `"status"`) {
		t.Errorf("healthcheck of a running kindling: status %d, %q %s", status, out, stderr)
	}
	if _, stderr, status := r.cli("compact"); status != 1 || !strings.Contains(stderr, "stop the bot before compacting") {
		t.Errorf("compact beside a running kindling: status %d: %s", status, stderr)
	}
	stop()
	if _, _, status := r.cli("healthcheck"); status != 1 {
		t.Errorf("healthcheck with nothing running: status %d, want 1", status)
	}
	if out, stderr, status := r.cli("compact"); status != 0 || !strings.HasPrefix(out, "compacted "+r.db()+": ") {
		t.Errorf("compact once stopped: status %d: %s%s", status, out, stderr)
	}
}
