package web

import "sync/atomic"

// Stats are the workspace's counters since the start, for metrics.
type Stats struct {
	SignIns      int64 // sessions opened with a link from /web
	LinksRefused int64 // sign-in links used before, expired or unknown
	Throttled    int64 // sign-in attempts over the limit
	FormsRefused int64 // forms without their CSRF token, or from another site
	HostsRefused int64 // requests for a Host that is not the workspace's
	Views        int64 // views of a client's records recorded for the audit
	PromptSaves  int64 // prompt files saved
}

type counters struct {
	signIns, linksRefused, throttled, formsRefused, hostsRefused, views, promptSaves atomic.Int64
}

// Stats returns the counters so far.
func (s *Server) Stats() Stats {
	c := &s.stats
	return Stats{
		SignIns: c.signIns.Load(), LinksRefused: c.linksRefused.Load(), Throttled: c.throttled.Load(),
		FormsRefused: c.formsRefused.Load(), HostsRefused: c.hostsRefused.Load(), Views: c.views.Load(),
		PromptSaves: c.promptSaves.Load(),
	}
}
