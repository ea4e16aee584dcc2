package bot

import (
	"testing"
	"time"

	"kindling/store"
)

// TestLetterSince: a letter reads replies from when its session was first
// logged, or from two days before its date when that is earlier; with no
// time of logging (or no date) it reads every reply.
func TestLetterSince(t *testing.T) {
	day := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.DateTime, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		date    string
		created time.Time
		want    time.Time
	}{
		{"2026-03-10", day("2026-03-09 18:00:00"), day("2026-03-08 00:00:00")}, // logged the evening before
		{"2026-03-10", day("2026-01-05 10:00:00"), day("2026-01-05 10:00:00")}, // logged two months ahead
		{"2026-03-10", day("2026-03-12 10:00:00"), day("2026-03-08 00:00:00")}, // logged after the day
		{"2026-03-10", time.Time{}, time.Time{}},
		{"10.3.2026", day("2026-03-09 18:00:00"), time.Time{}},
	} {
		got := letterSince(store.Session{Date: c.date, CreatedAt: c.created})
		if !got.Equal(c.want) {
			t.Errorf("letterSince(%s, logged %s) = %s, want %s", c.date, c.created, got, c.want)
		}
	}
}
