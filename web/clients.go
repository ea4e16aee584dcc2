package web

import (
	"html/template"
	"net/http"
	"sort"
	"strings"
	"time"

	"kindling/prompts"
	"kindling/store"
)

// moodQuestion is the question whose answers draw the mood line.
const moodQuestion = "mood"

// clientRow is one line of the clients page.
type clientRow struct {
	ID          int64
	Name        string
	Username    string
	Status      string
	Paused      bool
	HasDay      bool
	Day         int
	SessionDate string
	DayText     string // "day 12", in the coach's words
	NextSession string // "next session Wed 25 Nov 2026", "" for none
	AlertsText  string // "2 open alerts", "" for none
	LastAnswer  string // "today", "3 days ago", "" for never
	Mood        template.HTML
	MoodText    string // the mood line in words, for screen readers and without SVG
	OpenAlerts  int
	// Band is the band of the latest scored check-in ("" until there is
	// one, or without check-ins).
	Band string
}

type clientsData struct {
	Rows     []clientRow
	HasBands bool
	L        clientLabels // the column names, in the coach's words once for every row
}

type clientLabels struct {
	Client, Day, LastAnswer, Mood, CheckIn, Alerts, Status, NoSession, NoneYet, NoneOpen string
}

// clientsPage lists the coach's own clients.
func (s *Server) clientsPage(w http.ResponseWriter, r *http.Request, sess *session) {
	d, err := s.clients(sess.Coach, s.words(sess.Language))
	if err != nil {
		s.fail(w, r, "clients", err)
		return
	}
	s.render(w, r, "clients", sess, pageData{Title: "Your clients", Nav: "clients", Data: d})
}

// clients reads the coach's clients through the coach index, in one read
// transaction.
func (s *Server) clients(coach int64, w words) (clientsData, error) {
	now := s.opts.Now()
	set := s.opts.Prompts()
	scales := map[string]*prompts.Scale{}
	d := clientsData{L: clientLabels{
		Client: w.T("Client"), Day: w.T("Day"), LastAnswer: w.T("Last answer"), Mood: w.T("Mood, 30 days"),
		CheckIn: w.T("Check-in"), Alerts: w.T("Alerts"), Status: w.T("Status"),
		NoSession: w.T("no session yet"), NoneYet: w.T("none yet"), NoneOpen: w.T("none open"),
	}}
	err := s.opts.DB.View(func(tx *store.Tx) error {
		d.Rows = d.Rows[:0]
		return tx.CoachClients(coach, func(c store.Client) error {
			row, err := s.clientRow(tx, c, now, set, scales, w)
			if err != nil {
				return err
			}
			if row.Band != "" {
				d.HasBands = true
			}
			d.Rows = append(d.Rows, row)
			return nil
		})
	})
	sort.SliceStable(d.Rows, func(i, j int) bool {
		a, b := d.Rows[i], d.Rows[j]
		if (a.OpenAlerts > 0) != (b.OpenAlerts > 0) {
			return a.OpenAlerts > 0
		}
		return strings.ToLower(a.Name) < strings.ToLower(b.Name)
	})
	return d, err
}

