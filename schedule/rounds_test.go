package schedule_test

import (
	"context"
	"testing"
	"time"

	"kindling/schedule"
)

// TestTickAllRunsUntilNoneRemain: with Limit 100 and 250 clients due, one
// beat ticks three times (100, 100, 50) and starts every client's step,
// calling after once per tick.
func TestTickAllRunsUntilNoneRemain(t *testing.T) {
	e := newEnv(t, dailySet(t), "daily")
	e.s.Limit = 100
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	for id := int64(1); id <= 250; id++ {
		e.addClient(id, "UTC", "09:00", "2026-03-01", start)
	}
	var rounds []schedule.Stats
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	if err := e.s.TickAll(context.Background(), now, func(st schedule.Stats) { rounds = append(rounds, st) }); err != nil {
		t.Fatal(err)
	}
	var started []int
	for _, st := range rounds {
		started = append(started, st.Started)
	}
	if len(rounds) != 3 || started[0] != 100 || started[1] != 100 || started[2] != 50 || rounds[2].Remaining != 0 {
		t.Errorf("ticks started %v (remaining after the last %d), want [100 100 50] and 0", started, rounds[len(rounds)-1].Remaining)
	}
	for id := int64(1); id <= 250; id++ {
		if len(e.deliveries(id)) != 1 {
			t.Errorf("client %d: %d deliveries, want the day's one", id, len(e.deliveries(id)))
		}
	}
	rounds = nil
	if err := e.s.TickAll(context.Background(), now.Add(time.Minute), func(st schedule.Stats) { rounds = append(rounds, st) }); err != nil || len(rounds) != 1 || rounds[0].Started != 0 {
		t.Errorf("a beat with none due: %v, %+v", err, rounds)
	}
}
