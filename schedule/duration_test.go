package schedule_test

import (
	"testing"
	"time"
)

// TestTickReportsItsDuration: the Stats a tick returns say how long it
// took (kindling_tick_duration_seconds is made of them).
func TestTickReportsItsDuration(t *testing.T) {
	e := newEnv(t, dailySet(t), "daily")
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	for i := range 50 {
		e.addClient(int64(i+1), "UTC", "09:00", "2026-03-01", start)
	}
	st := e.tick(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	if st.Started != 50 {
		t.Fatalf("tick started %d steps, want 50", st.Started)
	}
	if st.Duration <= 0 {
		t.Fatalf("a tick that started 50 steps took %s, want more than nothing", st.Duration)
	}
}
