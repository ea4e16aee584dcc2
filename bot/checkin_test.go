package bot_test

import (
	"encoding/json"
	"strings"
	"testing"

	"kindling/prompts"
	"kindling/report"
	"kindling/store"
	"kindling/telegramtest"
)

// answerCheckIn answers the open check-in items of u with the options
// given, in order, by pressing their buttons. "type:<label>" types the
// label instead.
func answerCheckIn(t *testing.T, h *harness, u *telegramtest.User, options ...string) {
	t.Helper()
	for _, opt := range options {
		_, qid, msgID, ok := h.openQuestion(u.ID())
		if !ok || !strings.HasPrefix(qid, "wellbeing.") {
			t.Fatalf("open question %q (%v), want a check-in item", qid, ok)
		}
		if label, typed := strings.CutPrefix(opt, "type:"); typed {
			h.send(u, label)
			continue
		}
		m, _ := h.srv.Message(u.ID(), msgID)
		found := false
		for _, row := range m.Keyboard {
			for _, b := range row {
				if strings.HasSuffix(b.CallbackData, "|"+opt) && strings.HasPrefix(b.CallbackData, "ci|") {
					if len(b.CallbackData) > 64 {
						t.Fatalf("button data %q is over 64 bytes", b.CallbackData)
					}
					h.pressOn(u, m.ID, b.CallbackData)
					found = true
				}
			}
		}
		if !found {
			t.Fatalf("no button %q on %q: %v", opt, m.Text, callbackData(m))
		}
	}
}

// untilCheckIn answers the step's own questions (the middle of a scale,
// the first option of a choice, a few words otherwise) until its first
// check-in item is open.
func untilCheckIn(t *testing.T, h *harness, u *telegramtest.User) {
	t.Helper()
	for range 10 {
		d, qid, msgID, ok := h.openQuestion(u.ID())
		if !ok {
			t.Fatal("the step ended before its check-in")
		}
		if strings.HasPrefix(qid, "wellbeing.") {
			return
		}
		m, _ := h.srv.Message(u.ID(), msgID)
		switch bs := answerButtons(m); {
		case len(bs) == 0:
			h.send(u, "words for day "+d.LocalDate)
		case strings.HasSuffix(bs[len(bs)-1].CallbackData, "|."):
			h.pressOn(u, m.ID, bs[0].CallbackData)
			h.pressOn(u, m.ID, bs[len(bs)-1].CallbackData)
		default:
			h.pressOn(u, m.ID, bs[len(bs)/2].CallbackData)
		}
	}
	t.Fatal("never reached the check-in")
}

// checkIns are the client's check-in records.
func (h *harness) checkIns(id int64) []store.CheckIn {
	h.t.Helper()
	var out []store.CheckIn
	h.view(func(tx *store.Tx) error {
		var err error
		out, err = tx.CheckIns(id)
		return err
	})
	return out
}

// TestCheckInItemByItem: day 0's check-in comes after the day's own
// questions, one item a message with a button per answer; each answer is
// stored with its score, a typed label counts as its button, and the
// total is kept with the check-in.
func TestCheckInItemByItem(t *testing.T) {
	h, u := onboarded(t)
	m := dayZero(t, h, u)
	h.pressOn(u, m.ID, answerButtons(m)[5].CallbackData)
	h.send(u, "Heavy legs, warm hands.")

	_, qid, msgID, _ := h.openQuestion(u.ID())
	first, _ := h.srv.Message(u.ID(), msgID)
	if qid != "wellbeing.heavy" || !strings.HasPrefix(first.Text, "Looking back over the past seven days") || !strings.HasSuffix(first.Text, "My mood felt low or heavy.") {
		t.Fatalf("first item %q: %q", qid, first.Text)
	}
	if got := callbackData(first); len(got) != 4 || !strings.HasPrefix(got[0], "ci|260301") || !strings.HasSuffix(got[3], "|wellbeing|heavy|most-days") {
		t.Fatalf("first item's buttons %v", got)
	}
	answerCheckIn(t, h, u, "often", "most-days", "type:Now and then", "not-at-all", "often", "not-at-all")
	if got, want := h.lastText(u.ID()), "Thank you. Be gentle with yourself tonight, and rest if you can."; got != want {
		t.Errorf("after the last item %q, want the closing line", got)
	}

	scores := map[string]int{}
	for _, r := range h.replies(u.ID()) {
		if r.Kind == "check_in" {
			if r.Score == nil || r.CheckIn != "wellbeing" || r.Option == "" || r.Value != nil {
				t.Errorf("stored item answer %+v", r)
				continue
			}
			scores[r.QuestionID] = *r.Score
		}
	}
	if len(scores) != 6 || scores["wellbeing.worry"] != 1 || scores["wellbeing.joy"] != 3 {
		t.Errorf("item scores %v", scores)
	}
	cis := h.checkIns(u.ID())
	if len(cis) != 1 || !cis[0].Complete || cis[0].Total != 8 || cis[0].Day != 0 || cis[0].Items != 6 || cis[0].SessionDate != "2026-03-01" {
		t.Fatalf("check-ins %+v, want day 0 complete with 8", cis)
	}
	if n := h.bot.Stats().CheckInsCompleted; n != 1 {
		t.Errorf("CheckInsCompleted = %d, want 1", n)
	}
	// The client's own data holds the check-in with its total.
	js, _ := myData(t, h, u)
	var data report.Data
	if err := json.Unmarshal(js, &data); err != nil || len(data.CheckIns) != 1 || data.CheckIns[0].Total != 8 || len(data.CheckIns[0].Answers) != 6 {
		t.Errorf("/mydata check-ins %+v, %v", data.CheckIns, err)
	}

	// The answered item's buttons are gone: it shows what was chosen.
	if after, _ := h.srv.Message(u.ID(), first.ID); len(answerButtons(after)) != 0 {
		t.Errorf("the first item can still be pressed: %+v", after.Keyboard)
	}
}

