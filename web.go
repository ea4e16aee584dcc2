package main

import (
	"errors"
	"io"
	"path/filepath"
	"strings"
	"time"

	"kindling/admin"
	"kindling/bot"
	"kindling/config"
	"kindling/store"
	"kindling/web"
)

// newWeb is the coach's web workspace over a's database, prompts and bot,
// or nil when web.listen is off.
func newWeb(a *app, now func() time.Time) (*web.Server, error) {
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
		Prompts: a.active.Current, PromptsDir: a.cfg.Prompts.Dir, PromptOptions: promptOptions(a.cfg).Load,
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
		return exportFHIRFor(w, a.active.Current(), a.cfg, a.db, store.ExportOptions{}, func(id int64) bool { return keep[id] }, now())
	}
	return web.New(opts)
}
