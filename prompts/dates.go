package prompts

import (
	"strconv"
	"strings"
	"time"
)

// The messages that write a date for a person, in each language: the
// short names of the weekdays (Monday first) and of the months (January
// first), each a YAML list, and the order of the parts, with {weekday},
// {day}, {month} and {year}.
const (
	dateWeekdays = "date_weekdays" // [Mon, Tue, ...]: 7 names, Monday first
	dateMonths   = "date_months"   // [Jan, Feb, ...]: 12 names, January first
	dateShort    = "date_short"    // "{weekday} {day} {month}"
	dateLong     = "date_long"     // "{weekday} {day} {month} {year}"
)

// dateLists are the messages written as lists, with the number of names each needs.
var dateLists = map[string]struct {
	count int
	what  string
}{
	dateWeekdays: {7, "weekday names, Monday first"},
	dateMonths:   {12, "month names, January first"},
}

// dateVars are the placeholders of a date layout.
var dateVars = []string{"weekday", "day", "month", "year"}

// listSep joins the names of a list message inside Messages.
const listSep = "\n"

// Date writes t's civil date for a person, without the year: "Fri 4 Dec",
// "vie 4 dic".
func (m Messages) Date(t time.Time) string { return m.date(t, dateShort, "Mon 2 Jan") }

// DateYear writes t's civil date with the year: "Tue 1 Dec 2026".
func (m Messages) DateYear(t time.Time) string { return m.date(t, dateLong, "Mon 2 Jan 2006") }

func (m Messages) date(t time.Time, layoutKey, fallback string) string {
	days := strings.Split(m[dateWeekdays], listSep)
	months := strings.Split(m[dateMonths], listSep)
	layout := m[layoutKey]
	if len(days) != 7 || len(months) != 12 || layout == "" {
		// Validation keeps the default language complete; this only
		// serves a Messages built by hand.
		return t.Format(fallback)
	}
	r := strings.NewReplacer(
		"{weekday}", days[(int(t.Weekday())+6)%7],
		"{day}", strconv.Itoa(t.Day()),
		"{month}", months[t.Month()-1],
		"{year}", strconv.Itoa(t.Year()),
	)
	return r.Replace(layout)
}
