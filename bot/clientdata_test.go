package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	_ "image/png" // image.Decode reads the chart
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"kindling/prompts"
	"kindling/report"
	"kindling/store"
	"kindling/telegram"
	"kindling/telegramtest"
)

// enrolledAt is a harness in open enrolment at noon UTC on 1 March 2026
// with one client there, UTC, 09:00, their session that day.
func enrolledAt(t *testing.T, id int64, name string, opts ...option) (*harness, *telegramtest.User) {
	t.Helper()
	h := newHarness(t, append([]option{startingAt(utc("2026-03-01 12:00"))}, opts...)...)
	u := h.user(id, name)
	h.onboard(u, "UTC", "09:00", "2026-03-01")
	return h, u
}

// pressValue presses the button labelled value on the client's open
// question, which must be qid.
func pressValue(t *testing.T, h *harness, u *telegramtest.User, qid, value string) {
	t.Helper()
	_, open, msgID, ok := h.openQuestion(u.ID())
	if !ok || open != qid {
		t.Fatalf("open question %q (%v), want %s", open, ok, qid)
	}
	m, _ := h.srv.Message(u.ID(), msgID)
	for _, b := range answerButtons(m) {
		if b.Text == value {
			h.pressOn(u, m.ID, b.CallbackData)
			return
		}
	}
	t.Fatalf("no button %s on %q", value, m.Text)
}

// TestProgress: /progress draws a PNG chart once the mood has two
// answers, and says when it will otherwise.
func TestProgress(t *testing.T) {
	t.Parallel()
	h, ana := enrolledAt(t, 1001, "Ana")
	empty := words("progress_empty", prompts.Vars{Name: "Ana"})
	textOnly := func(t *testing.T, u *telegramtest.User) {
		t.Helper()
		photos := len(h.srv.Calls("sendPhoto"))
		got := answered(h, u, "/progress")
		if len(got) != 1 || got[0].Text != empty || got[0].Photo != nil {
			t.Errorf("/progress: %q, want only %q", messageTexts(got), empty)
		}
		if n := len(h.srv.Calls("sendPhoto")); n != photos {
			t.Errorf("%d photos sent", n-photos)
		}
	}

	t.Run("no answers", func(t *testing.T) { textOnly(t, ana) })

	t.Run("no sessions", func(t *testing.T) {
		bo := h.user(1002, "Bo")
		h.onboard(bo, "UTC", "09:00", "2026-03-01")
		h.send(bo, "/sessions")
		h.press(bo, "x|2026-03-01")
		h.press(bo, "sx|y|2026-03-01")
		if s := h.sessions(bo.ID()); len(s) != 0 {
			t.Fatalf("sessions %+v after removing the only one", s)
		}
		h.send(bo, "a journal entry")
		textOnly(t, bo)
	})

	h.tick(utc("2026-03-01 19:00"))
	pressValue(t, h, ana, "mood", "4")
	h.send(ana, "heavy")
	t.Run("one scale answer and words", func(t *testing.T) { textOnly(t, ana) })

	h.tick(utc("2026-03-02 09:00"))
	pressValue(t, h, ana, "mood", "8")
	t.Run("two mood answers", func(t *testing.T) {
		got := answered(h, ana, "/progress")
		if len(got) != 1 || got[0].Photo == nil {
			t.Fatalf("/progress: %q, want one photo", messageTexts(got))
		}
		if got[0].Text != words("progress_caption", prompts.Vars{Name: "Ana"}) {
			t.Errorf("caption %q", got[0].Text)
		}
		if got[0].Protected {
			t.Error("the chart was sent protected: it is the client's own")
		}
		data := got[0].Photo.Data
		if len(data) == 0 || len(data) >= 2<<20 {
			t.Fatalf("chart is %d bytes", len(data))
		}
		img, format, err := image.Decode(bytes.NewReader(data))
		if err != nil || format != "png" {
			t.Fatalf("chart does not decode as PNG: %q, %v", format, err)
		}
		b := img.Bounds()
		if b.Dx() < 400 || b.Dy() < 400 {
			t.Errorf("chart is %dx%d, too small for a phone", b.Dx(), b.Dy())
		}
		colours := map[[4]uint32]bool{}
		for y := b.Min.Y; y < b.Max.Y && len(colours) <= 16; y += 3 {
			for x := b.Min.X; x < b.Max.X; x += 3 {
				r, g, bl, a := img.At(x, y).RGBA()
				colours[[4]uint32{r, g, bl, a}] = true
			}
		}
		if len(colours) <= 8 {
			t.Errorf("chart has %d colours: blank", len(colours))
		}
	})
}

