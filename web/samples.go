package web

import "kindling/internal/metric"

// Samples are s as numbers for monitoring.
func (s Stats) Samples() []metric.Sample {
	c := func(name, help string, v int64) metric.Sample {
		return metric.Of(metric.Counter, name, help, float64(v))
	}
	return []metric.Sample{
		c("kindling_web_signins_total", "Sessions of the web workspace opened with a link from /web.", s.SignIns),
		c("kindling_web_links_refused_total", "Sign-in links refused: used before, expired or unknown.", s.LinksRefused),
		c("kindling_web_signin_throttled_total", "Sign-in attempts over the limit of 20 in ten minutes from one address.", s.Throttled),
		c("kindling_web_forms_refused_total", "Forms refused for a missing or wrong CSRF token, or sent from another site.", s.FormsRefused),
		c("kindling_web_hosts_refused_total", "Requests refused for naming a Host that is not web.base_url's or loopback.", s.HostsRefused),
		c("kindling_web_views_total", "Views of a client's page, voice note or export, each recorded for kindling audit.", s.Views),
		c("kindling_web_prompt_saves_total", "Prompt files saved from the web workspace.", s.PromptSaves),
	}
}