// TestCheckInSafetyItem: any answer above "not at all" on the safety
// item starts the safety net's check at once, as the lowest mood does,
// and the answers given so far stay with the check-in.
func TestCheckInSafetyItem(t *testing.T) {
	t.Parallel()
	h, dana, _ := coached(t)
	ana := enrolWith(t, h, dana, 8001, "Ana", "en")
	h.tick(utc("2026-03-01 19:00"))
	if n := h.answerAll(ana, "fine"); n != 8 {
		t.Fatalf("day 0: answered %d questions, want 2 and the check-in's 6", n)
	}
	// Day 7 asks the check-in again; this time the safety item is not 0.
	h.tick(utc("2026-03-08 09:00"))
	untilCheckIn(t, h, ana)
	w := watching(h, ana, dana)
	answerCheckIn(t, h, ana, "not-at-all", "now-and-then", "not-at-all", "not-at-all", "not-at-all")
	if got := w.since(ana); len(got) != 5 {
		t.Fatalf("after five items: %q, want the next five items only", messageTexts(got))
	}
	answerCheckIn(t, h, ana, "now-and-then")
	got := w.since(ana)
	if len(got) == 0 || !strings.HasPrefix(got[len(got)-1].Text, words("check_question", prompts.Vars{})) {
		t.Fatalf("after the safety item: %q, want the safety check", messageTexts(got))
	}
	var alerts []store.Alert
	h.view(func(tx *store.Tx) error {
		var err error
		alerts, err = tx.Alerts(ana.ID())
		return err
	})
	if len(alerts) != 1 || alerts[0].Tier != store.TierCheck || alerts[0].Rule != "check-in-wellbeing-harm" || !strings.Contains(alerts[0].Words, "hurting myself. — Now and then (1)") {
		t.Fatalf("alerts %+v, want one check about the safety item", alerts)
	}
	if r := lastReply(t, h, ana.ID()); !r.Flagged || r.QuestionID != "wellbeing.harm" {
		t.Errorf("stored %+v, want the safety item flagged", r)
	}
	cis := h.checkIns(ana.ID())
	if len(cis) != 2 || cis[1].Total != 2 || !cis[1].Complete {
		t.Errorf("check-ins %+v, want day 7's kept with its total", cis)
	}
	pressCheck(t, h, ana, "n")
}

// TestCheckInProgressForCoaches: /clients shows the latest total, its
// band and the change from the baseline, and "response" once the total
// has halved; a check-in left half done keeps its answers and does not
// count as a total; the digest names a check-in completed that day.
func TestCheckInProgressForCoaches(t *testing.T) {
	t.Parallel()
	h, dana, _ := coached(t)
	ana := enrolWith(t, h, dana, 8001, "Ana", "en")
	h.tick(utc("2026-03-01 19:00"))
	untilCheckIn(t, h, ana)
	answerCheckIn(t, h, ana, "most-days", "most-days", "often", "often", "often", "not-at-all") // 12
	if got := answered(h, dana, "/clients"); len(got) != 1 || !strings.Contains(got[0].Text, "How the past week has been: 12, a heavy stretch (baseline)") {
		t.Fatalf("/clients after day 0: %q", messageTexts(got))
	}

	h.tick(utc("2026-03-08 09:00"))
	untilCheckIn(t, h, ana)
	answerCheckIn(t, h, ana, "often", "now-and-then", "now-and-then", "not-at-all", "often", "not-at-all") // 6
	got := answered(h, dana, "/clients")
	if len(got) != 1 || !strings.Contains(got[0].Text, "How the past week has been: 6, some strain (baseline 12, -6) · response") {
		t.Fatalf("/clients after day 7: %q", messageTexts(got))
	}
	// The web workspace's clients page shows the same standing.
	var bands string
	h.view(func(tx *store.Tx) error {
		var err error
		bands, err = h.bot.CheckInBands(tx, ana.ID())
		return err
	})
	if bands != "How the past week has been: 6, some strain (baseline 12, -6) · response" {
		t.Errorf("CheckInBands after day 7 = %q", bands)
	}
	// /progress charts the total per session beside the mood: two each.
	if got := answered(h, ana, "/progress"); len(got) != 2 || got[0].Photo == nil || got[1].Photo == nil {
		t.Errorf("/progress sent %d messages (%q), want the mood's chart and the check-in's", len(got), messageTexts(got))
	}
	w := watching(h, dana)
	h.tick(utc("2026-03-08 18:00"))
	if got := w.since(dana); len(got) != 1 || !strings.Contains(got[0].Text, "Ana") || !strings.Contains(got[0].Text, "6, some strain (baseline 12, -6) · response") {
		t.Errorf("digest %q, want Ana's check-in", messageTexts(got))
	}

	h.tick(utc("2026-03-15 09:00"))
	untilCheckIn(t, h, ana)
	answerCheckIn(t, h, ana, "not-at-all", "not-at-all") // then left
	h.tick(utc("2026-03-22 09:00"))
	cis := h.checkIns(ana.ID())
	if len(cis) != 3 || cis[2].Complete || len(cis[2].Answers) != 2 || cis[2].Day != 14 {
		t.Fatalf("check-ins %+v, want day 14's two answers kept", cis)
	}
	if got := answered(h, dana, "/clients"); len(got) != 1 || !strings.Contains(got[0].Text, "6, some strain (baseline 12, -6)") {
		t.Errorf("/clients after a half-done check-in: %q, want day 7's total still", messageTexts(got))
	}
}
