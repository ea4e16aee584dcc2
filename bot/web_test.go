package bot_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"kindling/bot"
	"kindling/store"
	"kindling/telegramtest"
)

// lastMessage is the newest bot message in the chat.
func lastMessage(t *testing.T, h *harness, chat int64) telegramtest.Message {
	t.Helper()
	msgs := h.srv.Messages(chat)
	if len(msgs) == 0 {
		t.Fatalf("no message in chat %d", chat)
	}
	return msgs[len(msgs)-1]
}

func TestWebCommand(t *testing.T) {
	coach := bot.Coach{ID: 9400, Name: "Dana", TimeZone: "UTC"}
	t.Run("a one-time link as a button", func(t *testing.T) {
		h := newHarness(t, withCoaches(coach), withBot(func(o *bot.Options) { o.WebURL = "https://kindling.example.org" }))
		u := h.user(coach.ID, "Dana")
		h.send(u, "/web")
		m := lastMessage(t, h, coach.ID)
		if len(m.Keyboard) != 1 || len(m.Keyboard[0]) != 1 {
			t.Fatalf("/web: %q with keyboard %+v, want one URL button", m.Text, m.Keyboard)
		}
		btn := m.Keyboard[0][0]
		code, ok := strings.CutPrefix(btn.URL, "https://kindling.example.org/login?code=")
		if !ok || len(code) < 40 || btn.Text != "Open the workspace" || strings.Contains(m.Text, code) || !m.Protected {
			t.Fatalf("/web button %+v, text %q, protected %v", btn, m.Text, m.Protected)
		}
		var l store.WebLink
		h.view(func(tx *store.Tx) error { var err error; l, err = tx.WebLink(code); return err })
		if l.Coach != coach.ID || l.ExpiresAt.Sub(l.CreatedAt) != 10*time.Minute {
			t.Errorf("link %+v, want coach %d for 10 minutes", l, coach.ID)
		}
		// A client sending /web learns nothing of it.
		client := h.user(7001, "Maya")
		h.send(client, "/web")
		if m := lastMessage(t, h, 7001); len(m.Keyboard) > 0 && m.Keyboard[0][0].URL != "" {
			t.Errorf("a client got a link: %+v", m)
		}
	})
	t.Run("logout ends every session", func(t *testing.T) {
		h := newHarness(t, withCoaches(coach), withBot(func(o *bot.Options) { o.WebURL = "https://kindling.example.org" }))
		if err := h.db.Update(func(tx *store.Tx) error {
			for _, tok := range []string{"one", "two"} {
				if err := tx.PutWebSession(tok, store.WebSession{Coach: coach.ID, CSRF: "x", ExpiresAt: h.clock.Now().Add(time.Hour)}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		u := h.user(coach.ID, "Dana")
		h.send(u, "/web logout")
		if got := h.lastText(coach.ID); !strings.Contains(got, "signed out of the web workspace in every browser") {
			t.Errorf("/web logout: %q", got)
		}
		h.view(func(tx *store.Tx) error {
			if _, err := tx.WebSession("one", h.clock.Now()); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("session after /web logout: %v", err)
			}
			return nil
		})
		h.send(u, "/web logout")
		if got := h.lastText(coach.ID); !strings.Contains(got, "No browser was signed in") {
			t.Errorf("/web logout again: %q", got)
		}
	})
	t.Run("off", func(t *testing.T) {
		h := newHarness(t, withCoaches(coach))
		h.send(h.user(coach.ID, "Dana"), "/web")
		if got := h.lastText(coach.ID); !strings.Contains(got, "web.listen") {
			t.Errorf("/web with the workspace off: %q", got)
		}
	})
	t.Run("a host without a dot gets the link in the text", func(t *testing.T) {
		h := newHarness(t, withCoaches(coach), withBot(func(o *bot.Options) { o.WebURL = "http://localhost:8091" }))
		h.send(h.user(coach.ID, "Dana"), "/web")
		m := lastMessage(t, h, coach.ID)
		if len(m.Keyboard) != 0 || !strings.Contains(m.Text, "http://localhost:8091/login?code=") {
			t.Errorf("/web with localhost: %q %+v", m.Text, m.Keyboard)
		}
	})
}

func TestAlertActionsFromTheWeb(t *testing.T) {
	dana := bot.Coach{ID: 9400, Name: "Dana", TimeZone: "UTC"}
	lee := bot.Coach{ID: 9401, Name: "Lee", TimeZone: "UTC"}
	kim := bot.Coach{ID: 9402, Name: "Kim", TimeZone: "UTC"}
	h := newHarness(t, withCoaches(dana, lee, kim))
	h.send(h.user(lee.ID, "Lee"), "/help") // Lee's chat exists
	at := h.clock.Now().Add(-time.Hour)
	if err := h.db.Update(func(tx *store.Tx) error {
		if err := tx.PutClient(store.Client{ChatID: 7001, Name: "Maya", Coach: dana.ID, Language: "en", TimeZone: "UTC", Status: store.StatusActive}); err != nil {
			return err
		}
		return tx.AddAlert(&store.Alert{ChatID: 7001, At: at, Tier: store.TierAlert, Coach: dana.ID,
			Told: []store.Told{{Chat: dana.ID, At: at}, {Chat: lee.ID, At: at}}, Due: at.Add(15 * time.Minute)})
	}); err != nil {
		t.Fatal(err)
	}
	if err := h.bot.AcknowledgeAlert(kim.ID, 7001, at); !errors.Is(err, bot.ErrNotYourAlert) {
		t.Errorf("another coach acknowledging: %v, want ErrNotYourAlert", err)
	}
	if err := h.bot.AcknowledgeAlert(dana.ID, 7001, at); err != nil {
		t.Fatal(err)
	}
	h.settle()
	if got := h.lastText(lee.ID); !strings.Contains(got, "Dana") {
		t.Errorf("Lee, who got the alert too, was told %q, want that Dana is on it", got)
	}
	if err := h.bot.ResolveAlert(dana.ID, 7001, at, "  called her, she is safe  "); err != nil {
		t.Fatal(err)
	}
	h.settle()
	var a store.Alert
	h.view(func(tx *store.Tx) error { var err error; a, err = tx.Alert(7001, at); return err })
	if a.AckBy != dana.ID || a.ResolvedBy != dana.ID || a.Note != "called her, she is safe" || !a.Due.IsZero() || a.Open() {
		t.Errorf("alert after the web's actions: %+v", a)
	}
}
