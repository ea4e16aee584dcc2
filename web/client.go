package web

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"kindling/prompts"
	"kindling/report"
	"kindling/store"
)

type clientData struct {
	ID                  int64
	Name, Username      string
	Status              string
	Sequence, Language  string
	TimeZone, SendTime  string
	HasDay              bool
	Day                 int
	SessionDate         string
	Month, Prev, Next   string // "November 2026"; "2026-10", "2026-12" ("" past today)
	MonthParam          string
	Sessions            []sessionView
	Charts              []chartView
	Alerts              []alertView
	Strip               []stripDay
	Days                []dayView
	Answers, Unanswered int
}

type sessionView struct {
	Date, Intention, Note string
	InMonth, Planned      bool
}

type stripDay struct {
	Date, Label, Anchor string
	Answered, Session   bool
	Future              bool
}

type dayView struct {
	Anchor, Heading string
	Items           []itemView
}

type itemView struct {
	Question   string
	Answer     string
	Kind       string
	At         string
	Edits      []editView
	VoiceURL   string
	VoiceLen   string
	Journal    bool
	Flagged    bool
	Unanswered bool
}

type editView struct{ At, Answer string }

// ownClient reads the client of the {id} of the path; it must be the coach's
// own, or the answer is 404 as for a client that does not exist.
func (s *Server) ownClient(tx *store.Tx, r *http.Request, coach int64) (store.Client, bool, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id == 0 {
		return store.Client{}, false, nil
	}
	c, err := tx.Client(id)
	if errors.Is(err, store.ErrNotFound) {
		return c, false, nil
	}
	if err != nil {
		return c, false, err
	}
	return c, c.Coach == coach, nil
}

// clientPage shows one client's month.
func (s *Server) clientPage(w http.ResponseWriter, r *http.Request, sess *session) {
	var d clientData
	found := false
	err := s.opts.DB.View(func(tx *store.Tx) error {
		c, ok, err := s.ownClient(tx, r, sess.Coach)
		if err != nil || !ok {
			return err
		}
		found = true
		d, err = s.clientMonth(tx, c, r.URL.Query().Get("month"), sess.coach, s.words(sess.Language))
		return err
	})
	if err != nil {
		s.fail(w, r, "client page", err)
		return
	}
	if !found {
		s.notFound(w, r)
		return
	}
	if !s.recordView(w, r, d.ID, sess.Coach, "client") {
		return
	}
	s.render(w, r, "client", sess, pageData{Title: d.Name, Nav: "clients", Data: d})
}

// recordView writes the audit record of a view; without it nothing is
// shown.
func (s *Server) recordView(w http.ResponseWriter, r *http.Request, chatID, coach int64, what string) bool {
	err := s.opts.DB.Update(func(tx *store.Tx) error {
		return tx.AddWebView(store.WebView{ChatID: chatID, Coach: coach, At: s.opts.Now(), What: what})
	})
	if err != nil {
		s.fail(w, r, "record the view", err)
		return false
	}
	s.stats.views.Add(1)
	return true
}

// clientMonth gathers the page of client c for month ("2006-01"; empty:
// the client's current month).
func (s *Server) clientMonth(tx *store.Tx, c store.Client, month string, co Coach, w words) (clientData, error) {
	now := s.opts.Now()
	loc := s.zone(c.TimeZone)
	m := monthView{loc: loc, coachLoc: s.zone(co.TimeZone), w: w, today: dateOf(now.In(loc))}
	first, err := time.Parse("2006-01", month)
	if err != nil {
		first, _ = time.Parse("2006-01", m.today[:7])
	}
	m.first, m.next, m.param = first, first.AddDate(0, 1, 0), first.Format("2006-01")
	d := clientData{
		ID: c.ChatID, Name: c.Name, Username: c.Username, Status: statusWord(c, now, w),
		Sequence: c.Sequence, Language: c.Language, TimeZone: c.TimeZone, SendTime: c.SendTime,
		Month: monthName(first, w), MonthParam: m.param, Prev: first.AddDate(0, -1, 0).Format("2006-01"),
	}
	if m.next.Format("2006-01") <= m.today[:7] {
		d.Next = m.next.Format("2006-01")
	}
	sessionDays, err := m.sessions(tx, c, &d)
	if err != nil {
		return d, err
	}
	replies, err := tx.Replies(c.ChatID, time.Time{})
	if err != nil {
		return d, err
	}
	deliveries, err := tx.Deliveries(c.ChatID)
	if err != nil {
		return d, err
	}
	d.Charts = s.charts(c, replies, deliveries, w)
	alerts, err := tx.Alerts(c.ChatID)
	if err != nil {
		return d, err
	}
	for i := len(alerts) - 1; i >= 0; i-- {
		d.Alerts = append(d.Alerts, s.alertView(alerts[i], c.Name, m.coachLoc, w))
	}
	sortAlerts(d.Alerts)
	s.layDays(m, c, replies, deliveries, sessionDays, &d)
	return d, nil
}

