package schedule_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"kindling/prompts"
	"kindling/schedule"
	"kindling/store"
)

// recorder is a hand-written Conversation. It writes the delivery the way
// the bot does (the schedule reads it back to know a date was given) and
// keeps each reminder in the store, so only committed work is counted.
type recorder struct {
	mu   sync.Mutex
	fail map[int64]bool
}

var errBoom = errors.New("boom")

func (r *recorder) failing(id int64, on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail[id] = on
}

func (r *recorder) StartStep(tx *store.Tx, c *store.Client, s schedule.Step) error {
	r.mu.Lock()
	fail := r.fail[c.ChatID]
	r.mu.Unlock()
	if fail {
		return errBoom
	}
	d := store.Delivery{
		ChatID: c.ChatID, LocalDate: s.LocalDate, Day: s.Day, SessionDate: s.SessionDate,
		Sequence: s.Sequence.ID, Language: s.Sequence.Language, State: store.DeliveryOpen,
		Manual: s.Manual, CreatedAt: s.Now, SentAt: s.Now,
	}
	for _, q := range s.Step.Questions {
		d.Questions = append(d.Questions, q.ID)
	}
	return tx.PutDelivery(d)
}

func (r *recorder) Remind(tx *store.Tx, c *store.Client, d *store.Delivery, now time.Time) error {
	key := fmt.Sprintf("%d:reminders", c.ChatID)
	old, _ := tx.Get("schedule-test", key)
	line := d.LocalDate + " " + now.UTC().Format(time.RFC3339) + "\n"
	return tx.Put("schedule-test", key, append(old, line...))
}

type env struct {
	t    *testing.T
	db   *store.DB
	s    *schedule.Scheduler
	conv *recorder
	seq  string
}

// dailySet is a sequence with a step on every day.
func dailySet(t *testing.T) *prompts.Set {
	t.Helper()
	set, err := prompts.Load(os.DirFS(filepath.Join("testdata", "daily")), prompts.Options{})
	if err != nil {
		t.Fatalf("load testdata/daily: %v", err)
	}
	return set
}

func newEnv(t *testing.T, set *prompts.Set, seq string) *env {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "kindling.db"), store.Options{Timeout: time.Second, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Check(); err != nil {
			t.Errorf("store check: %v", err)
		}
		if err := db.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	quiet, err := schedule.ParseWindow("22:00-08:00")
	if err != nil {
		t.Fatal(err)
	}
	conv := &recorder{fail: map[int64]bool{}}
	return &env{t: t, db: db, conv: conv, seq: seq, s: &schedule.Scheduler{
		DB: db, Prompts: func() *prompts.Set { return set }, Conversation: conv,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		CatchUp: 6 * time.Hour, RemindAfter: 3 * time.Hour, Quiet: quiet,
		DefaultTime: "09:00", DefaultSequence: seq,
	}}
}

