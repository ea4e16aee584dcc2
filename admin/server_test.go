package admin_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"kindling/admin"
	"kindling/store"
)

const testToken = "s3cret-admin-token"

// facts are health facts a test sets.
type facts struct {
	mu           sync.Mutex
	lastTick     time.Time
	lastTelegram time.Time
	degraded     []string
	probeErr     error
	probes       int
	probeGate    chan struct{} // when set, Probe waits for it
	failingSince time.Time
	failingErr   error
}

func (f *facts) LastTick() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastTick
}

func (f *facts) LastTelegramSuccess() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastTelegram
}

func (f *facts) Degraded() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.degraded
}

func (f *facts) Probe() error {
	f.mu.Lock()
	f.probes++
	gate, err := f.probeGate, f.probeErr
	f.mu.Unlock()
	if gate != nil {
		<-gate
	}
	return err
}

func (f *facts) probeCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.probes
}

func (f *facts) Failing() (time.Time, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failingSince, f.failingErr
}

// database is a backup and export writer a test sets.
type database struct {
	mu        sync.Mutex
	backup    string
	backupErr error
	exported  []store.ExportOptions
	exportErr error
}

func (d *database) Backup(w io.Writer) (int64, error) {
	if d.backupErr != nil {
		return 0, d.backupErr
	}
	n, err := io.WriteString(w, d.backup)
	return int64(n), err
}

func (d *database) Export(w io.Writer, opts store.ExportOptions) error {
	d.mu.Lock()
	d.exported = append(d.exported, opts)
	d.mu.Unlock()
	if opts.ChatID == 99 {
		return fmt.Errorf("client 99: %w", store.ErrNotFound)
	}
	if d.exportErr != nil {
		return d.exportErr
	}
	if opts.Format == "json" {
		_, err := io.WriteString(w, `[{"answer":"the lake"}]`)
		return err
	}
	_, err := io.WriteString(w, "client,answer\n7001,the lake\n")
	return err
}

// syncBuffer is a log destination safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fixture is a Server over fakes, with a clock the test moves.
type fixture struct {
	facts *facts
	db    *database
	log   *syncBuffer
	opts  admin.Options
	mu    sync.Mutex
	now   time.Time
}

const tick = time.Minute

var started = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	fx := &fixture{facts: &facts{}, db: &database{backup: "a whole database"}, log: &syncBuffer{}, now: started}
	fx.opts = admin.Options{
		Token:        testToken,
		AllowedHosts: []string{"Mon.Lan", "10.0.0.5"},
		Tick:         tick,
		Started:      started,
		Now:          fx.clock,
		Log:          slog.New(slog.NewTextHandler(fx.log, nil)),
		Version:      "v1.2.3",
		Database:     filepath.Join(t.TempDir(), "kindling.db"),
		Facts:        fx.facts,
		Backup:       fx.db,
		BackupName:   func(t time.Time) string { return "kindling-backup.db" },
		Export:       fx.db,
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "kindling_up 1\n")
		}),
	}
	return fx
}

func (fx *fixture) clock() time.Time {
	fx.mu.Lock()
	defer fx.mu.Unlock()
	return fx.now
}

func (fx *fixture) setNow(t time.Time) {
	fx.mu.Lock()
	fx.now = t
	fx.mu.Unlock()
}

// serve starts an HTTP server over the fixture's Server.
func (fx *fixture) serve(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(admin.New(fx.opts).Handler())
	t.Cleanup(srv.Close)
	return srv
}

// get requests path with the Host header host ("" keeps the server's own
// address) and the bearer token ("" sends none).
func get(t *testing.T, srv *httptest.Server, host, token, path string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

func health(t *testing.T, srv *httptest.Server) (int, admin.Health) {
	t.Helper()
	resp, body := get(t, srv, "", "", "/healthz")
	var h admin.Health
	if err := json.Unmarshal([]byte(body), &h); err != nil {
		t.Fatalf("decode /healthz %q: %v", body, err)
	}
	if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("/healthz headers %v", resp.Header)
	}
	return resp.StatusCode, h
}

