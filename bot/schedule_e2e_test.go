package bot_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"kindling/prompts"
	"kindling/schedule"
	"kindling/store"
	"kindling/telegramtest"
)

// firstQuestions groups the first question of each step the bot sent to
// a chat by the local date in its buttons' delivery tag: every step of the
// built-in sequence opens with the mood scale. The keyboard as first sent
// counts; a press replaces it.
func firstQuestions(msgs []telegramtest.Message) map[string][]telegramtest.Message {
	out := map[string][]telegramtest.Message{}
	for _, m := range msgs {
		sent := m
		if len(m.History) > 0 {
			sent.Content = m.History[0]
		}
		for _, b := range answerButtons(sent) {
			parts := strings.Split(b.CallbackData, "|")
			if len(parts) == 4 && parts[2] == "mood" && len(parts[1]) >= 7 {
				tag := parts[1]
				date := "20" + tag[0:2] + "-" + tag[2:4] + "-" + tag[4:6]
				out[date] = append(out[date], m)
				break
			}
		}
	}
	return out
}

func reminderTimes(msgs []telegramtest.Message, loc *time.Location) []string {
	reminder := words("reminder", prompts.Vars{})
	var out []string
	for _, m := range msgs {
		if m.Text == reminder {
			out = append(out, m.Date.In(loc).Format("2006-01-02 15:04"))
		}
	}
	return out
}