func (s *Server) clientRow(tx *store.Tx, c store.Client, now time.Time, set *prompts.Set, scales map[string]*prompts.Scale, w words) (clientRow, error) {
	loc := s.zone(c.TimeZone)
	today := dateOf(now.In(loc))
	row := clientRow{ID: c.ChatID, Name: c.Name, Username: c.Username, Status: statusWord(c, now, w), Paused: c.Status != store.StatusActive}
	counting, next, err := countingSession(tx, c.ChatID, today)
	if err != nil {
		return row, err
	}
	if counting != "" {
		row.HasDay, row.Day, row.SessionDate = true, daysBetween(counting, today), counting
		row.DayText = w.F("day %d", row.Day)
	}
	if next != "" {
		row.NextSession = w.F("next session %s", w.DateOf(next))
	}
	if at, ok, err := tx.LatestReplyAt(c.ChatID); err != nil {
		return row, err
	} else if ok {
		row.LastAnswer = ago(daysBetween(dateOf(at.In(loc)), today), w)
	}
	from := dateOf(now.In(loc).AddDate(0, 0, -29))
	fromDay, _ := parseDate(from)
	var pts []moodPoint
	err = tx.ScaleAnswers(c.ChatID, from, moodQuestion, func(a store.ScaleAnswer) error {
		if d, err := parseDate(a.LocalDate); err == nil && a.Value != nil {
			pts = append(pts, moodPoint{Day: int(d.Sub(fromDay).Round(time.Hour).Hours() / 24), Value: *a.Value})
		}
		return nil
	})
	if err != nil {
		return row, err
	}
	lo, hi := 1, 10
	if sc := scaleOf(set, c, moodQuestion, scales); sc != nil {
		lo, hi = sc.Min, sc.Max
	}
	row.Mood, row.MoodText = moodLine(pts, lo, hi, w)
	alerts, err := tx.Alerts(c.ChatID)
	if err != nil {
		return row, err
	}
	for _, a := range alerts {
		if a.Open() {
			row.OpenAlerts++
		}
	}
	if row.OpenAlerts > 0 {
		row.AlertsText = w.N(row.OpenAlerts, "%d open alert", "%d open alerts")
	}
	if s.opts.CheckinBand != nil {
		if row.Band, err = s.opts.CheckinBand(tx, c.ChatID); err != nil {
			return row, err
		}
	}
	return row, nil
}

// countingSession is the date of the session the days count from today
// (the latest on or before today, not one logged ahead), and the date of
// the next one logged ahead; "" for none.
func countingSession(tx *store.Tx, chatID int64, today string) (counting, next string, err error) {
	sessions, err := tx.Sessions(chatID) // in date order; a client has few
	if err != nil {
		return "", "", err
	}
	for _, s := range sessions {
		if s.Date <= today {
			counting = s.Date
		} else if next == "" {
			next = s.Date
		}
	}
	return counting, next, nil
}

// scaleOf is the scale of question id in the client's sequence, nil when
// it has none; scales caches it per sequence and language.
func scaleOf(set *prompts.Set, c store.Client, id string, scales map[string]*prompts.Scale) *prompts.Scale {
	key := c.Sequence + "\x00" + c.Language + "\x00" + id
	if sc, ok := scales[key]; ok {
		return sc
	}
	var sc *prompts.Scale
	if seq, ok := set.Sequence(c.Sequence, c.Language); ok {
		if q, ok := seq.Question(id); ok && q.Scale != nil {
			sc = q.Scale
		}
	}
	scales[key] = sc
	return sc
}

// statusWord says where the client stands, in words.
func statusWord(c store.Client, now time.Time, w words) string {
	switch {
	case c.Setup != "":
		return w.T("setting up")
	case c.Status == store.StatusPaused && !c.PausedUntil.IsZero() && c.PausedUntil.After(now):
		return w.F("paused until %s", w.Date(c.PausedUntil.UTC()))
	case c.Status == store.StatusPaused:
		return w.T("paused")
	case c.Status == store.StatusStopped:
		return w.T("stopped")
	case c.Status == store.StatusUnreachable:
		return w.T("unreachable")
	}
	return w.T("active")
}

const dateLayout = "2006-01-02"

func dateOf(t time.Time) string { return t.Format(dateLayout) }

// daysBetween is the number of days from date a to date b (2006-01-02),
// 0 when either cannot be read.
func daysBetween(a, b string) int {
	ta, err1 := time.Parse(dateLayout, a)
	tb, err2 := time.Parse(dateLayout, b)
	if err1 != nil || err2 != nil {
		return 0
	}
	return int(tb.Sub(ta).Round(time.Hour).Hours() / 24)
}

// ago says how many days back n days is.
func ago(n int, w words) string {
	switch {
	case n <= 0:
		return w.T("today")
	case n == 1:
		return w.T("yesterday")
	}
	return w.F("%d days ago", n)
}
