package web

import (
	"crypto/subtle"
	"errors"
	"net/http"

	"kindling/store"
)

// loginCookie carries the token of the sign-in form, which has no session
// to keep it in.
const loginCookie = "kindling_login"

type loginData struct {
	Code string
}

// loginPage is where the link from /web lands. It does not use the link:
// a program that fetches links to preview them would spend it. The coach
// presses a button, which posts the form that signs them in.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if !s.limiter.allow(remote(r)) {
		s.tooMany(w, r)
		return
	}
	code := r.URL.Query().Get("code")
	var l store.WebLink
	err := s.opts.DB.View(func(tx *store.Tx) error {
		var err error
		l, err = tx.WebLink(code)
		return err
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, "read login link", err)
		return
	}
	now := s.opts.Now()
	switch {
	case err != nil || code == "":
		s.linkProblem(w, r, http.StatusNotFound, "This link does not open anything",
			"It may have been copied only in part. Send /web to the bot in Telegram and it sends you a new one.")
		return
	case !l.UsedAt.IsZero():
		s.linkProblem(w, r, http.StatusGone, "This link was already used",
			"Each link opens the workspace once. Send /web to the bot in Telegram for a new one; it comes at once.")
		return
	case !now.Before(l.ExpiresAt):
		s.linkProblem(w, r, http.StatusGone, "This link has expired",
			"Links work for 10 minutes after you ask for them. Send /web to the bot in Telegram for a new one; it comes at once.")
		return
	}
	token, err := randomToken()
	if err != nil {
		s.fail(w, r, "sign-in form", err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: token, Path: s.cookiePath(), MaxAge: 600,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode})
	s.render(w, r, "login", nil, pageData{W: s.words(l.Language), Title: "Sign in", CSRF: token, Data: loginData{Code: code}})
}

func (s *Server) linkProblem(w http.ResponseWriter, r *http.Request, status int, heading, text string) {
	switch status {
	case http.StatusTooManyRequests:
	case http.StatusForbidden: // the sign-in form without its token
		s.stats.formsRefused.Add(1)
	default:
		s.stats.linksRefused.Add(1)
	}
	w.WriteHeader(status)
	wd := s.browserWords(r)
	s.render(w, r, "message", nil, pageData{W: wd, Title: heading, Data: message{Heading: wd.T(heading), Text: wd.T(text)}})
}

func (s *Server) tooMany(w http.ResponseWriter, r *http.Request) {
	s.stats.throttled.Add(1)
	s.opts.Logger.Warn("web: too many sign-in attempts", "remote", remote(r))
	w.Header().Set("Retry-After", "600")
	s.linkProblem(w, r, http.StatusTooManyRequests, "Too many attempts",
		"This browser tried to sign in many times in a short while. Please wait ten minutes, then send /web to the bot for a new link.")
}

func (s *Server) cookiePath() string {
	if s.base.Path == "" {
		return "/"
	}
	return s.base.Path + "/"
}

// login uses the link and opens a session.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if !s.limiter.allow(remote(r)) {
		s.tooMany(w, r)
		return
	}
	ck, err := r.Cookie(loginCookie)
	if err != nil || !s.sameOrigin(r) || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(r.PostFormValue("csrf"))) != 1 {
		s.linkProblem(w, r, http.StatusForbidden, "Please open the link again",
			"The sign-in form had expired or came from somewhere else. Open the link from Telegram again, or send /web for a new one.")
		return
	}
	token, err1 := randomToken()
	csrf, err2 := randomToken()
	if err := errors.Join(err1, err2); err != nil {
		s.fail(w, r, "sign in", err)
		return
	}
	now := s.opts.Now()
	var l store.WebLink
	err = s.opts.DB.Update(func(tx *store.Tx) error {
		var err error
		if l, err = tx.UseWebLink(r.PostFormValue("code"), now); err != nil {
			return err
		}
		if _, ok := s.coaches[l.Coach]; !ok {
			return store.ErrNotFound // a coach no longer in the configuration
		}
		return tx.PutWebSession(token, store.WebSession{Coach: l.Coach, Language: l.Language, CSRF: csrf, CreatedAt: now, ExpiresAt: now.Add(s.opts.SessionTTL)})
	})
	switch {
	case errors.Is(err, store.ErrLinkUsed):
		s.linkProblem(w, r, http.StatusGone, "This link was already used",
			"Each link opens the workspace once. Send /web to the bot in Telegram for a new one; it comes at once.")
		return
	case errors.Is(err, store.ErrLinkExpired):
		s.linkProblem(w, r, http.StatusGone, "This link has expired",
			"Links work for 10 minutes after you ask for them. Send /web to the bot in Telegram for a new one; it comes at once.")
		return
	case errors.Is(err, store.ErrNotFound):
		s.linkProblem(w, r, http.StatusNotFound, "This link does not open anything",
			"Send /web to the bot in Telegram and it sends you a new one.")
		return
	case err != nil:
		s.fail(w, r, "sign in", err)
		return
	}
	s.stats.signIns.Add(1)
	s.opts.Logger.Info("web: a coach signed in", "coach", l.Coach)
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: "", Path: s.cookiePath(), MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode})
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: token, Path: s.cookiePath(),
		MaxAge: int(s.opts.SessionTTL.Seconds()), HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, s.base.Path+"/", http.StatusSeeOther)
}

// logout ends this browser's session.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, sess *session) {
	if err := s.opts.DB.Update(func(tx *store.Tx) error { return tx.DeleteWebSession(sess.token) }); err != nil {
		s.fail(w, r, "sign out", err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: "", Path: s.cookiePath(), MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode})
	wd := s.words(sess.Language)
	s.render(w, r, "message", nil, pageData{W: wd, Title: "Signed out", Data: message{
		Heading: wd.T("You are signed out"),
		Text:    wd.T("This browser no longer opens your workspace. Send /web to the bot in Telegram when you want to come back."),
	}})
}