// TestThirtyFiveDays runs the built-in sequence for 35 days on 15-minute
// ticks for a client in New York, across the change to daylight saving
// time on 8 March 2026, and one in Kolkata, which has none. The New York
// client answers everything; the Kolkata client never answers. Each gets
// exactly one step on each day the sequence has one, at 09:00 local (day
// 0 at its own 19:00), and never a second.
func TestThirtyFiveDays(t *testing.T) {
	if testing.Short() {
		t.Skip("35 days of ticks")
	}
	start := time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC)
	h := newHarness(t, startingAt(start))
	nyc := h.user(3001, "Noa")
	kol := h.user(3002, "Kiran")
	h.onboard(nyc, "America/New_York", "09:00", "2026-03-01")
	h.onboard(kol, "Asia/Kolkata", "09:00", "2026-03-01")

	answered := 0
	end := start.Add(35 * 24 * time.Hour)
	st := h.run(start, end, func(time.Time) {
		answered += h.answerAll(nyc, "A few words about today.")
	})
	if st.Failed != 0 || st.Skipped != 0 {
		t.Errorf("ticks: %+v; want nothing failed or skipped", st)
	}

	seq, ok := prompts.Default().Sequence("after-session", "en")
	if !ok {
		t.Fatal("no built-in sequence")
	}
	for _, c := range []struct {
		u    *telegramtest.User
		zone string
	}{{nyc, "America/New_York"}, {kol, "Asia/Kolkata"}} {
		t.Run(c.zone, func(t *testing.T) {
			loc := mustZone(c.zone)
			// The days the sequence prompts, and when, within the run.
			want := map[string]time.Time{}
			var wantDates []string
			for day := 0; day < 40; day++ {
				step, ok := seq.StepFor(day)
				if !ok {
					continue
				}
				date, _ := schedule.AddDays("2026-03-01", day)
				clock := "09:00"
				if step.At != "" {
					clock = step.At
				}
				hh, mm, _ := schedule.ParseClock(clock)
				slot, err := schedule.At(date, hh, mm, loc)
				if err != nil {
					t.Fatal(err)
				}
				if slot.After(end) {
					continue
				}
				want[date] = slot
				wantDates = append(wantDates, date)
			}
			if len(wantDates) < 10 {
				t.Fatalf("only %d prompted days expected: %v", len(wantDates), wantDates)
			}

			// The store: one delivery per prompted local date.
			var gotDates []string
			for _, d := range h.deliveries(c.u.ID()) {
				gotDates = append(gotDates, d.LocalDate)
				if want, _ := schedule.DaysBetween("2026-03-01", d.LocalDate); d.Day != want {
					t.Errorf("delivery of %s is day %d, want %d", d.LocalDate, d.Day, want)
				}
			}
			if !slices.Equal(gotDates, wantDates) {
				t.Errorf("steps on %v\nwant     %v", gotDates, wantDates)
			}

			// Telegram: one first question per prompted date, at its time.
			first := firstQuestions(h.srv.Messages(c.u.ID()))
			if len(first) != len(want) {
				t.Errorf("first questions on %d dates, want %d", len(first), len(want))
			}
			for date, slot := range want {
				ms := first[date]
				if len(ms) != 1 {
					t.Errorf("%s: the first question was sent %d times", date, len(ms))
					continue
				}
				if !ms[0].Date.Equal(slot) {
					t.Errorf("%s: first question at %s, want %s", date, ms[0].Date.In(loc).Format("15:04 MST"), slot.In(loc).Format("15:04 MST"))
				}
			}
		})
	}

	// Across the change: day 5 (6 March) at 09:00 EST, day 7 (8 March,
	// the day of the change) at 09:00 EDT.
	first := firstQuestions(h.srv.Messages(nyc.ID()))
	for date, utc := range map[string]string{"2026-03-06": "14:00", "2026-03-08": "13:00"} {
		if ms := first[date]; len(ms) != 1 || ms[0].Date.UTC().Format("15:04") != utc {
			t.Errorf("New York, %s: first question %v, want at %s UTC", date, ms, utc)
		}
	}

	// The New York client answered every question: no reminders, every
	// step done, every answer stored once.
	if r := reminderTimes(h.srv.Messages(nyc.ID()), newYork); len(r) != 0 {
		t.Errorf("New York got reminders at %v though they answered", r)
	}
	for _, d := range h.deliveries(nyc.ID()) {
		if d.State != store.DeliveryDone {
			t.Errorf("New York %s: step %s, want done", d.LocalDate, d.State)
		}
	}
	if n := len(h.replies(nyc.ID())); n != answered {
		t.Errorf("New York: %d replies stored, %d questions answered", n, answered)
	}
	// Day 30's step ends with the month's letter, as a document.
	letters := 0
	for _, m := range h.srv.Messages(nyc.ID()) {
		if m.Document != nil {
			letters++
			if d := m.Date.In(newYork).Format("2006-01-02"); d != "2026-03-31" {
				t.Errorf("New York: a document on %s, want the letter on day 30 (2026-03-31)", d)
			}
		}
	}
	if letters != 1 {
		t.Errorf("New York got %d letters, want 1", letters)
	}

	// The Kolkata client never answered: one reminder at 12:00 on each
	// prompted day but day 0, whose 22:00 reminder falls in quiet hours.
	kolkata := mustZone("Asia/Kolkata")
	var wantReminders []string
	for _, d := range h.deliveries(kol.ID()) {
		if d.Day != 0 {
			wantReminders = append(wantReminders, d.LocalDate+" 12:00")
		}
	}
	t.Logf("New York answered %d questions; Kolkata got %d reminders", answered, len(wantReminders))
	if got := reminderTimes(h.srv.Messages(kol.ID()), kolkata); !slices.Equal(got, wantReminders) {
		t.Errorf("Kolkata reminders %v\nwant %v", got, wantReminders)
	}
	if n := len(h.replies(kol.ID())); n != 0 {
		t.Errorf("Kolkata: %d replies stored", n)
	}
	// Nothing was sent to either client in their quiet hours.
	for _, c := range []struct {
		u   *telegramtest.User
		loc *time.Location
	}{{nyc, newYork}, {kol, kolkata}} {
		for _, m := range h.srv.Messages(c.u.ID()) {
			if hr := m.Date.In(c.loc).Hour(); (hr >= 22 || hr < 8) && !m.Date.Before(start.Add(time.Hour)) {
				t.Errorf("chat %d: message at %s local, in quiet hours: %.40q", c.u.ID(), m.Date.In(c.loc).Format("Jan 2 15:04"), m.Text)
			}
		}
	}
}

