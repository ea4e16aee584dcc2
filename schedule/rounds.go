package schedule

import (
	"context"
	"time"
)

// MaxRounds bounds the Ticks one TickAll runs (with the default Limit,
// 2,000,000 due clients); the rest wait for the next beat of the schedule.
const MaxRounds = 100

// TickAll is one beat of the schedule at now: Tick, and again while
// Stats.Remaining says more clients are due (100,000 in one minute, say),
// rather than a beat later: at once, or as soon as Room says the sender
// has room for more, at now moved on by the wait. after is called with
// each Tick's Stats, so that the sender starts on what it enqueued while
// the next one runs. Each Tick that found clients, or failed, is logged.
// It returns the first error, which ends the beat.
func (s *Scheduler) TickAll(ctx context.Context, now time.Time, after func(Stats)) error {
	for round := range MaxRounds {
		if round > 0 && s.Room != nil {
			waited := time.Now()
			if err := s.Room(ctx); err != nil {
				return err
			}
			// A long wait (Telegram down, say) must not leave the next
			// Tick at the beat's time: quiet hours and the catch-up window
			// are judged at the time it runs.
			now = now.Add(time.Since(waited))
		}
		st, err := s.Tick(ctx, now)
		if after != nil {
			after(st)
		}
		if err != nil {
			if ctx.Err() == nil {
				s.logger().Error("tick", "err", err)
			}
			return err
		}
		if st.Due > 0 || st.Failed > 0 {
			s.logger().Info("tick", "due", st.Due, "started", st.Started, "reminded", st.Reminded,
				"skipped", st.Skipped, "failed", st.Failed, "took", st.Duration.Round(time.Microsecond))
		}
		if st.Remaining == 0 {
			return nil
		}
	}
	return nil
}
