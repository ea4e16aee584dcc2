package schedule_test

import (
	"fmt"
	"testing"
	"time"

	"kindling/schedule"
)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load zone %s: %v", name, err)
	}
	return loc
}

func TestParseClock(t *testing.T) {
	good := []struct {
		in   string
		h, m int
	}{
		{"09:00", 9, 0},
		{"9:05", 9, 5},
		{"00:00", 0, 0},
		{"23:59", 23, 59},
		{"0:00", 0, 0},
	}
	for _, tc := range good {
		t.Run(tc.in, func(t *testing.T) {
			h, m, err := schedule.ParseClock(tc.in)
			if err != nil || h != tc.h || m != tc.m {
				t.Fatalf("ParseClock(%q) = %d, %d, %v; want %d, %d, nil", tc.in, h, m, err, tc.h, tc.m)
			}
		})
	}
	bad := []string{"", "9", "0900", "24:00", "25:00", "12:60", "9:5", "7:5", "09:000", "123:00", "ab:cd", "09:00:00", "09-00", ":30",
		" 07:00", "07:00 ", " 18:30 ", "+9:00", "-0:00", "09:+5", "09:-0", "+09:00", "٠٩:٠٠", "9 :00", "09: 0"}
	for _, in := range bad {
		t.Run("bad "+in, func(t *testing.T) {
			if h, m, err := schedule.ParseClock(in); err == nil {
				t.Fatalf("ParseClock(%q) = %d, %d, nil; want an error", in, h, m)
			}
		})
	}
}

func TestParseWindow(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"22:00-08:00", "22:00-08:00"},
		{"8:00-22:00", "08:00-22:00"},
		{" 23:30-00:15 ", "23:30-00:15"},
		{"", ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			w, err := schedule.ParseWindow(tc.in)
			if err != nil {
				t.Fatalf("ParseWindow(%q): %v", tc.in, err)
			}
			if got := w.String(); got != tc.want {
				t.Fatalf("ParseWindow(%q).String() = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	for _, in := range []string{"22:00", "22:00-22:00", "25:00-08:00", "22:00-8", "22:00–08:00", "-", "22:00-08:00-09:00"} {
		t.Run("bad "+in, func(t *testing.T) {
			if w, err := schedule.ParseWindow(in); err == nil {
				t.Fatalf("ParseWindow(%q) = %v, nil; want an error", in, w)
			}
		})
	}
}

func TestWindowContains(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	quiet, err := schedule.ParseWindow("22:00-08:00")
	if err != nil {
		t.Fatal(err)
	}
	day, err := schedule.ParseWindow("08:00-22:00")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		wall           string // local to New York
		inQuiet, inDay bool
	}{
		{"2026-03-02 21:59", false, true},
		{"2026-03-02 22:00", true, false},
		{"2026-03-02 23:59", true, false},
		{"2026-03-03 00:00", true, false},
		{"2026-03-03 03:00", true, false},
		{"2026-03-03 07:59", true, false},
		{"2026-03-03 08:00", false, true},
		{"2026-03-03 12:00", false, true},
		{"2026-03-08 01:59", true, false}, // the spring-forward night
		{"2026-03-08 03:00", true, false},
	} {
		t.Run(tc.wall, func(t *testing.T) {
			at, err := time.ParseInLocation("2006-01-02 15:04", tc.wall, ny)
			if err != nil {
				t.Fatal(err)
			}
			if got := quiet.Contains(at, ny); got != tc.inQuiet {
				t.Errorf("22:00-08:00 contains %s = %v, want %v", tc.wall, got, tc.inQuiet)
			}
			if got := day.Contains(at, ny); got != tc.inDay {
				t.Errorf("08:00-22:00 contains %s = %v, want %v", tc.wall, got, tc.inDay)
			}
			// The same instant read in UTC is a different wall time.
			if got, want := quiet.Contains(at, time.UTC), at.UTC().Hour() >= 22 || at.UTC().Hour() < 8; got != want {
				t.Errorf("22:00-08:00 contains %s read in UTC = %v, want %v", at.UTC(), got, want)
			}
		})
	}
	var empty schedule.Window
	if empty.Contains(time.Date(2026, 3, 3, 23, 0, 0, 0, ny), ny) {
		t.Error("the zero Window contains a time")
	}
}