// monthView is the month a client's page shows, and how its dates and
// times are written.
type monthView struct {
	first, next   time.Time // the first day of the month and of the next
	param         string    // the month as 2006-01
	today         string    // in the client's zone
	loc, coachLoc *time.Location
	w             words
}

// has reports whether a date (2006-01-02) is in the month.
func (m monthView) has(date string) bool { return strings.HasPrefix(date, m.param) }

// sessions lists the client's sessions, the latest first, sets the day
// they are on, and returns the dates that had one.
func (m monthView) sessions(tx *store.Tx, c store.Client, d *clientData) (map[string]bool, error) {
	sessions, err := tx.Sessions(c.ChatID)
	if err != nil {
		return nil, err
	}
	days := map[string]bool{}
	for i := len(sessions) - 1; i >= 0; i-- {
		ss := sessions[i]
		d.Sessions = append(d.Sessions, sessionView{Date: m.w.DateOf(ss.Date), Intention: ss.Intention, Note: ss.Note,
			InMonth: m.has(ss.Date), Planned: ss.Date > m.today})
		days[ss.Date] = true
		if ss.Date <= m.today && !d.HasDay { // the one the days count from, not one logged ahead
			d.HasDay, d.Day, d.SessionDate = true, daysBetween(ss.Date, m.today), m.w.DateOf(ss.Date)
		}
	}
	return days, nil
}

// charts draws the client's scale answers, one chart per question with
// at least two answers, as the bot's /progress groups them.
func (s *Server) charts(c store.Client, replies []store.Reply, deliveries []store.Delivery, w words) []chartView {
	scales := map[string]report.ScaleInfo{}
	if seq, ok := s.opts.Prompts().Sequence(c.Sequence, c.Language); ok {
		for _, rp := range replies {
			if _, done := scales[rp.QuestionID]; done || rp.Value == nil {
				continue
			}
			if q, ok := seq.Question(rp.QuestionID); ok && q.Kind == prompts.KindScale {
				scales[q.ID] = report.ScaleInfo{Title: prompts.Render(q.Label, prompts.Vars{Name: c.Name}), Min: q.Scale.Min, Max: q.Scale.Max, Low: q.Scale.Low, High: q.Scale.High}
			}
		}
	}
	var out []chartView
	for _, ch := range report.ChartsFrom(replies, deliveries, scales) {
		points := 0
		for _, se := range ch.Series {
			points += len(se.Points)
		}
		if points >= 2 {
			out = append(out, drawChart(ch, w))
		}
	}
	return out
}

// askedKey is one question of one delivery.
type askedKey struct {
	date string
	day  int
	q    string
}

