package bot_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	stdlog "log"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"kindling/bot"
	"kindling/prompts"
	"kindling/safety"
	"kindling/schedule"
	"kindling/store"
	"kindling/telegram"
	"kindling/telegramtest"
)

// fakeClock is the time every part of the harness reads: the store, the
// bot, the schedule and the fake Telegram. Tests move it with Set.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// lockedBuffer collects the bot's log; it is printed when a test fails.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harnessConfig is what a test may change about the harness.
type harnessConfig struct {
	start       time.Time
	enrollment  bot.Enrollment
	coaches     []bot.Coach
	set         *prompts.Set
	catchUp     time.Duration
	remindAfter time.Duration
	quiet       string
	sender      func(s *telegram.Sender)
	beforeStart func(h *harness)
	proxy       func(next http.Handler) http.Handler
	classifier  func(net *safety.Net) bot.Classifier
	escalateTo  []int64
	bot         func(o *bot.Options)
}

type option func(*harnessConfig)

// withClassifier puts a classifier in front of the safety net (to make
// chosen phrases a check).
func withClassifier(f func(net *safety.Net) bot.Classifier) option {
	return func(c *harnessConfig) { c.classifier = f }
}

// withBot changes the bot's options before it is made.
func withBot(f func(o *bot.Options)) option { return func(c *harnessConfig) { c.bot = f } }

// withEscalateTo sets the chats an alert escalates to.
func withEscalateTo(ids ...int64) option { return func(c *harnessConfig) { c.escalateTo = ids } }

// startingAt starts the fake clock at t (default 2026-03-01 12:00 UTC).
func startingAt(t time.Time) option { return func(c *harnessConfig) { c.start = t } }

func withEnrollment(mode bot.Enrollment) option {
	return func(c *harnessConfig) { c.enrollment = mode }
}

func withCoaches(cs ...bot.Coach) option { return func(c *harnessConfig) { c.coaches = cs } }

func withSender(f func(s *telegram.Sender)) option { return func(c *harnessConfig) { c.sender = f } }

// withProxy puts an HTTP handler between the bot and the fake Telegram,
// for faults the fake cannot inject.
func withProxy(wrap func(next http.Handler) http.Handler) option {
	return func(c *harnessConfig) { c.proxy = wrap }
}

// beforeStart runs after the fake Telegram is up and before the bot
// registers its commands and starts polling: the place to inject faults
// into the start.
func beforeStart(f func(h *harness)) option { return func(c *harnessConfig) { c.beforeStart = f } }

// harness is kindling wired as app.go wires it, against telegramtest, on
// a fake clock.
type harness struct {
	t      *testing.T
	cfg    harnessConfig
	srv    *telegramtest.Server
	clock  *fakeClock
	dir    string
	dbPath string
	log    *lockedBuffer
	apiURL string // the fake, or the proxy in front of it

	db     *store.DB
	sched  *schedule.Scheduler
	bot    *bot.Bot
	sender *telegram.Sender

	ctx     context.Context // of the running bot
	halt    func()          // stops it
	running bool
}

// defaultConfig is the harness's configuration, as opts change it.
func defaultConfig(opts []option) harnessConfig {
	cfg := harnessConfig{
		start:       time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		enrollment:  bot.EnrollOpen,
		set:         prompts.Default(),
		catchUp:     6 * time.Hour,
		remindAfter: 3 * time.Hour,
		quiet:       "22:00-08:00",
	}
	for _, o := range opts {
		o(&cfg)
	}
	return cfg
}

