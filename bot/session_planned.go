package bot

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"kindling/prompts"
	"kindling/schedule"
	"kindling/store"
)

// A session can be logged ahead of time, by the client (/session with a
// date to come, or at onboarding) or by their coach (/session <client>
// <date>). Until its
// date the days still count from the session before; the sequence's steps
// with negative days (day -1: the day before) go out before it; on its
// date it becomes the session that counts. The schedule does the
// counting (schedule.plan); this file logs the date.

// maxPlanAhead is how far ahead a session may be logged, in days.
const maxPlanAhead = 180

// plannedDate reads a date after today (now is the client's local time):
// "tomorrow", "in N days", "2026-03-20", "20 March" (this year's) or
// "20 March 2027", and the Spanish words. ok is false when input is not a
// date to come, to be read as a session that has happened; problem is
// the key of a message when it is one but too far ahead.
func plannedDate(input string, now time.Time) (date, problem string, ok bool) {
	s := strings.ToLower(strings.TrimSpace(input))
	s = strings.Join(strings.Fields(strings.NewReplacer(",", " ", "de ", " ").Replace(s)), " ")
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	var d time.Time
	f := strings.Fields(s)
	switch {
	case s == "tomorrow" || s == "mañana" || s == "manana":
		d = today.AddDate(0, 0, 1)
	case len(f) == 3 && (f[0] == "in" || f[0] == "en") && strings.HasPrefix(f[2], "d"):
		n, err := strconv.Atoi(f[1])
		if err != nil || n < 1 {
			return "", "", false
		}
		d = today.AddDate(0, 0, n)
	default:
		var bad string
		if d, bad = parseDateWords(s, today); bad != "" {
			return "", "", false
		}
		if len(f) == 2 && !d.After(today) {
			// "20 March" is read as last year's by parseDateWords when
			// it is still to come; this year's is the one meant here.
			if next := d.AddDate(1, 0, 0); next.After(today) && next.Sub(today) <= maxPlanAhead*24*time.Hour {
				d = next
			}
		}
	}
	if !d.After(today) {
		return "", "", false
	}
	if d.Sub(today) > maxPlanAhead*24*time.Hour {
		return "", "session_too_far", true
	}
	return d.Format("2006-01-02"), "", true
}

// planSession logs a session on date, after today, for c. An intention
// the client noted with /intention goes with it.
func (b *Bot) planSession(tx *store.Tx, c *store.Client, date string) error {
	s, found, err := sessionOn(tx, c.ChatID, date)
	if err != nil {
		return err
	}
	if !found {
		s = store.Session{ChatID: c.ChatID, Date: date, CreatedAt: b.now()}
	}
	if intention := c.FlowData["intention"]; intention != "" && s.Intention == "" {
		s.Intention = intention
		delete(c.FlowData, "intention")
	}
	return tx.AddSession(s)
}

// coachSession answers a coach's /session <client> <date>: it logs the
// client's next session and tells them. It reports false when args name
// no date to come, so that /session alone goes the usual way (a coach
// may be a client too).
func (b *Bot) coachSession(tx *store.Tx, fx *effects, co Coach, chat int64, lang, args string) (bool, error) {
	f := strings.Fields(args)
	switch len(f) {
	case 0:
		return false, nil
	case 1:
		return true, b.say(tx, fx, chat, b.text(lang, "coach_session_usage", prompts.Vars{}))
	}
	// The date is the last one to three words; the rest names the client.
	for n := min(3, len(f)-1); n >= 1; n-- {
		when := strings.Join(f[len(f)-n:], " ")
		date, problem, ok := plannedDate(when, b.now())
		if !ok {
			continue
		}
		if problem != "" {
			return true, b.say(tx, fx, chat, b.text(lang, problem, prompts.Vars{}))
		}
		query := strings.Join(f[:len(f)-n], " ")
		return true, b.withClient(tx, fx, co, chat, lang, query, kindCoachSession, date, func(c store.Client) error {
			return b.planSessionFor(tx, fx, co, chat, lang, c, date)
		})
	}
	return true, b.say(tx, fx, chat, b.text(lang, "coach_session_usage", prompts.Vars{}))
}

// planSessionFor logs date as the next session of the coach's client c,
// once it is still to come in the client's own time zone, and tells both.
func (b *Bot) planSessionFor(tx *store.Tx, fx *effects, co Coach, chat int64, lang string, c store.Client, date string) error {
	loc, err := loadZone(c.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	v := prompts.Vars{Name: c.Name, Coach: co.Name, Date: b.formatDate(lang, date)}
	if date <= b.now().In(loc).Format("2006-01-02") {
		return b.say(tx, fx, chat, b.text(lang, "coach_session_past", v))
	}
	if err := b.planSession(tx, &c, date); err != nil {
		return err
	}
	if err := b.planner.Reschedule(tx, &c, b.now()); err != nil {
		return err
	}
	if err := tx.PutClient(c); err != nil {
		return err
	}
	if err := b.say(tx, fx, chat, b.text(lang, "coach_session_planned", v)); err != nil {
		return err
	}
	v.Date = b.formatDate(c.Language, date)
	return b.say(tx, fx, c.ChatID, b.text(c.Language, "session_planned_by_coach", v))
}

// countingSession is the session the days count from on today: the
// latest one on or before it, not one planned ahead.
func countingSession(tx *store.Tx, chatID int64, today string) (store.Session, bool, error) {
	ss, err := tx.Sessions(chatID)
	if err != nil {
		return store.Session{}, false, err
	}
	for i := len(ss) - 1; i >= 0; i-- {
		if ss[i].Date <= today {
			return ss[i], true, nil
		}
	}
	return store.Session{}, false, nil
}

// sessionSummary is the part of a client's line in /clients about their
// sessions: the day since the one that counts, and the next one when it
// is logged ahead.
func (b *Bot) sessionSummary(tx *store.Tx, chatID int64, today, lang string) (string, error) {
	ss, err := tx.Sessions(chatID)
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	counting, next := "", ""
	for _, s := range ss {
		if s.Date <= today {
			counting = s.Date
		} else if next == "" {
			next = s.Date
		}
	}
	if counting != "" {
		day, _ := schedule.DaysBetween(counting, today)
		fmt.Fprintf(&sb, " — day %d", day)
	}
	if next != "" {
		sb.WriteString(" — next session " + b.formatDate(lang, next))
	}
	return sb.String(), nil
}

// sessionOfDay is the session a step of day counts from today, as the
// schedule chooses it: for a negative day the next session after today,
// else the latest on or before today. {intention} and {date} come from it.
func (b *Bot) sessionOfDay(tx *store.Tx, c *store.Client, day int) (store.Session, bool, error) {
	loc, err := loadZone(c.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	today := b.now().In(loc).Format("2006-01-02")
	if day >= 0 {
		return countingSession(tx, c.ChatID, today)
	}
	ss, err := tx.Sessions(c.ChatID)
	if err != nil {
		return store.Session{}, false, err
	}
	for _, s := range ss {
		if s.Date > today {
			return s, true, nil
		}
	}
	return store.Session{}, false, nil
}
