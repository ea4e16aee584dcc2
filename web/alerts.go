package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"kindling/store"
)

type alertView struct {
	Key        string // the alert's id on the page and in forms
	ChatID     int64
	AtNanos    string
	Client     string
	ClientLink string // "" when the client is not the coach's own
	At         string
	Tier       string
	Category   string
	Words      string
	State      string
	Open       bool
	CanAck     bool
	Note       string
	when       time.Time
}

type alertsData struct {
	Open, Closed []alertView
	CanAct       bool
}

// alertView describes an alert for a coach in loc.
func (s *Server) alertView(a store.Alert, name string, loc *time.Location, w words) alertView {
	v := alertView{
		ChatID: a.ChatID, AtNanos: strconv.FormatInt(a.At.UnixNano(), 10), Client: name,
		At: w.Date(a.At.In(loc)) + ", " + a.At.In(loc).Format("15:04"), Tier: a.Tier, Category: a.Category, Words: a.Words,
		Open: a.Open(), CanAck: a.Open() && a.AckAt.IsZero() && a.Tier == store.TierAlert, Note: a.Note, when: a.At,
	}
	v.Key = "a" + strconv.FormatInt(a.ChatID, 10) + "-" + v.AtNanos
	switch {
	case !a.ResolvedAt.IsZero():
		v.State = w.F("resolved by %s, %s", a.ResolvedName, w.When(a.ResolvedAt, loc))
	case !a.AckAt.IsZero():
		v.State = w.F("%s is on it (since %s)", a.AckName, w.When(a.AckAt, loc))
	case a.Tier == store.TierCheck && a.Check == store.CheckAsked:
		v.State = w.T("the client was asked directly; no answer yet")
	case a.Tier == store.TierCheck:
		v.State = w.F("the client answered the check: %s", a.Check)
	case !a.EscalatedAt.IsZero():
		v.State = w.T("open, escalated to the other coaches and on-call chats")
	default:
		v.State = w.T("open: nobody has said they are on it")
	}
	return v
}

// sortAlerts puts open alerts first, then the newest.
func sortAlerts(as []alertView) {
	slices.SortStableFunc(as, func(a, b alertView) int {
		if a.Open != b.Open {
			if a.Open {
				return -1
			}
			return 1
		}
		return b.when.Compare(a.when)
	})
}

// alertsPage lists the alerts of the coach's clients and those sent to
// them, open ones first.
func (s *Server) alertsPage(w http.ResponseWriter, r *http.Request, sess *session) {
	loc := s.zone(sess.coach.TimeZone)
	wd := s.words(sess.Language)
	var all []alertView
	err := s.opts.DB.View(func(tx *store.Tx) error {
		all = all[:0]
		own := map[int64]string{}
		if err := tx.CoachClients(sess.Coach, func(c store.Client) error { own[c.ChatID] = c.Name; return nil }); err != nil {
			return err
		}
		return tx.EachAlert(func(a store.Alert) error {
			name, mine := own[a.ChatID]
			if !mine && a.Coach != sess.Coach && !a.WasTold(sess.Coach) {
				return nil
			}
			if !mine {
				if c, err := tx.Client(a.ChatID); err == nil {
					name = c.Name
				} else if !errors.Is(err, store.ErrNotFound) {
					return err
				}
			}
			v := s.alertView(a, name, loc, wd)
			if mine {
				v.ClientLink = s.base.Path + "/clients/" + strconv.FormatInt(a.ChatID, 10)
			}
			all = append(all, v)
			return nil
		})
	})
	if err != nil {
		s.fail(w, r, "alerts", err)
		return
	}
	sortAlerts(all)
	d := alertsData{CanAct: s.opts.Alerts != nil}
	for _, v := range all {
		if v.Open {
			d.Open = append(d.Open, v)
		} else {
			d.Closed = append(d.Closed, v)
		}
	}
	if len(d.Closed) > 100 {
		d.Closed = d.Closed[:100]
	}
	s.render(w, r, "alerts", sess, pageData{Title: "Safety alerts", Nav: "alerts", Data: d})
}

// alertAction acknowledges or resolves an alert, as the buttons in
// Telegram do, then shows the alerts again.
func (s *Server) alertAction(w http.ResponseWriter, r *http.Request, sess *session) {
	chat, err1 := strconv.ParseInt(r.PostFormValue("client"), 10, 64)
	nanos, err2 := strconv.ParseInt(r.PostFormValue("at"), 10, 64)
	if err1 != nil || err2 != nil || s.opts.Alerts == nil {
		s.notFound(w, r)
		return
	}
	at := time.Unix(0, nanos)
	var err error
	switch r.PostFormValue("action") {
	case "ack":
		err = s.opts.Alerts.AcknowledgeAlert(sess.Coach, chat, at)
	case "resolve":
		err = s.opts.Alerts.ResolveAlert(sess.Coach, chat, at, r.PostFormValue("note"))
	default:
		s.notFound(w, r)
		return
	}
	if err != nil {
		if errors.Is(err, store.ErrNotFound) || (s.opts.NotYours != nil && s.opts.NotYours(err)) {
			s.notFound(w, r)
			return
		}
		s.fail(w, r, "act on alert", err)
		return
	}
	http.Redirect(w, r, s.base.Path+"/alerts#a"+strconv.FormatInt(chat, 10)+"-"+strconv.FormatInt(nanos, 10), http.StatusSeeOther)
}