func newHarness(t *testing.T, opts ...option) *harness {
	t.Helper()
	cfg := defaultConfig(opts)
	h := &harness{t: t, cfg: cfg, clock: &fakeClock{now: cfg.start}, log: &lockedBuffer{}}
	h.srv = telegramtest.NewTB(t)
	h.srv.Now = h.clock.Now
	h.apiURL = h.srv.URL()
	if cfg.proxy != nil {
		target, err := url.Parse(h.srv.URL())
		if err != nil {
			t.Fatal(err)
		}
		rp := httputil.NewSingleHostReverseProxy(target)
		rp.ErrorLog = stdlog.New(io.Discard, "", 0) // a request the test holds back ends in a cancel
		proxy := httptest.NewServer(cfg.proxy(rp))
		t.Cleanup(proxy.Close)
		h.apiURL = proxy.URL
	}
	h.dir = t.TempDir()
	h.dbPath = filepath.Join(h.dir, "kindling.db")
	t.Cleanup(func() {
		h.stop()
		if log := h.log.String(); t.Failed() && log != "" {
			t.Logf("bot log:\n%s", log)
		}
	})
	if cfg.beforeStart != nil {
		cfg.beforeStart(h)
	}
	h.start()
	return h
}

// start opens the store and starts the bot: the commands are registered,
// then Poll and Drain run until stop.
func (h *harness) start() {
	h.t.Helper()
	db, err := store.Open(h.dbPath, store.Options{Timeout: time.Second, Now: h.clock.Now, BatchDelay: time.Millisecond})
	if err != nil {
		h.t.Fatalf("open store: %v", err)
	}
	h.db = db
	api, err := telegram.NewAPI(h.srv.Token(), h.apiURL, 10*time.Second)
	if err != nil {
		h.t.Fatal(err)
	}
	h.sender = testSender(h.cfg, h.log)
	h.bot, h.sched = newTestBot(h.t, h.cfg, db, api, h.sender, h.clock, h.log)
	poller := &telegram.Poller{URL: h.apiURL, Token: h.srv.Token(), Timeout: 5 * time.Second, RetryWait: 20 * time.Millisecond}
	h.ctx, h.halt = runBot(h.bot, poller, h.log)
	h.running = true
}

// stop stops the bot as a process stop would: the polling and the
// sending end wherever they are, and the store is closed.
func (h *harness) stop() {
	if !h.running {
		return
	}
	h.running = false
	h.halt()
	// The poller uses http.DefaultTransport: a connection it dialled and
	// never used would hold the fake's Close for 5 s (http.Server.Shutdown
	// waits that long for connections that sent no request).
	if tr, ok := http.DefaultTransport.(*http.Transport); ok {
		tr.CloseIdleConnections()
	}
	closeStore(h.t, h.db)
}

// testSender is the harness's Sender: fast, as cfg changes it.
func testSender(cfg harnessConfig, log io.Writer) *telegram.Sender {
	s := &telegram.Sender{Rate: 1000, PerChat: -1, Backoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond,
		RetryAfterUnit: 10 * time.Millisecond, Logger: testLogger(log)}
	if cfg.sender != nil {
		cfg.sender(s)
	}
	return s
}

func testLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// newTestBot is the bot (and its schedule) of cfg on db, as app.go wires
// them, talking to Telegram through api.
func newTestBot(t testing.TB, cfg harnessConfig, db *store.DB, api bot.API, sender *telegram.Sender, clock *fakeClock, log io.Writer) (*bot.Bot, *schedule.Scheduler) {
	t.Helper()
	logger := testLogger(log)
	set := cfg.set
	promptSet := func() *prompts.Set { return set }
	quiet, err := schedule.ParseWindow(cfg.quiet)
	if err != nil {
		t.Fatal(err)
	}
	sched := &schedule.Scheduler{
		DB: db, Prompts: promptSet, Logger: logger,
		CatchUp: cfg.catchUp, RemindAfter: cfg.remindAfter, Quiet: quiet,
		DefaultTime: "09:00", DefaultSequence: "after-session",
	}
	net, err := safety.New(safety.DefaultPhrases)
	if err != nil {
		t.Fatal(err)
	}
	net.UseLearned(true) // as kindling runs by default (safety.learned_check)
	var classifier bot.Classifier = net
	if cfg.classifier != nil {
		classifier = cfg.classifier(net)
	}
	opts := bot.Options{
		Deps: bot.Deps{DB: db, Prompts: promptSet, Planner: sched, API: api, Logger: logger, Now: clock.Now,
			Sender: sender, Safety: classifier},
		Settings: bot.Settings{
			DefaultSequence: "after-session", DefaultLanguage: "en",
			DefaultTime: "09:00", DefaultTimeZone: "UTC",
			DataDir:    filepath.Dir(db.Path()),
			Enrollment: cfg.enrollment, InviteTTL: 14 * 24 * time.Hour, Coaches: cfg.coaches,
			Username: "kindling_test_bot", NotFoundRetry: 20 * time.Millisecond,
			CrisisMessage:   maps.Clone(safety.DefaultCrisisMessage),
			LowestMoodTwice: true, LowestMoodCheck: true,
			EscalateTo: cfg.escalateTo, EscalateAfter: 15 * time.Minute, CheckTimeout: 30 * time.Minute,
		},
	}
	if cfg.bot != nil {
		cfg.bot(&opts)
	}
	b := bot.New(opts)
	sched.Conversation = b
	return b, sched
}

