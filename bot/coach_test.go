package bot_test

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"kindling/bot"
	"kindling/prompts"
	"kindling/store"
	"kindling/telegramtest"
)

// The coaches of the coach, safety and client-data tests: both in UTC,
// with their digest at 18:00.
var (
	coachDana = bot.Coach{ID: 9101, Name: "Dana", TimeZone: "UTC", DigestTime: "18:00"}
	coachEli  = bot.Coach{ID: 9102, Name: "Eli", TimeZone: "UTC", DigestTime: "18:00"}
)

// utc is a wall time in UTC, "2006-01-02 15:04".
func utc(wall string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", wall)
	if err != nil {
		panic(err)
	}
	return t
}

// coached is a harness in invite mode with the coaches Dana and Eli, at
// noon UTC on 1 March 2026, the day of the clients' session.
func coached(t *testing.T, opts ...option) (h *harness, dana, eli *telegramtest.User) {
	t.Helper()
	opts = append([]option{startingAt(utc("2026-03-01 12:00")), withEnrollment("invite"), withCoaches(coachDana, coachEli)}, opts...)
	h = newHarness(t, opts...)
	return h, h.user(coachDana.ID, "Dana"), h.user(coachEli.ID, "Eli")
}

// inviteLink is the deep link of /invite: the bot's username and the code.
var inviteLink = regexp.MustCompile(`https://t\.me/([A-Za-z0-9_]+)\?start=([A-Za-z0-9_-]+)`)

// inviteFrom has a coach send /invite and returns the code of the link.
func inviteFrom(t *testing.T, h *harness, coach *telegramtest.User) string {
	t.Helper()
	h.send(coach, "/invite")
	m := inviteLink.FindStringSubmatch(h.lastText(coach.ID()))
	if m == nil {
		t.Fatalf("/invite answered %q, no invite link", h.lastText(coach.ID()))
	}
	return m[2]
}

// enrolWith invites a person with coach's link and onboards them: UTC,
// 09:00, a session on 1 March 2026. lang is their Telegram language.
func enrolWith(t *testing.T, h *harness, coach *telegramtest.User, id int64, name, lang string) *telegramtest.User {
	t.Helper()
	code := inviteFrom(t, h, coach)
	u := h.srv.User(id, name, lang)
	h.onboardWith(u, code, "UTC", "09:00", "2026-03-01")
	if c := h.client(id); c.Coach != coach.ID() {
		t.Fatalf("%s enrolled with coach %d, want %d", name, c.Coach, coach.ID())
	}
	return u
}

// said sends text as u and returns what the bot sent to chat in answer.
func said(h *harness, u *telegramtest.User, text string, chat int64) []telegramtest.Message {
	h.t.Helper()
	n := len(h.srv.Messages(chat))
	h.send(u, text)
	return h.newSince(chat, n)
}

// answered sends text as u and returns what the bot sent u in answer.
func answered(h *harness, u *telegramtest.User, text string) []telegramtest.Message {
	h.t.Helper()
	return said(h, u, text, u.ID())
}

// pressed presses a button as u and returns what the bot then sent u,
// and the query id.
func pressed(h *harness, u *telegramtest.User, data string) ([]telegramtest.Message, string) {
	h.t.Helper()
	n := len(h.srv.Messages(u.ID()))
	q := h.press(u, data)
	return h.newSince(u.ID(), n), q
}

// messageTexts are the texts of messages, for failure output.
func messageTexts(msgs []telegramtest.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Text
	}
	return out
}

// callbackData lists the callback data of a message's buttons.
func callbackData(m telegramtest.Message) []string {
	var out []string
	for _, row := range m.Keyboard {
		for _, b := range row {
			out = append(out, b.CallbackData)
		}
	}
	return out
}