func TestHealthz(t *testing.T) {
	fx := newFixture(t)
	srv := fx.serve(t)

	t.Run("healthy in the grace period before the first tick", func(t *testing.T) {
		fx.setNow(started.Add(admin.StaleTicks * tick))
		code, h := health(t, srv)
		if code != http.StatusOK || h.Status != "ok" || !h.DBWritable || !h.LastTick.IsZero() || h.Version != "v1.2.3" || len(h.Problems) != 0 {
			t.Errorf("got %d %+v", code, h)
		}
	})
	t.Run("no tick for more than three ticks", func(t *testing.T) {
		fx.setNow(started.Add(admin.StaleTicks*tick + time.Second))
		code, h := health(t, srv)
		if code != http.StatusServiceUnavailable || h.Status != "unhealthy" || len(h.Problems) != 1 ||
			h.Problems[0] != "no schedule tick since the start 3m1s ago (more than 3 × schedule.tick)" {
			t.Errorf("got %d %+v", code, h)
		}
	})
	last := started.Add(10 * time.Minute)
	fx.facts.mu.Lock()
	fx.facts.lastTick, fx.facts.lastTelegram = last, last.Add(-time.Second)
	fx.facts.mu.Unlock()
	t.Run("after a tick and a Telegram call", func(t *testing.T) {
		fx.setNow(last.Add(tick))
		code, h := health(t, srv)
		if code != http.StatusOK || !h.LastTick.Equal(last) || !h.LastTelegramSuccess.Equal(last.Add(-time.Second)) {
			t.Errorf("got %d %+v", code, h)
		}
	})
	t.Run("a stale tick", func(t *testing.T) {
		fx.setNow(last.Add(admin.StaleTicks*tick + time.Second))
		code, h := health(t, srv)
		if code != http.StatusServiceUnavailable || len(h.Problems) != 1 ||
			h.Problems[0] != "last schedule tick 3m1s ago (more than 3 × schedule.tick)" {
			t.Errorf("got %d %+v", code, h)
		}
	})
	fx.setNow(last.Add(tick))
	t.Run("degraded but answering", func(t *testing.T) {
		fx.facts.mu.Lock()
		fx.facts.degraded = []string{"prompts: serving the last good set"}
		fx.facts.mu.Unlock()
		defer func() { fx.facts.mu.Lock(); fx.facts.degraded = nil; fx.facts.mu.Unlock() }()
		code, h := health(t, srv)
		if code != http.StatusOK || h.Status != "degraded" || len(h.Degraded) != 1 {
			t.Errorf("got %d %+v", code, h)
		}
	})
	t.Run("database not writable", func(t *testing.T) {
		fx.facts.mu.Lock()
		fx.facts.probeErr = errors.New("database not open")
		fx.facts.mu.Unlock()
		defer func() { fx.facts.mu.Lock(); fx.facts.probeErr = nil; fx.facts.mu.Unlock() }()
		code, h := health(t, srv)
		if code != http.StatusServiceUnavailable || h.DBWritable || len(h.Problems) != 1 ||
			h.Problems[0] != "database not writable: database not open" {
			t.Errorf("got %d %+v", code, h)
		}
	})
	t.Run("database refusing larger writes", func(t *testing.T) {
		fx.facts.mu.Lock()
		fx.facts.failingSince, fx.facts.failingErr = started, errors.New("no space left on device")
		fx.facts.mu.Unlock()
		defer func() { fx.facts.mu.Lock(); fx.facts.failingErr = nil; fx.facts.mu.Unlock() }()
		code, h := health(t, srv)
		if code != http.StatusServiceUnavailable || h.DBWritable || len(h.Problems) != 1 ||
			h.Problems[0] != "database refuses writes since 2026-03-01T09:00:00Z: no space left on device" {
			t.Errorf("got %d %+v", code, h)
		}
	})
}