func TestWindowEnd(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	berlin := mustZone(t, "Europe/Berlin")
	quiet, _ := schedule.ParseWindow("22:00-08:00")
	toGap, _ := schedule.ParseWindow("22:00-02:30")
	for _, tc := range []struct {
		name string
		w    schedule.Window
		at   time.Time
		loc  *time.Location
		want time.Time
	}{
		{"evening wraps to next morning", quiet, time.Date(2026, 3, 2, 23, 0, 0, 0, ny), ny, time.Date(2026, 3, 3, 8, 0, 0, 0, ny)},
		{"just at start", quiet, time.Date(2026, 3, 2, 22, 0, 0, 0, ny), ny, time.Date(2026, 3, 3, 8, 0, 0, 0, ny)},
		{"early morning same day", quiet, time.Date(2026, 3, 3, 3, 15, 0, 0, ny), ny, time.Date(2026, 3, 3, 8, 0, 0, 0, ny)},
		{"outside is itself", quiet, time.Date(2026, 3, 3, 12, 0, 0, 0, ny), ny, time.Date(2026, 3, 3, 12, 0, 0, 0, ny)},
		{"at end is outside", quiet, time.Date(2026, 3, 3, 8, 0, 0, 0, ny), ny, time.Date(2026, 3, 3, 8, 0, 0, 0, ny)},
		// 10 hours of wall clock, 9 of real time: 08:00 EDT is 12:00 UTC.
		{"US spring-forward night", quiet, time.Date(2026, 3, 7, 22, 30, 0, 0, ny), ny, time.Date(2026, 3, 8, 12, 0, 0, 0, time.UTC)},
		// 08:00 EST is 13:00 UTC.
		{"US fall-back night", quiet, time.Date(2026, 10, 31, 23, 0, 0, 0, ny), ny, time.Date(2026, 11, 1, 13, 0, 0, 0, time.UTC)},
		{"EU spring-forward night", quiet, time.Date(2026, 3, 28, 23, 0, 0, 0, berlin), berlin, time.Date(2026, 3, 29, 6, 0, 0, 0, time.UTC)},
		{"EU fall-back night", quiet, time.Date(2026, 10, 24, 23, 0, 0, 0, berlin), berlin, time.Date(2026, 10, 25, 7, 0, 0, 0, time.UTC)},
		// The window ends at 02:30, which 8 March 2026 skips in New York:
		// it ends when the clocks show 03:00 EDT.
		{"end inside the gap", toGap, time.Date(2026, 3, 7, 23, 0, 0, 0, ny), ny, time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.w.End(tc.at, tc.loc)
			if !got.Equal(tc.want) {
				t.Fatalf("End(%s) = %s, want %s", tc.at, got.In(tc.loc), tc.want.In(tc.loc))
			}
			if tc.w.Contains(got, tc.loc) {
				t.Fatalf("End(%s) = %s is still inside the window", tc.at, got.In(tc.loc))
			}
		})
	}
}

