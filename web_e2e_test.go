package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"kindling/config"
	"kindling/store"
	"kindling/telegramtest"
)

// chromiumPath is where Debian's chromium package puts the browser.
const chromiumPath = "/usr/bin/chromium"

// requireChromium is set by .ci/run: there a missing browser is a
// failure, not a reason to skip.
const requireChromium = "KINDLING_REQUIRE_CHROMIUM"

// startBrowser starts one headless Chromium for the test, with a fresh
// profile, or skips the test where none can run (a failure when
// KINDLING_REQUIRE_CHROMIUM is set).
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath
	if _, err := os.Stat(path); err != nil {
		if p, err := exec.LookPath("chromium"); err == nil {
			path = p
		} else {
			if os.Getenv(requireChromium) != "" {
				t.Fatalf("chromium is not installed (%s is set): install Debian's chromium package", requireChromium)
			}
			t.Skipf("skipping the browser tests: chromium is not installed here (apt-get install chromium; .ci/run does)")
		}
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		if os.Getenv(requireChromium) != "" {
			t.Fatalf("chromium does not start: %v", err)
		}
		t.Skipf("skipping the browser tests: chromium cannot run here: %v", err)
	}
	return ctx
}

// newProfile opens a tab with cookies of its own (one person's browser)
// in the test's browser.
func newProfile(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// The first action on a context must not run under a timeout: its end
	// would close the tab.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return ctx
}

