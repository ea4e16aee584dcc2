package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"kindling/admin"
	"kindling/config"
	"kindling/internal/fhircheck"
	"kindling/store"
	"kindling/telegram"
	"kindling/telegramtest"
)

func readHealth(t *testing.T, resp *http.Response) admin.Health {
	t.Helper()
	var h admin.Health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatalf("decode /healthz: %v", err)
	}
	return h
}

func TestHealthz(t *testing.T) {
	r := startRig(t, nil)

	t.Run("healthy in the grace period before the first tick", func(t *testing.T) {
		resp := r.get("/healthz", true) // no token needed
		h := readHealth(t, resp)
		if resp.StatusCode != http.StatusOK || h.Status != "ok" || !h.DBWritable || !h.LastTick.IsZero() || h.Version == "" {
			t.Errorf("got %d %+v", resp.StatusCode, h)
		}
	})
	t.Run("after a tick and a Telegram call", func(t *testing.T) {
		r.a.tick(context.Background(), time.Now())
		r.converse(7001)
		resp := r.get("/healthz", true)
		h := readHealth(t, resp)
		if resp.StatusCode != http.StatusOK || h.LastTick.IsZero() || h.LastTelegramSuccess.IsZero() {
			t.Errorf("got %d %+v", resp.StatusCode, h)
		}
		var probe []byte
		_ = r.a.db.View(func(tx *store.Tx) error { probe, _ = tx.Get("health", "probe"); return nil })
		if len(probe) == 0 {
			t.Error("/healthz wrote no probe record")
		}
	})
	t.Run("database not writable", func(t *testing.T) {
		if err := r.a.db.Close(); err != nil {
			t.Fatal(err)
		}
		resp := r.get("/healthz", true)
		h := readHealth(t, resp)
		if resp.StatusCode != http.StatusServiceUnavailable || h.DBWritable || len(h.Problems) != 1 ||
			!strings.Contains(h.Problems[0], "database not writable") {
			t.Errorf("got %d %+v", resp.StatusCode, h)
		}
	})
}

