package schedule

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// dateLayout is how a civil (local) date is written everywhere in kindling.
const dateLayout = "2006-01-02"

// ParseClock reads a 24-hour "HH:MM" time of day, the hour of one or two
// digits: "09:00", "9:05" and "23:59" are times; "24:00", "7:5", "+9:00",
// "09:+5" and " 07:00" are not. It is the one rule for a time of day written
// in kindling's files and records (config, stored send times): nothing is
// trimmed or signed, so a value read back is the value that was checked.
// What a person types in a chat is read more freely by the bot.
func ParseClock(s string) (hour, minute int, err error) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) < 1 || len(h) > 2 || len(m) != 2 || !digits(h) || !digits(m) {
		return 0, 0, fmt.Errorf("time of day %q: want HH:MM", s)
	}
	hour, _ = strconv.Atoi(h)
	minute, _ = strconv.Atoi(m)
	if hour > 23 || minute > 59 {
		return 0, 0, fmt.Errorf("time of day %q: want HH:MM between 00:00 and 23:59", s)
	}
	return hour, minute, nil
}

// digits reports whether s is made of ASCII digits only.
func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// LocalDate is the civil date of t in loc, as "2006-01-02".
func LocalDate(t time.Time, loc *time.Location) string {
	return t.In(loc).Format(dateLayout)
}

// DaysBetween counts the civil days from one "2006-01-02" date to another;
// it is negative when to comes first. Civil dates have no time zone, so the
// count is the same everywhere and across daylight-saving changes.
func DaysBetween(from, to string) (int, error) {
	a, err := time.Parse(dateLayout, from)
	if err != nil {
		return 0, fmt.Errorf("date %q: %w", from, err)
	}
	b, err := time.Parse(dateLayout, to)
	if err != nil {
		return 0, fmt.Errorf("date %q: %w", to, err)
	}
	return int(b.Sub(a).Hours() / 24), nil
}

// AddDays returns the civil date n days after date.
func AddDays(date string, n int) (string, error) {
	d, err := time.Parse(dateLayout, date)
	if err != nil {
		return "", fmt.Errorf("date %q: %w", date, err)
	}
	return d.AddDate(0, 0, n).Format(dateLayout), nil
}

// At is the instant at which the wall clocks of loc show hour:minute on
// the civil date. When that moment does not exist (the hour skipped by a
// spring-forward change) it is the first instant after the gap, so a
// client whose time falls in the gap still hears from kindling that day.
// When it exists twice (autumn), it is the first of the two.
func At(date string, hour, minute int, loc *time.Location) (time.Time, error) {
	d, err := time.Parse(dateLayout, date)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q: %w", date, err)
	}
	t := time.Date(d.Year(), d.Month(), d.Day(), hour, minute, 0, 0, loc)
	if lt := t.In(loc); lt.Hour() == hour && lt.Minute() == minute {
		// The wall time exists. Go may have picked the later of two
		// instants in an autumn overlap; prefer the earlier.
		if earlier := t.Add(-time.Hour); earlier.In(loc).Hour() == hour && earlier.In(loc).Minute() == minute {
			return earlier, nil
		}
		return t, nil
	}
	// In a gap: find the first instant whose wall clock is past the
	// requested time on that date.
	want := hour*60 + minute
	start := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
	for probe := start; probe.In(loc).Format(dateLayout) == date; probe = probe.Add(15 * time.Minute) {
		lt := probe.In(loc)
		if lt.Hour()*60+lt.Minute() >= want {
			return probe, nil
		}
	}
	return t, nil
}

// Window is a daily span of local wall-clock time, such as quiet hours
// from 22:00 to 08:00. The zero Window is empty.
type Window struct {
	start, end int // minutes after midnight
	set        bool
}

// ParseWindow reads "HH:MM-HH:MM". An empty string is the empty window.
// A window whose end comes before its start wraps past midnight.
func ParseWindow(s string) (Window, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Window{}, nil
	}
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return Window{}, fmt.Errorf("window %q: want HH:MM-HH:MM", s)
	}
	h1, m1, err := ParseClock(a)
	if err != nil {
		return Window{}, fmt.Errorf("window %q: %w", s, err)
	}
	h2, m2, err := ParseClock(b)
	if err != nil {
		return Window{}, fmt.Errorf("window %q: %w", s, err)
	}
	if h1 == h2 && m1 == m2 {
		return Window{}, errors.New("window " + strconv.Quote(s) + ": start and end are the same")
	}
	return Window{start: h1*60 + m1, end: h2*60 + m2, set: true}, nil
}

// Contains reports whether t, read on the wall clocks of loc, falls in
// the window.
func (w Window) Contains(t time.Time, loc *time.Location) bool {
	if !w.set {
		return false
	}
	lt := t.In(loc)
	m := lt.Hour()*60 + lt.Minute()
	if w.start < w.end {
		return m >= w.start && m < w.end
	}
	return m >= w.start || m < w.end
}

// End is the first instant at or after t that is outside the window.
func (w Window) End(t time.Time, loc *time.Location) time.Time {
	if !w.Contains(t, loc) {
		return t
	}
	date := LocalDate(t, loc)
	lt := t.In(loc)
	if w.start > w.end && lt.Hour()*60+lt.Minute() >= w.start {
		date, _ = AddDays(date, 1)
	}
	end, err := At(date, w.end/60, w.end%60, loc)
	if err != nil || !end.After(t) {
		return t
	}
	return end
}

// String gives the window back as "HH:MM-HH:MM", or "" when empty.
func (w Window) String() string {
	if !w.set {
		return ""
	}
	return fmt.Sprintf("%02d:%02d-%02d:%02d", w.start/60, w.start%60, w.end/60, w.end%60)
}