// TestHealthzStuckWrite: a database write that does not finish makes
// /healthz answer 503 after two seconds, and requests meanwhile share the
// one write instead of piling up more.
func TestHealthzStuckWrite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fx := newFixture(t)
		gate := make(chan struct{})
		fx.facts.probeGate = gate
		h := admin.New(fx.opts).Handler()
		var wg sync.WaitGroup
		codes := make([]int, 3)
		bodies := make([]string, 3)
		for i := range codes {
			wg.Go(func() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://localhost/healthz", nil))
				codes[i], bodies[i] = rec.Code, rec.Body.String()
			})
		}
		wg.Wait()
		for i := range codes {
			if codes[i] != http.StatusServiceUnavailable || !strings.Contains(bodies[i], "database not writable: a write did not finish within 2s") {
				t.Errorf("request %d: %d %s", i, codes[i], bodies[i])
			}
		}
		if n := fx.facts.probeCount(); n != 1 {
			t.Errorf("%d database writes for concurrent requests, want 1", n)
		}
		close(gate)
		synctest.Wait()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://localhost/healthz", nil))
		if n := fx.facts.probeCount(); rec.Code != http.StatusOK || n != 2 {
			t.Errorf("after the write finished: %d, %d writes; want 200 and a second write", rec.Code, n)
		}
	})
}

func TestToken(t *testing.T) {
	fx := newFixture(t)
	srv := fx.serve(t)
	for _, path := range []string{"/backup", "/export"} {
		resp, _ := get(t, srv, "", "", path)
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get(admin.DatabaseHeader) != "" || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s without the token: %s (database header %q), want 401 and no header", path, resp.Status, resp.Header.Get(admin.DatabaseHeader))
		}
		for _, wrong := range []string{testToken + "x", testToken[:len(testToken)-1], strings.ToUpper(testToken)} {
			if resp, _ := get(t, srv, "", wrong, path); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s with a wrong token: %s, want 401", path, resp.Status)
			}
		}
		resp, _ = get(t, srv, "", testToken, path)
		if resp.StatusCode != http.StatusOK || resp.Header.Get(admin.DatabaseHeader) != fx.opts.Database {
			t.Errorf("%s with the token: %s, database header %q; want 200 and %s", path, resp.Status, resp.Header.Get(admin.DatabaseHeader), fx.opts.Database)
		}
	}
	for _, path := range []string{"/healthz", "/metrics"} {
		if resp, _ := get(t, srv, "", "", path); resp.StatusCode != http.StatusOK {
			t.Errorf("%s without a token: %s, want 200", path, resp.Status)
		}
	}
	if strings.Contains(fx.log.String(), testToken) {
		t.Error("the admin token appears in the log")
	}
	if !strings.Contains(fx.log.String(), "refused a request without the right token") {
		t.Error("refused tokens are not logged")
	}

	// No token at all: nothing is served that needs one.
	fx.opts.Token = ""
	none := fx.serve(t)
	for _, token := range []string{"", "Bearer"} {
		if resp, _ := get(t, none, "", token, "/backup"); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("no token configured, sent %q: %s, want 401", token, resp.Status)
		}
	}
}

// TestHost: the admin address answers only requests naming a loopback
// host or an allowed host, whatever the token; a DNS rebinding page names
// its own host.
func TestHost(t *testing.T) {
	fx := newFixture(t)
	srv := fx.serve(t)
	for _, tc := range []struct {
		host string
		ok   bool
	}{
		{"localhost", true}, {"localhost:8090", true}, {"LOCALHOST:8090", true}, {"localhost.:8090", true},
		{"127.0.0.1:8090", true}, {"127.3.4.5", true}, {"[::1]:8090", true}, {"[::1]", true},
		{"mon.lan:9100", true}, {"mon.lan", true}, {"10.0.0.5:8090", true},
		{"evil.example", false}, {"evil.example:8090", false}, {"localhost.evil.example", false},
		{"mon.lan.evil.example", false}, {"192.168.1.2:8090", false}, {"0.0.0.0:8090", false},
	} {
		for _, path := range []string{"/export", "/backup", "/healthz", "/metrics"} {
			resp, body := get(t, srv, tc.host, testToken, path)
			switch {
			case tc.ok && resp.StatusCode != http.StatusOK:
				t.Errorf("Host %q %s: %s %s, want 200", tc.host, path, resp.Status, body)
			case !tc.ok && (resp.StatusCode != http.StatusMisdirectedRequest || !strings.Contains(body, "admin.allowed_hosts")):
				t.Errorf("Host %q %s: %s %q, want 421 naming admin.allowed_hosts", tc.host, path, resp.Status, body)
			}
		}
	}
	if !strings.Contains(fx.log.String(), "refused a request for another host") {
		t.Error("refused hosts are not logged")
	}
}

