package bot

import (
	"testing"
	"time"
)

func TestPlannedDate(t *testing.T) {
	// 1 March 2026, late evening where the client is.
	now := time.Date(2026, 3, 1, 23, 30, 0, 0, time.FixedZone("EST", -5*3600))
	for _, tc := range []struct {
		in, date, problem string
		planned           bool
	}{
		{in: "tomorrow", date: "2026-03-02", planned: true},
		{in: "Mañana", date: "2026-03-02", planned: true},
		{in: "in 5 days", date: "2026-03-06", planned: true},
		{in: "en 3 días", date: "2026-03-04", planned: true},
		{in: "2026-03-20", date: "2026-03-20", planned: true},
		{in: "20 March", date: "2026-03-20", planned: true}, // this year's, not last year's
		{in: "20 de marzo", date: "2026-03-20", planned: true},
		{in: "2 Mar 2027", problem: "session_too_far", planned: true},
		{in: "2031-01-01", problem: "session_too_far", planned: true},
		{in: "today"},
		{in: "yesterday"},
		{in: "2026-02-14"},
		{in: "14 Feb"}, // had this year: a session that happened
		{in: "in 0 days"},
		{in: "in -3 days"},
		{in: "banana"},
		{in: ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			date, problem, planned := plannedDate(tc.in, now)
			if date != tc.date || problem != tc.problem || planned != tc.planned {
				t.Fatalf("plannedDate(%q) = %q, %q, %v; want %q, %q, %v", tc.in, date, problem, planned, tc.date, tc.problem, tc.planned)
			}
		})
	}
}

// FuzzPlannedDate checks that any input is either not a date to come, or
// one refused with a message key, or a real date after today and at most
// maxPlanAhead days ahead.
// Seeds: testdata/fuzz/FuzzPlannedDate, plus the lines below.
func FuzzPlannedDate(f *testing.F) {
	for _, s := range []string{"tomorrow", "in 5 days", "en 400 días", "2026-03-20", "20 March", "31 Feb", "29 feb", "in 99999999999999999999 days"} {
		f.Add(s, int64(1772409600)) // 2026-03-02 00:00 UTC
	}
	f.Fuzz(func(t *testing.T, in string, unix int64) {
		unix = 946684800 + (unix%3155760000+3155760000)%3155760000 // 2000 to 2100
		now := time.Unix(unix, 0).In(time.FixedZone("X", -9*3600-1800))
		date, problem, planned := plannedDate(in, now)
		switch {
		case !planned:
			if date != "" || problem != "" {
				t.Fatalf("plannedDate(%q) = %q, %q but not planned", in, date, problem)
			}
			return
		case (date == "") == (problem == ""):
			t.Fatalf("plannedDate(%q) = %q, %q: want exactly one of a date and a problem", in, date, problem)
		case problem != "":
			return
		}
		d, err := time.Parse("2006-01-02", date)
		today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		if err != nil || !d.After(today) || d.Sub(today) > maxPlanAhead*24*time.Hour {
			t.Fatalf("plannedDate(%q) at %s = %q (%v): want a date after today, at most %d days ahead", in, now, date, err, maxPlanAhead)
		}
	})
}
