package web_test

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"kindling/prompts"
	"kindling/store"
	"kindling/web"
)

var t0 = time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)

const (
	coachA = int64(111)
	coachB = int64(222)
	mayaID = int64(1001) // coach A's client
	noahID = int64(2001) // coach B's client
)

// fakeAlerts records what the pages asked of the alerts.
type fakeAlerts struct {
	mu    sync.Mutex
	calls []string
}

var errNotYours = errors.New("not yours")

func (f *fakeAlerts) AcknowledgeAlert(coach, chat int64, at time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if chat == noahID && coach != coachB {
		return errNotYours
	}
	f.calls = append(f.calls, fmt.Sprintf("ack %d %d %d", coach, chat, at.UnixNano()))
	return nil
}

func (f *fakeAlerts) ResolveAlert(coach, chat int64, at time.Time, note string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if chat == noahID && coach != coachB {
		return errNotYours
	}
	f.calls = append(f.calls, fmt.Sprintf("resolve %d %d %d %s", coach, chat, at.UnixNano(), note))
	return nil
}

// fixture is a workspace over a real database holding two coaches'
// clients, served by httptest.
type fixture struct {
	t       *testing.T
	db      *store.DB
	dbPath  string
	srv     *web.Server
	http    *httptest.Server
	now     time.Time
	nowMu   sync.Mutex
	alerts  *fakeAlerts
	dir     string // prompts.dir
	reloads int
	opts    web.Options
}

func (f *fixture) clock() time.Time {
	f.nowMu.Lock()
	defer f.nowMu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.nowMu.Lock()
	f.now = f.now.Add(d)
	f.nowMu.Unlock()
}

