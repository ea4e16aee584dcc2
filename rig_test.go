package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"kindling/admin"
	"kindling/config"
	"kindling/telegramtest"
)

// logBuffer collects log lines from several goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// rig is kindling wired by newApp, polling a telegramtest server, with its
// admin handler served by httptest. Real time, fast limits.
type rig struct {
	t     *testing.T
	a     *app
	srv   *telegramtest.Server
	log   *logBuffer
	admin *httptest.Server
	ad    *admin.Server
}

const rigAdminToken = "rig-admin-token"

// startRig starts kindling; edit changes the config first.
func startRig(t *testing.T, edit func(*config.Config)) *rig {
	t.Helper()
	srv := telegramtest.NewTB(t)
	cfg := config.Default()
	cfg.Telegram.APIURL, cfg.Telegram.Token = srv.URL(), srv.Token()
	cfg.Telegram.RatePerSecond = 1000
	cfg.Store.Path = filepath.Join(t.TempDir(), "kindling.db")
	cfg.Enrollment = config.EnrollOpen
	cfg.Schedule.QuietHours = ""
	cfg.Admin.Token = rigAdminToken
	if edit != nil {
		edit(&cfg)
	}
	r := &rig{t: t, srv: srv, log: &logBuffer{}}
	log := slog.New(slog.NewTextHandler(r.log, nil))
	// No flush at the stop: what a test leaves in the outbox stays there.
	stages := stopStages{abort: abortAfter, timeout: stopTimeout}
	a, err := newApp(context.Background(), cfg, log, appOptions{perChat: -1, storeRecoverAfter: 200 * time.Millisecond, batchDelay: time.Millisecond,
		callTimeout: 10 * time.Second, stop: &stages})
	if err != nil {
		t.Fatal(err)
	}
	r.a = a
	a.poller.Timeout, a.poller.RetryWait = time.Second, 100*time.Millisecond
	a.sender.RetryAfterUnit = 10 * time.Millisecond
	a.sender.Backoff, a.sender.MaxBackoff = time.Millisecond, 10*time.Millisecond
	a.Start(startOptions{})
	r.ad = newAdmin(a, time.Now())
	r.admin = httptest.NewServer(r.ad.Handler())
	t.Cleanup(func() {
		r.admin.Close()
		if err := a.Stop(time.Now(), nil); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("kindling log:\n%s", r.log.String())
		}
	})
	return r
}

// settle waits until every update is stored and the outbox is sent.
func (r *rig) settle() {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.srv.WaitConfirmed(ctx); err != nil {
		r.t.Fatalf("settle: %v", err)
	}
	if err := r.a.bot.WaitIdle(ctx); err != nil {
		r.t.Fatalf("settle: %v", err)
	}
}

// press presses the newest button with this callback data in u's chat.
func (r *rig) press(u *telegramtest.User, data string) {
	r.t.Helper()
	msgs := r.srv.Messages(u.ID())
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, row := range msgs[i].Keyboard {
			for _, b := range row {
				if b.CallbackData == data {
					if _, err := u.Press(msgs[i].ID, data); err != nil {
						r.t.Fatal(err)
					}
					r.settle()
					return
				}
			}
		}
	}
	r.t.Fatalf("no button %q in chat %d", data, u.ID())
}

// converse walks a new client through onboarding and one journal entry:
// five updates, at least one answer stored.
func (r *rig) converse(id int64) *telegramtest.User {
	r.t.Helper()
	u := r.srv.User(id, "Maya", "en")
	u.Send("/start")
	r.settle()
	r.press(u, "c|yes")
	r.press(u, "tz|America/New_York")
	r.press(u, "t|09:00")
	r.press(u, "s|today")
	u.Send("Lighter than I expected; the lake keeps coming back.")
	r.settle()
	return u
}

// get requests path from the admin server, with the token unless bare.
func (r *rig) get(path string, bare bool) *http.Response {
	r.t.Helper()
	req, err := http.NewRequest(http.MethodGet, r.admin.URL+path, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	if !bare {
		req.Header.Set("Authorization", "Bearer "+rigAdminToken)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { resp.Body.Close() })
	return resp
}
