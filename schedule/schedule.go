package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"kindling/prompts"
	"kindling/store"
)

// Step is one day's step of a sequence, ready to be given to a client.
type Step struct {
	Sequence    *prompts.Sequence
	Step        prompts.Step
	LocalDate   string // the client's civil date the step belongs to
	SessionDate string
	Day         int // days since SessionDate
	// At is when the step is due, set by Today for a step written for its
	// own hour (prompts.Step.At); zero when it follows the usual time.
	At     time.Time
	Now    time.Time
	Manual bool // asked for with /today
}

// Conversation is what the schedule needs from the bot: writing a step's
// delivery and its first message, and a reminder, inside the transaction
// that also moves the client's due time.
type Conversation interface {
	StartStep(tx *store.Tx, c *store.Client, s Step) error
	Remind(tx *store.Tx, c *store.Client, d *store.Delivery, now time.Time) error
}

// Scheduler decides when each client hears from kindling. It keeps every
// client's next due time in the store's due index, and Tick handles the
// clients whose time has come.
type Scheduler struct {
	DB           *store.DB
	Prompts      func() *prompts.Set
	Conversation Conversation
	Logger       *slog.Logger

	// CatchUp is how late a step may still be sent after downtime; older
	// slots are skipped.
	CatchUp time.Duration
	// RemindAfter is how long after a step's first question one gentle
	// reminder follows; zero turns reminders off.
	RemindAfter time.Duration
	// Quiet is the daily span, in each client's local time, in which no
	// reminder and no late (caught-up) step is sent.
	Quiet Window
	// DefaultTime is the send time for a client who has none ("09:00").
	DefaultTime string
	// DefaultSequence and DefaultLanguage pick prompts for a client whose
	// sequence or language is unknown.
	DefaultSequence string
	// Slack is how late a step may be and still count as on time rather
	// than caught up (quiet hours only hold back caught-up steps).
	Slack time.Duration

	// Limit bounds the clients one Tick handles (0: 20,000); the caller
	// ticks again at once while Stats.Remaining says more are due, as
	// TickAll does.
	Limit int
	// Room, when set, is waited for before each further Tick of a
	// TickAll: it returns once the sender has room for another Tick's
	// messages (or with ctx's error). A day of 100,000 clients then
	// waits in the store as due clients, a Tick at a time, instead of
	// as 100,000 messages written out at once and sent over minutes.
	Room func(ctx context.Context) error

	mu       sync.Mutex // one Tick at a time
	lastTick time.Time
}

// Stats counts what one Tick did.
type Stats struct {
	Due       int // clients looked at
	Started   int // steps started
	Reminded  int // reminders sent
	Skipped   int // slots older than the catch-up window
	Failed    int // clients whose handling failed (retried next tick)
	Duration  time.Duration
	Remaining int // due clients left for the next tick (the batch limit was reached)
}

// tickBatch is how many due clients one write transaction handles.
const tickBatch = 100

// tickLimit bounds the clients one Tick handles by default, so one
// transaction-heavy pass cannot run for ever; the caller ticks again for
// the rest (see Stats.Remaining).
const tickLimit = 20000