func newFixture(t *testing.T, edit func(*web.Options)) *fixture {
	t.Helper()
	f := &fixture{t: t, now: t0, alerts: &fakeAlerts{}}
	f.dbPath = filepath.Join(t.TempDir(), "kindling.db")
	db, err := store.Open(f.dbPath, store.Options{NoSync: true, Now: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	f.db = db
	t.Cleanup(func() { db.Close() })
	seed(t, db)
	f.dir = t.TempDir()
	for _, name := range []string{"after-session.en.yaml", "messages.en.yaml"} {
		data, err := os.ReadFile(filepath.Join("..", "prompts", "sequences", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(f.dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f.opts = web.Options{
		DB: db, BaseURL: "http://127.0.0.1:8091", Coaches: []web.Coach{{ID: coachA, Name: "Sam", TimeZone: "Europe/Madrid"}, {ID: coachB, Name: "Robin"}},
		Prompts: prompts.Default, PromptsDir: f.dir, PromptOptions: prompts.Options{DefaultLanguage: "en"},
		Reload:   func() (bool, []string) { f.reloads++; return true, nil },
		Alerts:   f.alerts,
		NotYours: func(err error) bool { return errors.Is(err, errNotYours) },
		DataDir:  filepath.Dir(f.dbPath),
		Now:      f.clock,
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if edit != nil {
		edit(&f.opts)
	}
	f.start()
	return f
}

func (f *fixture) start() {
	srv, err := web.New(f.opts)
	if err != nil {
		f.t.Fatal(err)
	}
	f.srv = srv
	f.http = httptest.NewServer(srv.Handler())
	f.t.Cleanup(f.http.Close)
}

// seed writes Maya (coach A's, with answers, a voice note and an alert)
// and Noah (coach B's).
func seed(t *testing.T, db *store.DB) {
	t.Helper()
	err := db.Update(func(tx *store.Tx) error {
		for _, c := range []store.Client{
			{ChatID: mayaID, Name: "Maya", Language: "en", TimeZone: "Europe/Madrid", SendTime: "09:00", Sequence: "after-session", Status: store.StatusActive, Coach: coachA, ConsentAt: t0, CreatedAt: t0},
			{ChatID: noahID, Name: "Noah", Language: "en", TimeZone: "UTC", SendTime: "09:00", Sequence: "after-session", Status: store.StatusActive, Coach: coachB, ConsentAt: t0, CreatedAt: t0},
		} {
			if err := tx.PutClient(c); err != nil {
				return err
			}
			if err := tx.AddSession(store.Session{ChatID: c.ChatID, Date: "2026-11-10", Intention: "to be gentle with myself", CreatedAt: t0}); err != nil {
				return err
			}
		}
		for day := 1; day <= 8; day++ {
			date := fmt.Sprintf("2026-11-%02d", 10+day)
			v := 3 + day%5
			if err := tx.AddReply(&store.Reply{ChatID: mayaID, At: t0.AddDate(0, 0, day-10), LocalDate: date, Day: day, SessionDate: "2026-11-10",
				QuestionID: "mood", Question: "How are you feeling today?", Kind: "scale", Answer: fmt.Sprint(v), Value: &v}); err != nil {
				return err
			}
		}
		if err := tx.AddReply(&store.Reply{ChatID: mayaID, At: t0.Add(-time.Hour), LocalDate: "2026-11-20", Day: 10, SessionDate: "2026-11-10",
			QuestionID: "stood-out", Question: "What stood out?", Kind: "text", Answer: "the lake <b>at dawn</b>",
			Edits: []store.Edit{{At: t0.Add(-2 * time.Hour), Answer: "the lake"}}}); err != nil {
			return err
		}
		if err := tx.AddReply(&store.Reply{ChatID: mayaID, At: t0.Add(-30 * time.Minute), LocalDate: "2026-11-20", Day: 10, SessionDate: "2026-11-10",
			Kind: "voice", Answer: "", Voice: &store.Voice{FileID: "f1", Path: "voice/1001/1.ogg", Duration: 4}}); err != nil {
			return err
		}
		if err := tx.AddReply(&store.Reply{ChatID: noahID, At: t0.Add(-time.Hour), LocalDate: "2026-11-20", Day: 10, SessionDate: "2026-11-10",
			QuestionID: "stood-out", Question: "What stood out?", Kind: "text", Answer: "noah's private words"}); err != nil {
			return err
		}
		for _, a := range []store.Alert{
			{ChatID: mayaID, At: t0.Add(-3 * time.Hour), Tier: store.TierAlert, Category: "hopelessness", Words: "maya's heavy words", Coach: coachA, Told: []store.Told{{Chat: coachA, At: t0}}},
			{ChatID: noahID, At: t0.Add(-3 * time.Hour), Tier: store.TierAlert, Words: "noah's heavy words", Coach: coachB, Told: []store.Told{{Chat: coachB, At: t0}}},
		} {
			if err := tx.AddAlert(&a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// browser is one browser: its own cookies.
type browser struct {
	f      *fixture
	client *http.Client
	csrf   string
}

func (f *fixture) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{f: f, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// link makes a login link for coach, as /web does.
func (f *fixture) link(coach int64, code string) {
	f.t.Helper()
	if err := f.db.Update(func(tx *store.Tx) error {
		return tx.PutWebLink(code, store.WebLink{Coach: coach, CreatedAt: f.clock(), ExpiresAt: f.clock().Add(10 * time.Minute)})
	}); err != nil {
		f.t.Fatal(err)
	}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) get(path string) (*http.Response, string) {
	b.f.t.Helper()
	resp, err := b.client.Get(b.f.http.URL + path)
	if err != nil {
		b.f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := csrfField.FindStringSubmatch(string(body)); m != nil {
		b.csrf = m[1]
	}
	return resp, string(body)
}

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.f.t.Helper()
	if form.Get("csrf") == "" && b.csrf != "" {
		form.Set("csrf", b.csrf)
	}
	resp, err := b.client.PostForm(b.f.http.URL+path, form)
	if err != nil {
		b.f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := csrfField.FindStringSubmatch(string(body)); m != nil {
		b.csrf = m[1]
	}
	return resp, string(body)
}

// signIn opens a fresh link for coach and presses the button.
func (b *browser) signIn(coach int64) {
	b.f.t.Helper()
	code := fmt.Sprintf("code-%d-%d", coach, time.Now().UnixNano())
	b.f.link(coach, code)
	resp, body := b.get("/login?code=" + code)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Open the workspace") {
		b.f.t.Fatalf("login page: %s\n%s", resp.Status, body)
	}
	resp, body = b.post("/login", url.Values{"code": {code}})
	if resp.StatusCode != http.StatusSeeOther {
		b.f.t.Fatalf("sign in: %s\n%s", resp.Status, body)
	}
	resp, body = b.get("/")
	if resp.StatusCode != http.StatusOK {
		b.f.t.Fatalf("clients page after sign-in: %s\n%s", resp.Status, body)
	}
}

func TestLoginLinkOpensOnceAndKindly(t *testing.T) {
	f := newFixture(t, nil)
	b := f.browser()
	f.link(coachA, "good-code")
	resp, body := b.get("/login?code=good-code")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login page %s", resp.Status)
	}
	// Opening the page does not use the link (a link preview would).
	resp, _ = f.browser().get("/login?code=good-code")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login page opened twice: %s", resp.Status)
	}
	resp, _ = b.post("/login", url.Values{"code": {"good-code"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %s", resp.Status)
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "kindling_session" && c.Value != "" {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Secure || cookie.MaxAge != int((12*time.Hour).Seconds()) {
		t.Errorf("session cookie %+v: want HttpOnly, SameSite=Strict, not Secure over http, 12h", cookie)
	}
	if _, body = b.get("/"); !strings.Contains(body, "Maya") {
		t.Errorf("clients page after sign-in lacks Maya:\n%s", body)
	}

	other := f.browser()
	resp, body = other.get("/login?code=good-code")
	if resp.StatusCode != http.StatusGone || !strings.Contains(body, "already used") || !strings.Contains(body, "/web") {
		t.Errorf("used link: %s, want 410 saying it was used and to send /web\n%s", resp.Status, body)
	}
	f.link(coachA, "late-code")
	f.advance(10 * time.Minute)
	resp, body = other.get("/login?code=late-code")
	if resp.StatusCode != http.StatusGone || !strings.Contains(body, "expired") {
		t.Errorf("expired link: %s\n%s", resp.Status, body)
	}
	resp, body = other.get("/login?code=nothing")
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "/web") {
		t.Errorf("unknown link: %s\n%s", resp.Status, body)
	}
	// Without the form's token, the link is not used.
	f.link(coachA, "forged")
	resp, _ = f.browser().post("/login", url.Values{"code": {"forged"}, "csrf": {"guess"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign-in post without the form's cookie: %s, want 403", resp.Status)
	}
	third := f.browser()
	third.signIn(coachB) // the forged attempt did not spend anything of B's
	if _, body := third.get("/"); !strings.Contains(body, "Noah") || strings.Contains(body, "Maya") {
		t.Errorf("coach B's clients page:\n%s", body)
	}
}

func TestSecureCookieWithHTTPS(t *testing.T) {
	f := newFixture(t, func(o *web.Options) { o.BaseURL = "https://kindling.example.org" })
	b := f.browser()
	f.link(coachA, "c")
	b.get("/login?code=c")
	resp, _ := b.post("/login", url.Values{"code": {"c"}})
	var found bool
	for _, c := range resp.Cookies() {
		if c.Name == "__Host-kindling" {
			found = c.Secure && c.HttpOnly && c.Path == "/"
		}
	}
	if !found {
		t.Errorf("https: cookies %v, want a Secure HttpOnly __Host- cookie", resp.Cookies())
	}
	if got := resp.Header.Get("Strict-Transport-Security"); got == "" {
		t.Error("https: no Strict-Transport-Security")
	}
}

func TestSessionsSurviveARestartAndEnd(t *testing.T) {
	f := newFixture(t, nil)
	b := f.browser()
	b.signIn(coachA)
	// A new server over the same database file, as after a restart.
	f.http.Close()
	if err := f.db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(f.dbPath, store.Options{NoSync: true, Now: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f.db, f.opts.DB = db, db
	f.start()
	if resp, body := b.get("/"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Maya") {
		t.Fatalf("after a restart: %s\n%s", resp.Status, body)
	}
	resp, body := b.post("/logout", url.Values{})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "signed out") {
		t.Fatalf("sign out: %s\n%s", resp.Status, body)
	}
	if resp, body := b.get("/"); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "/web") {
		t.Errorf("after sign-out: %s, want 401 saying to send /web\n%s", resp.Status, body)
	}
	// /web logout ends every session of the coach (the bot calls this).
	b2, b3 := f.browser(), f.browser()
	b2.signIn(coachA)
	b3.signIn(coachA)
	if err := db.Update(func(tx *store.Tx) error { _, err := tx.DeleteWebSessions(coachA, f.clock()); return err }); err != nil {
		t.Fatal(err)
	}
	for _, br := range []*browser{b2, b3} {
		if resp, _ := br.get("/"); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("after /web logout: %s, want 401", resp.Status)
		}
	}
	// A session ends by itself after session_ttl.
	b4 := f.browser()
	b4.signIn(coachA)
	f.advance(12 * time.Hour)
	if resp, _ := b4.get("/"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("after 12 hours: %s, want 401", resp.Status)
	}
}

func TestAnotherCoachsClientIsNotFound(t *testing.T) {
	f := newFixture(t, nil)
	b := f.browser()
	b.signIn(coachA)
	for _, path := range []string{
		fmt.Sprintf("/clients/%d", noahID),
		fmt.Sprintf("/clients/%d/voice/1", noahID),
		fmt.Sprintf("/export/file?client=%d&format=csv", noahID),
		"/clients/999999",
		"/clients/not-a-number",
	} {
		resp, body := b.get(path)
		if resp.StatusCode != http.StatusNotFound || strings.Contains(body, "noah") || strings.Contains(body, "Noah") {
			t.Errorf("%s: %s, want 404 and nothing of Noah's\n%s", path, resp.Status, body)
		}
	}
	for _, path := range []string{"/", "/alerts", "/export"} {
		if _, body := b.get(path); strings.Contains(body, "Noah") || strings.Contains(body, "noah") {
			t.Errorf("%s shows coach B's client to coach A:\n%s", path, body)
		}
	}
	_, body := b.get("/export/file?client=all&format=json")
	if strings.Contains(body, "noah") || !strings.Contains(body, "the lake") {
		t.Errorf("coach A's export of all their clients:\n%s", body)
	}
	var views []store.WebView
	if err := f.db.View(func(tx *store.Tx) error { var err error; views, err = tx.WebViews(time.Time{}); return err }); err != nil {
		t.Fatal(err)
	}
	for _, v := range views {
		if v.ChatID == noahID {
			t.Errorf("a refused view was recorded as one: %+v", v)
		}
	}
	// An alert about someone else's client cannot be acted on either.
	b.get("/alerts")
	resp, _ := b.post("/alerts", url.Values{"client": {fmt.Sprint(noahID)}, "at": {"1"}, "action": {"ack"}})
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("acknowledging another coach's alert: %s, want 404", resp.Status)
	}
}

func TestClientPageAndItsRecord(t *testing.T) {
	f := newFixture(t, nil)
	voice := filepath.Join(filepath.Dir(f.dbPath), "voice", "1001", "1.ogg")
	if err := os.MkdirAll(filepath.Dir(voice), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(voice, []byte("OggS fake audio"), 0o600); err != nil {
		t.Fatal(err)
	}
	b := f.browser()
	b.signIn(coachA)
	resp, body := b.get(fmt.Sprintf("/clients/%d", mayaID))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("client page: %s\n%s", resp.Status, body)
	}
	for _, want := range []string{
		"Maya", "day 10 since the session of Tue 10 Nov 2026", "to be gentle with myself", "November 2026",
		"What stood out?", "the lake &lt;b&gt;at dawn&lt;/b&gt;", // the client's words, escaped
		"Edited 1 time", "<svg class=\"chart\"", "maya&#39;s heavy words", "<audio controls",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("client page lacks %q", want)
		}
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", resp.Header.Get("Cache-Control"))
	}
	m := regexp.MustCompile(`src="(/clients/1001/voice/\d+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no voice note on the page")
	}
	resp, audio := b.get(m[1])
	if resp.StatusCode != http.StatusOK || audio != "OggS fake audio" || resp.Header.Get("Content-Type") != "audio/ogg" {
		t.Errorf("voice note: %s %q %q", resp.Status, resp.Header.Get("Content-Type"), audio)
	}
	var views []store.WebView
	if err := f.db.View(func(tx *store.Tx) error { var err error; views, err = tx.WebViews(time.Time{}); return err }); err != nil {
		t.Fatal(err)
	}
	if len(views) != 2 || views[0].What != "client" || views[1].What != "voice" || views[0].Coach != coachA || views[0].ChatID != mayaID {
		t.Errorf("recorded views %+v, want the page then the voice note, by coach A of Maya", views)
	}
	// The month before has the session but no answers.
	_, body = b.get(fmt.Sprintf("/clients/%d?month=2026-10", mayaID))
	if !strings.Contains(body, "October 2026") || !strings.Contains(body, "Nothing in this month") {
		t.Errorf("October: %s", body)
	}
}

func TestSecurityHeadersAndHost(t *testing.T) {
	f := newFixture(t, nil)
	b := f.browser()
	resp, _ := b.get("/")
	for k, want := range map[string]string{
		"X-Frame-Options": "DENY", "Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff",
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}
	for host, want := range map[string]int{
		"evil.example": http.StatusMisdirectedRequest, "127.0.0.1:8091": http.StatusUnauthorized,
		"localhost": http.StatusUnauthorized, "[::1]:9": http.StatusUnauthorized, "kindling.example.org": http.StatusMisdirectedRequest,
	} {
		req, _ := http.NewRequest(http.MethodGet, f.http.URL+"/", nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %s: %s, want %d", host, resp.Status, want)
		}
	}
	// The page's style sheet comes from the binary.
	resp, css := b.get("/static/style.css")
	if resp.StatusCode != http.StatusOK || !strings.Contains(css, "--accent") {
		t.Errorf("style sheet: %s", resp.Status)
	}
}

func TestFormsNeedTheirToken(t *testing.T) {
	f := newFixture(t, nil)
	b := f.browser()
	b.signIn(coachA)
	var at int64
	if err := f.db.View(func(tx *store.Tx) error {
		as, err := tx.Alerts(mayaID)
		if len(as) > 0 {
			at = as[0].At.UnixNano()
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	form := url.Values{"client": {fmt.Sprint(mayaID)}, "at": {fmt.Sprint(at)}, "action": {"ack"}, "csrf": {"not-the-token"}}
	if resp, _ := b.post("/alerts", form); resp.StatusCode != http.StatusForbidden {
		t.Errorf("without the CSRF token: %s, want 403", resp.Status)
	}
	req, _ := http.NewRequest(http.MethodPost, f.http.URL+"/alerts", strings.NewReader(url.Values{"client": {fmt.Sprint(mayaID)}, "at": {fmt.Sprint(at)}, "action": {"ack"}, "csrf": {b.csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	if resp, err := b.client.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("from another origin: %v %v, want 403", resp.Status, err)
	}
	if len(f.alerts.calls) != 0 {
		t.Fatalf("refused forms acted: %v", f.alerts.calls)
	}
	resp, _ := b.post("/alerts", url.Values{"client": {fmt.Sprint(mayaID)}, "at": {fmt.Sprint(at)}, "action": {"ack"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("acknowledge: %s", resp.Status)
	}
	b.get("/alerts")
	b.post("/alerts", url.Values{"client": {fmt.Sprint(mayaID)}, "at": {fmt.Sprint(at)}, "action": {"resolve"}, "note": {"called her"}})
	want := []string{fmt.Sprintf("ack %d %d %d", coachA, mayaID, at), fmt.Sprintf("resolve %d %d %d called her", coachA, mayaID, at)}
	if fmt.Sprint(f.alerts.calls) != fmt.Sprint(want) {
		t.Errorf("alert actions %v, want %v", f.alerts.calls, want)
	}
}

func TestLoginAttemptsAreLimited(t *testing.T) {
	f := newFixture(t, nil)
	b := f.browser()
	var last *http.Response
	for range 21 {
		last, _ = b.get("/login?code=guess")
	}
	if last.StatusCode != http.StatusTooManyRequests {
		t.Errorf("21st attempt in ten minutes: %s, want 429", last.Status)
	}
	// Behind a proxy on this machine, each client address has its own count.
	req, _ := http.NewRequest(http.MethodGet, f.http.URL+"/login?code=guess", nil)
	req.Header.Set("X-Forwarded-For", "203.0.113.9, 198.51.100.7")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("another address behind the proxy: %v %v, want 404", resp.Status, err)
	}
	f.advance(11 * time.Minute)
	if resp, _ := b.get("/login?code=guess"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("after ten minutes: %s, want 404 (allowed again)", resp.Status)
	}
	if resp, _ := b.get("/static/"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the static folder: %s, want 404, no listing", resp.Status)
	}
}

func TestPromptEditCheckedShownAndSaved(t *testing.T) {
	f := newFixture(t, nil)
	b := f.browser()
	b.signIn(coachA)
	const file = "after-session.en.yaml"
	path := filepath.Join(f.dir, file)
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	resp, body := b.get("/prompts/edit?file=" + file)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "How are you feeling") {
		t.Fatalf("editor: %s", resp.Status)
	}
	base := regexp.MustCompile(`name="base" value="([0-9a-f]+)"`).FindStringSubmatch(body)[1]

	// A broken edit: its error at its line, nothing saved.
	lines := strings.Split(string(orig), "\n")
	broken := -1
	for i, l := range lines {
		if strings.Contains(l, "scale: {min: 1, max: 10") {
			broken = i
			lines[i] = strings.Replace(l, "max: 10", "max: 40", 1)
			break
		}
	}
	if broken < 0 {
		t.Fatal("no scale line in the sequence")
	}
	text := strings.Join(lines, "\n")
	resp, body = b.post("/prompts/edit", url.Values{"file": {file}, "base": {base}, "text": {text}, "action": {"save"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("broken edit: %s, want 422", resp.Status)
	}
	at := regexp.MustCompile(fmt.Sprintf(`(?s)<li id="L%d" class="problem">.*?<p class="err">Error at line %d`, broken+1, broken+1))
	if !at.MatchString(body) || strings.Contains(body, `value="save"`) {
		t.Errorf("broken edit: want its error under line %d and no save button\n%s", broken+1, body)
	}
	if now, _ := os.ReadFile(path); string(now) != string(orig) {
		t.Error("the broken edit was written")
	}

	// A good edit: checked, shown, then saved.
	text = strings.Replace(string(orig), "How are you feeling today, from 1 to 10?", "How is your heart today, from 1 to 10?", 1)
	// Saving straight away, without the change shown, only shows it.
	resp, body = b.post("/prompts/edit", url.Values{"file": {file}, "base": {base}, "text": {text}, "action": {"save"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Save again") {
		t.Errorf("save without a check first: %s\n%s", resp.Status, body)
	}
	if now, _ := os.ReadFile(path); string(now) != string(orig) {
		t.Error("saved without showing the change first")
	}
	_, body = b.post("/prompts/edit", url.Values{"file": {file}, "base": {base}, "text": {text}, "action": {"check"}})
	if !strings.Contains(body, `<tr class="del">`) || !strings.Contains(body, "How is your heart today, from 1 to 10?") || !strings.Contains(body, `value="save"`) {
		t.Fatalf("check: want the change and a save button\n%s", body)
	}
	checked := regexp.MustCompile(`name="checked" value="([0-9a-f]+)"`).FindStringSubmatch(body)[1]
	resp, body = b.post("/prompts/edit", url.Values{"file": {file}, "base": {base}, "text": {text}, "checked": {checked}, "action": {"save"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Saved.") {
		t.Fatalf("save: %s\n%s", resp.Status, body)
	}
	if now, _ := os.ReadFile(path); string(now) != text {
		t.Error("the file does not hold the saved text")
	}
	if f.reloads != 1 {
		t.Errorf("%d reloads after the save, want 1", f.reloads)
	}
	entries, _ := os.ReadDir(f.dir)
	if len(entries) != 2 {
		t.Errorf("the prompts folder holds %d files after the save, want 2 (no temporary left)", len(entries))
	}
	var saves []store.PromptSave
	if err := f.db.View(func(tx *store.Tx) error { var err error; saves, err = tx.PromptSaves(0); return err }); err != nil {
		t.Fatal(err)
	}
	if len(saves) != 1 || saves[0].Coach != coachA || saves[0].File != file || !saves[0].At.Equal(t0) {
		t.Errorf("save records %+v", saves)
	}
	if _, body = b.get("/prompts"); !strings.Contains(body, "Sam saved "+file) {
		t.Errorf("prompts page does not list the save:\n%s", body)
	}
	// Another save from the editor opened before is stopped: the file changed.
	resp, body = b.post("/prompts/edit", url.Values{"file": {file}, "base": {base}, "text": {string(orig)}, "checked": {checked}, "action": {"save"}})
	if !strings.Contains(body, "changed on the server") {
		t.Errorf("stale editor: %s\n%s", resp.Status, body)
	}
	if now, _ := os.ReadFile(path); string(now) != text {
		t.Error("a stale editor overwrote the file")
	}
	for _, name := range []string{"../kindling.db", ".hidden.yaml", "nothing.yaml"} {
		if resp, _ := b.get("/prompts/edit?file=" + url.QueryEscape(name)); resp.StatusCode != http.StatusNotFound {
			t.Errorf("edit %q: %s, want 404", name, resp.Status)
		}
	}
}

func TestBuiltInPromptsSayHowToEdit(t *testing.T) {
	f := newFixture(t, func(o *web.Options) { o.PromptsDir = "" })
	b := f.browser()
	b.signIn(coachA)
	_, body := b.get("/prompts")
	if !strings.Contains(body, "prompts.dir") || !strings.Contains(body, "Day 0") || !strings.Contains(body, "How are you feeling") {
		t.Errorf("built-in prompts page:\n%s", body)
	}
	if _, body := b.get("/prompts/edit?file=after-session.en.yaml"); !strings.Contains(body, "Set prompts.dir") {
		t.Errorf("editing built-in prompts:\n%s", body)
	}
}

func TestClientsPage(t *testing.T) {
	f := newFixture(t, nil)
	b := f.browser()
	b.signIn(coachA)
	_, body := b.get("/")
	for _, want := range []string{"Maya", "day 10", "today", `<svg class="spark"`, "8 mood answers in 30 days", "1 open"} {
		if !strings.Contains(body, want) {
			t.Errorf("clients page lacks %q", want)
		}
	}
}

func TestPromptCheckWhileTyping(t *testing.T) {
	f := newFixture(t, nil)
	b := f.browser()
	b.signIn(coachA)
	b.get("/prompts/edit?file=after-session.en.yaml")
	resp, body := b.post("/prompts/check", url.Values{"file": {"after-session.en.yaml"}, "text": {"id: after-session\nlanguage: en\nname: x\ndays: nope\n"}})
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" || !strings.Contains(body, `"line":4`) {
		t.Errorf("check: %s %q\n%s", resp.Status, resp.Header.Get("Content-Type"), body)
	}
	if resp, _ := b.post("/prompts/check", url.Values{"file": {"after-session.en.yaml"}, "text": {"x"}, "csrf": {"wrong"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("check without the token: %s", resp.Status)
	}
	if resp, _ := b.get("/static/check.js"); resp.StatusCode != http.StatusOK {
		t.Errorf("check.js: %s", resp.Status)
	}
}

func TestVoiceNotesStayInTheDataFolder(t *testing.T) {
	f := newFixture(t, nil)
	if err := f.db.Update(func(tx *store.Tx) error {
		return tx.AddReply(&store.Reply{ChatID: mayaID, At: t0, Kind: "voice", Voice: &store.Voice{FileID: "x", Path: "../../etc/passwd", Duration: 1}})
	}); err != nil {
		t.Fatal(err)
	}
	var id uint64
	if err := f.db.View(func(tx *store.Tx) error {
		r, err := tx.LatestReply(mayaID)
		id = r.ID
		return err
	}); err != nil {
		t.Fatal(err)
	}
	b := f.browser()
	b.signIn(coachA)
	if resp, _ := b.get(fmt.Sprintf("/clients/%d/voice/%d", mayaID, id)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a voice path outside the data folder: %s, want 404", resp.Status)
	}
}

func TestExportOfAllRecordsEachClient(t *testing.T) {
	f := newFixture(t, nil)
	b := f.browser()
	b.signIn(coachA)
	resp, body := b.get("/export/file?client=all&format=csv")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), `attachment; filename="kindling-all-2026-11-20.csv"`) ||
		!strings.Contains(body, "the lake") || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("export of all: %s %q\n%s", resp.Status, resp.Header.Get("Content-Disposition"), body)
	}
	var views []store.WebView
	if err := f.db.View(func(tx *store.Tx) error { var err error; views, err = tx.WebViews(time.Time{}); return err }); err != nil {
		t.Fatal(err)
	}
	if len(views) != 1 || views[0].ChatID != mayaID || views[0].What != "export" {
		t.Errorf("views after exporting all of coach A's clients: %+v", views)
	}
}

func TestACoachNoLongerConfiguredIsSignedOut(t *testing.T) {
	f := newFixture(t, nil)
	b := f.browser()
	b.signIn(coachB)
	f.http.Close()
	f.opts.Coaches = f.opts.Coaches[:1] // coach B left the configuration
	f.start()
	if resp, _ := b.get("/"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a removed coach's session: %s, want 401", resp.Status)
	}
}

func TestUnderAPath(t *testing.T) {
	f := newFixture(t, func(o *web.Options) { o.BaseURL = "http://127.0.0.1:8091/kindling/" })
	b := f.browser()
	f.link(coachA, "path-code")
	if resp, body := b.get("/kindling/login?code=path-code"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `action="/kindling/login"`) || !strings.Contains(body, `href="/kindling/static/style.css"`) {
		t.Fatalf("login page under a path: %s\n%s", resp.Status, body)
	}
	resp, _ := b.post("/kindling/login", url.Values{"code": {"path-code"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/kindling/" {
		t.Fatalf("sign in under a path: %s %q", resp.Status, resp.Header.Get("Location"))
	}
	if resp, body := b.get("/kindling/"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `href="/kindling/clients/1001"`) {
		t.Errorf("clients under a path: %s\n%s", resp.Status, body)
	}
	if resp, _ := b.get("/"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("outside the path: %s, want 404", resp.Status)
	}
}

func TestASessionLoggedAheadDoesNotCountYet(t *testing.T) {
	f := newFixture(t, nil)
	if err := f.db.Update(func(tx *store.Tx) error {
		return tx.AddSession(store.Session{ChatID: mayaID, Date: "2026-11-25", CreatedAt: t0})
	}); err != nil {
		t.Fatal(err)
	}
	b := f.browser()
	b.signIn(coachA)
	if _, body := b.get("/"); !strings.Contains(body, "day 10") || !strings.Contains(body, "next session Wed 25 Nov 2026") {
		t.Errorf("clients page with a session logged ahead:\n%s", body)
	}
	if _, body := b.get(fmt.Sprintf("/clients/%d", mayaID)); !strings.Contains(body, "day 10 since the session of Tue 10 Nov 2026") || !strings.Contains(body, "(logged ahead)") {
		t.Errorf("client page with a session logged ahead:\n%s", body)
	}
}

func TestPagesInTheCoachsLanguage(t *testing.T) {
	f := newFixture(t, nil)
	b := f.browser()
	if err := f.db.Update(func(tx *store.Tx) error {
		return tx.PutWebLink("es-code", store.WebLink{Coach: coachA, Language: "es", CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)})
	}); err != nil {
		t.Fatal(err)
	}
	if _, body := b.get("/login?code=es-code"); !strings.Contains(body, `<html lang="es">`) || !strings.Contains(body, "Abrir el espacio de trabajo") {
		t.Fatalf("the sign-in page of a Spanish-speaking coach:\n%s", body)
	}
	b.post("/login", url.Values{"code": {"es-code"}})
	pages := map[string][]string{
		"/":                                {"Tus clientes", "día 10", "Cerrar sesión", "1 alerta abierta"},
		fmt.Sprintf("/clients/%d", mayaID): {"día 10 desde la sesión del mar 10 de nov de 2026", "noviembre 2026", "Día a día", "Editado 1 vez"},
		"/alerts":                          {"Alertas de seguridad", "Me ocupo yo", "Resolver"},
		"/prompts":                         {"Las secuencias, día a día", "Día 0", "con sus propias palabras"},
		"/export":                          {"Todos mis clientes", "Descargar"},
		"/prompts/edit?file=after-session.en.yaml": {"Comprobar y mostrar el cambio"},
	}
	for path, want := range pages {
		_, body := b.get(path)
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("%s in Spanish lacks %q", path, w)
			}
		}
		for _, english := range []string{"Your clients", "Sign out", "Day by day", "Safety alerts", "Download", ">Day "} {
			if strings.Contains(body, english) {
				t.Errorf("%s in Spanish still says %q", path, english)
			}
		}
	}
	// Before anyone signs in, the browser's language is used.
	req, _ := http.NewRequest(http.MethodGet, f.http.URL+"/login?code=nothing", nil)
	req.Header.Set("Accept-Language", "es-MX,es;q=0.9,en;q=0.5")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "Este enlace no abre nada") {
		t.Errorf("an unknown link for a Spanish browser:\n%s", body)
	}
}

// TestExportFHIR: where the app gives a FHIR writer, the export page
// offers it, and an export of all of a coach's clients hands it only that
// coach's clients; without one, format=fhir falls back to CSV.
func TestExportFHIR(t *testing.T) {
	var asked [][]int64
	f := newFixture(t, func(o *web.Options) {
		o.FHIR = func(w io.Writer, chats []int64) error {
			asked = append(asked, slices.Clone(chats))
			_, err := io.WriteString(w, `{"resourceType":"Bundle"}`)
			return err
		}
	})
	b := f.browser()
	b.signIn(coachA)
	if _, body := b.get("/export"); !strings.Contains(body, `value="fhir"`) {
		t.Errorf("the export page does not offer FHIR:\n%s", body)
	}
	resp, body := b.get("/export/file?client=all&format=fhir")
	if resp.StatusCode != http.StatusOK || body != `{"resourceType":"Bundle"}` ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/fhir+json") ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), ".fhir.json") {
		t.Errorf("FHIR export: %s %q %q\n%s", resp.Status, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"), body)
	}
	if len(asked) != 1 || !slices.Equal(asked[0], []int64{mayaID}) {
		t.Errorf("FHIR asked for %v, want coach A's one client %d", asked, mayaID)
	}
	if resp, _ := b.get(fmt.Sprintf("/export/file?client=%d&format=fhir", noahID)); resp.StatusCode != http.StatusNotFound || len(asked) != 1 {
		t.Errorf("FHIR of another coach's client: %s (asked %v), want 404 and nothing written", resp.Status, asked)
	}

	plain := newFixture(t, nil).browser()
	plain.signIn(coachA)
	if _, body := plain.get("/export"); strings.Contains(body, `value="fhir"`) {
		t.Error("the export page offers FHIR with no FHIR writer")
	}
	if resp, _ := plain.get("/export/file?client=all&format=fhir"); !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Errorf("format=fhir without a writer: %q, want CSV", resp.Header.Get("Content-Type"))
	}
}
