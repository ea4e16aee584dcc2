package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"kindling/bot"
	"kindling/prompts"
	"kindling/schedule"
	"kindling/store"
	"kindling/telegram"
	"kindling/telegramtest"
)

const webhookSecret = "s3cret-token_for-tests"

// webhookRig is a bot fed only through its WebhookHandler; nothing drains
// its outbox, so what an update enqueued stays visible.
type webhookRig struct {
	t    *testing.T
	srv  *telegramtest.Server
	path string
	db   *store.DB
	bot  *bot.Bot
	hook *httptest.Server
	log  *lockedBuffer

	opts    bot.Options
	sched   *schedule.Scheduler
	mu      sync.Mutex
	handler http.Handler // the webhook of bot
}

// build makes the rig's bot on db and serves its webhook.
func (r *webhookRig) build(db *store.DB) {
	o := r.opts
	o.DB = db
	r.db = db
	r.sched.DB = db
	r.bot = bot.New(o)
	r.sched.Conversation = r.bot
	r.mu.Lock()
	r.handler = bot.WebhookHandler(r.bot, webhookSecret)
	r.mu.Unlock()
}

func newWebhookRig(t *testing.T) *webhookRig {
	t.Helper()
	r := &webhookRig{t: t, srv: telegramtest.NewTB(t), path: filepath.Join(t.TempDir(), "kindling.db"), log: &lockedBuffer{}}
	db, err := store.Open(r.path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r.db = db
	log := slog.New(slog.NewTextHandler(r.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	set := prompts.Default()
	sched := &schedule.Scheduler{DB: db, Prompts: func() *prompts.Set { return set }, Logger: log,
		CatchUp: 6 * time.Hour, DefaultTime: "09:00", DefaultSequence: "after-session"}
	api, err := telegram.NewAPI(r.srv.Token(), r.srv.URL(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	r.opts = bot.Options{
		Deps: bot.Deps{Prompts: sched.Prompts, Planner: sched, API: api, Logger: log,
			Sender: &telegram.Sender{Rate: 1000, PerChat: -1}},
		Settings: bot.Settings{
			DefaultSequence: "after-session", DefaultLanguage: "en", DefaultTime: "09:00", DefaultTimeZone: "UTC",
			DataDir: filepath.Dir(r.path), Enrollment: "open", InviteTTL: time.Hour,
		},
	}
	r.sched = sched
	r.build(db)
	r.hook = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		h := r.handler
		r.mu.Unlock()
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(func() {
		r.hook.Close()
		_ = r.db.Close()
		if t.Failed() {
			t.Logf("bot log:\n%s", r.log.String())
		}
	})
	return r
}

// update makes u send text and returns the update Telegram would deliver.
func (r *webhookRig) update(u *telegramtest.User, text string) []byte {
	r.t.Helper()
	u.Send(text)
	p := &telegram.Poller{URL: r.srv.URL(), Token: r.srv.Token()}
	ups, err := p.Fetch(context.Background(), 0)
	if err != nil || len(ups) == 0 {
		r.t.Fatalf("fetch the update: %v (%d)", err, len(ups))
	}
	last := ups[len(ups)-1]
	if _, err := p.Fetch(context.Background(), last.ID+1); err != nil { // confirm it in the fake
		r.t.Fatal(err)
	}
	body, err := json.Marshal(last)
	if err != nil {
		r.t.Fatal(err)
	}
	return body
}

// post sends body to the webhook with the given secret ("" for none).
func (r *webhookRig) post(secret string, body []byte) int {
	r.t.Helper()
	req, err := http.NewRequest(http.MethodPost, r.hook.URL+"/telegram", bytes.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set(telegram.SecretHeader, secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (r *webhookRig) offset() int64 {
	r.t.Helper()
	off, err := r.db.Offset()
	if err != nil {
		r.t.Fatal(err)
	}
	return off
}

func (r *webhookRig) outbox() int {
	r.t.Helper()
	var n int
	err := r.db.View(func(tx *store.Tx) error {
		rows, err := tx.Outbox(0)
		n = len(rows)
		return err
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return n
}

func updateID(t *testing.T, body []byte) int64 {
	t.Helper()
	var u models.Update
	if err := json.Unmarshal(body, &u); err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func TestWebhookStoresBeforeAnswering(t *testing.T) {
	r := newWebhookRig(t)
	u := r.srv.User(5001, "Maya", "en")
	body := r.update(u, "/start")
	if got := r.post(webhookSecret, body); got != http.StatusOK {
		t.Fatalf("good update: %d, want 200", got)
	}
	// By the time Telegram has its 200, the update and its reply are on disk.
	if got, want := r.offset(), updateID(t, body); got != want {
		t.Errorf("stored offset %d, want %d", got, want)
	}
	replies := r.outbox()
	if replies == 0 {
		t.Error("outbox empty after /start, want the welcome and consent question")
	}
	// Telegram delivers the same update again (our 200 got lost): handled once.
	if got := r.post(webhookSecret, body); got != http.StatusOK {
		t.Errorf("repeated update: %d, want 200", got)
	}
	if r.outbox() != replies {
		t.Errorf("outbox holds %d messages after a repeated update, want %d", r.outbox(), replies)
	}
	if st := r.bot.Stats(); st.UpdatesProcessed != 1 || st.WebhookRefused != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestWebhookRefuses(t *testing.T) {
	r := newWebhookRig(t)
	u := r.srv.User(5001, "Maya", "en")
	body := r.update(u, "my private sorrow")
	huge := append([]byte(`{"update_id": 1, "message": {"text": "`), bytes.Repeat([]byte("a"), telegram.MaxWebhookBody)...)
	huge = append(huge, `"}}`...)
	for _, c := range []struct {
		name   string
		secret string
		body   []byte
		want   int
	}{
		{"no secret", "", body, http.StatusUnauthorized},
		{"wrong secret", webhookSecret + "x", body, http.StatusUnauthorized},
		{"secret of another length", "short", body, http.StatusUnauthorized},
		{"huge body", webhookSecret, huge, http.StatusRequestEntityTooLarge},
		{"invalid JSON", webhookSecret, []byte(`{"update_id": 7, "message": `), http.StatusBadRequest},
		{"not an update", webhookSecret, []byte(`{"hello": "world"}`), http.StatusBadRequest},
		{"a JSON list", webhookSecret, []byte(`[1, 2, 3]`), http.StatusBadRequest},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := r.post(c.secret, c.body); got != c.want {
				t.Errorf("got %d, want %d", got, c.want)
			}
		})
	}
	t.Run("GET", func(t *testing.T) {
		resp, err := http.Get(r.hook.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != http.MethodPost {
			t.Errorf("got %s (Allow %q), want 405", resp.Status, resp.Header.Get("Allow"))
		}
	})
	if r.offset() != 0 || r.outbox() != 0 {
		t.Errorf("a refused request stored something: offset %d, outbox %d", r.offset(), r.outbox())
	}
	if st := r.bot.Stats(); st.WebhookRefused != 8 || st.UpdatesProcessed != 0 {
		t.Errorf("stats %+v, want 8 refused", st)
	}
	log := r.log.String()
	if strings.Contains(log, "sorrow") || strings.Contains(log, webhookSecret) {
		t.Errorf("the log shows a body or the secret:\n%s", log)
	}
	if !strings.Contains(log, "wrong secret token") {
		t.Errorf("the log does not mention the wrong secret:\n%s", log)
	}
}

func TestWebhookEmptySecretRefusesAll(t *testing.T) {
	r := newWebhookRig(t)
	body := r.update(r.srv.User(5001, "Maya", "en"), "/start")
	h := bot.WebhookHandler(r.bot, "")
	for _, secret := range []string{"", "anything"} {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set(telegram.SecretHeader, secret)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusUnauthorized {
			t.Errorf("secret %q against an empty one: %d, want 401", secret, w.Code)
		}
	}
}

// TestWebhookStoreFailure answers 500 when the update cannot be stored, so
// that Telegram delivers it again; the second delivery is stored.
func TestWebhookStoreFailure(t *testing.T) {
	r := newWebhookRig(t)
	body := r.update(r.srv.User(5001, "Maya", "en"), "/start")
	if err := r.db.Close(); err != nil {
		t.Fatal(err)
	}
	if got := r.post(webhookSecret, body); got != http.StatusInternalServerError {
		t.Errorf("update with the store closed: %d, want 500", got)
	}
	if st := r.bot.Stats(); st.UpdatesFailed != 1 || st.UpdatesProcessed != 0 {
		t.Errorf("stats %+v", st)
	}

	// Telegram tries again once the store works.
	db, err := store.Open(r.path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r.build(db)
	if got := r.post(webhookSecret, body); got != http.StatusOK {
		t.Fatalf("redelivered update: %d, want 200", got)
	}
	if got, want := r.offset(), updateID(t, body); got != want || r.outbox() == 0 {
		t.Errorf("after redelivery: offset %d (want %d), outbox %d (want the replies to /start)", got, want, r.outbox())
	}
}

// TestWebhookInOrder sends one client's updates one after another, as
// Telegram does with max_connections 1, and checks their effects follow
// the same order.
func TestWebhookInOrder(t *testing.T) {
	r := newWebhookRig(t)
	u := r.srv.User(5001, "Maya", "en")
	var ids []int64
	for _, text := range []string{"/start", "/help", "/help"} {
		body := r.update(u, text)
		ids = append(ids, updateID(t, body))
		if got := r.post(webhookSecret, body); got != http.StatusOK {
			t.Fatalf("%s: %d", text, got)
		}
		if got := r.offset(); got != ids[len(ids)-1] {
			t.Errorf("after %s: offset %d, want %d", text, got, ids[len(ids)-1])
		}
	}
}