// storeBytes is a consistent copy of the whole database file.
func storeBytes(t *testing.T, h *harness) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := h.db.Backup(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// forgeCoachPress queues a callback query from user from, on message
// msgID of their own chat, with callback data of the forger's choosing:
// what a modified Telegram client could send.
func forgeCoachPress(t *testing.T, h *harness, from bot.Coach, msgID int, data string) {
	t.Helper()
	raw := fmt.Sprintf(`{"callback_query":{"id":"forged-%d","from":{"id":%d,"is_bot":false,"first_name":%q,"language_code":"en"},`+
		`"message":{"message_id":%d,"date":%d,"chat":{"id":%d,"type":"private"},"text":"x"},"chat_instance":"1","data":%q}}`,
		msgID, from.ID, from.Name, msgID, h.clock.Now().Unix(), from.ID, data)
	if _, err := h.srv.RawUpdate([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	h.settle()
}

// TestCoachCommandsFromOthers: anyone who is not a coach, stranger or
// client, gets the unknown-command answer to every coach command, learns
// nothing, and nothing is stored.
func TestCoachCommandsFromOthers(t *testing.T) {
	t.Parallel()
	h := newHarness(t, startingAt(utc("2026-03-01 12:00")), withCoaches(coachDana)) // open enrolment
	dana := h.user(coachDana.ID, "Dana")
	ana := h.user(8001, "Ana")
	h.onboard(ana, "UTC", "09:00", "2026-03-01")
	h.send(ana, "the river was loud today") // something to reveal
	stranger := h.user(8666, "Mallory")
	unknown := words("unknown_command", prompts.Vars{})

	commands := []string{
		"/invite", "/invite for my friend Ana", "/clients", "/journal Ana", "/journal 8001 30",
		"/journal", "/export Ana", "/export 8001", "/export", "/reload", "/INVITE", "/clients@kindling_test_bot",
	}
	for _, who := range []*telegramtest.User{stranger, ana} {
		for _, cmd := range commands {
			got := answered(h, who, cmd)
			if len(got) != 1 || got[0].Text != unknown || got[0].Document != nil || got[0].Photo != nil || got[0].Keyboard != nil {
				t.Errorf("%d sent %q: bot answered %q, want exactly %q", who.ID(), cmd, messageTexts(got), unknown)
			}
		}
	}
	if n := len(h.srv.Messages(dana.ID())); n != 0 {
		t.Errorf("the coach was sent %d messages", n)
	}
	if calls := h.srv.Calls("sendDocument"); len(calls) != 0 {
		t.Errorf("%d documents sent", len(calls))
	}
	if h.hasClient(stranger.ID()) {
		t.Error("the stranger is stored as a client")
	}
	if n := len(h.replies(ana.ID())); n != 1 {
		t.Errorf("the client has %d replies, want their one journal entry: commands are not answers", n)
	}
	// No invite was ever written: the file holds no invite record.
	if bytes.Contains(storeBytes(t, h), []byte(`"expires_at"`)) {
		t.Error("an invite is stored after non-coaches asked for one")
	}
	// The same command from the coach does make one (the check above can fail).
	inviteFrom(t, h, dana)
	if !bytes.Contains(storeBytes(t, h), []byte(`"expires_at"`)) {
		t.Error("no invite record after the coach's /invite")
	}
}

// TestInvites: a coach's link enrols a client with that coach, once,
// until it expires; /start without a valid code stores nothing; an
// enrolled client moves to another coach only when they confirm.
func TestInvites(t *testing.T) {
	t.Parallel()
	h, dana, eli := coached(t)

	h.send(dana, "/invite for Ana, Tuesday group")
	msg := h.lastText(dana.ID())
	link := inviteLink.FindStringSubmatch(msg)
	if link == nil {
		t.Fatalf("/invite answered %q, no t.me link", msg)
	}
	if link[1] != "kindling_test_bot" {
		t.Errorf("invite link names bot %q, want kindling_test_bot", link[1])
	}
	code := link[2]
	if len(code) < 16 {
		t.Errorf("invite code %q is short enough to guess", code)
	}
	if !strings.HasPrefix(msg, words("coach_invite", prompts.Vars{Name: "Dana", Until: "Sun 15 Mar 2026"})) {
		t.Errorf("/invite answered %q, want the invitation text valid until Sun 15 Mar 2026", msg)
	}
	if other := inviteFrom(t, h, dana); other == code {
		t.Error("two invites share a code")
	}

	ana := h.user(8001, "Ana")
	h.onboardWith(ana, code, "UTC", "09:00", "2026-03-01")
	if c := h.client(ana.ID()); c.Coach != coachDana.ID {
		t.Fatalf("Ana's coach is %d, want Dana (%d)", c.Coach, coachDana.ID)
	}
	h.view(func(tx *store.Tx) error {
		inv, err := tx.Invite(code)
		if err != nil || inv.UsedBy != ana.ID() || inv.Coach != coachDana.ID || inv.Note != "for Ana, Tuesday group" {
			t.Errorf("invite after use: %+v, %v", inv, err)
		}
		return nil
	})

	refused := func(t *testing.T, u *telegramtest.User, text, key string) {
		t.Helper()
		clients := h.clientCount()
		got := answered(h, u, text)
		want := words(key, prompts.Vars{})
		if len(got) != 1 || got[0].Text != want || got[0].Keyboard != nil {
			t.Errorf("%q answered %q, want only %q", text, messageTexts(got), want)
		}
		if h.hasClient(u.ID()) || h.clientCount() != clients {
			t.Errorf("%q stored a client", text)
		}
	}

	t.Run("reused", func(t *testing.T) {
		refused(t, h.user(8002, "Bo"), "/start "+code, "invite_used")
	})
	t.Run("unknown code", func(t *testing.T) {
		refused(t, h.user(8003, "Cy"), "/start 0123456789abcdefghij", "invite_invalid")
	})
	t.Run("no code", func(t *testing.T) {
		refused(t, h.user(8004, "Di"), "/start", "invite_needed")
	})

	t.Run("already enrolled", func(t *testing.T) {
		ecode := inviteFrom(t, h, eli)
		ask := words("invite_move_ask", prompts.Vars{Name: "Ana", Coach: "Eli"})
		got := answered(h, ana, "/start "+ecode)
		if len(got) != 1 || got[0].Text != ask || !slices.Equal(callbackData(got[0]), []string{"m|" + ecode, "m|"}) {
			t.Fatalf("Eli's invite pressed by Dana's client: %q %v, want %q with two buttons", messageTexts(got), got, ask)
		}
		if c := h.client(ana.ID()); c.Coach != coachDana.ID {
			t.Fatalf("moved to coach %d before confirming", c.Coach)
		}
		got, _ = pressed(h, ana, "m|")
		if len(got) != 1 || got[0].Text != words("invite_move_kept", prompts.Vars{Name: "Ana"}) {
			t.Errorf("no: %q", messageTexts(got))
		}
		if c := h.client(ana.ID()); c.Coach != coachDana.ID {
			t.Fatalf("moved to coach %d after saying no", c.Coach)
		}

		h.send(ana, "/start "+ecode)
		got, _ = pressed(h, ana, "m|"+ecode)
		if len(got) != 1 || got[0].Text != words("invite_moved", prompts.Vars{Name: "Ana", Coach: "Eli"}) {
			t.Errorf("yes: %q", messageTexts(got))
		}
		if c := h.client(ana.ID()); c.Coach != coachEli.ID {
			t.Fatalf("after yes, coach %d, want Eli", c.Coach)
		}
		h.view(func(tx *store.Tx) error {
			if inv, err := tx.Invite(ecode); err != nil || inv.UsedBy != ana.ID() {
				t.Errorf("Eli's invite after the move: %+v, %v", inv, err)
			}
			return nil
		})
		if got := answered(h, dana, "/clients"); len(got) != 1 || strings.Contains(got[0].Text, "Ana") {
			t.Errorf("Dana's /clients after Ana moved: %q", messageTexts(got))
		}
		if got := answered(h, eli, "/clients"); len(got) != 1 || !strings.Contains(got[0].Text, "Ana") {
			t.Errorf("Eli's /clients after Ana moved: %q", messageTexts(got))
		}
	})

	t.Run("expired", func(t *testing.T) {
		late := inviteFrom(t, h, dana)
		never := inviteFrom(t, h, dana)
		eve := h.user(8005, "Eve")
		h.send(eve, "/start "+late) // consent asked while the code is valid
		h.clock.Set(h.clock.Now().Add(14*24*time.Hour + time.Minute))
		got, _ := pressed(h, eve, "c|yes|"+late)
		if want := words("invite_expired", prompts.Vars{}); len(got) != 1 || got[0].Text != want {
			t.Errorf("consent pressed after expiry: %q, want %q", messageTexts(got), want)
		}
		if h.hasClient(eve.ID()) {
			t.Error("a client was stored from an expired invite")
		}
		refused(t, eve, "/start "+late, "invite_expired")
		refused(t, h.user(8006, "Fay"), "/start "+never, "invite_expired")
	})
}

// TestCoachSeesOnlyOwnClients: /clients, /journal, /export and the
// choice buttons never show a coach another coach's client.
func TestCoachSeesOnlyOwnClients(t *testing.T) {
	t.Parallel()
	h, dana, eli := coached(t)
	ana := enrolWith(t, h, dana, 8001, "Ana", "en")
	bea := h.srv.User(8002, "Bea", "en")
	h.onboardWith(bea, inviteFrom(t, h, eli), "UTC", "09:00", "2026-03-01")
	h.send(ana, "I walked past the quarry")
	h.send(bea, "I baked rye bread")

	if got := answered(h, dana, "/clients"); len(got) != 1 || !strings.Contains(got[0].Text, "Ana") || strings.Contains(got[0].Text, "Bea") {
		t.Errorf("Dana's /clients: %q", messageTexts(got))
	}
	if got := answered(h, eli, "/clients"); len(got) != 1 || !strings.Contains(got[0].Text, "Bea") || strings.Contains(got[0].Text, "Ana") {
		t.Errorf("Eli's /clients: %q", messageTexts(got))
	}

	for _, q := range []string{"Bea", "bea", "B", "8002", "Bea 30"} {
		name := strings.TrimSuffix(q, " 30")
		want := words("coach_no_client", prompts.Vars{Name: name})
		if got := answered(h, dana, "/journal "+q); len(got) != 1 || got[0].Text != want {
			t.Errorf("Dana /journal %s: %q, want %q", q, messageTexts(got), want)
		}
	}
	for _, q := range []string{"Bea", "8002"} {
		want := words("coach_no_client", prompts.Vars{Name: q})
		if got := answered(h, dana, "/export "+q); len(got) != 1 || got[0].Text != want || got[0].Document != nil {
			t.Errorf("Dana /export %s: %q, want %q", q, messageTexts(got), want)
		}
	}

	got := answered(h, dana, "/journal Ana")
	if len(got) != 1 || !strings.HasPrefix(got[0].Text, words("coach_journal", prompts.Vars{Name: "Ana"})) || !strings.Contains(got[0].Text, "quarry") {
		t.Errorf("Dana /journal Ana: %q", messageTexts(got))
	}
	got = answered(h, dana, "/export Ana")
	if len(got) != 1 || got[0].Document == nil || !strings.HasSuffix(got[0].Document.Name, ".csv") {
		t.Fatalf("Dana /export Ana: %v, want one CSV document", messageTexts(got))
	}
	if csv := string(got[0].Document.Data); !strings.Contains(csv, "quarry") || strings.Contains(csv, "rye") {
		t.Errorf("Ana's export:\n%s", csv)
	}

	// The choice buttons carry a chat id; a forged press with another
	// coach's client in it shows nothing.
	msgID := got[0].ID
	for _, data := range []string{"cj|7|8002", "cj|3650|8002", "ce||8002", "ce|x|8002"} {
		n := len(h.srv.Messages(dana.ID()))
		forgeCoachPress(t, h, coachDana, msgID, data)
		got := h.newSince(dana.ID(), n)
		want := words("coach_no_client", prompts.Vars{Name: "8002"})
		if len(got) != 1 || got[0].Text != want || got[0].Document != nil {
			t.Errorf("forged press %q: %q, want %q", data, messageTexts(got), want)
		}
	}
	// And a client forging the coach's buttons is no coach.
	n := len(h.srv.Messages(ana.ID()))
	forgeCoachPress(t, h, bot.Coach{ID: ana.ID(), Name: "Ana"}, h.srv.Messages(ana.ID())[n-1].ID, "cj|7|8002")
	for _, m := range h.newSince(ana.ID(), n) {
		t.Errorf("a client's forged coach press was answered with %q", m.Text)
	}
	for _, m := range h.srv.Messages(dana.ID()) {
		if strings.Contains(m.Text, "rye") || m.Document != nil && bytes.Contains(m.Document.Data, []byte("rye")) {
			t.Errorf("Dana was shown Bea's words: %q", m.Text)
		}
	}
}

// TestJournalSameName: two of a coach's clients with the same name get
// a choice, not a guess, and the choice lists only that coach's clients.
func TestJournalSameName(t *testing.T) {
	t.Parallel()
	h, dana, eli := coached(t)
	sam1 := enrolWith(t, h, dana, 8003, "Sam", "en")
	sam2 := enrolWith(t, h, dana, 8004, "Sam", "en")
	sam3 := enrolWith(t, h, eli, 8005, "Sam", "en")
	h.send(sam1, "herons by the canal")
	h.send(sam2, "otters in the harbour")
	h.send(sam3, "a lynx in the snow")

	for _, tc := range []struct {
		cmd     string
		buttons []string
	}{
		{"/journal Sam", []string{"cj|7|8003", "cj|7|8004"}},
		{"/journal sam 30", []string{"cj|30|8003", "cj|30|8004"}},
		{"/export Sam", []string{"ce||8003", "ce||8004"}},
	} {
		got := answered(h, dana, tc.cmd)
		if len(got) != 1 || got[0].Text != words("coach_choose_client", prompts.Vars{}) || !slices.Equal(callbackData(got[0]), tc.buttons) {
			t.Fatalf("%s: %q with buttons %v, want a choice of %v", tc.cmd, messageTexts(got), callbackData(got[0]), tc.buttons)
		}
		if got[0].Document != nil || strings.Contains(got[0].Text, "otters") || strings.Contains(got[0].Text, "herons") {
			t.Errorf("%s showed a client before the choice: %q", tc.cmd, got[0].Text)
		}
	}

	got, q := pressed(h, dana, "cj|30|8004")
	if len(got) != 1 || !strings.Contains(got[0].Text, "otters") || strings.Contains(got[0].Text, "herons") || strings.Contains(got[0].Text, "lynx") {
		t.Errorf("the journal chosen: %q, want only the second Sam's words", messageTexts(got))
	}
	if _, ok := h.srv.CallbackAnswer(q); !ok {
		t.Error("the choice press was not answered")
	}
	got, _ = pressed(h, dana, "ce||8003")
	if len(got) != 1 || got[0].Document == nil {
		t.Fatalf("the export chosen: %q, want a document", messageTexts(got))
	}
	if csv := string(got[0].Document.Data); !strings.Contains(csv, "herons") || strings.Contains(csv, "otters") || strings.Contains(csv, "lynx") {
		t.Errorf("the first Sam's export:\n%s", csv)
	}
}

// seedReplies stores n free-text answers of a client directly, one every
// ten minutes back from now, oldest first; text gives answer i.
func seedReplies(t *testing.T, h *harness, chat int64, n int, text func(i int) string) {
	t.Helper()
	now := h.clock.Now()
	err := h.db.Update(func(tx *store.Tx) error {
		for i := range n {
			at := now.Add(-time.Duration(n-i) * 10 * time.Minute)
			date := at.Format("2006-01-02")
			day := int(at.Sub(utc("2026-03-01 00:00")).Hours() / 24)
			r := store.Reply{
				ChatID: chat, At: at, LocalDate: date, Day: day, SessionDate: "2026-03-01",
				QuestionID: "body", Question: "How does your body feel right now? Tired, light, heavy, restless, warm… any words will do.",
				Kind: "text", Answer: text(i),
			}
			if err := tx.AddReply(&r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestJournalOfManyAnswers: /journal of a client with 500 answers comes
// in messages that each fit Telegram, together holding every answer once,
// in order.
func TestJournalOfManyAnswers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		text func(i int) string
	}{
		{"prose", func(i int) string {
			return fmt.Sprintf("answer-%03d: ", i) + strings.Repeat("Sentí el cuerpo pesado y cálido, después más ligero. ", 1+i%6)
		}},
		// Characters of four bytes in UTF-8, two units in UTF-16.
		{"emoji", func(i int) string {
			return fmt.Sprintf("answer-%03d: ", i) + strings.Repeat("🌱💛", 20+i%40)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, dana, _ := coached(t)
			ana := enrolWith(t, h, dana, 8001, "Ana", "en")
			h.clock.Set(utc("2026-03-06 20:00"))
			seedReplies(t, h, ana.ID(), 500, tc.text)

			got := answered(h, dana, "/journal Ana 30")
			if len(got) < 2 {
				t.Fatalf("500 answers in %d message(s)", len(got))
			}
			if !strings.HasPrefix(got[0].Text, words("coach_journal", prompts.Vars{Name: "Ana"})) {
				t.Errorf("the journal starts %.60q", got[0].Text)
			}
			var all strings.Builder
			for i, m := range got {
				if n := utf8.RuneCountInString(m.Text); n > 4096 {
					t.Errorf("message %d is %d characters long", i, n)
				}
				all.WriteString(m.Text + "\n")
			}
			for _, c := range h.srv.Calls("sendMessage") {
				if c.Status != 200 {
					t.Errorf("a message was refused: %d %s", c.Status, c.Description)
				}
			}
			text, last := all.String(), -1
			for i := range 500 {
				tag := fmt.Sprintf("answer-%03d: ", i)
				at := strings.Index(text, tag)
				if at < 0 || strings.Count(text, tag) != 1 {
					t.Errorf("answer %d appears %d times", i, strings.Count(text, tag))
					continue
				}
				if at < last {
					t.Errorf("answer %d comes before the one before it", i)
				}
				last = at
			}
		})
	}
}

// TestClientsView: /clients shows each client's day, week and state,
// including a client who blocked the bot as unreachable.
func TestClientsView(t *testing.T) {
	t.Parallel()
	h, dana, eli := coached(t)
	if got := answered(h, dana, "/clients"); len(got) != 1 || got[0].Text != words("coach_no_clients", prompts.Vars{Name: "Dana"}) {
		t.Errorf("/clients with none: %q", messageTexts(got))
	}
	ana := enrolWith(t, h, dana, 8001, "Ana", "en")
	bo := enrolWith(t, h, dana, 8002, "Bo", "en")
	cy := enrolWith(t, h, dana, 8003, "Cy", "en")
	h.send(cy, "/pause")
	h.send(ana, "a slow morning")

	h.srv.Block(bo.ID())
	h.tick(utc("2026-03-01 19:00")) // day 0's questions: Bo's is refused

	got := answered(h, dana, "/clients")
	if len(got) != 1 {
		t.Fatalf("/clients: %q", messageTexts(got))
	}
	text := got[0].Text
	block := func(name string) string {
		_, after, ok := strings.Cut(text, "• "+name)
		if !ok {
			t.Fatalf("/clients has no %s:\n%s", name, text)
		}
		b, _, _ := strings.Cut(after, "• ")
		return b
	}
	if b := block("Ana"); !strings.Contains(b, "day 0") || !strings.Contains(b, "a slow morning") || strings.Contains(b, "unreachable") {
		t.Errorf("Ana in /clients:%s", b)
	}
	if b := block("Bo"); !strings.Contains(b, "unreachable") {
		t.Errorf("Bo blocked the bot; /clients shows:%s", b)
	}
	if b := block("Cy"); !strings.Contains(b, "paused") {
		t.Errorf("Cy paused; /clients shows:%s", b)
	}
	if c := h.client(bo.ID()); c.Status != store.StatusUnreachable {
		t.Errorf("Bo's status %s", c.Status)
	}
	if got := answered(h, eli, "/clients"); len(got) != 1 || got[0].Text != words("coach_no_clients", prompts.Vars{Name: "Eli"}) {
		t.Errorf("Eli's /clients: %q", messageTexts(got))
	}
}

// TestCoachDigest: at the coach's digest time, one digest on a day with
// answers (counts and flags per client), nothing on a day without, never
// two the same day.
func TestCoachDigest(t *testing.T) {
	t.Parallel()
	h, dana, eli := coached(t)
	ana := enrolWith(t, h, dana, 8001, "Ana", "en")
	enrolWith(t, h, dana, 8002, "Bo", "en") // answers nothing
	h.send(ana, "a calm afternoon by the sea")
	h.send(ana, "but tonight I want to die")

	heading := words("coach_digest", prompts.Vars{Name: "Dana"})
	digests := func(u *telegramtest.User) []telegramtest.Message {
		var out []telegramtest.Message
		for _, m := range h.srv.Messages(u.ID()) {
			if strings.HasPrefix(m.Text, heading) || strings.HasPrefix(m.Text, words("coach_digest", prompts.Vars{Name: "Eli"})) {
				out = append(out, m)
			}
		}
		return out
	}

	h.tick(utc("2026-03-01 17:45"))
	if d := digests(dana); len(d) != 0 {
		t.Fatalf("a digest before 18:00: %q", messageTexts(d))
	}
	for _, at := range []string{"18:00", "18:15", "21:00", "23:45"} {
		h.tick(utc("2026-03-01 " + at))
	}
	d := digests(dana)
	if len(d) != 1 {
		t.Fatalf("%d digests on 1 March, want 1: %q", len(d), messageTexts(d))
	}
	if !strings.Contains(d[0].Text, "Ana: 2 new") || !strings.Contains(d[0].Text, "1 flagged") || strings.Contains(d[0].Text, "Bo") {
		t.Errorf("digest:\n%s\nwant Ana with 2 new, 1 flagged, and no Bo", d[0].Text)
	}
	if !d[0].Date.Equal(utc("2026-03-01 18:00")) {
		t.Errorf("digest sent at %s, want 18:00", d[0].Date)
	}
	if d := digests(eli); len(d) != 0 {
		t.Errorf("Eli, with no clients, got a digest: %q", messageTexts(d))
	}

	// 2 March: questions go out, nobody answers.
	h.run(utc("2026-03-02 08:00"), utc("2026-03-02 23:00"), nil)
	if d := digests(dana); len(d) != 1 {
		t.Fatalf("a day without answers: %d digests in all, want still 1: %q", len(d), messageTexts(d))
	}

	// 3 March: one answer in the morning, one digest in the evening.
	h.tick(utc("2026-03-03 10:00"))
	h.send(ana, "slept through the night")
	h.run(utc("2026-03-03 17:00"), utc("2026-03-03 20:00"), nil)
	d = digests(dana)
	if len(d) != 2 || !strings.Contains(d[1].Text, "Ana: 1 new") || strings.Contains(d[1].Text, "flagged") {
		t.Errorf("3 March: digests %q, want a second with Ana: 1 new, nothing flagged", messageTexts(d))
	}
}

// TestReloadAndTellCoaches: /reload with the built-in prompts says so;
// TellCoaches reaches every coach and nobody else.
func TestReloadAndTellCoaches(t *testing.T) {
	t.Parallel()
	h, dana, eli := coached(t)
	ana := enrolWith(t, h, dana, 8001, "Ana", "en")
	if got := answered(h, dana, "/reload"); len(got) != 1 || got[0].Text != words("coach_reload_builtin", prompts.Vars{}) {
		t.Errorf("/reload: %q", messageTexts(got))
	}

	before := len(h.srv.Messages(ana.ID()))
	lines := []string{"after-session.en.yaml:12: day 3 is listed twice", "messages.es.yaml:4: unknown key \"welcom\""}
	if err := h.bot.TellCoaches(lines); err != nil {
		t.Fatal(err)
	}
	h.settle()
	for _, co := range []struct {
		u    *telegramtest.User
		name string
	}{{dana, "Dana"}, {eli, "Eli"}} {
		text := h.lastText(co.u.ID())
		if !strings.HasPrefix(text, words("coach_prompts_broken", prompts.Vars{Name: co.name})) {
			t.Errorf("%s was told %q", co.name, text)
		}
		for _, l := range lines {
			if !strings.Contains(text, l) {
				t.Errorf("%s was not told %q", co.name, l)
			}
		}
	}
	if got := h.newSince(ana.ID(), before); len(got) != 0 {
		t.Errorf("a client was told about prompt errors: %q", messageTexts(got))
	}
}