// addClient enrols a client who has finished onboarding, as the bot does.
func (e *env) addClient(id int64, zone, at, session string, now time.Time) {
	e.t.Helper()
	err := e.db.Update(func(tx *store.Tx) error {
		c := store.Client{
			ChatID: id, UserID: id, Name: fmt.Sprint("client ", id), Language: "en",
			TimeZone: zone, SendTime: at, Sequence: e.seq, Status: store.StatusActive,
			ConsentAt: now, CreatedAt: now,
		}
		if err := tx.AddSession(store.Session{ChatID: id, Date: session, CreatedAt: now}); err != nil {
			return err
		}
		if err := e.s.Reschedule(tx, &c, now); err != nil {
			return err
		}
		return tx.PutClient(c)
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) update(id int64, change func(c *store.Client), now time.Time) store.Client {
	e.t.Helper()
	var c store.Client
	err := e.db.Update(func(tx *store.Tx) error {
		var err error
		if c, err = tx.Client(id); err != nil {
			return err
		}
		change(&c)
		if err := e.s.Reschedule(tx, &c, now); err != nil {
			return err
		}
		return tx.PutClient(c)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) tick(now time.Time) schedule.Stats {
	e.t.Helper()
	st, err := e.s.Tick(context.Background(), now)
	if err != nil {
		e.t.Fatalf("tick at %s: %v", now, err)
	}
	return st
}

// run ticks every 15 minutes from (not including) from up to and
// including to, as a cron tick would, and sums the stats.
func (e *env) run(from, to time.Time) schedule.Stats {
	e.t.Helper()
	var sum schedule.Stats
	for now := from.Add(15 * time.Minute); !now.After(to); now = now.Add(15 * time.Minute) {
		st := e.tick(now)
		sum.Due += st.Due
		sum.Started += st.Started
		sum.Reminded += st.Reminded
		sum.Skipped += st.Skipped
		sum.Failed += st.Failed
	}
	return sum
}

func (e *env) client(id int64) store.Client {
	e.t.Helper()
	var c store.Client
	err := e.db.View(func(tx *store.Tx) error {
		var err error
		c, err = tx.Client(id)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) deliveries(id int64) []store.Delivery {
	e.t.Helper()
	var ds []store.Delivery
	err := e.db.View(func(tx *store.Tx) error {
		var err error
		ds, err = tx.Deliveries(id)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return ds
}

// reminders lists "local-date RFC3339" for every reminder sent to id.
func (e *env) reminders(id int64) []string {
	e.t.Helper()
	var out []string
	err := e.db.View(func(tx *store.Tx) error {
		v, _ := tx.Get("schedule-test", fmt.Sprintf("%d:reminders", id))
		out = strings.Fields(strings.ReplaceAll(string(v), " ", "_"))
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	for i := range out {
		out[i] = strings.ReplaceAll(out[i], "_", " ")
	}
	return out
}

// markAnswered records every question of the latest delivery as answered.
func (e *env) markAnswered(id int64) {
	e.t.Helper()
	err := e.db.Update(func(tx *store.Tx) error {
		d, err := tx.LatestDelivery(id)
		if err != nil {
			return err
		}
		d.Next, d.State = len(d.Questions), store.DeliveryDone
		return tx.PutDelivery(d)
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

func at(t *testing.T, loc *time.Location, wall string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", wall, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestTickOneStepPerLocalDayAcrossDST runs a month of 15-minute ticks
// over each 2026 change of the clocks, for clients whose time falls in a
// spring-forward gap, in an autumn overlap, or nowhere near one: each
// local date gets exactly one step, at the instant At gives.
func TestTickOneStepPerLocalDayAcrossDST(t *testing.T) {
	type client struct {
		zone, at string
	}
	clients := []client{
		{"America/New_York", "09:00"},
		{"America/New_York", "02:30"}, // skipped on 8 Mar
		{"America/New_York", "01:30"}, // twice on 1 Nov
		{"Europe/Berlin", "02:30"},    // skipped on 29 Mar, twice on 25 Oct
		{"Europe/London", "01:30"},    // skipped on 29 Mar, twice on 25 Oct
		{"Australia/Sydney", "02:30"}, // twice on 5 Apr, skipped on 4 Oct
		{"Asia/Kolkata", "09:00"},
		{"Asia/Kolkata", "00:00"},
	}
	for _, span := range []struct {
		name, session string
		from, to      time.Time
	}{
		// No client's slot falls in the 6 hours before the start, so none
		// is caught up on the first tick.
		{"spring", "2026-02-25", time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC), time.Date(2026, 4, 8, 0, 0, 0, 0, time.UTC)},
		{"autumn", "2026-09-28", time.Date(2026, 10, 1, 12, 45, 0, 0, time.UTC), time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC)},
	} {
		t.Run(span.name, func(t *testing.T) {
			e := newEnv(t, dailySet(t), "daily")
			for i, c := range clients {
				e.addClient(int64(i+1), c.zone, c.at, span.session, span.from)
			}
			st := e.run(span.from, span.to)
			if st.Failed != 0 || st.Skipped != 0 {
				t.Errorf("ticks: %+v; want nothing failed or skipped", st)
			}
			for i, c := range clients {
				id := int64(i + 1)
				loc := mustZone(t, c.zone)
				h, m, _ := schedule.ParseClock(c.at)
				var want []string
				for date := schedule.LocalDate(span.from, loc); ; {
					slot, err := schedule.At(date, h, m, loc)
					if err != nil {
						t.Fatal(err)
					}
					if slot.After(span.to) {
						break
					}
					if slot.After(span.from) {
						want = append(want, date+" "+slot.UTC().Format(time.RFC3339))
					}
					date, _ = schedule.AddDays(date, 1)
				}
				var got []string
				for _, d := range e.deliveries(id) {
					got = append(got, d.LocalDate+" "+d.SentAt.UTC().Format(time.RFC3339))
					if day, _ := schedule.DaysBetween(span.session, d.LocalDate); day != d.Day {
						t.Errorf("%s %s: delivery of %s has day %d, want %d", c.zone, c.at, d.LocalDate, d.Day, day)
					}
				}
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("%s at %s: steps (local date, sent at)\n%s\nwant\n%s", c.zone, c.at, strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
			}
		})
	}
}

func TestTickCatchUp(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	type tickAt struct {
		wall string // New York
		want int    // steps started by this tick
	}
	for _, tc := range []struct {
		name  string
		send  string
		ticks []tickAt // after the client joined on 2026-03-02 06:00
		// the local dates given, each with its send time
		want []string
	}{
		{
			name:  "2 hours down: sent late",
			send:  "09:00",
			ticks: []tickAt{{"2026-03-03 08:45", 0}, {"2026-03-03 11:00", 1}, {"2026-03-03 11:15", 0}},
			want:  []string{"2026-03-03 11:00"},
		},
		{
			name:  "just within the window",
			send:  "09:00",
			ticks: []tickAt{{"2026-03-03 08:45", 0}, {"2026-03-03 15:00", 1}},
			want:  []string{"2026-03-03 15:00"},
		},
		{
			name:  "7 hours down: skipped, next day as usual",
			send:  "09:00",
			ticks: []tickAt{{"2026-03-03 08:45", 0}, {"2026-03-03 16:00", 0}, {"2026-03-04 08:45", 0}, {"2026-03-04 09:00", 1}},
			want:  []string{"2026-03-04 09:00"},
		},
		{
			name:  "25 hours down: that day skipped, the next on time",
			send:  "09:00",
			ticks: []tickAt{{"2026-03-03 08:45", 0}, {"2026-03-04 09:45", 1}, {"2026-03-04 10:00", 0}},
			want:  []string{"2026-03-04 09:45"},
		},
		{
			name:  "back at 3 a.m.: the old slot is not sent at night",
			send:  "09:00",
			ticks: []tickAt{{"2026-03-03 08:45", 0}, {"2026-03-04 03:00", 0}, {"2026-03-04 08:45", 0}, {"2026-03-04 09:00", 1}},
			want:  []string{"2026-03-04 09:00"},
		},
		{
			name:  "late in quiet hours: held until they end",
			send:  "07:00",
			ticks: []tickAt{{"2026-03-03 06:45", 0}, {"2026-03-03 07:30", 0}, {"2026-03-03 07:45", 0}, {"2026-03-03 08:00", 1}},
			want:  []string{"2026-03-03 08:00"},
		},
		{
			name:  "late in quiet hours past the window: skipped",
			send:  "21:00",
			ticks: []tickAt{{"2026-03-03 20:45", 0}, {"2026-03-03 23:00", 0}, {"2026-03-04 08:00", 0}, {"2026-03-04 20:45", 0}, {"2026-03-04 21:00", 1}},
			want:  []string{"2026-03-04 21:00"},
		},
		{
			name:  "on time in quiet hours: sent",
			send:  "06:00",
			ticks: []tickAt{{"2026-03-03 05:45", 0}, {"2026-03-03 06:00", 1}},
			want:  []string{"2026-03-03 06:00"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, dailySet(t), "daily")
			e.addClient(1, "America/New_York", tc.send, "2026-03-01", at(t, ny, "2026-03-02 22:30"))
			for _, tk := range tc.ticks {
				now := at(t, ny, tk.wall)
				st := e.tick(now)
				if st.Started != tk.want {
					t.Fatalf("tick at %s started %d steps, want %d (stats %+v)", tk.wall, st.Started, tk.want, st)
				}
			}
			var got []string
			for _, d := range e.deliveries(1) {
				got = append(got, d.SentAt.In(ny).Format("2006-01-02 15:04"))
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("steps sent at %v, want %v", got, tc.want)
			}
		})
	}
}

func TestTickHeldStepIsDueWhenQuietHoursEnd(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	e := newEnv(t, dailySet(t), "daily")
	e.addClient(1, "America/New_York", "07:00", "2026-03-01", at(t, ny, "2026-03-02 22:30"))
	e.tick(at(t, ny, "2026-03-03 06:45"))
	e.tick(at(t, ny, "2026-03-03 07:30"))
	if got, want := e.client(1).Due, at(t, ny, "2026-03-03 08:00"); !got.Equal(want) {
		t.Fatalf("due %s, want the end of quiet hours %s", got.In(ny), want)
	}
}

func TestTickReminders(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	for _, tc := range []struct {
		name     string
		send     string
		remind   time.Duration
		answered bool
		want     []string // local dates and New York times of the reminders
	}{
		{name: "one reminder 3 hours later", send: "09:00", remind: 3 * time.Hour, want: []string{"2026-03-03 12:00"}},
		{name: "never in quiet hours", send: "20:00", remind: 3 * time.Hour},
		{name: "late evening step", send: "21:00", remind: 3 * time.Hour},
		{name: "held until quiet hours end the same day", send: "04:00", remind: 3 * time.Hour, want: []string{"2026-03-03 08:00"}},
		{name: "answered: none", send: "09:00", remind: 3 * time.Hour, answered: true},
		{name: "turned off", send: "09:00", remind: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, dailySet(t), "daily")
			e.s.RemindAfter = tc.remind
			start := at(t, ny, "2026-03-02 23:00")
			e.addClient(1, "America/New_York", tc.send, "2026-03-01", start)
			h, m, _ := schedule.ParseClock(tc.send)
			slot, _ := schedule.At("2026-03-03", h, m, ny)
			st := e.run(start, slot)
			if st.Started != 1 {
				t.Fatalf("started %d steps by %s, want 1", st.Started, slot)
			}
			// The next look is the reminder if there is one, else the
			// next day's step: never a moment that sends nothing.
			wantDue := slot.Add(24 * time.Hour)
			if len(tc.want) > 0 || tc.answered {
				wantDue = slot.Add(tc.remind)
				if len(tc.want) > 0 {
					wantDue = at(t, ny, tc.want[0])
				}
			}
			if got := e.client(1).Due; !got.Equal(wantDue) {
				t.Fatalf("due after the step %s, want %s", got.In(ny), wantDue.In(ny))
			}
			if tc.answered {
				e.markAnswered(1)
			}
			// Up to just before the next day's step.
			st = e.run(slot, slot.Add(24*time.Hour-15*time.Minute))
			if st.Started != 0 {
				t.Fatalf("started %d more steps", st.Started)
			}
			var want []string
			for _, w := range tc.want {
				want = append(want, w[:10]+" "+at(t, ny, w).UTC().Format(time.RFC3339))
			}
			got := e.reminders(1)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("reminders %v, want %v", got, want)
			}
			if st.Reminded != len(want) {
				t.Fatalf("stats count %d reminders, want %d", st.Reminded, len(want))
			}
			ds := e.deliveries(1)
			if ds[0].Reminded != (len(want) > 0) {
				t.Fatalf("delivery marked reminded = %v", ds[0].Reminded)
			}
			// With the reminder sent or not due, the next look is the
			// next day's step.
			if next := slot.Add(24 * time.Hour); !e.client(1).Due.Equal(next) {
				t.Fatalf("due %s, want the next step at %s", e.client(1).Due.In(ny), next.In(ny))
			}
		})
	}
}

// TestTickReminderNotSentLateIntoQuietHours: a reminder due at 21:00 that
// the bot missed (it was down) is not sent at 22:30, in quiet hours, nor
// the next morning.
func TestTickReminderNotSentLateIntoQuietHours(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	e := newEnv(t, dailySet(t), "daily")
	start := at(t, ny, "2026-03-02 23:00")
	e.addClient(1, "America/New_York", "18:00", "2026-03-01", start)
	e.run(start, at(t, ny, "2026-03-03 20:45"))
	if got := len(e.deliveries(1)); got != 1 {
		t.Fatalf("%d steps by 20:45, want 1", got)
	}
	// Down from 20:45 to 22:30.
	e.run(at(t, ny, "2026-03-03 22:15"), at(t, ny, "2026-03-04 17:45"))
	if got := e.reminders(1); len(got) != 0 {
		t.Fatalf("reminders %v, want none after the 21:00 one was missed", got)
	}
}

func TestRescheduleStatus(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	now := at(t, ny, "2026-03-03 16:00") // 7 hours after today's slot
	e := newEnv(t, dailySet(t), "daily")
	e.addClient(1, "America/New_York", "09:00", "2026-03-01", now)
	if got, want := e.client(1).Due, at(t, ny, "2026-03-04 09:00"); !got.Equal(want) {
		t.Fatalf("active client due %s, want %s", got.In(ny), want)
	}
	for _, tc := range []struct {
		name   string
		change func(c *store.Client)
		want   time.Time
	}{
		{"paused for days: due when the pause ends", func(c *store.Client) {
			c.Status, c.PausedUntil = store.StatusPaused, at(t, ny, "2026-03-06 00:00")
		}, at(t, ny, "2026-03-06 00:00")},
		{"paused until resumed: never", func(c *store.Client) { c.Status, c.PausedUntil = store.StatusPaused, time.Time{} }, time.Time{}},
		{"stopped: never", func(c *store.Client) { c.Status = store.StatusStopped }, time.Time{}},
		{"unreachable: never", func(c *store.Client) { c.Status = store.StatusUnreachable }, time.Time{}},
		{"onboarding: never", func(c *store.Client) { c.Status, c.Setup = store.StatusActive, "session" }, time.Time{}},
		{"send time moved later today", func(c *store.Client) { c.Setup, c.SendTime = "", "18:00" }, at(t, ny, "2026-03-03 18:00")},
		// The 12:00 slot passed 4 hours ago and was not given: due now.
		{"send time moved earlier today", func(c *store.Client) { c.SendTime = "12:00" }, now},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := e.update(1, tc.change, now)
			if !c.Due.Equal(tc.want) {
				t.Fatalf("due %s, want %s", c.Due.In(ny), tc.want.In(ny))
			}
			ids, err := e.db.Due(at(t, ny, "2027-01-01 00:00"), 0)
			if err != nil {
				t.Fatal(err)
			}
			if indexed := len(ids) == 1; indexed != !tc.want.IsZero() {
				t.Fatalf("due index holds %v", ids)
			}
		})
	}
}

func TestTickPause(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	e := newEnv(t, dailySet(t), "daily")
	start := at(t, ny, "2026-03-02 10:00")
	e.addClient(1, "America/New_York", "09:00", "2026-03-01", start)
	e.update(1, func(c *store.Client) {
		c.Status, c.PausedUntil = store.StatusPaused, at(t, ny, "2026-03-05 00:00")
	}, start)
	e.run(start, at(t, ny, "2026-03-06 10:00"))
	var got []string
	for _, d := range e.deliveries(1) {
		got = append(got, d.SentAt.In(ny).Format("2006-01-02 15:04"))
	}
	if want := "2026-03-05 09:00,2026-03-06 09:00"; strings.Join(got, ",") != want {
		t.Fatalf("steps at %v, want %s", got, want)
	}
	if c := e.client(1); c.Status != store.StatusActive || !c.PausedUntil.IsZero() {
		t.Fatalf("after the pause: status %s, paused until %s", c.Status, c.PausedUntil)
	}
}

func TestTickIsolatesAFailingClient(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	e := newEnv(t, dailySet(t), "daily")
	start := at(t, ny, "2026-03-03 08:00")
	for id := int64(1); id <= 3; id++ {
		e.addClient(id, "America/New_York", "09:00", "2026-03-01", start)
	}
	e.conv.failing(2, true)
	st := e.tick(at(t, ny, "2026-03-03 09:00"))
	if st.Started != 2 || st.Failed != 1 {
		t.Fatalf("stats %+v; want 2 started, 1 failed", st)
	}
	for id, want := range map[int64]int{1: 1, 2: 0, 3: 1} {
		if got := len(e.deliveries(id)); got != want {
			t.Errorf("client %d has %d deliveries, want %d", id, got, want)
		}
	}
	// The failed client is still due, and the next tick retries it.
	e.conv.failing(2, false)
	st = e.tick(at(t, ny, "2026-03-03 09:15"))
	if st.Started != 1 || st.Failed != 0 {
		t.Fatalf("retry stats %+v; want 1 started", st)
	}
	if got := len(e.deliveries(2)); got != 1 {
		t.Fatalf("client 2 has %d deliveries after the retry, want 1", got)
	}
}

func TestStartToday(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	e := newEnv(t, prompts.Default(), "after-session")
	// Day 1 after a session on 1 March has a step at 09:00.
	now := at(t, ny, "2026-03-02 07:00")
	e.addClient(1, "America/New_York", "09:00", "2026-03-01", now)
	start := func(now time.Time) bool {
		t.Helper()
		var ok bool
		err := e.db.Update(func(tx *store.Tx) error {
			c, err := tx.Client(1)
			if err != nil {
				return err
			}
			if ok, err = e.s.StartToday(tx, &c, now); err != nil {
				return err
			}
			return tx.PutClient(c)
		})
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !start(now) {
		t.Fatal("/today at 07:00 on day 1 started nothing")
	}
	if start(now.Add(time.Minute)) {
		t.Fatal("a second /today started the step again")
	}
	if st := e.run(now, at(t, ny, "2026-03-02 12:00")); st.Started != 0 {
		t.Fatalf("the 09:00 slot started the step again after /today: %+v", st)
	}
	ds := e.deliveries(1)
	if len(ds) != 1 || !ds[0].Manual || ds[0].Day != 1 || ds[0].LocalDate != "2026-03-02" {
		t.Fatalf("deliveries %+v; want one manual delivery of day 1", ds)
	}
	// Day 4 has no step in the built-in sequence.
	if start(at(t, ny, "2026-03-05 10:00")) {
		t.Fatal("/today on day 4 started a step")
	}
}

func TestRunRejectsABadSpec(t *testing.T) {
	err := schedule.Run(context.Background(), "every minute please", func() {})
	if err == nil {
		t.Fatal("Run accepted a bad spec")
	}
}

// TestNewSessionIsTheOneException: one step per client per local day,
// except that a session logged after the day's step gets its own day 0
// that day; removing that session again gives no third step, and the
// old session's step is not given again.
func TestNewSessionIsTheOneException(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	e := newEnv(t, prompts.Default(), "after-session")
	e.addClient(1, "America/New_York", "09:00", "2026-03-01", at(t, ny, "2026-03-01 08:00"))
	if st := e.run(at(t, ny, "2026-03-02 08:00"), at(t, ny, "2026-03-02 15:00")); st.Started != 1 {
		t.Fatalf("day 1: %+v", st)
	}
	session := func(change func(tx *store.Tx) error, now time.Time) {
		t.Helper()
		err := e.db.Update(func(tx *store.Tx) error {
			if err := change(tx); err != nil {
				return err
			}
			c, err := tx.Client(1)
			if err != nil {
				return err
			}
			if err := e.s.Reschedule(tx, &c, now); err != nil {
				return err
			}
			return tx.PutClient(c)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	session(func(tx *store.Tx) error {
		return tx.AddSession(store.Session{ChatID: 1, Date: "2026-03-02", CreatedAt: at(t, ny, "2026-03-02 15:00")})
	}, at(t, ny, "2026-03-02 15:00"))
	if due := e.client(1).Due; !due.Equal(at(t, ny, "2026-03-02 19:00")) {
		t.Errorf("due after the new session: %s, want 19:00", due.In(ny))
	}
	if st := e.run(at(t, ny, "2026-03-02 15:00"), at(t, ny, "2026-03-02 23:00")); st.Started != 1 {
		t.Fatalf("the new day 0: %+v", st)
	}
	ds := e.deliveries(1)
	if len(ds) != 2 || ds[0].LocalDate != "2026-03-02" || ds[0].Day != 0 || ds[1].Day != 1 || ds[1].State != store.DeliveryClosed {
		t.Fatalf("deliveries %+v; want day 0 of the new session, day 1 of the old closed", ds)
	}
	// The new session removed: the old one counts again, but 2 March had
	// its step already.
	session(func(tx *store.Tx) error { return tx.DeleteSession(1, "2026-03-02") }, at(t, ny, "2026-03-02 23:00"))
	if st := e.run(at(t, ny, "2026-03-02 23:00"), at(t, ny, "2026-03-03 08:00")); st.Started != 0 {
		t.Errorf("after removing the new session: %+v, want nothing more on 2 March", st)
	}
	if st := e.run(at(t, ny, "2026-03-03 08:00"), at(t, ny, "2026-03-03 10:00")); st.Started != 1 {
		t.Errorf("3 March: %+v, want day 2 of the old session", st)
	}
	if ds := e.deliveries(1); ds[len(ds)-1].Day != 2 || ds[len(ds)-1].SessionDate != "2026-03-01" {
		t.Errorf("3 March: %+v", ds[len(ds)-1])
	}
}

// TestPlannedSession: a session logged ahead counts from its date; the day
// before, its day -1 step comes instead of the earlier session's step of
// that day, at the usual local time across the daylight-saving change of
// 8 March 2026; the days after the earlier session go on until then.
func TestPlannedSession(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	e := newEnv(t, prompts.Default(), "after-session")
	e.addClient(1, "America/New_York", "09:00", "2026-03-01", at(t, ny, "2026-03-01 08:00"))
	e.run(at(t, ny, "2026-03-01 08:00"), at(t, ny, "2026-03-04 12:00")) // days 0 to 3
	given := len(e.deliveries(1))
	err := e.db.Update(func(tx *store.Tx) error {
		if err := tx.AddSession(store.Session{ChatID: 1, Date: "2026-03-09", CreatedAt: at(t, ny, "2026-03-04 12:00")}); err != nil {
			return err
		}
		c, err := tx.Client(1)
		if err != nil {
			return err
		}
		if err := e.s.Reschedule(tx, &c, at(t, ny, "2026-03-04 12:00")); err != nil {
			return err
		}
		return tx.PutClient(c)
	})
	if err != nil {
		t.Fatal(err)
	}
	if due := e.client(1).Due; !due.Equal(at(t, ny, "2026-03-06 09:00")) {
		t.Errorf("due after logging 9 March ahead: %s, want day 5 of the first session", due.In(ny))
	}
	e.run(at(t, ny, "2026-03-04 12:00"), at(t, ny, "2026-03-10 12:00"))
	var got []string
	for _, d := range e.deliveries(1)[given:] {
		got = append(got, fmt.Sprintf("%s day %d of %s", d.LocalDate, d.Day, d.SessionDate))
	}
	want := []string{
		"2026-03-06 day 5 of 2026-03-01",
		"2026-03-08 day -1 of 2026-03-09", // not day 7 of the first: preparing comes first
		"2026-03-09 day 0 of 2026-03-09",
		"2026-03-10 day 1 of 2026-03-09",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("deliveries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, d := range e.deliveries(1) {
		if d.Day == -1 && !d.SentAt.Equal(at(t, ny, "2026-03-08 09:00")) {
			t.Errorf("day -1 sent at %s, want 09:00 local on the day clocks change", d.SentAt.In(ny))
		}
	}
}
