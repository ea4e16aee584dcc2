package bot

import (
	"strconv"
	"strings"
	"time"
)

// months maps English and Spanish month names and abbreviations.
var months = map[string]time.Month{
	"jan": 1, "january": 1, "ene": 1, "enero": 1,
	"feb": 2, "february": 2, "febrero": 2,
	"mar": 3, "march": 3, "marzo": 3,
	"apr": 4, "april": 4, "abr": 4, "abril": 4,
	"may": 5, "mayo": 5,
	"jun": 6, "june": 6, "junio": 6,
	"jul": 7, "july": 7, "julio": 7,
	"aug": 8, "august": 8, "ago": 8, "agosto": 8,
	"sep": 9, "sept": 9, "september": 9, "septiembre": 9, "setiembre": 9,
	"oct": 10, "october": 10, "octubre": 10,
	"nov": 11, "november": 11, "noviembre": 11,
	"dec": 12, "december": 12, "dic": 12, "diciembre": 12,
}

// maxSessionAge is how far back a session may be logged.
const maxSessionAge = 5 * 366

// parseSessionDate reads the date of a session that has happened, in the
// client's local calendar (now is their local time): "today",
// "yesterday", "YYYY-MM-DD", "N days ago", "3 Mar", "3 March 2026",
// "March 3" (and the Spanish words). It returns the date as "2006-01-02",
// or the key of a message saying what is wrong.
func parseSessionDate(input string, now time.Time) (string, string) {
	s := strings.ToLower(strings.TrimSpace(input))
	s = strings.Join(strings.Fields(strings.NewReplacer(",", " ", "de ", " ").Replace(s)), " ")
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	var d time.Time
	switch s {
	case "today", "hoy", "now":
		d = today
	case "yesterday", "ayer":
		d = today.AddDate(0, 0, -1)
	case "tomorrow", "mañana", "manana":
		return "", "session_future"
	default:
		var problem string
		d, problem = parseDateWords(s, today)
		if problem != "" {
			return "", problem
		}
	}
	if d.After(today) {
		return "", "session_future"
	}
	if today.Sub(d) > maxSessionAge*24*time.Hour {
		return "", "session_too_old"
	}
	return d.Format("2006-01-02"), ""
}

func parseDateWords(s string, today time.Time) (time.Time, string) {
	f := strings.Fields(s)
	// "N days ago", "hace N días"
	if len(f) >= 2 {
		if f[0] == "hace" && len(f) == 3 && strings.HasPrefix(f[2], "d") {
			f = []string{f[1], "days", "ago"}
		}
		if len(f) == 3 && (f[1] == "days" || f[1] == "day") && f[2] == "ago" {
			n, err := strconv.Atoi(f[0])
			if err != nil || n < 0 || n > maxSessionAge {
				return time.Time{}, "session_invalid"
			}
			return today.AddDate(0, 0, -n), ""
		}
	}
	// ISO "2026-03-01"
	if len(f) == 1 && strings.Count(s, "-") == 2 {
		parts := strings.Split(s, "-")
		y, err1 := strconv.Atoi(parts[0])
		m, err2 := strconv.Atoi(parts[1])
		dd, err3 := strconv.Atoi(parts[2])
		if err1 != nil || err2 != nil || err3 != nil || len(parts[0]) != 4 {
			return time.Time{}, "session_invalid"
		}
		return civil(y, m, dd)
	}
	// "3 mar [2026]", "mar 3 [2026]", "3. märz" is not attempted.
	if len(f) == 2 || len(f) == 3 {
		day, month := f[0], f[1]
		if _, err := strconv.Atoi(strings.TrimSuffix(day, ".")); err != nil {
			day, month = f[1], f[0]
		}
		day = strings.TrimRight(strings.TrimSuffix(day, "."), "stndrh")
		m, ok := months[strings.TrimSuffix(month, ".")]
		dd, err := strconv.Atoi(day)
		if !ok || err != nil {
			return time.Time{}, "session_invalid"
		}
		y := today.Year()
		if len(f) == 3 {
			if y, err = strconv.Atoi(f[2]); err != nil || y < 1000 {
				return time.Time{}, "session_invalid"
			}
			return civil(y, int(m), dd)
		}
		d, problem := civil(y, int(m), dd)
		if problem == "" && d.After(today) {
			// "20 Dec" said in January means last December.
			return civil(y-1, int(m), dd)
		}
		return d, problem
	}
	return time.Time{}, "session_invalid"
}

// civil builds a date, refusing days the month does not have ("31 Feb").
func civil(y, m, d int) (time.Time, string) {
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, "session_invalid"
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d {
		return time.Time{}, "session_no_such_day"
	}
	return t, ""
}

// formatDate writes a civil date ("2006-01-02") for a person in lang, with
// its year: "Tue 1 Dec 2026", "mar 1 de dic de 2026".
func (b *Bot) formatDate(lang, date string) string {
	t, err := time.Parse("2006-01-02", date)
	if err != nil {
		return date
	}
	return b.words(lang).DateYear(t)
}

// formatDay writes the civil date of t, in t's location, for a person in
// lang, without the year: "Fri 4 Dec", "vie 4 dic".
func (b *Bot) formatDay(lang string, t time.Time) string {
	return b.words(lang).Date(t)
}

// formatDayTime is formatDay with the time of day: "Fri 4 Dec 15:04".
func (b *Bot) formatDayTime(lang string, t time.Time) string {
	return b.words(lang).Date(t) + " " + t.Format("15:04")
}
