package main

import (
	"errors"
	"path/filepath"
	"strings"
	"time"

	"kindling/bot"
	"kindling/prompts"
	"kindling/web"
)

// newWeb is the coach's web workspace over a's database, prompts and bot,
// or nil when web.listen is off.
func newWeb(a *app, popts prompts.Options, now func() time.Time) (*web.Server, error) {
	base := a.cfg.WebURL()
	if base == "" {
		return nil, nil
	}
	if host, _, err := splitListen(a.cfg.Web.Listen); err == nil && !isLoopback(host) && !strings.HasPrefix(base, "https://") {
		a.log.Warn("web.listen is not a loopback address and web.base_url is not https: sign-in links and sessions cross the network in plain HTTP; put a TLS proxy in front", "web", a.cfg.Web.Listen)
	}
	var coaches []web.Coach
	for _, c := range a.cfg.EffectiveCoaches() {
		coaches = append(coaches, web.Coach{ID: c.ID, Name: c.Name, TimeZone: c.Timezone})
	}
	opts := web.Options{
		DB: a.db, BaseURL: base, SessionTTL: time.Duration(a.cfg.Web.SessionTTL), Coaches: coaches,
		Prompts: a.prompts, PromptsDir: a.cfg.Prompts.Dir, PromptOptions: popts,
		Alerts:   a.bot,
		NotYours: func(err error) bool { return errors.Is(err, bot.ErrNotYourAlert) },
		DataDir:  filepath.Dir(a.cfg.Store.Path),
		Now:      now, Logger: a.log,
	}
	if a.watcher != nil {
		opts.Reload = a.reloadPrompts // the same reload as /reload
	}
	return web.New(opts)
}

// reloadPrompts reloads the prompts folder now, as /reload and a save in
// the web workspace do: whether the new set is active and, if not, every
// problem.
func (a *app) reloadPrompts() (bool, []string) {
	ch := a.watcher.Reload()
	var lines []string
	for _, p := range ch.Problems {
		lines = append(lines, p.String())
	}
	return ch.OK, lines
}
