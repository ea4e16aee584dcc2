package bot_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"kindling/bot"
	"kindling/prompts"
	"kindling/store"
	"kindling/telegramtest"
)

// ---- through the fake Telegram ----

// commandsAndAnswers are commands a client sends in one burst and what
// kindling answers to each, in order.
func commandsAndAnswers(name string) ([]string, []string) {
	return []string{"/help", "/frobnicate", "/time 25:00", "/timezone Mars/Base", "/pause 0", "/time 08:30"},
		[]string{
			words("help", prompts.Vars{Name: name}),
			words("unknown_command", prompts.Vars{}),
			words("time_invalid", prompts.Vars{Name: name}),
			words("timezone_invalid", prompts.Vars{Name: name, TimeZone: "Mars/Base"}),
			words("pause_invalid", prompts.Vars{Name: name}),
			words("time_set", prompts.Vars{Name: name, Time: "08:30"}),
		}
}

func texts(msgs []telegramtest.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Text)
	}
	return out
}

func TestTooManyRequestsStorm(t *testing.T) {
	h := newHarness(t, startingAt(ny("2026-03-01 07:00")))
	var users []*telegramtest.User
	for i, name := range []string{"Ana", "Ben", "Cy"} {
		u := h.user(int64(7001+i), name)
		h.onboard(u, "America/New_York", "09:00", "2026-03-01")
		users = append(users, u)
	}
	before := map[int64]int{}
	for _, u := range users {
		before[u.ID()] = len(h.srv.Messages(u.ID()))
	}
	tooMany := h.srv.Responses(http.StatusTooManyRequests)
	h.srv.Fail("sendMessage", 5, telegramtest.TooMany(1))
	for _, u := range users {
		cmds, _ := commandsAndAnswers("")
		for _, c := range cmds {
			u.Send(c)
		}
	}
	h.settle()
	for i, u := range users {
		_, want := commandsAndAnswers([]string{"Ana", "Ben", "Cy"}[i])
		if got := texts(h.newSince(u.ID(), before[u.ID()])); !slices.Equal(got, want) {
			t.Errorf("chat %d got\n%q\nwant\n%q", u.ID(), got, want)
		}
	}
	if got := h.srv.Responses(http.StatusTooManyRequests) - tooMany; got != 5 {
		t.Errorf("%d answers 429, want 5", got)
	}
	if st := h.sender.Stats(); st.TooMany != 5 {
		t.Errorf("sender counted %d 429s, want 5", st.TooMany)
	}
	if len(h.outbox()) != 0 {
		t.Error("outbox not empty")
	}
}

func TestServerErrorsAndDroppedConnections(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fault  telegramtest.Fault
		n      int
		reason string
	}{
		{"502", telegramtest.ServerError(http.StatusBadGateway), 3, "server"},
		{"500", telegramtest.ServerError(http.StatusInternalServerError), 2, "server"},
		{"dropped", telegramtest.Drop, 2, "network"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, u := onboarded(t)
			before := len(h.srv.Messages(u.ID()))
			h.srv.Fail("sendMessage", tc.n, tc.fault)
			cmds, want := commandsAndAnswers("Ana")
			for _, c := range cmds {
				u.Send(c)
			}
			h.settle()
			if got := texts(h.newSince(u.ID(), before)); !slices.Equal(got, want) {
				t.Fatalf("got\n%q\nwant\n%q", got, want)
			}
			if got := h.sender.Stats().Failed[tc.reason]; got != int64(tc.n) {
				t.Errorf("sender counted %d %s failures, want %d", got, tc.reason, tc.n)
			}
		})
	}
}

