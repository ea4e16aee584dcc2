package schedule_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"kindling/schedule"
)

// roundsEnv is a schedule of n clients due at 09:00 on 2 March, ticked
// 100 at a time.
func roundsEnv(t *testing.T, n int64) *env {
	t.Helper()
	e := newEnv(t, dailySet(t), "daily")
	e.s.Limit = 100
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	for id := int64(1); id <= n; id++ {
		e.addClient(id, "UTC", "09:00", "2026-03-01", start)
	}
	return e
}

// TestTickAllRunsUntilNoneRemain: with Limit 100 and 250 clients due, one
// beat ticks three times (100, 100, 50) and starts every client's step,
// calling after once per tick.
func TestTickAllRunsUntilNoneRemain(t *testing.T) {
	e := roundsEnv(t, 250)
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

// TestTickAllWaitsForRoom: before each further tick of a beat, TickAll
// waits for Room (the sender's room for more); the first tick never
// waits, and an error from Room ends the beat with the rest still due.
func TestTickAllWaitsForRoom(t *testing.T) {
	e := roundsEnv(t, 250)
	var events []string
	stop := errors.New("stopping")
	e.s.Room = func(ctx context.Context) error {
		events = append(events, "room")
		if len(events) == 4 { // tick, room, tick, room: the second wait ends the beat
			return stop
		}
		return nil
	}
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	err := e.s.TickAll(context.Background(), now, func(st schedule.Stats) {
		events = append(events, fmt.Sprintf("tick %d", st.Started))
	})
	if !errors.Is(err, stop) {
		t.Fatalf("TickAll = %v, want Room's error", err)
	}
	if got, want := strings.Join(events, ", "), "tick 100, room, tick 100, room"; got != want {
		t.Errorf("events %q, want %q", got, want)
	}
	started := 0
	for id := int64(1); id <= 250; id++ {
		started += len(e.deliveries(id))
	}
	if started != 200 {
		t.Errorf("%d steps started, want 200 (the last 50 wait for the next beat)", started)
	}

	events = nil
	e.s.Room = func(context.Context) error { events = append(events, "room"); return nil }
	if err := e.s.TickAll(context.Background(), now.Add(time.Minute), func(st schedule.Stats) {
		events = append(events, fmt.Sprintf("tick %d", st.Started))
	}); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(events, ", "), "tick 50"; got != want {
		t.Errorf("the next beat: events %q, want %q (one tick is enough: no wait)", got, want)
	}
}

// TestTickAllTicksOnAtTheTimeAfterRoom: when Room keeps the next tick
// waiting (here 14 hours: Telegram down since the 09:00 beat), the clients
// ticked after it are judged at the time that tick runs, 23:00: past the
// catch-up window of 6 hours, their 09:00 step is skipped, not sent into
// the night as if it were still 09:00. Time is the bubble's.
func TestTickAllTicksOnAtTheTimeAfterRoom(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := roundsEnv(t, 150)
		waited := false
		e.s.Room = func(context.Context) error {
			if !waited {
				waited = true
				time.Sleep(14 * time.Hour)
			}
			return nil
		}
		var rounds []schedule.Stats
		now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		if err := e.s.TickAll(context.Background(), now, func(st schedule.Stats) { rounds = append(rounds, st) }); err != nil {
			t.Fatal(err)
		}
		started, skipped := 0, 0
		for i, st := range rounds {
			if i > 0 {
				started += st.Started
			}
			skipped += st.Skipped
		}
		if len(rounds) < 2 || rounds[0].Started != 100 || started != 0 || skipped != 50 {
			t.Fatalf("rounds %+v: want 100 steps started at 09:00, and after the wait none started and 50 skipped", rounds)
		}
		for id := int64(101); id <= 150; id++ {
			if n := len(e.deliveries(id)); n != 0 {
				t.Errorf("client %d: %d deliveries after the wait, want none (their 09:00 step is 14 hours late)", id, n)
			}
		}
	})
}