// TestDayThirtyLetter: a month of answers comes back on day 30 as a
// letter of the client's own words in day order, and nobody else's; the
// intention set with /intention is quoted on day 7.
func TestDayThirtyLetter(t *testing.T) {
	t.Parallel()
	h, ana := enrolledAt(t, 1001, "Ana")
	bo := h.user(1002, "Bo")
	h.onboard(bo, "UTC", "09:00", "2026-03-01")
	intention := "to trust my own pace"
	if got := answered(h, ana, "/intention "+intention); len(got) != 1 || got[0].Text != words("intention_set", prompts.Vars{Name: "Ana", Intention: intention}) {
		t.Errorf("/intention: %q", messageTexts(got))
	}
	tag := func(who string, day int) string { return fmt.Sprintf("%s-day-%02d", who, day) }

	for day := 0; day <= 30; day++ {
		at := utc("2026-03-01 09:00").AddDate(0, 0, day)
		if day == 0 {
			at = utc("2026-03-01 19:00")
		}
		h.tick(at)
		h.answerAll(ana, tag("ana", day)+" by the lantern")
		h.answerAll(bo, tag("bo", day)+" aboard the zeppelin")
	}

	var day7 string
	for _, m := range h.srv.Messages(ana.ID()) {
		if m.Date.Equal(utc("2026-03-08 09:00")) && strings.Contains(m.Text, "It's been a week") {
			day7 = m.Text
		}
	}
	if !strings.Contains(day7, "“"+intention+"”") {
		t.Errorf("day 7's question %q does not quote the intention", day7)
	}

	letterOf := func(u *telegramtest.User) telegramtest.Message {
		t.Helper()
		var docs []telegramtest.Message
		for _, m := range h.srv.Messages(u.ID()) {
			if m.Document != nil {
				docs = append(docs, m)
			}
		}
		if len(docs) != 1 {
			t.Fatalf("chat %d: %d documents in the month, want the one letter", u.ID(), len(docs))
		}
		return docs[0]
	}
	letter := letterOf(ana)
	if y, m, d := letter.Date.Date(); y != 2026 || m != time.March || d != 31 {
		t.Errorf("the letter came on %s, want day 30 (31 March)", letter.Date)
	}
	if letter.Document.Name != "your-month-2026-03-01.pdf" || letter.Text != words("letter_caption", prompts.Vars{Name: "Ana"}) {
		t.Errorf("letter %q with caption %q", letter.Document.Name, letter.Text)
	}
	if letter.Protected {
		t.Error("the letter was sent protected: it is the client's to keep and share")
	}
	text := letterText(t, letter)
	var days []int
	for _, r := range h.replies(ana.ID()) {
		if r.Kind == "text" && !slices.Contains(days, r.Day) {
			days = append(days, r.Day)
		}
	}
	if len(days) < 9 || days[len(days)-1] != 30 {
		t.Fatalf("written answers on days %v", days)
	}
	last := -1
	for _, d := range days {
		at := strings.Index(text, tag("ana", d)+" by the lantern")
		if at < 0 || at < last {
			t.Errorf("day %d's words at %d in the letter (the day before at %d)", d, at, last)
		}
		last = at
	}
	for _, foreign := range []string{"zeppelin", "bo-day"} {
		if strings.Contains(text, foreign) {
			t.Errorf("Ana's letter holds Bo's words (%q)", foreign)
		}
	}
	if !strings.Contains(text, intention) {
		t.Error("the letter does not hold the intention")
	}
	if bl := letterText(t, letterOf(bo)); strings.Contains(bl, "lantern") || !strings.Contains(bl, "bo-day-30") {
		t.Error("Bo's letter holds Ana's words, or lacks his own")
	}
}