// TestUnreachableClient: a client who blocked the bot is marked
// unreachable when a message to them is refused; their schedule stops,
// their outbox is dropped, and their coach sees it. ("chat not found" is
// TestChatNotFound's.)
func TestUnreachableClient(t *testing.T) {
	for _, tc := range []struct {
		name  string
		block func(h *harness, chat int64)
	}{
		{"blocked", func(h *harness, chat int64) { h.srv.Block(chat) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			coach := bot.Coach{ID: 9000, Name: "Dana", TimeZone: "America/New_York"}
			h := newHarness(t, startingAt(ny("2026-03-01 07:00")), withEnrollment("invite"), withCoaches(coach))
			dana := h.user(coach.ID, "Dana")
			h.send(dana, "/invite")
			code := regexp.MustCompile(`start=([A-Za-z0-9_-]+)`).FindStringSubmatch(h.lastText(dana.ID()))
			if code == nil {
				t.Fatalf("no invite link in %q", h.lastText(dana.ID()))
			}
			u := h.user(8001, "Ana")
			h.onboardWith(u, code[1], "America/New_York", "09:00", "2026-03-01")
			if c := h.client(u.ID()); c.Coach != coach.ID {
				t.Fatalf("client's coach %d, want %d", c.Coach, coach.ID)
			}

			tc.block(h, u.ID())
			h.run(ny("2026-03-01 07:00"), ny("2026-03-01 19:00"), nil)
			c := h.client(u.ID())
			if c.Status != store.StatusUnreachable || !c.Due.IsZero() {
				t.Fatalf("after a refused send: status %s, due %s; want unreachable, none", c.Status, c.Due)
			}
			if len(h.outbox()) != 0 {
				t.Fatalf("outbox keeps %d rows for an unreachable chat", len(h.outbox()))
			}
			if st := h.sender.Stats(); st.Failed["unreachable"] != 1 {
				t.Errorf("sender failures %v, want one unreachable", st.Failed)
			}
			// No more tries to send to them on the following days.
			calls := len(h.srv.Calls("sendMessage"))
			h.run(ny("2026-03-01 19:00"), ny("2026-03-03 12:00"), nil)
			if got := len(h.srv.Calls("sendMessage")); got != calls {
				t.Fatalf("%d more sendMessage calls to an unreachable client", got-calls)
			}
			if ids, err := h.db.Due(ny("2027-01-01 00:00"), 0); err != nil || slices.Contains(ids, u.ID()) {
				t.Fatalf("due index %v (%v) still holds the client", ids, err)
			}
			// The coach's view shows it.
			h.send(dana, "/clients")
			if got := h.lastText(dana.ID()); !strings.Contains(got, "Ana") || !strings.Contains(got, "unreachable") {
				t.Fatalf("/clients:\n%s\nwant Ana shown as unreachable", got)
			}
		})
	}
}

// TestMembershipUpdates: Telegram's my_chat_member update when a client
// blocks and unblocks the bot.
func TestMembershipUpdates(t *testing.T) {
	h, u := onboarded(t)
	due := h.client(u.ID()).Due
	membership := func(status string) {
		t.Helper()
		raw := fmt.Sprintf(`{"my_chat_member":{"chat":{"id":%d,"type":"private","first_name":"Ana"},"from":{"id":%d,"is_bot":false,"first_name":"Ana"},"date":1772370000,"old_chat_member":{"status":"member","user":{"id":%d,"is_bot":true,"first_name":"kindling"}},"new_chat_member":{"status":%q,"user":{"id":%d,"is_bot":true,"first_name":"kindling"}}}}`,
			u.ID(), u.ID(), h.srv.BotID(), status, h.srv.BotID())
		if _, err := h.srv.RawUpdate([]byte(raw)); err != nil {
			t.Fatal(err)
		}
		h.settle()
	}
	membership("kicked")
	if c := h.client(u.ID()); c.Status != store.StatusUnreachable || !c.Due.IsZero() {
		t.Fatalf("after kicked: status %s due %s", c.Status, c.Due)
	}
	membership("member")
	if c := h.client(u.ID()); c.Status != store.StatusActive || !c.Due.Equal(due) {
		t.Fatalf("after member again: status %s due %s, want active due %s", c.Status, c.Due, due)
	}
}

