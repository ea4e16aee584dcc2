package main

import (
	"errors"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"kindling/admin"
	"kindling/bot"
	"kindling/config"
	"kindling/prompts"
	"kindling/store"
	"kindling/web"
)

// newWeb is the coach's web workspace over a's database, prompts and bot,
// or nil when web.listen is off.
func newWeb(a *app, popts prompts.Options, now func() time.Time) (*web.Server, error) {
	base := a.cfg.WebURL()
	if base == "" {
		return nil, nil
	}
	if host, _, err := config.SplitListen(a.cfg.Web.Listen); err == nil && !admin.IsLoopback(host) && !strings.HasPrefix(base, "https://") {
		a.log.Warn("web.listen is not a loopback address and web.base_url is not https: sign-in links and sessions cross the network in plain HTTP; put a TLS proxy in front", "web", a.cfg.Web.Listen)
	}
	var coaches []web.Coach
	for _, c := range a.cfg.EffectiveCoaches() {
		coaches = append(coaches, web.Coach{ID: c.ID, Name: c.Name, TimeZone: c.Timezone})
	}
	opts := web.Options{
		DB: a.db, BaseURL: base, SessionTTL: time.Duration(a.cfg.Web.SessionTTL), Coaches: coaches,
		Prompts: a.prompts, PromptsDir: a.cfg.Prompts.Dir, PromptOptions: popts,
		Alerts:      a.bot,
		NotYours:    func(err error) bool { return errors.Is(err, bot.ErrNotYourAlert) },
		DataDir:     filepath.Dir(a.cfg.Store.Path),
		CheckinBand: a.bot.CheckInBands,
		Now:         now, Logger: a.log,
	}
	if a.cfg.Prompts.Dir != "" {
		opts.Reload = a.active.Reload // the same reload as /reload
	}
	opts.FHIR = func(w io.Writer, chats []int64) error {
		keep := make(map[int64]bool, len(chats))
		for _, id := range chats {
			keep[id] = true
		}
		return exportFHIRFor(w, a.prompts(), a.cfg, a.db, store.ExportOptions{}, func(id int64) bool { return keep[id] }, now())
	}
	return web.New(opts)
}

// webMetrics are the web workspace's counters, read at scrape time.
func webMetrics(a *app) []prometheus.Collector {
	st := func(f func(web.Stats) int64) func() float64 {
		return func() float64 { return float64(f(a.web.Stats())) }
	}
	return []prometheus.Collector{
		counter("kindling_web_signins_total", "Sessions of the web workspace opened with a link from /web.", st(func(s web.Stats) int64 { return s.SignIns })),
		counter("kindling_web_links_refused_total", "Sign-in links refused: used before, expired or unknown.", st(func(s web.Stats) int64 { return s.LinksRefused })),
		counter("kindling_web_signin_throttled_total", "Sign-in attempts over the limit of 20 in ten minutes from one address.", st(func(s web.Stats) int64 { return s.Throttled })),
		counter("kindling_web_forms_refused_total", "Forms refused for a missing or wrong CSRF token, or sent from another site.", st(func(s web.Stats) int64 { return s.FormsRefused })),
		counter("kindling_web_hosts_refused_total", "Requests refused for naming a Host that is not web.base_url's or loopback.", st(func(s web.Stats) int64 { return s.HostsRefused })),
		counter("kindling_web_views_total", "Views of a client's page, voice note or export, each recorded for kindling audit.", st(func(s web.Stats) int64 { return s.Views })),
		counter("kindling_web_prompt_saves_total", "Prompt files saved from the web workspace.", st(func(s web.Stats) int64 { return s.PromptSaves })),
	}
}