// runBot runs b as app.go does: the command menus are registered, then
// Drain runs, and Poll with p when p is not nil. stop ends both and
// waits for them.
func runBot(b *bot.Bot, p *telegram.Poller, log io.Writer) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	b.SetCommands(ctx)
	var wg sync.WaitGroup
	if p != nil {
		wg.Go(func() {
			if err := b.Poll(ctx, p); err != nil {
				fmt.Fprintf(log, "poll: %v\n", err)
			}
		})
	}
	wg.Go(func() { b.Drain(ctx) })
	return ctx, func() { cancel(); wg.Wait() }
}

// closeStore checks the store and closes it.
func closeStore(t testing.TB, db *store.DB) {
	if err := db.Check(); err != nil {
		t.Errorf("store check: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("close store: %v", err)
	}
}

// restart stops the bot and starts a new one on the same database file
// and the same fake Telegram.
func (h *harness) restart() {
	h.t.Helper()
	h.stop()
	h.start()
}

// settle waits until the bot has confirmed every update, sent its whole
// outbox, and the fake has no request in flight.
func (h *harness) settle() {
	h.t.Helper()
	// Generous: on a loaded machine under -race a big /mydata takes a
	// while; a conversation that settles returns long before.
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	if err := h.srv.WaitConfirmed(ctx); err != nil {
		h.t.Fatalf("settle: %v", err)
	}
	h.bot.WaitBackground() // voice downloads
	if err := h.bot.WaitIdle(ctx); err != nil {
		h.t.Fatalf("settle: outbox not drained: %v", err)
	}
	if err := h.srv.WaitIdle(ctx); err != nil {
		h.t.Fatalf("settle: %v", err)
	}
}

// tick moves the clock to now and runs one schedule tick, as app.tick.
func (h *harness) tick(now time.Time) schedule.Stats {
	h.t.Helper()
	h.clock.Set(now)
	st, err := h.sched.Tick(h.ctx, now)
	if err != nil {
		h.t.Fatalf("tick at %s: %v", now, err)
	}
	if err := h.bot.AlertTimers(now); err != nil {
		h.t.Fatalf("alert timers at %s: %v", now, err)
	}
	if err := h.bot.Digests(now); err != nil {
		h.t.Fatalf("digests at %s: %v", now, err)
	}
	h.bot.Wake()
	h.settle()
	return st
}

// run ticks every 15 minutes after from up to and including to, calling
// each (if not nil) after every tick.
func (h *harness) run(from, to time.Time, each func(now time.Time)) schedule.Stats {
	h.t.Helper()
	var sum schedule.Stats
	for now := from.Add(15 * time.Minute); !now.After(to); now = now.Add(15 * time.Minute) {
		st := h.tick(now)
		sum.Due += st.Due
		sum.Started += st.Started
		sum.Reminded += st.Reminded
		sum.Skipped += st.Skipped
		sum.Failed += st.Failed
		if each != nil {
			each(now)
		}
	}
	return sum
}

// user makes a simulated person who writes in English.
func (h *harness) user(id int64, name string) *telegramtest.User {
	return h.srv.User(id, name, "en")
}

// send sends text as u and waits for the bot to settle.
func (h *harness) send(u *telegramtest.User, text string) int {
	h.t.Helper()
	id := u.Send(text)
	h.settle()
	return id
}

// findButton returns the newest bot message in the chat with a button
// whose callback data is data.
func (h *harness) findButton(chatID int64, data string) (telegramtest.Message, bool) {
	msgs := h.srv.Messages(chatID)
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, row := range msgs[i].Keyboard {
			for _, b := range row {
				if b.CallbackData == data {
					return msgs[i], true
				}
			}
		}
	}
	return telegramtest.Message{}, false
}