func TestCommandMenu(t *testing.T) {
	t.Run("registered at start", func(t *testing.T) {
		h := newHarness(t)
		var names []string
		for _, c := range h.srv.Commands() {
			names = append(names, c.Command)
			if c.Description == "" {
				t.Errorf("command %s has no description", c.Command)
			}
		}
		for _, want := range []string{"today", "session", "time", "timezone", "pause", "resume", "stop", "help"} {
			if !slices.Contains(names, want) {
				t.Errorf("menu %v lacks /%s", names, want)
			}
		}
	})
	t.Run("registered after a 5xx", func(t *testing.T) {
		h := newHarness(t, beforeStart(func(h *harness) {
			h.srv.Fail("setMyCommands", 2, telegramtest.ServerError(http.StatusBadGateway))
		}))
		if len(h.srv.Commands()) == 0 {
			t.Fatal("menu not registered after two 502s")
		}
	})
	t.Run("a failure does not stop the bot", func(t *testing.T) {
		h := newHarness(t, beforeStart(func(h *harness) {
			h.srv.Fail("setMyCommands", 0, telegramtest.ServerError(http.StatusInternalServerError))
		}))
		if n := len(h.srv.Commands()); n != 0 {
			t.Fatalf("%d commands registered despite the failure", n)
		}
		calls := h.srv.Calls("setMyCommands")
		if len(calls) != 3 {
			t.Fatalf("setMyCommands calls %+v, want three tries", calls)
		}
		for _, c := range calls {
			if c.Status != http.StatusInternalServerError {
				t.Fatalf("setMyCommands calls %+v, want each answered 500", calls)
			}
		}
		if !strings.Contains(h.log.String(), "register command menu") {
			t.Errorf("the failure was not logged:\n%s", h.log.String())
		}
		u := h.user(1001, "Ana")
		h.send(u, "/help")
		if got := h.lastText(u.ID()); got != words("help", prompts.Vars{Name: "Ana"}) {
			t.Fatalf("/help after a failed menu: %q", got)
		}
	})
}