// layDays lays out the month's days: every reply of each day (journal
// entries included), then the questions asked that day and left
// unanswered (from the deliveries), the newest day first; and the strip
// of the month's days.
func (s *Server) layDays(m monthView, c store.Client, replies []store.Reply, deliveries []store.Delivery, sessionDays map[string]bool, d *clientData) {
	w := m.w
	byDay := map[string]*dayView{}
	day := func(date string) *dayView {
		if dv, ok := byDay[date]; ok {
			return dv
		}
		dv := &dayView{Anchor: "d" + date, Heading: w.DateOf(date)}
		byDay[date] = dv
		return dv
	}
	answered := map[askedKey]bool{}
	for _, rp := range replies {
		date := rp.LocalDate
		if date == "" {
			date = dateOf(rp.At.In(m.loc))
		}
		if !m.has(date) {
			continue
		}
		answered[askedKey{rp.LocalDate, rp.Day, rp.QuestionID}] = true
		dv := day(date)
		dv.Items = append(dv.Items, s.item(c, rp, m))
		d.Answers++
	}
	for _, dl := range deliveries {
		if !m.has(dl.LocalDate) {
			continue
		}
		dv := day(dl.LocalDate)
		dv.Heading = w.F("%s · day %d", w.DateOf(dl.LocalDate), dl.Day)
		for _, q := range dl.Questions {
			if answered[askedKey{dl.LocalDate, dl.Day, q}] {
				continue
			}
			text := dl.Asked[q]
			if text == "" {
				text = q
			}
			dv.Items = append(dv.Items, itemView{Question: text, Unanswered: true})
			d.Unanswered++
		}
	}
	for t := m.first; t.Before(m.next); t = t.AddDate(0, 0, 1) {
		date := dateOf(t)
		sd := stripDay{Date: date, Label: strconv.Itoa(t.Day()), Session: sessionDays[date], Future: date > m.today}
		if dv, has := byDay[date]; has {
			sd.Anchor = dv.Anchor
			for _, it := range dv.Items {
				sd.Answered = sd.Answered || !it.Unanswered
			}
		}
		d.Strip = append(d.Strip, sd)
	}
	dates := make([]string, 0, len(byDay))
	for date := range byDay {
		dates = append(dates, date)
	}
	slices.Sort(dates)
	for i := len(dates) - 1; i >= 0; i-- {
		d.Days = append(d.Days, *byDay[dates[i]])
	}
}

// item is one reply on the page: the question as it was asked (or
// "Journal"), the answer, its earlier versions and its voice note.
func (s *Server) item(c store.Client, rp store.Reply, m monthView) itemView {
	w := m.w
	it := itemView{Question: rp.Question, Answer: rp.Answer, Kind: rp.Kind, At: rp.At.In(m.coachLoc).Format("15:04"),
		Journal: rp.QuestionID == "", Flagged: rp.Flagged}
	if it.Journal {
		it.Question = w.T("Journal")
	}
	for _, e := range rp.Edits {
		it.Edits = append(it.Edits, editView{At: w.When(e.At, m.coachLoc), Answer: e.Answer})
	}
	if rp.Voice != nil && rp.Voice.Path != "" {
		it.VoiceURL = s.base.Path + "/clients/" + strconv.FormatInt(c.ChatID, 10) + "/voice/" + strconv.FormatUint(rp.ID, 10)
		it.VoiceLen = strconv.Itoa(rp.Voice.Duration) + " s"
	}
	return it
}

func parseDate(s string) (time.Time, error) { return time.Parse(dateLayout, s) }

// monthName is the month of first and its year, in the coach's words.
func monthName(first time.Time, w words) string {
	if w.Lang == "en" {
		return first.Format("January 2006")
	}
	return w.T(first.Format("January")) + " " + first.Format("2006")
}

// voice plays a voice note of the coach's own client.
func (s *Server) voice(w http.ResponseWriter, r *http.Request, sess *session) {
	var rp store.Reply
	found := false
	err := s.opts.DB.View(func(tx *store.Tx) error {
		c, ok, err := s.ownClient(tx, r, sess.Coach)
		if err != nil || !ok {
			return err
		}
		id, err := strconv.ParseUint(r.PathValue("reply"), 10, 64)
		if err != nil {
			return nil
		}
		rp, err = tx.Reply(c.ChatID, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		found = err == nil && rp.Voice != nil && rp.Voice.Path != ""
		return err
	})
	if err != nil {
		s.fail(w, r, "voice note", err)
		return
	}
	if !found || s.opts.DataDir == "" {
		s.notFound(w, r)
		return
	}
	// The path was written by kindling; still, nothing outside the data
	// folder is served.
	root, err := filepath.Abs(s.opts.DataDir)
	if err != nil {
		s.fail(w, r, "voice note", err)
		return
	}
	path := filepath.Join(root, filepath.FromSlash(rp.Voice.Path))
	if rel, err := filepath.Rel(root, path); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		s.notFound(w, r)
		return
	}
	f, err := os.Open(path)
	if err != nil {
		s.opts.Logger.Warn("web: voice note file missing", "chat", rp.ChatID, "reply", rp.ID)
		s.notFound(w, r)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		s.fail(w, r, "voice note", err)
		return
	}
	if !s.recordView(w, r, rp.ChatID, sess.Coach, "voice") {
		return
	}
	w.Header().Set("Content-Type", "audio/ogg")
	http.ServeContent(w, r, "", fi.ModTime(), f)
}