// stepTimes lists each delivery as "local date @ New York time its first
// question was sent".
func stepTimes(h *harness, u *telegramtest.User) []string {
	var out []string
	for date, ms := range firstQuestions(h.srv.Messages(u.ID())) {
		for _, m := range ms {
			out = append(out, date+" @ "+m.Date.In(newYork).Format("01-02 15:04"))
		}
	}
	slices.Sort(out)
	return out
}

func TestCatchUpAfterDowntime(t *testing.T) {
	for _, tc := range []struct {
		name     string
		sendTime string
		lastTick string   // the last tick before the bot went down
		back     []string // ticks after it came back, then every 15 minutes to until
		until    string
		want     []string // steps after day 0
	}{
		{
			name: "down 2 hours: sent at 11:00", sendTime: "09:00",
			lastTick: "2026-03-02 08:45", back: []string{"2026-03-02 11:00"}, until: "2026-03-02 13:00",
			want: []string{"2026-03-02 @ 03-02 11:00"},
		},
		{
			name: "down 25 hours: that day skipped, the next on time", sendTime: "09:00",
			lastTick: "2026-03-03 08:00", back: []string{"2026-03-04 09:00"}, until: "2026-03-04 12:00",
			want: []string{"2026-03-02 @ 03-02 09:00", "2026-03-04 @ 03-04 09:00"},
		},
		{
			name: "back at 3 a.m.: nothing at night, the next day on time", sendTime: "09:00",
			lastTick: "2026-03-03 08:00", back: []string{"2026-03-04 03:00"}, until: "2026-03-04 12:00",
			want: []string{"2026-03-02 @ 03-02 09:00", "2026-03-04 @ 03-04 09:00"},
		},
		{
			name: "late in quiet hours: held until 08:00", sendTime: "07:00",
			lastTick: "2026-03-02 06:45", back: []string{"2026-03-02 07:30"}, until: "2026-03-02 10:00",
			want: []string{"2026-03-02 @ 03-02 08:00"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, startingAt(ny("2026-03-01 07:00")))
			u := h.user(4001, "Ana")
			h.onboard(u, "America/New_York", tc.sendTime, "2026-03-01")
			h.run(ny("2026-03-01 07:00"), ny(tc.lastTick), nil)
			before := len(h.srv.Messages(u.ID()))
			for _, b := range tc.back {
				h.tick(ny(b))
			}
			if strings.HasSuffix(tc.back[0], "03:00") {
				if got := h.newSince(u.ID(), before); len(got) != 0 {
					t.Fatalf("sent at 03:00: %v", got)
				}
			}
			h.run(ny(tc.back[len(tc.back)-1]), ny(tc.until), nil)
			got := stepTimes(h, u)
			want := append([]string{"2026-03-01 @ 03-01 19:00"}, tc.want...)
			if !slices.Equal(got, want) {
				t.Fatalf("steps\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if n := len(h.deliveries(u.ID())); n != len(want) {
				t.Fatalf("%d deliveries stored, want %d", n, len(want))
			}
		})
	}
}