// TestNoAcknowledgedAnswerLost sends 200 answers from four clients while
// the bot runs, stops the bot halfway as a crash would, checks that every
// update the fake Telegram had been told was received is stored, then
// starts a new bot on the same file and checks every answer is stored
// exactly once. Updates delivered again are skipped.
func TestNoAcknowledgedAnswerLost(t *testing.T) {
	// 19:30 on the session day: /today brings day 0's 19:00 step.
	h := newHarness(t, startingAt(ny("2026-03-01 19:30")))
	var users []*telegramtest.User
	for i := range 4 {
		u := h.user(int64(9101+i), fmt.Sprint("Client ", i))
		h.onboard(u, "America/New_York", "09:00", "2026-03-01")
		users = append(users, u)
	}
	// Two clients have a free-text question open, two write journal entries.
	for _, u := range users[:2] {
		h.send(u, "/today")
		_, _, msgID, ok := h.openQuestion(u.ID())
		m, sent := h.srv.Message(u.ID(), msgID)
		if !ok || !sent {
			t.Fatal("/today asked nothing")
		}
		h.pressOn(u, m.ID, answerButtons(m)[5].CallbackData)
	}

	type sent struct {
		chat int64
		msg  int
	}
	var (
		mu    sync.Mutex
		order []sent // in the order the fake queued them
	)
	sendAll := func(from, to int) {
		var wg sync.WaitGroup
		for _, u := range users {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := from; i < to; i++ {
					mu.Lock()
					id := u.Send(fmt.Sprintf("%d: answer %d, written quickly", u.ID(), i))
					order = append(order, sent{u.ID(), id})
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
	}

	// 100 answers while the bot runs; it stops, as a crash would, once
	// it has confirmed a few and while the rest still stream in.
	firstHalf := make(chan struct{})
	go func() { sendAll(0, 25); close(firstHalf) }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := h.srv.Wait(ctx, func() bool {
		mu.Lock()
		n := len(order)
		mu.Unlock()
		return n-h.srv.Pending() >= 20
	})
	if err != nil {
		t.Fatalf("the bot confirmed too few answers: %v", err)
	}
	h.stop()
	<-firstHalf
	sendAll(25, 50) // and 100 more while it is down
	if len(order) != 200 {
		t.Fatalf("%d answers sent", len(order))
	}

	pending := h.srv.Pending()
	confirmed := order[:len(order)-pending]
	t.Logf("stopped with %d of %d answers confirmed", len(confirmed), len(order))
	if pending < 100 {
		t.Fatalf("%d updates pending after the stop; the second half at least should be", pending)
	}
	stored := func(db *store.DB) map[sent]int {
		t.Helper()
		n := map[sent]int{}
		err := db.View(func(tx *store.Tx) error {
			for _, u := range users {
				rs, err := tx.Replies(u.ID(), time.Time{})
				if err != nil {
					return err
				}
				for _, r := range rs {
					n[sent{u.ID(), r.MessageID}]++
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	down, err := store.Open(h.dbPath, store.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	n := stored(down)
	if err := down.Close(); err != nil {
		t.Fatal(err)
	}
	for _, s := range confirmed {
		if n[s] != 1 {
			t.Errorf("confirmed answer %d/%d stored %d times", s.chat, s.msg, n[s])
		}
	}

	h.start()
	h.settle()
	if p := h.srv.Pending(); p != 0 {
		t.Fatalf("%d updates pending after the restart", p)
	}
	n = stored(h.db)
	for _, s := range order {
		if n[s] != 1 {
			t.Errorf("answer %d/%d stored %d times", s.chat, s.msg, n[s])
		}
	}
	var answers int
	for _, u := range users[:2] {
		for _, r := range h.replies(u.ID()) {
			if r.QuestionID == "body" && strings.Contains(r.Answer, "written quickly") {
				answers++
			}
		}
	}
	if answers == 0 {
		t.Error("no streamed answer went to an open question")
	}

	// Updates delivered again, as Telegram does after a crash before the
	// offset was confirmed, are recognised and skipped.
	offset, err := h.db.Offset()
	if err != nil {
		t.Fatal(err)
	}
	u := users[3]
	replay := func(id int64, msgID int) error {
		return h.bot.Handle(h.ctx, &models.Update{ID: id, Message: &models.Message{
			ID: msgID, Date: int(h.clock.Now().Unix()), Text: "replayed",
			Chat: models.Chat{ID: u.ID(), Type: models.ChatTypePrivate},
			From: &models.User{ID: u.ID(), FirstName: "Client 3", LanguageCode: "en"},
		}})
	}
	for _, id := range []int64{offset, offset - 1, offset - 150} {
		before := len(h.replies(u.ID()))
		if err := replay(id, 900000+int(offset-id)); err != nil {
			t.Fatal(err)
		}
		if got := len(h.replies(u.ID())); got != before {
			t.Errorf("replayed update %d stored again", id)
		}
	}
	// An update not seen before is applied, and a later one from the fake
	// with a lower id is not mistaken for a replay.
	if err := replay(offset+50, 910000); err != nil {
		t.Fatal(err)
	}
	late := h.send(u, "after the replay")
	n = stored(h.db)
	if n[sent{u.ID(), 910000}] != 1 || n[sent{u.ID(), late}] != 1 {
		t.Fatalf("new updates stored %d and %d times, want once each", n[sent{u.ID(), 910000}], n[sent{u.ID(), late}])
	}
}

// TestPollingRecovers: getUpdates failing with a 5xx or a 429 delays
// updates; none is lost or handled twice.
func TestPollingRecovers(t *testing.T) {
	h, u := onboarded(t)
	before := len(h.srv.Messages(u.ID()))
	h.srv.Fail("getUpdates", 1, telegramtest.ServerError(http.StatusBadGateway))
	h.srv.Fail("getUpdates", 1, telegramtest.TooMany(1))
	cmds, want := commandsAndAnswers("Ana")
	for _, c := range cmds {
		u.Send(c)
	}
	h.settle()
	if got := texts(h.newSince(u.ID(), before)); !slices.Equal(got, want) {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
	failed := 0
	for _, c := range h.srv.Calls("getUpdates") {
		if c.Status != http.StatusOK {
			failed++
		}
	}
	if failed != 2 {
		t.Fatalf("%d getUpdates calls failed, want the 2 injected", failed)
	}
}