// within runs steps in the browser, giving up after 20 seconds.
func within(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(c, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// read runs an action that gives a value, giving up after 20 seconds.
func read[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(c, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// screens are where the screenshots go: a folder that outlives the test,
// named in its log, for a person to look at.
type screens struct{ dir string }

func newScreens(t *testing.T) *screens {
	dir, err := os.MkdirTemp("", "kindling-screens-")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return &screens{dir: dir}
}

// shoot saves what the screen shows at a phone's and a desktop's size
// (from the top of the page, or from the element scrolled to).
func (s *screens) shoot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	for _, size := range [][2]int64{{390, 844}, {1280, 800}} {
		within(t, ctx, "viewport", chromedp.EmulateViewport(size[0], size[1]))
		png := read(t, ctx, "screenshot", chromedp.CaptureScreenshot())
		file := filepath.Join(s.dir, fmt.Sprintf("%s-%dx%d.png", name, size[0], size[1]))
		if err := os.WriteFile(file, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// inviteClient enrols a client with the coach through an invite link and
// onboards them, their session yesterday.
func inviteClient(t *testing.T, r *rig, coach *telegramtest.User, id int64, name string) *telegramtest.User {
	t.Helper()
	coach.Send("/invite")
	r.settle()
	text := r.srv.Messages(coach.ID())[len(r.srv.Messages(coach.ID()))-1].Text
	_, code, ok := strings.Cut(text, "?start=")
	if !ok {
		t.Fatalf("no invite link in %q", text)
	}
	u := r.srv.User(id, name, "en")
	u.Send("/start " + strings.TrimSpace(code))
	r.settle()
	r.press(u, "c|yes|"+strings.TrimSpace(code))
	r.press(u, "tz|Europe/Madrid")
	r.press(u, "t|09:00")
	r.press(u, "s|yesterday")
	return u
}

// webLink asks the bot for a sign-in link as the coach and returns the
// address of its button.
func webLink(t *testing.T, r *rig, coach *telegramtest.User) string {
	t.Helper()
	coach.Send("/web")
	r.settle()
	msgs := r.srv.Messages(coach.ID())
	m := msgs[len(msgs)-1]
	if len(m.Keyboard) != 1 || m.Keyboard[0][0].URL == "" {
		t.Fatalf("/web answered %q with %+v, want a URL button", m.Text, m.Keyboard)
	}
	return m.Keyboard[0][0].URL
}

func TestWebWorkspaceInBrowser(t *testing.T) {
	browserCtx := startBrowser(t)
	shots := newScreens(t)

	promptsDir := t.TempDir()
	for _, name := range []string{"after-session.en.yaml", "after-session.es.yaml", "messages.en.yaml", "messages.es.yaml"} {
		data, err := os.ReadFile(filepath.Join("prompts", "sequences", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(promptsDir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	r := startRig(t, func(c *config.Config) {
		c.Coaches = []config.Coach{{ID: 9500, Name: "Sam", Timezone: "Europe/Madrid"}, {ID: 9600, Name: "Robin"}}
		c.Prompts.Dir = promptsDir
		c.Web.Listen, c.Web.BaseURL = ln.Addr().String(), base
	})
	srv := &http.Server{Handler: r.a.web.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("web server: %v", err)
		}
	}()
	t.Cleanup(func() { srv.Close() })

	sam := r.srv.User(9500, "Sam", "en")
	robin := r.srv.User(9600, "Robin", "es") // Robin's workspace is in Spanish
	maya := inviteClient(t, r, sam, 7101, "Maya")
	maya.Send("The lake keeps coming back to me, quiet and wide.")
	r.settle()
	inviteClient(t, r, robin, 7201, "Noah")

	link := webLink(t, r, sam)
	if !strings.HasPrefix(link, base+"/login?code=") {
		t.Fatalf("link %q, want one to %s", link, base)
	}
	samCtx := newProfile(t, browserCtx)

	t.Run("the link from Telegram signs the coach in", func(t *testing.T) {
		within(t, samCtx, "open the link", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("#open")))
		shots.shoot(t, samCtx, "1-login")
		within(t, samCtx, "press the button", chromedp.Click(chromedp.CSS("#open")), chromedp.WaitVisible(chromedp.CSS("table.clients")))
		body := read(t, samCtx, "clients page", chromedp.Text(chromedp.CSS("main")))
		if !strings.Contains(body, "Maya") || strings.Contains(body, "Noah") {
			t.Errorf("Sam's clients page:\n%s", body)
		}
		shots.shoot(t, samCtx, "2-clients")
		// The link is spent: opening it again says so.
		within(t, samCtx, "open the link again", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("main h1")))
		if h := read(t, samCtx, "heading", chromedp.Text(chromedp.CSS("main h1"))); !strings.Contains(h, "already used") {
			t.Errorf("the link opened twice says %q", h)
		}
		shots.shoot(t, samCtx, "3-link-used")
	})

	t.Run("a client's page", func(t *testing.T) {
		within(t, samCtx, "client page", chromedp.Navigate(base+"/"), chromedp.Click(chromedp.CSS(`a[href="/clients/7101"]`)), chromedp.WaitVisible(chromedp.CSS("ol.strip")))
		body := read(t, samCtx, "client page", chromedp.Text(chromedp.CSS("main")))
		if !strings.Contains(body, "The lake keeps coming back") {
			t.Errorf("Maya's page lacks her journal entry:\n%s", body)
		}
		shots.shoot(t, samCtx, "4-client")
	})

	t.Run("isolation between coaches", func(t *testing.T) {
		within(t, samCtx, "another coach's client", chromedp.Navigate(base+"/clients/7201"), chromedp.WaitVisible(chromedp.CSS("main h1")))
		if body := read(t, samCtx, "page", chromedp.Text(chromedp.CSS("main"))); !strings.Contains(body, "There is nothing here") || strings.Contains(body, "Noah") {
			t.Errorf("Sam opening Noah's page:\n%s", body)
		}
		robinCtx := newProfile(t, browserCtx)
		within(t, robinCtx, "Robin signs in", chromedp.Navigate(webLink(t, r, robin)), chromedp.Click(chromedp.CSS("#open")), chromedp.WaitVisible(chromedp.CSS("table.clients")))
		if body := read(t, robinCtx, "Robin's clients", chromedp.Text(chromedp.CSS("main"))); !strings.Contains(body, "Noah") || strings.Contains(body, "Maya") || !strings.Contains(body, "Tus clientes") {
			t.Errorf("Robin's clients page:\n%s", body)
		}
		shots.shoot(t, robinCtx, "14-clients-es")
		within(t, robinCtx, "Noah's page", chromedp.Navigate(base+"/clients/7201"), chromedp.WaitVisible(chromedp.CSS("ol.strip")))
		shots.shoot(t, robinCtx, "15-client-es")
		within(t, robinCtx, "Sam's client", chromedp.Navigate(base+"/clients/7101"), chromedp.WaitVisible(chromedp.CSS("main h1")))
		if body := read(t, robinCtx, "page", chromedp.Text(chromedp.CSS("main"))); strings.Contains(body, "lake") {
			t.Errorf("Robin sees Maya's words:\n%s", body)
		}
	})

	file := filepath.Join(promptsDir, "after-session.en.yaml")
	orig, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	const day1 = "How are you feeling today, from 1 to 10?"
	if !strings.Contains(string(orig), day1) {
		t.Fatalf("the sequence has no %q", day1)
	}
	edit := base + "/prompts/edit?file=after-session.en.yaml"

	t.Run("a broken edit shows its error at its line and is not saved", func(t *testing.T) {
		lines := strings.Split(string(orig), "\n")
		line := 0
		for i, l := range lines {
			if strings.Contains(l, "scale: {min: 1, max: 10") {
				lines[i], line = strings.Replace(l, "max: 10", "max: 40", 1), i+1
				break
			}
		}
		within(t, samCtx, "edit", chromedp.Navigate(edit), chromedp.WaitVisible(chromedp.CSS("#text")),
			chromedp.SetValue(chromedp.CSS("#text"), strings.Join(lines, "\n")),
			// A key typed: the page's script checks the text as it is.
			chromedp.SendKeys(chromedp.CSS("#text"), " "), chromedp.WaitVisible(chromedp.CSS("#live.errors")))
		if live := read(t, samCtx, "the check while typing", chromedp.Text(chromedp.CSS("#live"))); !strings.Contains(live, fmt.Sprintf("Line %d:", line)) {
			t.Errorf("the check while typing says %q, want the error at line %d", live, line)
		}
		// The answer's own error box: while typing, the page's script has
		// already given #live the class "errors", so waiting for ".errors"
		// could read the page that is being left.
		within(t, samCtx, "check", chromedp.Click(chromedp.CSS(`button[value="check"]`)), chromedp.WaitVisible(chromedp.CSS(`div.errors[role="alert"]`)))
		at := read(t, samCtx, "the problem line", chromedp.Text(chromedp.CSS(fmt.Sprintf("#L%d", line))))
		if !strings.Contains(at, fmt.Sprintf("Error at line %d", line)) {
			t.Errorf("line %d of the listing: %q, want its error", line, at)
		}
		if now, _ := os.ReadFile(file); string(now) != string(orig) {
			t.Error("the broken edit was saved")
		}
		within(t, samCtx, "scroll", chromedp.ScrollIntoView(chromedp.CSS(fmt.Sprintf("#L%d", line))))
		shots.shoot(t, samCtx, "5-prompt-error")
	})

	t.Run("a fixed edit is saved and the next /today asks it", func(t *testing.T) {
		const newText = "How is your heart today, from 1 to 10?"
		within(t, samCtx, "edit", chromedp.Navigate(edit), chromedp.WaitVisible(chromedp.CSS("#text")),
			chromedp.SetValue(chromedp.CSS("#text"), strings.Replace(string(orig), day1, newText, 1)),
			chromedp.Click(chromedp.CSS(`button[value="check"]`)), chromedp.WaitVisible(chromedp.CSS("table.diff")))
		within(t, samCtx, "scroll", chromedp.ScrollIntoView(chromedp.CSS("#diff-h")))
		shots.shoot(t, samCtx, "6-prompt-diff")
		within(t, samCtx, "save", chromedp.Click(chromedp.CSS(`button[value="save"]`)), chromedp.WaitVisible(chromedp.CSS("#saved")))
		if msg := read(t, samCtx, "saved", chromedp.Text(chromedp.CSS("#saved"))); !strings.Contains(msg, "reloaded") {
			t.Errorf("after saving: %q", msg)
		}
		if now, _ := os.ReadFile(file); !strings.Contains(string(now), newText) {
			t.Fatal("the file does not hold the new text")
		}
		before := len(r.srv.Messages(maya.ID()))
		maya.Send("/today")
		r.settle()
		var asked []string
		for _, m := range r.srv.Messages(maya.ID())[before:] {
			asked = append(asked, m.Text)
		}
		if !strings.Contains(strings.Join(asked, "\n"), newText) {
			t.Errorf("/today after the save asked %q, want %q", asked, newText)
		}
	})

	t.Run("an alert acted on in the browser, as with the buttons", func(t *testing.T) {
		maya.Send("I want to die, I can't do this anymore")
		r.settle()
		var a store.Alert
		view := func() {
			t.Helper()
			if err := r.a.db.View(func(tx *store.Tx) error {
				as, err := tx.Alerts(maya.ID())
				if len(as) != 1 {
					return fmt.Errorf("%d alerts, want 1", len(as))
				}
				a = as[0]
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		view()
		within(t, samCtx, "alerts", chromedp.Navigate(base+"/alerts"), chromedp.WaitVisible(chromedp.CSS(`button[value="ack"]`)))
		shots.shoot(t, samCtx, "7-alert-open")
		within(t, samCtx, "I'm on it", chromedp.Click(chromedp.CSS(`button[value="ack"]`)), chromedp.WaitNotPresent(chromedp.CSS(`button[value="ack"]`)))
		view()
		if a.AckBy != sam.ID() || a.AckName != "Sam" {
			t.Errorf("after I'm on it in the browser: acknowledged by %d %q", a.AckBy, a.AckName)
		}
		within(t, samCtx, "resolve", chromedp.SetValue(chromedp.CSS("textarea[name=note]"), "Called Maya; she is with her sister tonight."),
			chromedp.Click(chromedp.CSS(`button[value="resolve"]`)), chromedp.WaitNotPresent(chromedp.CSS(`button[value="resolve"]`)))
		view()
		if a.ResolvedBy != sam.ID() || a.Note != "Called Maya; she is with her sister tonight." || a.Open() {
			t.Errorf("after resolving in the browser: %+v", a)
		}
	})

	t.Run("the pages at a phone's and a desktop's size", func(t *testing.T) {
		// One mood answer, so that the line and the chart have points.
		for _, m := range slices.Backward(r.srv.Messages(maya.ID())) {
			for _, row := range m.Keyboard {
				for _, b := range row {
					if strings.HasPrefix(b.CallbackData, "a|") && strings.HasSuffix(b.CallbackData, "|mood|6") {
						if _, err := maya.Press(m.ID, b.CallbackData); err != nil {
							t.Fatal(err)
						}
						r.settle()
					}
				}
			}
		}
		// And the evening of the session, stored as the bot stores it, so
		// that the chart has a line.
		if err := r.a.db.Update(func(tx *store.Tx) error {
			s, err := tx.LatestSession(maya.ID())
			if err != nil {
				return err
			}
			v := 4
			return tx.AddReply(&store.Reply{ChatID: maya.ID(), At: time.Now().Add(-20 * time.Hour), LocalDate: s.Date, Day: 0, SessionDate: s.Date,
				QuestionID: "mood", Question: "How are you feeling this evening, from 1 to 10?", Kind: "scale", Answer: "4", Value: &v})
		}); err != nil {
			t.Fatal(err)
		}
		within(t, samCtx, "clients", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("table.clients")))
		shots.shoot(t, samCtx, "8-clients-after")
		within(t, samCtx, "client", chromedp.Navigate(base+"/clients/7101"), chromedp.WaitVisible(chromedp.CSS("ol.strip")))
		shots.shoot(t, samCtx, "9-client-top")
		within(t, samCtx, "scroll", chromedp.ScrollIntoView(chromedp.CSS("#charts-h")))
		shots.shoot(t, samCtx, "9-client-charts")
		within(t, samCtx, "scroll", chromedp.ScrollIntoView(chromedp.CSS("#days-h")))
		shots.shoot(t, samCtx, "10-client-days")
		within(t, samCtx, "alerts", chromedp.Navigate(base+"/alerts"), chromedp.WaitVisible(chromedp.CSS("main h1")))
		shots.shoot(t, samCtx, "11-alerts")
		within(t, samCtx, "prompts", chromedp.Navigate(base+"/prompts"), chromedp.WaitVisible(chromedp.CSS("article.sequence")))
		shots.shoot(t, samCtx, "12-prompts")
		within(t, samCtx, "scroll", chromedp.ScrollIntoView(chromedp.CSS("table.month")))
		shots.shoot(t, samCtx, "12-prompts-month")
		within(t, samCtx, "export", chromedp.Navigate(base+"/export"), chromedp.WaitVisible(chromedp.CSS("#client")))
		shots.shoot(t, samCtx, "13-export")
		within(t, samCtx, "sign out", chromedp.Click(chromedp.CSS(".signout button")), chromedp.WaitVisible(chromedp.CSS("section.note")))
		within(t, samCtx, "after sign-out", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("main h1")))
		if h := read(t, samCtx, "heading", chromedp.Text(chromedp.CSS("main h1"))); !strings.Contains(h, "sign in from Telegram") {
			t.Errorf("after signing out, the workspace says %q", h)
		}
	})

	t.Run("metrics", func(t *testing.T) {
		resp := r.get("/metrics", true)
		body, _ := io.ReadAll(resp.Body)
		for _, want := range []string{"kindling_web_signins_total 2", "kindling_web_links_refused_total 1", "kindling_web_prompt_saves_total 1"} {
			if !strings.Contains(string(body), want+"\n") {
				t.Errorf("metrics lack %q", want)
			}
		}
		if !strings.Contains(string(body), "kindling_web_views_total ") || strings.Contains(string(body), "kindling_web_views_total 0\n") {
			t.Error("no views counted")
		}
	})
}
