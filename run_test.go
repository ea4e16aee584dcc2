package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"kindling/config"
	"kindling/telegram"
	"kindling/telegramtest"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestRunWebhook runs kindling in webhook mode: it sets the webhook with
// the secret, the update kinds and one connection, stores what arrives on
// its listener before answering, and leaves the webhook set when it stops.
func TestRunWebhook(t *testing.T) {
	srv := telegramtest.NewTB(t)
	dir := t.TempDir()
	u := srv.User(5001, "Maya", "en")
	u.Send("/start")
	p := &telegram.Poller{URL: srv.URL(), Token: srv.Token()}
	ups, err := p.Fetch(context.Background(), 0)
	if err != nil || len(ups) != 1 {
		t.Fatalf("fetch: %v %d", err, len(ups))
	}
	if _, err := p.Fetch(context.Background(), ups[0].ID+1); err != nil {
		t.Fatal(err)
	}
	update, err := json.Marshal(ups[0])
	if err != nil {
		t.Fatal(err)
	}

	hook, admin := freeAddr(t), freeAddr(t)
	const secret = "webhook-secret-0123"
	env := map[string]string{
		"KINDLING_TELEGRAM_TOKEN":                srv.Token(),
		"KINDLING_TELEGRAM_API_URL":              srv.URL(),
		"KINDLING_TELEGRAM_RATE_PER_SECOND":      "1000",
		"KINDLING_TELEGRAM_WEBHOOK_URL":          "https://bot.example.org/telegram",
		"KINDLING_TELEGRAM_WEBHOOK_LISTEN":       hook,
		"KINDLING_TELEGRAM_WEBHOOK_SECRET_TOKEN": secret,
		"KINDLING_STORE_PATH":                    filepath.Join(dir, "kindling.db"),
		"KINDLING_ENROLLMENT":                    "open",
		"KINDLING_ADMIN_LISTEN":                  admin,
		"KINDLING_BACKUP_SCHEDULE":               `""`,
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &logBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"run", "--config", os.DevNull}, func(k string) string { return env[k] }, io.Discard, stderr)
	}()
	wait, cancelWait := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelWait()
	if err := srv.Wait(wait, func() bool { return srv.Webhook().URL != "" }); err != nil {
		t.Fatalf("no webhook set: %v\n%s", err, stderr)
	}
	w := srv.Webhook()
	if w.URL != env["KINDLING_TELEGRAM_WEBHOOK_URL"] || w.SecretToken != secret || w.MaxConnections != 1 ||
		!slices.Equal(w.AllowedUpdates, telegram.AllowedUpdates()) {
		t.Errorf("webhook set as %+v", w)
	}

	post := func(secret string) int {
		t.Helper()
		var resp *http.Response
		for range 50 { // the listener may still be starting
			req, _ := http.NewRequest(http.MethodPost, "http://"+hook+"/telegram", bytes.NewReader(update))
			req.Header.Set(telegram.SecretHeader, secret)
			resp, err = http.DefaultClient.Do(req)
			if err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post("wrong"); got != http.StatusUnauthorized {
		t.Errorf("wrong secret: %d, want 401", got)
	}
	if got := post(secret); got != http.StatusOK {
		t.Errorf("good update: %d, want 200", got)
	}
	if _, err := u.WaitMessages(wait, 1); err != nil {
		t.Errorf("no reply to /start through the webhook: %v", err)
	}

	resp, err := http.Get("http://" + admin + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz: %s", resp.Status)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not return 15 s after the stop")
	}
	if srv.Webhook().URL == "" {
		t.Error("the webhook was removed at the stop; Telegram should keep updates for the restart")
	}
	log := stderr.String()
	for _, want := range []string{"kindling starting", "updates=\"webhook https://bot.example.org/telegram\"", "wrong secret token", "stopped"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	for _, secretText := range []string{srv.Token(), secret} {
		if strings.Contains(log, secretText) {
			t.Errorf("log shows a secret:\n%s", log)
		}
	}
}

// TestPromptReloadErrors counts each failed reload and tells the coaches
// once per new set of problems.
func TestPromptReloadErrors(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"after-session.en.yaml", "messages.en.yaml"} {
		b, err := os.ReadFile(filepath.Join("prompts", "sequences", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	r := startRig(t, func(c *config.Config) {
		c.Prompts.Dir = dir
		c.Coaches = []config.Coach{{ID: 42, Name: "Sam"}}
	})
	coach := r.srv.User(42, "Sam", "en")
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { r.a.watchPrompts(ctx); close(stopped) }()
	defer func() { cancel(); <-stopped }()

	broken := filepath.Join(dir, "broken.yaml")
	for i := range 2 { // the same mistake saved twice
		if err := os.WriteFile(broken, []byte("id: broken\nlanguage: en\ndays: [{day: x}]\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		waitUntilTrue(t, 10*time.Second, "the failed reload to be counted", func() bool {
			return value(scrape(t, r), "kindling_prompt_reload_errors_total") >= float64(i+1)
		})
	}
	r.settle()
	if msgs := coach.Messages(); len(msgs) != 1 || !strings.Contains(msgs[0].Text, "broken.yaml") {
		t.Errorf("the coach got %d messages, want one naming broken.yaml: %+v", len(msgs), msgs)
	}
}