func TestAtDaylightSaving(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	berlin := mustZone(t, "Europe/Berlin")
	london := mustZone(t, "Europe/London")
	kolkata := mustZone(t, "Asia/Kolkata")
	utc := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name       string
		loc        *time.Location
		date       string
		hour, min  int
		want       time.Time // in UTC
		wantOnWall bool      // the local wall clock shows hour:min
	}{
		{"US before the change", ny, "2026-03-07", 9, 0, utc("2026-03-07 14:00"), true},
		{"US change day 09:00", ny, "2026-03-08", 9, 0, utc("2026-03-08 13:00"), true},
		{"US change day 01:59", ny, "2026-03-08", 1, 59, utc("2026-03-08 06:59"), true},
		{"US gap 02:30 moves to 03:00 EDT", ny, "2026-03-08", 2, 30, utc("2026-03-08 07:00"), false},
		{"US gap 02:00 moves to 03:00 EDT", ny, "2026-03-08", 2, 0, utc("2026-03-08 07:00"), false},
		{"US 03:00 after the gap", ny, "2026-03-08", 3, 0, utc("2026-03-08 07:00"), true},
		{"US day after the gap 02:30", ny, "2026-03-09", 2, 30, utc("2026-03-09 06:30"), true},
		{"US overlap 01:30 is the first (EDT)", ny, "2026-11-01", 1, 30, utc("2026-11-01 05:30"), true},
		{"US overlap 01:00 is the first (EDT)", ny, "2026-11-01", 1, 0, utc("2026-11-01 05:00"), true},
		{"US after the overlap 02:00 EST", ny, "2026-11-01", 2, 0, utc("2026-11-01 07:00"), true},
		{"US fall-back day 09:00", ny, "2026-11-01", 9, 0, utc("2026-11-01 14:00"), true},
		{"EU gap 02:30 moves to 03:00 CEST", berlin, "2026-03-29", 2, 30, utc("2026-03-29 01:00"), false},
		{"EU change day 09:00", berlin, "2026-03-29", 9, 0, utc("2026-03-29 07:00"), true},
		{"EU overlap 02:30 is the first (CEST)", berlin, "2026-10-25", 2, 30, utc("2026-10-25 00:30"), true},
		{"EU fall-back day 09:00", berlin, "2026-10-25", 9, 0, utc("2026-10-25 08:00"), true},
		{"London gap 01:30 moves to 02:00 BST", london, "2026-03-29", 1, 30, utc("2026-03-29 01:00"), false},
		{"London overlap 01:30 is the first (BST)", london, "2026-10-25", 1, 30, utc("2026-10-25 00:30"), true},
		{"Kolkata has no change", kolkata, "2026-03-08", 9, 0, utc("2026-03-08 03:30"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := schedule.At(tc.date, tc.hour, tc.min, tc.loc)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tc.want) {
				t.Fatalf("At(%s, %02d:%02d, %s) = %s (%s), want %s", tc.date, tc.hour, tc.min, tc.loc, got.UTC(), got.In(tc.loc), tc.want.In(tc.loc))
			}
			if d := schedule.LocalDate(got, tc.loc); d != tc.date {
				t.Fatalf("At(%s, ...) falls on local date %s", tc.date, d)
			}
			lt := got.In(tc.loc)
			if onWall := lt.Hour() == tc.hour && lt.Minute() == tc.min; onWall != tc.wantOnWall {
				t.Fatalf("At(%s, %02d:%02d) shows %s on the wall", tc.date, tc.hour, tc.min, lt.Format("15:04 MST"))
			}
		})
	}
	if _, err := schedule.At("2026-02-30", 9, 0, ny); err == nil {
		t.Error("At(2026-02-30) gave no error")
	}
	if _, err := schedule.At("March 1", 9, 0, ny); err == nil {
		t.Error("At(March 1) gave no error")
	}
}