func TestReminderOnceNeverInQuietHours(t *testing.T) {
	h := newHarness(t, startingAt(ny("2026-03-01 07:00")))
	silent := h.user(5001, "Sam")
	evening := h.user(5002, "Eve")
	answers := h.user(5003, "Ada")
	h.onboard(silent, "America/New_York", "09:00", "2026-03-01")
	h.onboard(evening, "America/New_York", "20:00", "2026-03-01")
	h.onboard(answers, "America/New_York", "09:00", "2026-03-01")
	// Day 0 at 19:00, day 1 on 2 March, day 2 on 3 March.
	h.run(ny("2026-03-01 07:00"), ny("2026-03-03 08:45"), func(time.Time) {
		h.answerAll(answers, "Fine.")
	})
	for _, tc := range []struct {
		u    *telegramtest.User
		want []string
	}{
		// Day 0's reminder would come at 22:00: quiet hours, none.
		{silent, []string{"2026-03-02 12:00"}},
		// 20:00 + 3 h is 23:00: none, on either day.
		{evening, nil},
		{answers, nil},
	} {
		if got := reminderTimes(h.srv.Messages(tc.u.ID()), newYork); !slices.Equal(got, tc.want) {
			t.Errorf("%d: reminders at %v, want %v", tc.u.ID(), got, tc.want)
		}
	}
	for _, d := range h.deliveries(silent.ID()) {
		if d.LocalDate == "2026-03-02" && !d.Reminded {
			t.Error("the reminded delivery is not marked")
		}
	}
	for _, u := range []*telegramtest.User{silent, evening, answers} {
		for _, m := range h.srv.Messages(u.ID()) {
			if hr := m.Date.In(newYork).Hour(); m.Date.After(ny("2026-03-01 08:00")) && (hr >= 22 || hr < 8) {
				t.Errorf("%d: message at %s, in quiet hours: %.40q", u.ID(), m.Date.In(newYork), m.Text)
			}
		}
	}
	// An answer after the reminder is still taken, and no second
	// reminder follows on the next days.
	h.answerAll(silent, "Sorry, late today.")
	h.run(ny("2026-03-03 08:45"), ny("2026-03-04 08:45"), nil)
	if got := reminderTimes(h.srv.Messages(silent.ID()), newYork); !slices.Equal(got, []string{"2026-03-02 12:00", "2026-03-03 12:00"}) {
		t.Errorf("silent client's reminders %v, want one on 2 and one on 3 March", got)
	}
}

func TestPauseResumeStop(t *testing.T) {
	h := newHarness(t, startingAt(ny("2026-03-01 07:00")))
	pauseDays := h.user(6001, "Pia")
	pauseOpen := h.user(6002, "Rui")
	stops := h.user(6003, "Sol")
	for _, u := range []*telegramtest.User{pauseDays, pauseOpen, stops} {
		h.onboard(u, "America/New_York", "09:00", "2026-03-01")
	}
	h.run(ny("2026-03-01 07:00"), ny("2026-03-01 20:00"), nil)

	h.send(pauseDays, "/pause 3")
	if got, want := h.lastText(pauseDays.ID()), words("paused_until", prompts.Vars{Name: "Pia", Until: "Wed 4 Mar"}); got != want {
		t.Errorf("/pause 3: %q, want %q", got, want)
	}
	if c := h.client(pauseDays.ID()); c.Status != store.StatusPaused || !c.PausedUntil.Equal(ny("2026-03-04 00:00")) || !c.Due.Equal(c.PausedUntil) {
		t.Errorf("after /pause 3: status %s until %s due %s", c.Status, c.PausedUntil, c.Due)
	}
	h.send(pauseOpen, "/pause")
	if got, want := h.lastText(pauseOpen.ID()), words("paused", prompts.Vars{Name: "Rui"}); got != want {
		t.Errorf("/pause: %q, want %q", got, want)
	}
	if c := h.client(pauseOpen.ID()); c.Status != store.StatusPaused || !c.Due.IsZero() {
		t.Errorf("after /pause: status %s due %s", c.Status, c.Due)
	}
	h.send(stops, "/stop")
	if got, want := h.lastText(stops.ID()), words("stopped", prompts.Vars{Name: "Sol"}); got != want {
		t.Errorf("/stop: %q, want %q", got, want)
	}
	if c := h.client(stops.ID()); c.Status != store.StatusStopped || !c.Due.IsZero() {
		t.Errorf("after /stop: status %s due %s", c.Status, c.Due)
	}

	h.run(ny("2026-03-01 20:00"), ny("2026-03-02 16:00"), nil)
	// Seven hours after the missed 09:00 slot: the next step is tomorrow's.
	h.send(pauseOpen, "/resume")
	if got, want := h.lastText(pauseOpen.ID()), words("resumed", prompts.Vars{Name: "Rui"}); got != want {
		t.Errorf("/resume: %q, want %q", got, want)
	}
	if c := h.client(pauseOpen.ID()); c.Status != store.StatusActive || !c.Due.Equal(ny("2026-03-03 09:00")) {
		t.Errorf("after /resume: status %s due %s", c.Status, c.Due.In(newYork))
	}
	h.run(ny("2026-03-02 16:00"), ny("2026-03-05 12:00"), nil)

	for _, tc := range []struct {
		u    *telegramtest.User
		want []string
	}{
		// Days 1 and 2 fall in the pause; day 3 (4 March) comes as usual.
		{pauseDays, []string{"2026-03-01 @ 03-01 19:00", "2026-03-04 @ 03-04 09:00"}},
		{pauseOpen, []string{"2026-03-01 @ 03-01 19:00", "2026-03-03 @ 03-03 09:00", "2026-03-04 @ 03-04 09:00"}},
		{stops, []string{"2026-03-01 @ 03-01 19:00"}},
	} {
		if got := stepTimes(h, tc.u); !slices.Equal(got, tc.want) {
			t.Errorf("%d: steps %v, want %v", tc.u.ID(), got, tc.want)
		}
	}
	if c := h.client(pauseDays.ID()); c.Status != store.StatusActive || !c.PausedUntil.IsZero() {
		t.Errorf("after the pause ended: status %s until %s", c.Status, c.PausedUntil)
	}
	// Stopped, the data stay.
	if c := h.client(stops.ID()); c.Status != store.StatusStopped || len(h.deliveries(stops.ID())) != 1 {
		t.Errorf("stopped client: %+v", c)
	}
	h.send(pauseDays, "/pause 0")
	if got := h.lastText(pauseDays.ID()); got != words("pause_invalid", prompts.Vars{Name: "Pia"}) || h.client(pauseDays.ID()).Status != store.StatusActive {
		t.Errorf("/pause 0: %q, status %s", got, h.client(pauseDays.ID()).Status)
	}
}