// scrape reads /metrics and parses the exposition format.
func scrape(t *testing.T, r *rig) map[string]*dto.MetricFamily {
	t.Helper()
	resp := r.get("/metrics", false)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// value is the value of the metric name with the given label pairs
// ("reason", "server"), or -1 when there is none.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	f, ok := fams[name]
	if !ok {
		return -1
	}
next:
	for _, m := range f.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, l := range m.GetLabel() {
				found = found || (l.GetName() == labels[i] && l.GetValue() == labels[i+1])
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	return -1
}

func TestMetrics(t *testing.T) {
	r := startRig(t, nil)
	before := scrape(t, r)
	for _, name := range []string{
		"kindling_messages_sent_total", "kindling_telegram_429_total", "kindling_telegram_paused_seconds_total",
		"kindling_answers_stored_total", "kindling_updates_processed_total", "kindling_tick_duration_seconds",
		"kindling_clients_due", "kindling_clients_overdue", "kindling_prompt_reload_errors_total",
		"kindling_outbox_messages", "kindling_updates_skipped_total",
		"go_goroutines", "process_cpu_seconds_total", "kindling_build_info",
	} {
		if value(before, name) != 0 && !strings.HasPrefix(name, "go_") && !strings.HasPrefix(name, "process_") && name != "kindling_build_info" {
			t.Errorf("%s = %v before anything happened, want 0", name, value(before, name))
		}
		if _, ok := before[name]; !ok {
			t.Errorf("%s missing", name)
		}
	}
	for _, reason := range telegram.FailureReasons {
		if v := value(before, "kindling_messages_failed_total", "reason", reason); v != 0 {
			t.Errorf("kindling_messages_failed_total{reason=%q} = %v, want 0", reason, v)
		}
	}
	for _, result := range backupResults {
		if v := value(before, "kindling_backups_total", "result", result); v != 0 {
			t.Errorf("kindling_backups_total{result=%q} = %v, want 0", result, v)
		}
	}

	// A conversation, one 429, one blocked client, one tick.
	r.srv.Fail("sendMessage", 1, telegramtest.TooMany(1))
	r.converse(7001)
	blocked := r.srv.User(7002, "Ben", "en")
	blocked.Send("/start")
	r.srv.Block(7002)
	r.settle()
	r.a.tick(context.Background(), time.Now())

	after := scrape(t, r)
	for _, c := range []struct {
		name    string
		labels  []string
		atLeast float64
	}{
		{"kindling_updates_processed_total", nil, 6},
		{"kindling_answers_stored_total", nil, 1},
		{"kindling_messages_sent_total", nil, 6},
		{"kindling_telegram_429_total", nil, 1},
		{"kindling_telegram_paused_seconds_total", nil, 0.005},
		{"kindling_messages_failed_total", []string{"reason", "unreachable"}, 1},
		{"kindling_tick_duration_seconds", nil, 1},
		{"kindling_last_tick_timestamp_seconds", nil, 1},
		{"kindling_telegram_last_success_timestamp_seconds", nil, 1},
	} {
		if got := value(after, c.name, c.labels...); got < c.atLeast {
			t.Errorf("%s%v = %v after a conversation, want at least %v", c.name, c.labels, got, c.atLeast)
		}
	}
	if got, want := value(after, "kindling_answers_stored_total"), float64(answerCount(t, r)); got != want {
		t.Errorf("kindling_answers_stored_total = %v, want %v (the replies stored)", got, want)
	}
}

func answerCount(t *testing.T, r *rig) int {
	t.Helper()
	n := 0
	err := r.a.db.View(func(tx *store.Tx) error {
		return tx.Clients(func(c store.Client) error {
			rs, err := tx.Replies(c.ChatID, time.Time{})
			n += len(rs)
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestMetricsClientsDue(t *testing.T) {
	r := startRig(t, nil)
	now := time.Now()
	err := r.a.db.Update(func(tx *store.Tx) error {
		for i, due := range []time.Time{now.Add(-time.Minute), now.Add(-7 * time.Hour), now.Add(-8 * time.Hour), now.Add(time.Hour)} {
			id := int64(8000 + i)
			c := store.Client{ChatID: id, UserID: id, Name: "c", Language: "en", TimeZone: "UTC", Status: store.StatusActive,
				Sequence: "after-session", ConsentAt: now, CreatedAt: now, Due: due}
			if err := tx.PutClient(c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	fams := scrape(t, r)
	if got := value(fams, "kindling_clients_due"); got != 3 {
		t.Errorf("kindling_clients_due = %v, want 3", got)
	}
	if got := value(fams, "kindling_clients_overdue"); got != 2 {
		t.Errorf("kindling_clients_overdue = %v, want 2 (due more than catch_up ago)", got)
	}
}

func TestMetricsOutbox(t *testing.T) {
	r := startRig(t, nil)
	// Telegram failing: the rows stay in the outbox.
	r.srv.Fail("sendMessage", 0, telegramtest.ServerError(502))
	err := r.a.db.Update(func(tx *store.Tx) error {
		for i := range 3 {
			if err := tx.Enqueue(&store.Outgoing{ChatID: int64(9100 + i), Text: "waiting", Bulk: i > 0}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var all, bulk int
	if err := r.a.db.View(func(tx *store.Tx) error { all, bulk = tx.OutboxLen(); return nil }); err != nil {
		t.Fatal(err)
	}
	if all != 3 || bulk != 2 {
		t.Errorf("OutboxLen = %d, %d; want 3, 2", all, bulk)
	}
	if got := value(scrape(t, r), "kindling_outbox_messages"); got != 3 {
		t.Errorf("kindling_outbox_messages = %v, want 3", got)
	}
}

// adminGet requests path from the rig's admin server with the given Host
// header ("" keeps the server's own address) and bearer token ("" sends
// none), and returns the status and body.
func adminGet(t *testing.T, r *rig, host, token, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, r.admin.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestAdminTokenFile: with no admin.token, kindling makes a token at first
// start in a 0600 file beside the database, requires it, never logs it,
// and uses the same one after a restart.
func TestAdminTokenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kindling.db")
	r := startRig(t, func(c *config.Config) { c.Admin.Token = ""; c.Store.Path = path })
	tokenFile := path + ".admin-token"
	fi, err := os.Stat(tokenFile)
	if err != nil {
		t.Fatalf("no admin token file: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("admin token file mode %v, want 0600", fi.Mode().Perm())
	}
	b, err := os.ReadFile(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(string(b))
	if raw, err := base64.RawURLEncoding.DecodeString(token); err != nil || len(raw) != 32 {
		t.Errorf("token %d characters (%v), want 32 random bytes in base64url", len(token), err)
	}
	for _, path := range []string{"/backup", "/export"} {
		if code, _ := adminGet(t, r, "", "", path); code != http.StatusUnauthorized {
			t.Errorf("%s without a token: %d, want 401", path, code)
		}
		if code, _ := adminGet(t, r, "", token, path); code != http.StatusOK {
			t.Errorf("%s with the file's token: %d, want 200", path, code)
		}
	}
	if strings.Contains(r.log.String(), token) {
		t.Error("the admin token appears in the log")
	}

	// A restart on the same file: the same token, the file made 0600
	// again when someone opened it up.
	r.admin.Close()
	r.a.close()
	if err := os.Chmod(tokenFile, 0o644); err != nil {
		t.Fatal(err)
	}
	again := startRig(t, func(c *config.Config) { c.Admin.Token = ""; c.Store.Path = path })
	if again.a.cfg.Admin.Token != token {
		t.Error("a restart made a new admin token")
	}
	if code, _ := adminGet(t, again, "", token, "/export"); code != http.StatusOK {
		t.Errorf("/export after a restart with the first token: %d, want 200", code)
	}
	if fi, err := os.Stat(tokenFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("admin token file after a restart: %v %v, want 0600", fi.Mode(), err)
	}

	// admin.token set: the file is not used.
	mine := startRig(t, func(c *config.Config) {
		c.Admin.Token = "my-own-token"
		c.Store.Path = filepath.Join(t.TempDir(), "k.db")
	})
	if _, err := os.Stat(mine.a.cfg.Store.Path + ".admin-token"); err == nil {
		t.Error("a token file was written although admin.token is set")
	}
	if code, _ := adminGet(t, mine, "", "my-own-token", "/export"); code != http.StatusOK {
		t.Errorf("/export with admin.token: %d, want 200", code)
	}
}

func TestAdminExport(t *testing.T) {
	r := startRig(t, nil)
	r.converse(7001)
	want := answerCount(t, r)

	resp := r.get("/export?format=json", false)
	var rows []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&rows); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || len(rows) != want || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("export: %s, %d rows (want %d), %s", resp.Status, len(rows), want, resp.Header.Get("Content-Type"))
	}
	resp = r.get("/export?client=7001&since=2000-01-01", false)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), "\ufeffclient,") || !strings.Contains(string(body), "the lake") {
		t.Errorf("csv export: %s %q", resp.Status, body)
	}
	// The check-ins as FHIR, from the running bot: none answered yet.
	resp = r.get("/export?format=fhir", false)
	body, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/fhir+json" || !strings.Contains(string(body), `"type": "collection"`) {
		t.Errorf("fhir export: %s, %s, %q", resp.Status, resp.Header.Get("Content-Type"), body)
	}
	bundle := body
	for path, status := range map[string]int{
		"/export?client=99&format=fhir": http.StatusNotFound,
		"/export?client=99":             http.StatusNotFound,
		"/export?format=xml":            http.StatusBadRequest,
		"/export?since=yesterday":       http.StatusBadRequest,
		"/export?client=seven":          http.StatusBadRequest,
	} {
		if resp := r.get(path, false); resp.StatusCode != status {
			t.Errorf("%s: %s, want %d", path, resp.Status, status)
		}
	}
	if strings.Contains(r.log.String(), "the lake") {
		t.Error("an answer appears in the log")
	}
	fhircheck.Validate(t, bundle) // last: it skips without node
}

func TestAdminPortInUse(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	srv := telegramtest.NewTB(t)
	dir := t.TempDir()
	getenv := func(k string) string {
		return map[string]string{
			"KINDLING_TELEGRAM_TOKEN":   srv.Token(),
			"KINDLING_TELEGRAM_API_URL": srv.URL(),
			"KINDLING_STORE_PATH":       filepath.Join(dir, "kindling.db"),
			"KINDLING_ADMIN_LISTEN":     taken.Addr().String(),
			"KINDLING_BACKUP_SCHEDULE":  `""`,
		}[k]
	}
	var stderr bytes.Buffer
	err = run(context.Background(), []string{"run", "--config", os.DevNull}, getenv, io.Discard, &stderr)
	if err == nil || !strings.Contains(err.Error(), "admin.listen "+taken.Addr().String()) || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("got %v, want an error naming admin.listen and the address in use", err)
	}
}

// TestCommandsUseTheRunningBot runs `kindling backup` and `kindling export`
// while the bot holds the database: through the admin address when it is
// there, with a clear error when it is not, and on the file once the bot
// has stopped.
func TestCommandsUseTheRunningBot(t *testing.T) {
	r := startRig(t, nil)
	r.converse(7001)
	want := answerCount(t, r)
	dir := t.TempDir()
	admin := strings.TrimPrefix(r.admin.URL, "http://")
	getenv := func(listen, token string) func(string) string {
		return func(k string) string {
			return map[string]string{
				"KINDLING_STORE_PATH":   r.a.cfg.Store.Path,
				"KINDLING_ADMIN_LISTEN": listen,
				"KINDLING_ADMIN_TOKEN":  token,
			}[k]
		}
	}
	cli := func(env func(string) string, args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), args, env, &out, io.Discard)
		return out.String(), err
	}
	dst := filepath.Join(dir, "copy.db")
	out, err := cli(getenv(admin, rigAdminToken), "backup", "--config", os.DevNull, dst)
	if err != nil || !strings.Contains(out, "from the running bot") {
		t.Fatalf("backup through the admin address: %v %q", err, out)
	}
	if n := repliesIn(t, dst); n != want {
		t.Errorf("the backup holds %d answers, want %d", n, want)
	}
	if fi, err := os.Stat(dst); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("backup file mode: %v %v", fi.Mode(), err)
	}

	out, err = cli(getenv(admin, rigAdminToken), "export", "--config", os.DevNull, "--format", "json")
	var rows []map[string]any
	if err != nil || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != want {
		t.Errorf("export through the admin address: %v, %d rows, want %d", err, len(rows), want)
	}
	_, err = cli(getenv(admin, rigAdminToken), "export", "--config", os.DevNull, "--client", "99")
	if err == nil || !strings.Contains(err.Error(), "no client 99") {
		t.Errorf("export of an unknown client: %v", err)
	}

	_, err = cli(getenv(admin, "wrong"), "backup", "--config", os.DevNull, filepath.Join(dir, "x.db"))
	if err == nil || !strings.Contains(err.Error(), "locked") || !strings.Contains(err.Error(), "admin.token") {
		t.Errorf("backup with a wrong admin token: %v, want the lock and the token named", err)
	}
	_, err = cli(getenv(`""`, ""), "backup", "--config", os.DevNull, filepath.Join(dir, "y.db"))
	if err == nil || !strings.Contains(err.Error(), "locked") || !strings.Contains(err.Error(), "admin.listen is off") {
		t.Errorf("backup with the admin address off: %v", err)
	}

	// The bot stops: nothing answers on the admin address, the file opens.
	r.admin.Close()
	if err := r.a.db.Close(); err != nil {
		t.Fatal(err)
	}
	dst2 := filepath.Join(dir, "offline.db")
	out, err = cli(getenv(admin, rigAdminToken), "backup", "--config", os.DevNull, dst2)
	if err != nil || strings.Contains(out, "running bot") || repliesIn(t, dst2) != want {
		t.Errorf("backup of a stopped bot: %v %q", err, out)
	}
}

// repliesIn counts the replies in a database file.
func repliesIn(t *testing.T, path string) int {
	t.Helper()
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n := 0
	err = db.View(func(tx *store.Tx) error {
		return tx.Clients(func(c store.Client) error {
			rs, err := tx.Replies(c.ChatID, time.Time{})
			n += len(rs)
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAdminAddressOfTheBinary runs the built binary with no admin.token:
// /export and /backup answer 401 without a token and 200 with the one in
// the file beside the database, a foreign Host is refused even with it,
// /healthz and /metrics are open, `kindling export` and `kindling backup`
// work as before, and a restart keeps the token.
func TestAdminAddressOfTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin, err := crashBinary()
	if err != nil {
		t.Fatal(err)
	}
	srv := telegramtest.NewTB(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "kindling.db")
	addr := freeAddr(t)
	env := append(os.Environ(),
		"KINDLING_TELEGRAM_TOKEN="+srv.Token(),
		"KINDLING_TELEGRAM_API_URL="+srv.URL(),
		"KINDLING_TELEGRAM_POLL_TIMEOUT=2s",
		"KINDLING_STORE_PATH="+db,
		"KINDLING_ADMIN_LISTEN="+addr,
		"KINDLING_BACKUP_SCHEDULE=\"\"",
		"KINDLING_ENROLLMENT=open",
		"KINDLING_LOG_FORMAT=json",
	)
	start := func() (*exec.Cmd, *logBuffer) { return startAdminBinary(t, env, addr) }
	stop := func(cmd *exec.Cmd) { stopBinary(t, cmd) }
	get := func(host, token, path string) int {
		req, err := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if host != "" {
			req.Host = host
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}

	cmd, out := start()
	fi, err := os.Stat(db + ".admin-token")
	if err != nil {
		t.Fatalf("no admin token file beside the database: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("admin token file mode %v, want 0600", fi.Mode().Perm())
	}
	b, err := os.ReadFile(db + ".admin-token")
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(string(b))
	for _, path := range []string{"/export", "/backup"} {
		if code := get("", "", path); code != http.StatusUnauthorized {
			t.Errorf("%s without a token: %d, want 401", path, code)
		}
		if code := get("", token, path); code != http.StatusOK {
			t.Errorf("%s with the file's token: %d, want 200", path, code)
		}
		if code := get("evil.example", token, path); code != http.StatusMisdirectedRequest {
			t.Errorf("%s for Host evil.example with the token: %d, want 421", path, code)
		}
	}
	for _, path := range []string{"/healthz", "/metrics"} {
		if code := get("", "", path); code != http.StatusOK {
			t.Errorf("%s without a token: %d, want 200", path, code)
		}
		if code := get("evil.example:80", "", path); code != http.StatusMisdirectedRequest {
			t.Errorf("%s for Host evil.example: %d, want 421", path, code)
		}
	}

	// The commands read the token file, as the operator's shell would.
	cli := func(args ...string) (string, error) {
		c := exec.Command(bin, append([]string{args[0], "--config", os.DevNull}, args[1:]...)...)
		c.Env = env
		var stdout, stderr bytes.Buffer
		c.Stdout, c.Stderr = &stdout, &stderr
		err := c.Run()
		if err != nil {
			err = fmt.Errorf("%w: %s", err, stderr.String())
		}
		return stdout.String(), err
	}
	if got, err := cli("export", "--format", "json"); err != nil || strings.TrimSpace(got) != "[]" {
		t.Errorf("kindling export: %v %q", err, got)
	}
	copyPath := filepath.Join(dir, "copy.db")
	if got, err := cli("backup", copyPath); err != nil || !strings.Contains(got, "from the running bot") {
		t.Errorf("kindling backup: %v %q", err, got)
	}
	stop(cmd)
	if strings.Contains(out.String(), token) {
		t.Error("the admin token appears in the log")
	}
	// The JSON log gives durations in seconds: "took" of the last line.
	var stopped map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "stopped" {
			stopped = m
		}
	}
	if took, ok := stopped["took"].(float64); !ok || took < 0 || took > 15 {
		t.Errorf("the stop line's took = %v (%T), want seconds as a number:\n%s", stopped["took"], stopped["took"], out)
	}

	cmd, _ = start()
	if b, err := os.ReadFile(db + ".admin-token"); err != nil || strings.TrimSpace(string(b)) != token {
		t.Errorf("after a restart the token file holds another token (%v)", err)
	}
	if code := get("", token, "/export"); code != http.StatusOK {
		t.Errorf("/export after a restart with the first token: %d, want 200", code)
	}
	stop(cmd)
}

// startAdminBinary starts `kindling run` on defaults and env, and waits
// until /healthz on addr answers 200.
func startAdminBinary(t *testing.T, env []string, addr string) (*exec.Cmd, *logBuffer) {
	t.Helper()
	out := &logBuffer{}
	cmd := startKindling(t, t.TempDir(), binaryRun{configFile: os.DevNull, env: env, out: out})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return cmd, out
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no healthy /healthz within 20 s: %v\n%s", err, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stopBinary stops a kindling started by startBinary with SIGTERM and
// requires a clean exit.
func stopBinary(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("kindling did not stop cleanly: %v", err)
	}
}