// Tick handles every client due at or before now: starts the day's step,
// sends a reminder, or only moves the due time, and stores the next due
// time in the same transaction.
func (s *Scheduler) Tick(ctx context.Context, now time.Time) (st Stats, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	started := time.Now()
	// A named result: the deferred assignment must reach the caller.
	defer func() { st.Duration = time.Since(started) }()

	limit := s.Limit
	if limit <= 0 {
		limit = tickLimit
	}
	failed := map[int64]bool{}
	for st.Due < limit {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		ids, err := s.DB.Due(now, tickBatch+len(failed))
		if err != nil {
			return st, fmt.Errorf("tick: list due clients: %w", err)
		}
		var batch []int64
		for _, id := range ids {
			if !failed[id] {
				batch = append(batch, id)
			}
		}
		if len(batch) == 0 {
			break
		}
		st.Due += len(batch)
		var bs Stats
		err = s.DB.Update(func(tx *store.Tx) error {
			bs = Stats{}
			for _, id := range batch {
				if err := s.handle(tx, id, now, &bs); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil {
			st.add(bs)
			continue
		}
		// One client's failure must not hold back the others: retry the
		// batch one client per transaction and remember who failed.
		for _, id := range batch {
			var one Stats
			err := s.DB.Update(func(tx *store.Tx) error {
				one = Stats{}
				return s.handle(tx, id, now, &one)
			})
			if err != nil {
				failed[id] = true
				st.Failed++
				s.logger().Error("schedule client", "chat", id, "err", err)
				continue
			}
			st.add(one)
		}
	}
	if st.Due >= limit {
		st.Remaining = 1
	}
	s.lastTick = now
	return st, nil
}

func (st *Stats) add(o Stats) {
	st.Started += o.Started
	st.Reminded += o.Reminded
	st.Skipped += o.Skipped
}

// LastTick is the time of the last finished Tick.
func (s *Scheduler) LastTick() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastTick
}

// handle looks at one due client inside tx.
func (s *Scheduler) handle(tx *store.Tx, id int64, now time.Time, st *Stats) error {
	c, err := tx.Client(id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if c.Due.IsZero() || c.Due.After(now) {
		return nil // moved by someone else since the index was read
	}
	if c.Status == store.StatusPaused && !c.PausedUntil.IsZero() && !c.PausedUntil.After(now) {
		c.Status = store.StatusActive
		c.PausedUntil = time.Time{}
	}
	if c.Status == store.StatusActive && c.Setup == "" {
		if err := s.remindIfDue(tx, &c, now, st); err != nil {
			return err
		}
		if err := s.startIfDue(tx, &c, now, st); err != nil {
			return err
		}
	}
	if err := s.Reschedule(tx, &c, now); err != nil {
		return err
	}
	return tx.PutClient(c)
}

// plan is what the schedule knows about one client at one moment.
type plan struct {
	loc *time.Location
	seq *prompts.Sequence
	// sessions are the civil dates of the client's sessions, oldest
	// first; those after today are planned ahead.
	sessions []string
	hour     int
	minute   int
}

// errNoPlan means the client cannot be scheduled yet (no session logged).
var errNoPlan = errors.New("nothing to schedule")

func (s *Scheduler) plan(tx *store.Tx, c *store.Client) (plan, error) {
	var p plan
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil || c.TimeZone == "" {
		loc = time.UTC
	}
	p.loc = loc
	send := c.SendTime
	if send == "" {
		send = s.DefaultTime
	}
	p.hour, p.minute, err = ParseClock(send)
	if err != nil {
		p.hour, p.minute = 9, 0
	}
	set := s.Prompts()
	seq, ok := set.Sequence(c.Sequence, c.Language)
	if !ok {
		seq, ok = set.Sequence(s.DefaultSequence, c.Language)
	}
	if !ok {
		return p, fmt.Errorf("client %d: sequence %q: %w", c.ChatID, c.Sequence, errNoPlan)
	}
	p.seq = seq
	ss, err := tx.Sessions(c.ChatID)
	if err != nil {
		return p, err
	}
	if len(ss) == 0 {
		return p, errNoPlan
	}
	for _, sess := range ss {
		p.sessions = append(p.sessions, sess.Date)
	}
	return p, nil
}

// sessionFor is the session a date's step counts from: the next session
// after date when the sequence has a step that many days before it (a
// negative day: preparing for it), else the latest session on or before
// date. On its own date a planned session becomes the one that counts.
func (p plan) sessionFor(date string) (session string, day int, ok bool) {
	for _, s := range p.sessions {
		if s <= date {
			session = s
			continue
		}
		if d, err := DaysBetween(s, date); err == nil && d < 0 {
			if _, has := p.seq.StepFor(d); has {
				return s, d, true
			}
		}
		break
	}
	if session == "" {
		return "", 0, false
	}
	d, err := DaysBetween(session, date)
	if err != nil || d < 0 {
		return "", 0, false
	}
	return session, d, true
}

// slot is the moment a step is due on one civil date, the step, its day
// and the session it counts from.
func (p plan) slot(date string) (time.Time, prompts.Step, int, string, bool) {
	session, day, ok := p.sessionFor(date)
	if !ok {
		return time.Time{}, prompts.Step{}, 0, "", false
	}
	step, ok := p.seq.StepFor(day)
	if !ok {
		return time.Time{}, prompts.Step{}, 0, "", false
	}
	h, m := p.hour, p.minute
	if step.At != "" {
		if sh, sm, err := ParseClock(step.At); err == nil {
			h, m = sh, sm
		}
	}
	t, err := At(date, h, m, p.loc)
	if err != nil {
		return time.Time{}, prompts.Step{}, 0, "", false
	}
	return t, step, day, session, true
}

// given reports whether a step was already given on date for the session
// of sessionDate or a later one. One step per client per local day, with
// one exception: a session logged after the day's step was given starts
// its own day that same day (its delivery has another day number, so
// another key). A step of a later session, since removed, still counts.
func given(tx *store.Tx, chatID int64, date, sessionDate string) (bool, error) {
	ds, err := tx.DeliveryOn(chatID, date)
	if err != nil {
		return false, err
	}
	for _, d := range ds {
		if d.SessionDate == "" || d.SessionDate >= sessionDate {
			return true, nil
		}
	}
	return false, nil
}

// startIfDue starts the most recent step whose slot has passed, if it is
// within the catch-up window and not given yet.
func (s *Scheduler) startIfDue(tx *store.Tx, c *store.Client, now time.Time, st *Stats) error {
	p, err := s.plan(tx, c)
	if errors.Is(err, errNoPlan) {
		return nil
	}
	if err != nil {
		return err
	}
	today := LocalDate(now, p.loc)
	// Look back as far as the catch-up window reaches, newest first.
	back := int(s.CatchUp/(24*time.Hour)) + 1
	for i := 0; i <= back; i++ {
		date, _ := AddDays(today, -i)
		t, step, day, session, ok := p.slot(date)
		if !ok || t.After(now) {
			continue
		}
		done, err := given(tx, c.ChatID, date, session)
		if err != nil {
			return err
		}
		if done {
			return nil // the newest slot was handled; older ones are past
		}
		late := now.Sub(t)
		if late > s.CatchUp {
			st.Skipped++
			return nil
		}
		if late > s.slack() && s.Quiet.Contains(now, p.loc) {
			return nil // Reschedule waits for the end of quiet hours
		}
		if err := s.closeOpen(tx, c.ChatID); err != nil {
			return err
		}
		if err := s.Conversation.StartStep(tx, c, Step{
			Sequence: p.seq, Step: step, LocalDate: date, SessionDate: session, Day: day, Now: now,
		}); err != nil {
			return err
		}
		st.Started++
		return nil
	}
	return nil
}

func (s *Scheduler) slack() time.Duration {
	if s.Slack > 0 {
		return s.Slack
	}
	return 5 * time.Minute
}

// closeOpen closes the client's open delivery: a new step is starting.
func (s *Scheduler) closeOpen(tx *store.Tx, chatID int64) error {
	d, err := tx.LatestDelivery(chatID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if d.State != store.DeliveryOpen {
		return nil
	}
	d.State = store.DeliveryClosed
	return tx.PutDelivery(d)
}

// reminderAt is when the open delivery d gets its reminder, or false when
// it gets none: reminders are off, already sent, the step is answered, or
// the moment would fall on another local day or in quiet hours until then.
func (s *Scheduler) reminderAt(d store.Delivery, loc *time.Location) (time.Time, bool) {
	if s.RemindAfter <= 0 || d.Reminded || d.State != store.DeliveryOpen || d.Next >= len(d.Questions) {
		return time.Time{}, false
	}
	sent := d.SentAt
	if sent.IsZero() {
		sent = d.CreatedAt
	}
	at := s.Quiet.End(sent.Add(s.RemindAfter), loc)
	if LocalDate(at, loc) != d.LocalDate {
		return time.Time{}, false
	}
	return at, true
}

func (s *Scheduler) remindIfDue(tx *store.Tx, c *store.Client, now time.Time, st *Stats) error {
	d, err := tx.LatestDelivery(c.ChatID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	at, ok := s.reminderAt(d, loc)
	if !ok || at.After(now) || s.Quiet.Contains(now, loc) || LocalDate(now, loc) != d.LocalDate {
		return nil
	}
	if err := s.Conversation.Remind(tx, c, &d, now); err != nil {
		return err
	}
	d.Reminded = true
	st.Reminded++
	return tx.PutDelivery(d)
}

// Today reports the step of the client's current local day, for /today:
// the day number and step, or ok=false when their sequence has nothing
// that day. It starts nothing.
func (s *Scheduler) Today(tx *store.Tx, c *store.Client, now time.Time) (Step, bool, error) {
	p, err := s.plan(tx, c)
	if errors.Is(err, errNoPlan) {
		return Step{}, false, nil
	}
	if err != nil {
		return Step{}, false, err
	}
	date := LocalDate(now, p.loc)
	t, step, day, session, ok := p.slot(date)
	if !ok {
		return Step{}, false, nil
	}
	st := Step{Sequence: p.seq, Step: step, LocalDate: date, SessionDate: session, Day: day, Now: now}
	if step.At != "" {
		st.At = t
	}
	return st, true, nil
}

// StartToday gives the client today's step now, early or late. It returns
// false when there is no step today, today's step was already given, or
// the step is written for its own hour (day 0's evening) and that hour has
// not come: it is sent then, not early.
func (s *Scheduler) StartToday(tx *store.Tx, c *store.Client, now time.Time) (bool, error) {
	step, ok, err := s.Today(tx, c, now)
	if err != nil || !ok {
		return false, err
	}
	done, err := given(tx, c.ChatID, step.LocalDate, step.SessionDate)
	if err != nil || done {
		return false, err
	}
	if !step.At.IsZero() && now.Before(step.At) {
		return false, nil // written for its hour (the evening of day 0): it comes then
	}
	if err := s.closeOpen(tx, c.ChatID); err != nil {
		return false, err
	}
	step.Manual = true
	if err := s.Conversation.StartStep(tx, c, step); err != nil {
		return false, err
	}
	return true, s.Reschedule(tx, c, now)
}

// Run calls tick on every beat of spec (a robfig/cron spec such as
// "@every 1m") until ctx ends. cron reads the wall clock itself, so it
// only triggers: what is due is decided by Tick from the time it is given.
func Run(ctx context.Context, spec string, tick func()) error {
	// A tick that runs long (a catch-up after downtime) makes the next
	// beats skip rather than pile up behind it.
	c := cron.New(cron.WithLocation(time.UTC), cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
	if _, err := c.AddFunc(spec, tick); err != nil {
		return fmt.Errorf("schedule tick %q: %w", spec, err)
	}
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
	return nil
}

func (s *Scheduler) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}