// press presses the button with callback data data on the newest message
// showing it, waits for the bot to settle and returns the query id.
func (h *harness) press(u *telegramtest.User, data string) string {
	h.t.Helper()
	m, ok := h.findButton(u.ID(), data)
	if !ok {
		h.t.Fatalf("no button %q in chat %d; last message: %q", data, u.ID(), h.lastText(u.ID()))
	}
	id, err := u.Press(m.ID, data)
	if err != nil {
		h.t.Fatal(err)
	}
	h.settle()
	return id
}

// onboard drives /start, consent, time zone, time and session date.
func (h *harness) onboard(u *telegramtest.User, zone, clock, session string) {
	h.t.Helper()
	h.onboardWith(u, "", zone, clock, session)
}

// onboardWith onboards with an invite code ("" for none).
func (h *harness) onboardWith(u *telegramtest.User, code, zone, clock, session string) {
	h.t.Helper()
	if code == "" {
		h.send(u, "/start")
		h.press(u, "c|yes")
	} else {
		h.send(u, "/start "+code)
		h.press(u, "c|yes|"+code)
	}
	if _, ok := h.findButton(u.ID(), "tz|"+zone); ok {
		h.press(u, "tz|"+zone)
	} else {
		h.send(u, zone)
	}
	if _, ok := h.findButton(u.ID(), "t|"+clock); ok {
		h.press(u, "t|"+clock)
	} else {
		h.send(u, clock)
	}
	h.send(u, session)
	c := h.client(u.ID())
	if c.Setup != "" || c.TimeZone != zone || c.SendTime != clock || c.Status != store.StatusActive {
		h.t.Fatalf("after onboarding: setup %q, zone %q, time %q, status %q", c.Setup, c.TimeZone, c.SendTime, c.Status)
	}
	s := h.sessions(u.ID())
	if len(s) == 0 || s[len(s)-1].Date != session {
		h.t.Fatalf("after onboarding: sessions %+v, want one on %s", s, session)
	}
}

func (h *harness) view(fn func(tx *store.Tx) error) {
	h.t.Helper()
	if err := h.db.View(fn); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) client(id int64) store.Client {
	h.t.Helper()
	var c store.Client
	h.view(func(tx *store.Tx) error {
		var err error
		c, err = tx.Client(id)
		return err
	})
	return c
}

// hasClient reports whether anything is stored about chat id as a client.
func (h *harness) hasClient(id int64) bool {
	h.t.Helper()
	found := false
	h.view(func(tx *store.Tx) error {
		_, err := tx.Client(id)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		found = err == nil
		return err
	})
	return found
}

func (h *harness) clientCount() int {
	h.t.Helper()
	n := 0
	h.view(func(tx *store.Tx) error {
		return tx.Clients(func(store.Client) error { n++; return nil })
	})
	return n
}

func (h *harness) sessions(id int64) []store.Session {
	h.t.Helper()
	var s []store.Session
	h.view(func(tx *store.Tx) error {
		var err error
		s, err = tx.Sessions(id)
		return err
	})
	return s
}

func (h *harness) replies(id int64) []store.Reply {
	h.t.Helper()
	var rs []store.Reply
	h.view(func(tx *store.Tx) error {
		var err error
		rs, err = tx.Replies(id, time.Time{})
		return err
	})
	return rs
}