// TestAtOncePerDate checks every quarter hour of every day of 2026 in
// zones with and without daylight saving: each date has exactly one
// instant, on that local date, later than the day before's and at most
// a day and an hour after it. No day is skipped, none doubled.
func TestAtOncePerDate(t *testing.T) {
	zones := []string{"America/New_York", "Europe/Berlin", "Europe/London", "Asia/Kolkata", "Australia/Sydney", "America/Sao_Paulo", "UTC"}
	for _, zone := range zones {
		loc := mustZone(t, zone)
		t.Run(zone, func(t *testing.T) {
			for q := 0; q < 96; q++ {
				h, m := q/4, q%4*15
				var prev time.Time
				date := "2025-12-31"
				for range 367 {
					next, err := schedule.AddDays(date, 1)
					if err != nil {
						t.Fatal(err)
					}
					date = next
					at, err := schedule.At(date, h, m, loc)
					if err != nil {
						t.Fatal(err)
					}
					if got := schedule.LocalDate(at, loc); got != date {
						t.Fatalf("At(%s, %02d:%02d) = %s, on local date %s", date, h, m, at.In(loc), got)
					}
					lt := at.In(loc)
					if lt.Hour()*60+lt.Minute() < h*60+m {
						t.Fatalf("At(%s, %02d:%02d) = %s, before the time asked", date, h, m, lt)
					}
					if !prev.IsZero() {
						gap := at.Sub(prev)
						if gap < 22*time.Hour || gap > 26*time.Hour {
							t.Fatalf("At(%s, %02d:%02d) = %s is %s after the day before (%s)", date, h, m, lt, gap, prev.In(loc))
						}
					}
					prev = at
				}
			}
		})
	}
}

func TestDaysBetween(t *testing.T) {
	for _, tc := range []struct {
		from, to string
		want     int
	}{
		{"2026-03-01", "2026-03-01", 0},
		{"2026-03-07", "2026-03-09", 2},  // US spring forward in between
		{"2026-03-28", "2026-03-30", 2},  // EU spring forward
		{"2026-10-24", "2026-10-26", 2},  // EU fall back
		{"2026-10-31", "2026-11-02", 2},  // US fall back
		{"2026-03-01", "2026-04-05", 35}, // the demo month
		{"2026-02-28", "2026-03-01", 1},
		{"2028-02-28", "2028-03-01", 2}, // leap year
		{"2026-01-01", "2027-01-01", 365},
		{"2026-03-09", "2026-03-07", -2},
	} {
		t.Run(tc.from+"→"+tc.to, func(t *testing.T) {
			got, err := schedule.DaysBetween(tc.from, tc.to)
			if err != nil || got != tc.want {
				t.Fatalf("DaysBetween(%s, %s) = %d, %v; want %d", tc.from, tc.to, got, err, tc.want)
			}
			back, err := schedule.AddDays(tc.from, tc.want)
			if err != nil || back != tc.to {
				t.Fatalf("AddDays(%s, %d) = %s, %v; want %s", tc.from, tc.want, back, err, tc.to)
			}
		})
	}
	for _, bad := range [][2]string{{"2026-02-30", "2026-03-01"}, {"2026-03-01", "tomorrow"}, {"", "2026-03-01"}} {
		if n, err := schedule.DaysBetween(bad[0], bad[1]); err == nil {
			t.Errorf("DaysBetween(%q, %q) = %d, nil; want an error", bad[0], bad[1], n)
		}
	}
	if _, err := schedule.AddDays("2026-13-01", 1); err == nil {
		t.Error("AddDays(2026-13-01) gave no error")
	}
}

func TestLocalDate(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	kolkata := mustZone(t, "Asia/Kolkata")
	at := time.Date(2026, 3, 8, 4, 30, 0, 0, time.UTC)
	for loc, want := range map[*time.Location]string{ny: "2026-03-07", kolkata: "2026-03-08", time.UTC: "2026-03-08"} {
		if got := schedule.LocalDate(at, loc); got != want {
			t.Errorf("LocalDate(%s, %s) = %s, want %s", at, loc, got, want)
		}
	}
}

func ExampleAt() {
	ny, _ := time.LoadLocation("America/New_York")
	// 02:30 does not exist in New York on 8 March 2026.
	at, _ := schedule.At("2026-03-08", 2, 30, ny)
	fmt.Println(at.In(ny).Format("2006-01-02 15:04 MST"))
	// 01:30 happens twice on 1 November 2026: the first one counts.
	at, _ = schedule.At("2026-11-01", 1, 30, ny)
	fmt.Println(at.In(ny).Format("2006-01-02 15:04 MST"))
	// Output:
	// 2026-03-08 03:00 EDT
	// 2026-11-01 01:30 EDT
}
