package schedule

import (
	"errors"
	"time"

	"kindling/store"
)

// Reschedule sets c.Due to the next moment the schedule must look at the
// client after now: their next step or reminder, the end of a pause, or
// never. The caller stores c.
func (s *Scheduler) Reschedule(tx *store.Tx, c *store.Client, now time.Time) error {
	c.Due = time.Time{}
	switch {
	case c.Setup != "":
		return nil
	case c.Status == store.StatusPaused:
		c.Due = c.PausedUntil // zero: paused until /resume
		return nil
	case c.Status != store.StatusActive:
		return nil
	}
	p, err := s.plan(tx, c)
	if errors.Is(err, errNoPlan) {
		return nil
	}
	if err != nil {
		return err
	}
	var next time.Time
	if d, err := tx.LatestDelivery(c.ChatID); err == nil {
		if at, ok := s.reminderAt(d, p.loc); ok {
			switch {
			case at.After(now):
				next = at
			case LocalDate(now, p.loc) == d.LocalDate && !s.Quiet.Contains(now, p.loc):
				next = now // overdue: the next tick sends it
			}
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}

	// A slot that has passed but is still within the catch-up window
	// (the bot was down, the client resumed, a session was back-dated) is
	// due now, or when quiet hours end if it is already late.
	today := LocalDate(now, p.loc)
	back := int(s.CatchUp/(24*time.Hour)) + 1
	for i := 0; i <= back; i++ {
		date, _ := AddDays(today, -i)
		t, _, _, session, ok := p.slot(date)
		if !ok || t.After(now) {
			continue
		}
		done, err := given(tx, c.ChatID, date, session)
		if err != nil {
			return err
		}
		if !done && now.Sub(t) <= s.CatchUp {
			at := now
			if now.Sub(t) > s.slack() && s.Quiet.Contains(now, p.loc) {
				at = s.Quiet.End(now, p.loc)
			}
			if at.Sub(t) <= s.CatchUp {
				next = earliest(next, at)
			}
		}
		break // only the newest passed slot can still be sent
	}

	// The next step after now: walk forward over the civil dates. The
	// sequence repeats or ends; two years bounds the walk either way.
	for i := 0; i < 800; i++ {
		date, _ := AddDays(today, i)
		t, _, _, session, ok := p.slot(date)
		if !ok || !t.After(now) {
			continue
		}
		done, err := given(tx, c.ChatID, date, session)
		if err != nil {
			return err
		}
		if done {
			continue
		}
		next = earliest(next, t)
		break
	}
	c.Due = next
	return nil
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}