func (h *harness) deliveries(id int64) []store.Delivery {
	h.t.Helper()
	var ds []store.Delivery
	h.view(func(tx *store.Tx) error {
		var err error
		ds, err = tx.Deliveries(id)
		return err
	})
	return ds
}

func (h *harness) outbox() []store.Outgoing {
	h.t.Helper()
	var os []store.Outgoing
	h.view(func(tx *store.Tx) error {
		var err error
		os, err = tx.Outbox(0)
		return err
	})
	return os
}

// openQuestion returns the client's open question: its delivery, its id
// and the id of the message that asked it.
func (h *harness) openQuestion(id int64) (store.Delivery, string, int, bool) {
	h.t.Helper()
	var d store.Delivery
	var found bool
	h.view(func(tx *store.Tx) error {
		var err error
		d, err = tx.LatestDelivery(id)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		found = err == nil && d.State == store.DeliveryOpen && d.Next < len(d.Questions)
		return err
	})
	if !found {
		return d, "", 0, false
	}
	qid := d.Questions[d.Next]
	return d, qid, d.Messages[qid], true
}

// lastText is the text of the newest bot message in the chat.
func (h *harness) lastText(chatID int64) string {
	msgs := h.srv.Messages(chatID)
	if len(msgs) == 0 {
		return ""
	}
	return msgs[len(msgs)-1].Text
}

// newSince returns the bot messages in the chat after the first n.
func (h *harness) newSince(chatID int64, n int) []telegramtest.Message {
	msgs := h.srv.Messages(chatID)
	if n > len(msgs) {
		return nil
	}
	return msgs[n:]
}

// words is the bot's message key in English, as a client reads it.
func words(key string, v prompts.Vars) string {
	return prompts.Default().Messages("en").Text(key, v)
}

// answerButtons are the answer buttons ("a|...") of a message.
func answerButtons(m telegramtest.Message) []telegramtest.Button {
	var out []telegramtest.Button
	for _, row := range m.Keyboard {
		for _, b := range row {
			if strings.HasPrefix(b.CallbackData, "a|") {
				out = append(out, b)
			}
		}
	}
	return out
}

// answerAll answers every open question of the client: the middle of a
// scale or single choice, the first option then Done of a multiple
// choice, text otherwise.
// It returns how many questions were answered.
func (h *harness) answerAll(u *telegramtest.User, text string) int {
	h.t.Helper()
	n := 0
	for range 20 {
		_, qid, msgID, ok := h.openQuestion(u.ID())
		if !ok {
			return n
		}
		m, found := h.srv.Message(u.ID(), msgID)
		if !found {
			h.t.Fatalf("question %s was never sent (message %d)", qid, msgID)
		}
		buttons := answerButtons(m)
		switch last := len(buttons) - 1; {
		case last < 0:
			h.send(u, text)
		case strings.HasSuffix(buttons[last].CallbackData, "|."): // a multiple choice
			h.pressOn(u, m.ID, buttons[0].CallbackData)
			h.pressOn(u, m.ID, buttons[last].CallbackData) // Done
		default:
			// The middle of a scale: the lowest mood twice in a row
			// would set off the safety net.
			h.pressOn(u, m.ID, buttons[len(buttons)/2].CallbackData)
		}
		n++
	}
	h.t.Fatalf("client %d: questions never stop", u.ID())
	return n
}

// pressOn presses a button on a given message and settles.
func (h *harness) pressOn(u *telegramtest.User, msgID int, data string) string {
	h.t.Helper()
	id, err := u.Press(msgID, data)
	if err != nil {
		h.t.Fatal(err)
	}
	h.settle()
	return id
}

// isBareKey reports whether text looks like a message key the bot failed
// to find ("session_future") rather than words for a person.
func isBareKey(text string) bool {
	if text == "" {
		return true
	}
	for _, r := range text {
		if !(r >= 'a' && r <= 'z' || r == '_') {
			return false
		}
	}
	return strings.Contains(text, "_")
}