func TestExport(t *testing.T) {
	fx := newFixture(t)
	srv := fx.serve(t)
	resp, body := get(t, srv, "", testToken, "/export?format=json&client=7001&since=2026-02-01")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" || body != `[{"answer":"the lake"}]` {
		t.Errorf("json export: %s %s %q", resp.Status, resp.Header.Get("Content-Type"), body)
	}
	resp, body = get(t, srv, "", testToken, "/export")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.HasPrefix(body, "client,") {
		t.Errorf("csv export: %s %s %q", resp.Status, resp.Header.Get("Content-Type"), body)
	}
	want := []store.ExportOptions{
		{Format: "json", ChatID: 7001, Since: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)},
		{Format: "csv"},
	}
	if len(fx.db.exported) != 2 || fx.db.exported[0] != want[0] || fx.db.exported[1] != want[1] {
		t.Errorf("export options %+v, want %+v", fx.db.exported, want)
	}
	for path, status := range map[string]int{
		"/export?client=99":       http.StatusNotFound,
		"/export?format=xml":      http.StatusBadRequest,
		"/export?since=yesterday": http.StatusBadRequest,
		"/export?client=seven":    http.StatusBadRequest,
	} {
		if resp, body := get(t, srv, "", testToken, path); resp.StatusCode != status || resp.Header.Get("Content-Type") == "application/json" {
			t.Errorf("%s: %s %q, want %d", path, resp.Status, body, status)
		}
	}
	fx.db.exportErr = errors.New("disk on fire")
	if resp, body := get(t, srv, "", testToken, "/export"); resp.StatusCode != http.StatusInternalServerError || !strings.Contains(body, "export failed: disk on fire") {
		t.Errorf("failed export: %s %q, want 500", resp.Status, body)
	}
	if strings.Contains(fx.log.String(), "the lake") {
		t.Error("an answer appears in the log")
	}
}

func TestBackup(t *testing.T) {
	fx := newFixture(t)
	srv := fx.serve(t)
	resp, body := get(t, srv, "", testToken, "/backup")
	if resp.StatusCode != http.StatusOK || body != "a whole database" ||
		resp.Header.Get("Content-Disposition") != `attachment; filename="kindling-backup.db"` {
		t.Errorf("backup: %s %v %q", resp.Status, resp.Header, body)
	}
	fx.db.backupErr = errors.New("database not open")
	if resp, body := get(t, srv, "", testToken, "/backup"); resp.StatusCode != http.StatusInternalServerError || !strings.Contains(body, "backup failed: database not open") {
		t.Errorf("failed backup: %s %q, want 500", resp.Status, body)
	}
}

func TestExportOptions(t *testing.T) {
	for _, tc := range []struct {
		client, since, format string
		want                  store.ExportOptions
		err                   string
	}{
		{want: store.ExportOptions{Format: "csv"}},
		{client: "0", format: "json", want: store.ExportOptions{Format: "json"}},
		{client: "-100123", since: "2026-01-31", want: store.ExportOptions{Format: "csv", ChatID: -100123, Since: time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)}},
		{format: "xml", err: `--format: want csv, json or fhir, got "xml"`},
		{client: "seven", err: `--client: want a chat id, got "seven"`},
		{since: "31.01.2026", err: `--since: want YYYY-MM-DD, got "31.01.2026"`},
	} {
		got, err := admin.ExportOptions(tc.client, tc.since, tc.format)
		switch {
		case tc.err != "" && (err == nil || err.Error() != tc.err):
			t.Errorf("ExportOptions(%q, %q, %q) error %v, want %s", tc.client, tc.since, tc.format, err, tc.err)
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("ExportOptions(%q, %q, %q) = %+v, %v; want %+v", tc.client, tc.since, tc.format, got, err, tc.want)
		}
	}
}