// TestIntention: an intention too long is refused and nothing is kept.
func TestIntention(t *testing.T) {
	t.Parallel()
	h, ana := enrolledAt(t, 1001, "Ana")
	got := answered(h, ana, "/intention "+strings.Repeat("to be kinder to myself ", 218)[:5000])
	if len(got) != 1 || got[0].Text != words("intention_too_long", prompts.Vars{Name: "Ana"}) {
		t.Errorf("5,000 characters: %q", messageTexts(got))
	}
	if s := h.sessions(ana.ID()); len(s) != 1 || s[0].Intention != "" {
		t.Errorf("sessions after a refused intention: %+v", s)
	}
	h.send(ana, "/intention to rest")
	if s := h.sessions(ana.ID()); len(s) != 1 || s[0].Intention != "to rest" {
		t.Errorf("sessions after /intention to rest: %+v", s)
	}
}

// storedData is every record of a client as the store holds it.
func storedData(t *testing.T, h *harness, chat int64) report.Data {
	t.Helper()
	var d report.Data
	h.view(func(tx *store.Tx) error {
		var err error
		if d.Client, err = tx.Client(chat); err != nil {
			return err
		}
		if d.Sessions, err = tx.Sessions(chat); err != nil {
			return err
		}
		if d.Deliveries, err = tx.Deliveries(chat); err != nil {
			return err
		}
		d.Replies, err = tx.Replies(chat, time.Time{})
		return err
	})
	return d
}

// myData sends /mydata and returns the JSON and Markdown files of the one
// zip archive it answers with.
func myData(t *testing.T, h *harness, u *telegramtest.User) (js, md []byte) {
	t.Helper()
	docs := myArchive(t, h, u)
	if len(docs) != 1 {
		t.Fatalf("/mydata: %d documents, want one archive", len(docs))
	}
	files := zipFiles(t, docs[0].Document.Data)
	js, md = files.data("kindling-mydata.json"), files.data("kindling-mydata.md")
	if js == nil || md == nil {
		t.Fatalf("/mydata archive holds %q, want the JSON and the Markdown", files.names())
	}
	return js, md
}

// TestMyData: /mydata's JSON holds every stored field of every record.
func TestMyData(t *testing.T) {
	t.Parallel()
	h, ana := enrolledAt(t, 1001, "Ana")
	h.send(ana, "/intention to rest more")
	h.send(ana, "/session 2026-01-05")
	h.send(ana, "/safetyplan")
	for _, a := range []string{"I go quiet", "A bath", "The park", "Jo, 555-0102"} {
		h.send(ana, a)
	}
	h.tick(utc("2026-03-01 19:00"))
	pressValue(t, h, ana, "mood", "6")
	body := h.send(ana, "heavy and tired")
	if err := ana.Edit(body, "heavy, tired, and warm"); err != nil {
		t.Fatal(err)
	}
	h.settle()
	ana.Voice(12, []byte("OggS\x00 a voice note"))
	h.settle()
	h.send(ana, "I want to die") // flagged
	h.tick(utc("2026-03-02 09:00"))

	want := storedData(t, h, ana.ID())
	var edited, voice, flagged, scale bool
	for _, r := range want.Replies {
		edited = edited || len(r.Edits) > 0
		voice = voice || r.Voice != nil && r.Voice.Path != ""
		flagged = flagged || r.Flagged
		scale = scale || r.Value != nil
	}
	if !edited || !voice || !flagged || !scale || len(want.Sessions) != 2 || len(want.Client.SafetyPlan) != 4 || len(want.Deliveries) != 2 {
		t.Fatalf("the test data lacks a kind of record: edited %v, voice %v, flagged %v, scale %v, %d sessions, plan %v, %d deliveries",
			edited, voice, flagged, scale, len(want.Sessions), want.Client.SafetyPlan, len(want.Deliveries))
	}

	js, md := myData(t, h, ana)
	var got report.Data
	if err := json.Unmarshal(js, &got); err != nil {
		t.Fatal(err)
	}
	var head struct{ Format string }
	if err := json.Unmarshal(js, &head); err != nil || head.Format != report.DataFormat {
		t.Errorf("format %q, want %q", head.Format, report.DataFormat)
	}
	if !reflect.DeepEqual(got.Client, want.Client) {
		t.Errorf("client\n got %+v\nwant %+v", got.Client, want.Client)
	}
	if !reflect.DeepEqual(got.Sessions, want.Sessions) {
		t.Errorf("sessions\n got %+v\nwant %+v", got.Sessions, want.Sessions)
	}
	if !reflect.DeepEqual(got.Deliveries, want.Deliveries) {
		t.Errorf("deliveries\n got %+v\nwant %+v", got.Deliveries, want.Deliveries)
	}
	if !reflect.DeepEqual(got.Replies, want.Replies) {
		t.Errorf("replies\n got %+v\nwant %+v", got.Replies, want.Replies)
	}
	readable := string(md)
	for _, s := range []string{"heavy, tired, and warm", "heavy and tired", "How does your body feel", "to rest more", "Jo, 555-0102"} {
		if !strings.Contains(readable, s) {
			t.Errorf("the readable file lacks %q", s)
		}
	}
}

