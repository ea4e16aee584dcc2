package bot

import (
	"testing"
	"time"
)

func TestParseSessionDate(t *testing.T) {
	// 1 March 2026, late evening where the client is.
	now := time.Date(2026, 3, 1, 23, 30, 0, 0, time.FixedZone("EST", -5*3600))
	for _, tc := range []struct {
		in, date, problem string
	}{
		{"today", "2026-03-01", ""},
		{"  Yesterday ", "2026-02-28", ""},
		{"ayer", "2026-02-28", ""},
		{"0 days ago", "2026-03-01", ""},
		{"3 days ago", "2026-02-26", ""},
		{"hace 2 días", "2026-02-27", ""},
		{"2026-02-14", "2026-02-14", ""},
		{"14 Feb", "2026-02-14", ""},
		{"feb 14", "2026-02-14", ""},
		{"February 14th", "2026-02-14", ""},
		{"1 march 2026", "2026-03-01", ""},
		{"3 de marzo de 2025", "2025-03-03", ""},
		{"20 Dec", "2025-12-20", ""},
		{"29 Feb 2024", "2024-02-29", ""},
		{"31 Feb", "", "session_no_such_day"},
		{"2026-02-29", "", "session_no_such_day"},
		{"31 April 2025", "", "session_no_such_day"},
		{"tomorrow", "", "session_future"},
		{"mañana", "", "session_future"},
		{"2026-03-02", "", "session_future"},
		{"2 Mar 2026", "", "session_future"},
		{"1999-01-01", "", "session_too_old"},
		{"9999 days ago", "", "session_invalid"},
		{"banana", "", "session_invalid"},
		{"2026-13-01", "", "session_invalid"},
		{"26-03-01", "", "session_invalid"},
		{"0 Mar", "", "session_invalid"},
		{"", "", "session_invalid"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			date, problem := parseSessionDate(tc.in, now)
			if date != tc.date || problem != tc.problem {
				t.Fatalf("parseSessionDate(%q) = %q, %q; want %q, %q", tc.in, date, problem, tc.date, tc.problem)
			}
		})
	}
}

// FuzzParseSessionDate checks that any input either is refused with a
// message key or gives a real calendar date that is not in the future and
// not older than the limit.
func FuzzParseSessionDate(f *testing.F) {
	for _, s := range []string{
		"today", "yesterday", "tomorrow", "3 days ago", "hace 3 días", "2026-02-14",
		"31 Feb", "14 feb 2026", "March 1st", "3 de marzo de 2025", "9999999999999999999 days ago",
		"2026-02-29", "-1 days ago", "1 jan 99999", "1 jan 0000", "29 feb",
	} {
		f.Add(s, int64(1772409600)) // 2026-03-02 00:00 UTC
	}
	f.Fuzz(func(t *testing.T, in string, unix int64) {
		// A clock between 2000 and 2100.
		unix = 946684800 + (unix%3155760000+3155760000)%3155760000
		now := time.Unix(unix, 0).In(time.FixedZone("X", 5*3600+1800))
		date, problem := parseSessionDate(in, now)
		if (date == "") == (problem == "") {
			t.Fatalf("parseSessionDate(%q) = %q, %q: want exactly one of a date and a problem", in, date, problem)
		}
		if problem != "" {
			return
		}
		d, err := time.Parse("2006-01-02", date)
		if err != nil || d.Format("2006-01-02") != date {
			t.Fatalf("parseSessionDate(%q) = %q: not a real date (%v)", in, date, err)
		}
		today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		if d.After(today) {
			t.Fatalf("parseSessionDate(%q) at %s = %s, in the future", in, now, date)
		}
		if today.Sub(d) > maxSessionAge*24*time.Hour {
			t.Fatalf("parseSessionDate(%q) at %s = %s, older than the limit", in, now, date)
		}
	})
}