func TestTodayCommand(t *testing.T) {
	h, u := onboarded(t)
	// Day 0 is written for 19:00: /today at 07:00 says when it comes and
	// sends nothing early.
	h.send(u, "/today")
	if got, want := h.lastText(u.ID()), words("today_later", prompts.Vars{Name: "Ana", Time: "19:00", TimeZone: "America/New_York"}); got != want {
		t.Errorf("/today at 07:00 on day 0: %q, want %q", got, want)
	}
	if ds := h.deliveries(u.ID()); len(ds) != 0 {
		t.Fatalf("/today at 07:00 on day 0: deliveries %+v", ds)
	}
	// The 19:00 slot asks day 0, once.
	h.run(ny("2026-03-01 07:00"), ny("2026-03-01 19:30"), nil)
	if first := firstQuestions(h.srv.Messages(u.ID())); len(first["2026-03-01"]) != 1 {
		t.Fatalf("day 0 asked %d times", len(first["2026-03-01"]))
	}
	h.send(u, "/today")
	if got, want := h.lastText(u.ID()), words("today_open", prompts.Vars{Name: "Ana", Time: "09:00", TimeZone: "America/New_York"}); got != want {
		t.Errorf("/today again: %q, want %q", got, want)
	}
	h.run(ny("2026-03-01 19:30"), ny("2026-03-01 21:00"), nil)
	if first := firstQuestions(h.srv.Messages(u.ID())); len(first["2026-03-01"]) != 1 {
		t.Fatalf("day 0 asked %d times", len(first["2026-03-01"]))
	}
	h.answerAll(u, "Okay.")
	h.send(u, "/today")
	if got, want := h.lastText(u.ID()), words("today_already", prompts.Vars{Name: "Ana"}); got != want {
		t.Errorf("/today after answering: %q, want %q", got, want)
	}
	// Day 1 follows the usual time: /today at 07:00 brings it early.
	h.clock.Set(ny("2026-03-02 07:00"))
	h.send(u, "/today")
	if ds := h.deliveries(u.ID()); len(ds) != 2 || !ds[1].Manual || ds[1].Day != 1 {
		t.Fatalf("/today on day 1: deliveries %+v", ds)
	}
	// Day 4 has no step.
	h.run(ny("2026-03-02 07:00"), ny("2026-03-05 10:00"), func(time.Time) { h.answerAll(u, "Okay.") })
	h.send(u, "/today")
	if got, want := h.lastText(u.ID()), words("today_nothing", prompts.Vars{Name: "Ana"}); got != want {
		t.Errorf("/today on day 4: %q, want %q", got, want)
	}
}