// TestMyDataOfThousands: /mydata of 3,000 answers is still one archive.
func TestMyDataOfThousands(t *testing.T) {
	t.Parallel()
	h, ana := enrolledAt(t, 1001, "Ana")
	h.clock.Set(utc("2026-03-25 20:00"))
	seedReplies(t, h, ana.ID(), 3000, func(i int) string { return fmt.Sprintf("answer-%04d: a quiet day, some rain", i) })
	js, md := myData(t, h, ana)
	var got report.Data
	if err := json.Unmarshal(js, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Replies) != 3000 {
		t.Errorf("the JSON holds %d replies, want 3000", len(got.Replies))
	}
	if !bytes.Contains(md, []byte("answer-0000:")) || !bytes.Contains(md, []byte("answer-2999:")) {
		t.Error("the readable file lacks the first or last answer")
	}
}

// fileHolds reports whether any file below dir holds s.
func fileHolds(t *testing.T, dir, s string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte(s)) {
			found = append(found, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestForget: /forget asks first; "no" keeps everything; "yes" (pressed
// twice) erases every record once, the coach's /clients forgets the
// client, and after compaction the file holds none of their words.
func TestForget(t *testing.T) {
	t.Parallel()
	h, dana, _ := coached(t)
	ana := enrolWith(t, h, dana, 8001, "Ana", "en")
	secret := "periwinkle-zanzibar-7731"
	h.send(ana, "today I thought of "+secret)
	h.tick(utc("2026-03-01 19:00"))
	pressValue(t, h, ana, "mood", "7")
	h.send(ana, "my body feels "+secret)
	ana.Voice(9, []byte("OggS voice of "+secret)) // kept in the data folder
	h.settle()
	voiceDir := filepath.Join(h.dir, "voice", "8001")
	if files := fileHolds(t, voiceDir, secret); len(files) != 1 {
		t.Fatalf("voice note files %v, want one in %s", files, voiceDir)
	}
	h.send(dana, "/journal Ana")
	if !strings.Contains(h.lastText(dana.ID()), secret) {
		t.Fatalf("Dana's journal of Ana: %q", h.lastText(dana.ID()))
	}
	raw, err := os.ReadFile(h.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte(secret)) {
		t.Fatal("the answer is not in the database file before /forget: the check below proves nothing")
	}
	before := storedData(t, h, ana.ID())

	ask := func() telegramtest.Message {
		t.Helper()
		got := answered(h, ana, "/forget")
		if len(got) != 1 || got[0].Text != words("forget_ask", prompts.Vars{Name: "Ana"}) {
			t.Fatalf("/forget: %q", messageTexts(got))
		}
		data := callbackData(got[0])
		if len(data) != 2 || !strings.HasPrefix(data[0], "f|yes|") || data[1] != "f|no" {
			t.Fatalf("/forget buttons %v", data)
		}
		return got[0]
	}

	ask()
	got, _ := pressed(h, ana, "f|no")
	if len(got) != 1 || got[0].Text != words("forget_kept", prompts.Vars{Name: "Ana"}) {
		t.Errorf("no: %q", messageTexts(got))
	}
	if after := storedData(t, h, ana.ID()); !reflect.DeepEqual(after, before) {
		t.Fatalf("records changed after no:\n%+v\n%+v", after, before)
	}

	m := ask()
	yes := callbackData(m)[0]
	n := len(h.srv.Messages(ana.ID()))
	q1, err := ana.Press(m.ID, yes)
	if err != nil {
		t.Fatal(err)
	}
	q2, err := ana.Press(m.ID, yes) // a second tap before the buttons go
	if err != nil {
		t.Fatal(err)
	}
	h.settle()
	got = h.newSince(ana.ID(), n)
	if len(got) != 1 || got[0].Text != words("forget_done", prompts.Vars{}) {
		t.Errorf("yes twice: %q, want one last message", messageTexts(got))
	}
	if a, ok := h.srv.CallbackAnswer(q1); !ok || a.Text != "" {
		t.Errorf("first yes answered %v %q", ok, a.Text)
	}
	if a, ok := h.srv.CallbackAnswer(q2); !ok || a.Text != words("forget_nothing", prompts.Vars{}) {
		t.Errorf("second yes answered %v %q", ok, a.Text)
	}
	if h.hasClient(ana.ID()) || len(h.replies(ana.ID())) != 0 || len(h.sessions(ana.ID())) != 0 || len(h.deliveries(ana.ID())) != 0 {
		t.Errorf("records left: client %v, %d replies, %d sessions, %d deliveries",
			h.hasClient(ana.ID()), len(h.replies(ana.ID())), len(h.sessions(ana.ID())), len(h.deliveries(ana.ID())))
	}
	if ids, err := h.db.Due(utc("2030-01-01 00:00"), 0); err != nil || slices.Contains(ids, ana.ID()) {
		t.Errorf("due index %v (%v) still holds the client", ids, err)
	}
	if got := answered(h, dana, "/clients"); len(got) != 1 || got[0].Text != words("coach_no_clients", prompts.Vars{Name: "Dana"}) {
		t.Errorf("Dana's /clients after Ana forgot: %q", messageTexts(got))
	}
	if got := answered(h, dana, "/journal Ana"); len(got) != 1 || strings.Contains(got[0].Text, secret) {
		t.Errorf("Dana's /journal Ana after Ana forgot: %q", messageTexts(got))
	}
	// Nothing is sent to them any more.
	h.tick(utc("2026-03-02 09:00"))
	if got := h.newSince(ana.ID(), n+1); len(got) != 0 {
		t.Errorf("sent after forgetting: %q", messageTexts(got))
	}

	if _, err := os.Stat(voiceDir); !os.IsNotExist(err) {
		t.Errorf("the client's voice notes are still on disk in %s (%v)", voiceDir, err)
	}

	if err := h.db.CompactInPlace(); err != nil {
		t.Fatal(err)
	}
	if files := fileHolds(t, h.dir, secret); len(files) != 0 {
		t.Errorf("after forget and compaction %q is still in %v", secret, files)
	}
}

// TestForgetConfirmedLate: a confirmation pressed 8 days later is
// refused, and nothing is erased.
func TestForgetConfirmedLate(t *testing.T) {
	t.Parallel()
	h, ana := enrolledAt(t, 1001, "Ana")
	h.send(ana, "a journal entry to keep")
	h.send(ana, "/forget")
	m, ok := h.findButton(ana.ID(), "f|no")
	if !ok {
		t.Fatal("no /forget buttons")
	}
	before := storedData(t, h, ana.ID())
	h.clock.Set(h.clock.Now().Add(8 * 24 * time.Hour))
	got, _ := pressed(h, ana, callbackData(m)[0])
	if len(got) != 1 || got[0].Text != words("forget_stale", prompts.Vars{Name: "Ana"}) {
		t.Errorf("a week-old yes: %q", messageTexts(got))
	}
	if after := storedData(t, h, ana.ID()); !h.hasClient(ana.ID()) || len(after.Replies) != 1 || len(after.Sessions) != 1 || !reflect.DeepEqual(after.Replies, before.Replies) {
		t.Errorf("records after a stale yes: %+v", after)
	}
}

// TestSessionsListAndBackDate: /session takes a past date, and one
// earlier than the latest says which session counts and offers to count
// from it instead; /sessions lists sessions with a button to remove each,
// asks before removing, and shows what is left.
func TestSessionsListAndBackDate(t *testing.T) {
	t.Parallel()
	h, ana := enrolledAt(t, 1001, "Ana")
	answered(h, ana, "/intention to rest more")
	got := answered(h, ana, "/session 2026-01-05")
	earlier := words("session_earlier", prompts.Vars{Name: "Ana", Date: "Mon 5 Jan 2026", Latest: "Sun 1 Mar 2026"})
	if len(got) != 1 || got[0].Text != earlier {
		t.Fatalf("/session 2026-01-05: %q, want %q", messageTexts(got), earlier)
	}
	if data := callbackData(got[0]); !slices.Equal(data, []string{"sx|c|2026-01-05", "sx|k|2026-03-01"}) {
		t.Fatalf("/session 2026-01-05 buttons %v", data)
	}
	var dates []string
	for _, s := range h.sessions(ana.ID()) {
		dates = append(dates, s.Date)
	}
	if !slices.Equal(dates, []string{"2026-01-05", "2026-03-01"}) {
		t.Fatalf("sessions %v", dates)
	}
	got, _ = pressed(h, ana, "sx|k|2026-03-01")
	if len(got) != 1 || got[0].Text != words("session_kept", prompts.Vars{Name: "Ana", Latest: "Sun 1 Mar 2026"}) {
		t.Errorf("keep the latest: %q", messageTexts(got))
	}
	if n := len(h.sessions(ana.ID())); n != 2 {
		t.Errorf("%d sessions after keeping the latest, want 2", n)
	}

	got = answered(h, ana, "/sessions")
	if len(got) != 1 || !strings.HasPrefix(got[0].Text, words("sessions_list", prompts.Vars{Name: "Ana"})) ||
		!strings.Contains(got[0].Text, "Mon 5 Jan 2026") || !strings.Contains(got[0].Text, "Sun 1 Mar 2026 — to rest more") {
		t.Fatalf("/sessions: %q", messageTexts(got))
	}
	if data := callbackData(got[0]); !slices.Equal(data, []string{"x|2026-01-05", "x|2026-03-01"}) {
		t.Errorf("/sessions buttons %v", data)
	}
	// Removing asks first, and says the intention goes with the session.
	got, _ = pressed(h, ana, "x|2026-03-01")
	ask := words("session_remove_ask", prompts.Vars{Name: "Ana", Date: "Sun 1 Mar 2026", Intention: "to rest more"})
	if len(got) != 1 || got[0].Text != ask || !strings.Contains(ask, "to rest more") {
		t.Fatalf("remove 1 March: %q, want %q", messageTexts(got), ask)
	}
	if data := callbackData(got[0]); !slices.Equal(data, []string{"sx|y|2026-03-01", "sx|n|2026-03-01"}) {
		t.Fatalf("remove buttons %v", data)
	}
	got, _ = pressed(h, ana, "sx|n|2026-03-01")
	if len(got) != 1 || got[0].Text != words("session_remove_kept", prompts.Vars{Name: "Ana"}) {
		t.Errorf("no, keep it: %q", messageTexts(got))
	}
	if n := len(h.sessions(ana.ID())); n != 2 {
		t.Fatalf("%d sessions after keeping, want 2", n)
	}
	// An intention-less session is asked about without the intention line.
	got, _ = pressed(h, ana, "x|2026-01-05")
	if len(got) != 1 || got[0].Text != words("session_remove_ask", prompts.Vars{Name: "Ana", Date: "Mon 5 Jan 2026"}) || strings.Contains(got[0].Text, "“") {
		t.Errorf("remove 5 January: %q", messageTexts(got))
	}
	got, _ = pressed(h, ana, "sx|y|2026-01-05")
	if len(got) != 2 || got[0].Text != words("session_removed", prompts.Vars{Name: "Ana", Date: "Mon 5 Jan 2026"}) {
		t.Fatalf("yes, remove: %q", messageTexts(got))
	}
	// What is left is listed again.
	if !strings.HasPrefix(got[1].Text, words("sessions_list", prompts.Vars{Name: "Ana"})) || strings.Contains(got[1].Text, "5 Jan") ||
		!strings.Contains(got[1].Text, "Sun 1 Mar 2026") || !slices.Equal(callbackData(got[1]), []string{"x|2026-03-01"}) {
		t.Errorf("the list after removing: %q %v", got[1].Text, callbackData(got[1]))
	}
	if s := h.sessions(ana.ID()); len(s) != 1 || s[0].Date != "2026-03-01" {
		t.Errorf("sessions after removing 5 Jan: %+v", s)
	}
	// The questions still count from 1 March.
	h.tick(utc("2026-03-02 09:00"))
	if ds := h.deliveries(ana.ID()); len(ds) != 1 || ds[0].Day != 1 || ds[0].SessionDate != "2026-03-01" {
		t.Errorf("deliveries %+v, want day 1 of the 1 March session", ds)
	}
}

// TestCountFromAnEarlierSession: choosing the earlier session removes the
// later ones, closes the step of the removed session, and the days count
// from the earlier one.
func TestCountFromAnEarlierSession(t *testing.T) {
	t.Parallel()
	h, ana := enrolledAt(t, 1001, "Ana")
	h.tick(utc("2026-03-02 09:00")) // day 1 of the 1 March session
	if _, _, _, ok := h.openQuestion(ana.ID()); !ok {
		t.Fatal("day 1 asked nothing")
	}
	h.clock.Set(utc("2026-03-02 10:00"))
	answered(h, ana, "/session 2026-02-27")
	got, _ := pressed(h, ana, "sx|c|2026-02-27")
	if len(got) != 1 || got[0].Text != words("session_counts", prompts.Vars{Name: "Ana", Date: "Fri 27 Feb 2026"}) {
		t.Fatalf("count from 27 Feb: %q", messageTexts(got))
	}
	if s := h.sessions(ana.ID()); len(s) != 1 || s[0].Date != "2026-02-27" {
		t.Fatalf("sessions %+v, want only 27 Feb", s)
	}
	if _, _, _, ok := h.openQuestion(ana.ID()); ok {
		t.Error("the step of the removed session is still open")
	}
	// 5 March is day 6 of the 27 February session, which has no step, and
	// 6 March day 7, which has: counted from 1 March they would be days 4
	// and 5, the other way round.
	h.run(utc("2026-03-02 10:00"), utc("2026-03-06 12:00"), func(time.Time) { h.answerAll(ana, "Okay.") })
	var got5, got6 []store.Delivery
	for _, d := range h.deliveries(ana.ID()) {
		if d.LocalDate == "2026-03-05" {
			got5 = append(got5, d)
		}
		if d.LocalDate == "2026-03-06" {
			got6 = append(got6, d)
		}
	}
	if len(got5) != 0 || len(got6) != 1 || got6[0].Day != 7 || got6[0].SessionDate != "2026-02-27" {
		t.Errorf("5 March %+v, 6 March %+v; want nothing, then day 7 of 27 February", got5, got6)
	}
}

// TestEditAnswer: editing an answer's message updates the stored answer
// and keeps the earlier text in its history.
func TestEditAnswer(t *testing.T) {
	t.Parallel()
	h, ana := enrolledAt(t, 1001, "Ana")
	h.tick(utc("2026-03-01 19:00"))
	pressValue(t, h, ana, "mood", "6")
	msg := h.send(ana, "heavy and tired")
	n := len(h.srv.Messages(ana.ID()))
	h.clock.Set(utc("2026-03-01 19:30"))
	if err := ana.Edit(msg, "light, a little warm"); err != nil {
		t.Fatal(err)
	}
	h.settle()
	var body []store.Reply
	for _, r := range h.replies(ana.ID()) {
		if r.QuestionID == "body" {
			body = append(body, r)
		}
	}
	if len(body) != 1 {
		t.Fatalf("%d answers to body after an edit, want 1", len(body))
	}
	r := body[0]
	if r.Answer != "light, a little warm" || len(r.Edits) != 1 || r.Edits[0].Answer != "heavy and tired" || !r.Edits[0].At.Equal(utc("2026-03-01 19:30")) {
		t.Errorf("after the edit: %q, edits %+v", r.Answer, r.Edits)
	}
	if got := h.newSince(ana.ID(), n); len(got) != 0 {
		t.Errorf("an edit was answered with %q", messageTexts(got))
	}
}

// TestForgetWhileCoachCopyPending: a coach's export of a client, still
// waiting in the outbox when the client erases their data (Telegram
// failing for a while, the sender between two tries), is erased with
// them: it is never delivered and its words are not left in the file.
func TestForgetWhileCoachCopyPending(t *testing.T) {
	t.Parallel()
	// Retries spaced as in production, shortened: the client erases their
	// data between two tries of the coach's export.
	h, dana, _ := coached(t, withSender(func(s *telegram.Sender) {
		s.Attempts, s.Backoff, s.MaxBackoff = 6, 300*time.Millisecond, time.Second
	}))
	ana := enrolWith(t, h, dana, 8001, "Ana", "en")
	secret := "marigold-kestrel-4410"
	h.send(ana, "I dreamt of "+secret)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h.srv.Fail("sendDocument", 1<<20, telegramtest.ServerError(502))
	dana.Send("/export Ana")
	if err := h.srv.WaitConfirmed(ctx); err != nil {
		t.Fatal(err)
	}
	pending := func() bool {
		for _, o := range h.outbox() {
			if o.ChatID == dana.ID() && bytes.Contains(o.Document, []byte(secret)) {
				return true
			}
		}
		return false
	}
	if !pending() {
		t.Fatal("the export is not waiting in the outbox: the check below proves nothing")
	}

	n := len(h.srv.Messages(ana.ID()))
	ana.Send("/forget")
	msgs, err := h.srv.WaitMessages(ctx, ana.ID(), n+1)
	if err != nil {
		t.Fatal(err)
	}
	yes := callbackData(msgs[n])
	if len(yes) != 2 {
		t.Fatalf("/forget: %q", msgs[n].Text)
	}
	if _, err := ana.Press(msgs[n].ID, yes[0]); err != nil {
		t.Fatal(err)
	}
	if msgs, err = h.srv.WaitMessages(ctx, ana.ID(), n+2); err != nil || msgs[n+1].Text != words("forget_done", prompts.Vars{}) {
		t.Fatalf("after yes: %q, %v", messageTexts(msgs[n:]), err)
	}
	if pending() {
		t.Error("BUG: the coach's export of the client is still in the outbox after /forget")
	}

	h.srv.ClearFaults()
	// The sender's next try of its copy would come within 300 ms.
	wait, stop := context.WithTimeout(ctx, time.Second)
	defer stop()
	_ = h.srv.Wait(wait, func() bool { return len(h.srv.Calls("sendDocument")) > 1 })
	h.settle()
	for _, m := range h.srv.Messages(dana.ID()) {
		if m.Document != nil && bytes.Contains(m.Document.Data, []byte(secret)) {
			t.Errorf("BUG: the coach received the client's words at %s, after the client erased them", m.Date.Format(time.TimeOnly))
		}
	}
	if err := h.db.CompactInPlace(); err != nil {
		t.Fatal(err)
	}
	if files := fileHolds(t, h.dir, secret); len(files) != 0 {
		t.Errorf("after forget and compaction %q is still in %v", secret, files)
	}
}
