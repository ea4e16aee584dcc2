package config

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"kindling/internal/yamlx"
	"kindling/schedule"

	"github.com/robfig/cron/v3"
)

var (
	languageCode = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)
	secretToken  = regexp.MustCompile(`^[A-Za-z0-9_\-]{1,256}$`)
	// webhookPorts are the only ports Telegram delivers webhooks to.
	webhookPorts = []string{"443", "80", "88", "8443"}
)

// Validate checks the whole configuration and returns a *Error listing
// every problem, each as "key: message". It reads the file system only to
// check that paths can be read or created.
func (c Config) Validate() error {
	p := &Error{}
	c.validateTelegram(p)
	c.validateWebhook(p)
	c.validateStorePrompts(p)
	c.validateSchedule(p)
	c.validatePeople(p)
	c.validateSafety(p)
	c.validateOperations(p)
	c.validateWeb(p)
	return p.orNil()
}

// atLeast reports a duration under floor.
func atLeast(p *Error, key string, d, floor Duration) {
	if d < floor {
		p.addKey(key, "must be at least %s, got %q", floor, d)
	}
}

func (c Config) validateTelegram(p *Error) {
	if strings.ContainsFunc(c.Telegram.Token, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		p.addKey("telegram.token", "contains spaces or line breaks (value not shown)")
	}
	if u, err := url.Parse(c.Telegram.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		p.addKey("telegram.api_url", "want an http(s) URL such as %s, got %q", DefaultAPIURL, c.Telegram.APIURL)
	}
	if r := c.Telegram.RatePerSecond; r < 1 || r > 1000 {
		p.addKey("telegram.rate_per_second", "must be between 1 and 1000, got %d", r)
	}
	if t := c.Telegram.PollTimeout; t < 0 || t > Duration(10*time.Minute) {
		p.addKey("telegram.poll_timeout", "must be between 0s and 10m, got %q", t)
	}
	if t := c.Telegram.MaxPause; t < Duration(time.Second) || t > Duration(time.Hour) {
		p.addKey("telegram.max_pause", "must be between 1s and 1h, got %q", t)
	}
	if t := c.Telegram.UrgentHold; t < Duration(time.Second) || t > Duration(30*time.Second) {
		p.addKey("telegram.urgent_hold", "must be between 1s and 30s, got %q", t)
	}
}

func (c Config) validateStorePrompts(p *Error) {
	checkCreatable(p, "store.path", c.Store.Path, false)
	if dir := c.Prompts.Dir; dir != "" {
		if _, err := os.ReadDir(dir); err != nil {
			p.addKey("prompts.dir", "cannot read %q: %v", dir, pathErr(err))
		}
	}
	if c.Prompts.DefaultSequence == "" {
		p.addKey("prompts.default_sequence", "required: the id of the sequence new clients follow, such as after-session")
	}
	if l := c.Prompts.DefaultLanguage; !languageCode.MatchString(l) {
		p.addKey("prompts.default_language", "want a language code such as en or pt-BR, got %q", l)
	}
}

func (c Config) validateSchedule(p *Error) {
	s := c.Schedule
	atLeast(p, "schedule.tick", s.Tick, Duration(time.Second))
	if s.Tick >= Duration(time.Second) && s.CatchUp < s.Tick {
		p.addKey("schedule.catch_up", "must be at least schedule.tick (%s), got %q", s.Tick, s.CatchUp)
	}
	if s.RemindAfter < 0 {
		p.addKey("schedule.remind_after", "must not be negative (0 turns reminders off), got %q", s.RemindAfter)
	}
	if s.QuietHours != "" {
		start, end, ok := strings.Cut(s.QuietHours, "-")
		_, _, errStart := schedule.ParseClock(start)
		_, _, errEnd := schedule.ParseClock(end)
		switch {
		case !ok || errStart != nil || errEnd != nil:
			p.addKey("schedule.quiet_hours", "want HH:MM-HH:MM such as 22:00-08:00, or \"\" for none, got %q", s.QuietHours)
		case start == end:
			p.addKey("schedule.quiet_hours", "start and end are the same; use \"\" for no quiet hours, got %q", s.QuietHours)
		}
	}
	checkClock(p, "schedule.default_time", s.DefaultTime)
	checkZone(p, "schedule.default_timezone", s.DefaultTimezone)
}

// validatePeople checks enrollment, invites and coaches.
func (c Config) validatePeople(p *Error) {
	if c.Enrollment != EnrollInvite && c.Enrollment != EnrollOpen {
		p.addKey("enrollment", "must be %q or %q, got %q", EnrollInvite, EnrollOpen, c.Enrollment)
	}
	atLeast(p, "invites.ttl", c.Invites.TTL, Duration(time.Minute))
	firstID := map[int64]int{}
	for i, co := range c.Coaches {
		key := fmt.Sprintf("coaches[%d]", i)
		switch first, dup := firstID[co.ID]; {
		case co.ID <= 0:
			p.addKey(key+".id", "want the coach's numeric Telegram user id (a positive number), got %d", co.ID)
		case dup:
			p.addKey(key+".id", "duplicate %d, also coaches[%d].id", co.ID, first)
		default:
			firstID[co.ID] = i
		}
		if strings.TrimSpace(co.Name) == "" {
			p.addKey(key+".name", "required: the name clients see")
		}
		if co.Timezone != "" {
			checkZone(p, key+".timezone", co.Timezone)
		}
		if co.DigestTime != "" {
			checkClock(p, key+".digest_time", co.DigestTime)
		}
	}
}

func (c Config) validateSafety(p *Error) {
	switch c.Safety.RulesMode {
	case RulesExtend:
	case RulesReplace:
		if c.Safety.RulesFile == "" {
			p.addKey("safety.rules_mode", "replace needs safety.rules_file: without it there would be no rules")
		}
	default:
		p.addKey("safety.rules_mode", "want extend or replace, got %q", c.Safety.RulesMode)
	}
	for _, lang := range slices.Sorted(maps.Keys(c.Safety.Phrases)) {
		key := yamlx.JoinKey("safety.phrases", lang)
		if !languageCode.MatchString(lang) {
			p.addKey(key, "want a language code such as en or de as the key")
		}
		for i, phrase := range c.Safety.Phrases[lang] {
			if strings.TrimSpace(phrase) == "" {
				p.addKey(fmt.Sprintf("%s[%d]", key, i), "empty phrase")
			}
		}
	}
	for _, lang := range slices.Sorted(maps.Keys(c.Safety.CrisisMessage)) {
		key := yamlx.JoinKey("safety.crisis_message", lang)
		msg := c.Safety.CrisisMessage[lang]
		switch {
		case !languageCode.MatchString(lang):
			p.addKey(key, "want a language code such as en or de as the key")
		case strings.TrimSpace(msg) == "":
			p.addKey(key, "empty message")
		case len([]rune(msg)) > 4096:
			p.addKey(key, "%d characters, more than a Telegram message holds (4096)", len([]rune(msg)))
		}
	}

	if c.Safety.EscalateAfter <= 0 {
		p.addKey("safety.escalate_after", "must be positive, got %q", c.Safety.EscalateAfter)
	}
	if c.Safety.CheckTimeout <= 0 {
		p.addKey("safety.check_timeout", "must be positive, got %q", c.Safety.CheckTimeout)
	}
	for i, id := range c.Safety.EscalateTo {
		if id == 0 {
			p.addKey(fmt.Sprintf("safety.escalate_to[%d]", i), "want a Telegram chat id, got 0")
		}
	}
}

// validateOperations checks admin, backup and log.
func (c Config) validateOperations(p *Error) {
	if l := c.Admin.Listen; l != "" {
		// Off loopback, too, /export and /backup need a token: admin.token
		// or the one kindling makes (see admin.EnsureToken).
		if _, _, err := SplitListen(l); err != nil {
			p.addKey("admin.listen", "want host:port such as 127.0.0.1:8090, or \"\" for off, got %q: %v", l, err)
		}
	}
	for i, h := range c.Admin.AllowedHosts {
		if msg := checkAllowedHost(h); msg != "" {
			p.addKey(fmt.Sprintf("admin.allowed_hosts[%d]", i), "%s, got %q", msg, h)
		}
	}
	if c.Backup.Dir != "" {
		checkCreatable(p, "backup.dir", c.Backup.Dir, true)
	}
	if spec := c.Backup.Schedule; spec != "" {
		if _, err := cron.ParseStandard(spec); err != nil {
			p.addKey("backup.schedule", "invalid cron expression %q: %v (want 5 fields such as \"30 3 * * *\", or \"\" for off)", spec, err)
		}
	}
	if c.Backup.Keep < 1 {
		p.addKey("backup.keep", "must be at least 1, got %d", c.Backup.Keep)
	}
	if _, err := c.BackupRecipients(); err != nil {
		p.addKey("backup.encrypt_to", "%v (want age recipients such as age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p, from age-keygen)", err)
	}
	if f := c.Log.Format; f != "text" && f != "json" {
		p.addKey("log.format", "must be \"text\" or \"json\", got %q", f)
	}
	if _, ok := logLevels[c.Log.Level]; !ok {
		p.addKey("log.level", "must be debug, info, warn or error, got %q", c.Log.Level)
	}
}

func (c Config) validateWebhook(p *Error) {
	w := c.Telegram.Webhook
	if w.URL == "" {
		if w.Listen != "" {
			p.addKey("telegram.webhook.url", "required when telegram.webhook.listen is set (or clear listen to use long polling)")
		}
		return
	}
	u, err := url.Parse(w.URL)
	switch {
	case err != nil || u.Host == "":
		p.addKey("telegram.webhook.url", "want a public https URL such as https://bot.example.org/telegram, got %q", w.URL)
	case u.Scheme != "https":
		p.addKey("telegram.webhook.url", "must be https (Telegram delivers webhooks only over TLS), got %q", w.URL)
	case c.Telegram.APIURL == DefaultAPIURL && u.Port() != "" && !slices.Contains(webhookPorts, u.Port()):
		p.addKey("telegram.webhook.url", "Telegram delivers webhooks only to ports 443, 80, 88 and 8443, got %s", u.Port())
	}
	if w.Listen == "" {
		p.addKey("telegram.webhook.listen", "required when telegram.webhook.url is set: the host:port kindling listens on, such as 127.0.0.1:8443")
	} else if _, _, err := SplitListen(w.Listen); err != nil {
		p.addKey("telegram.webhook.listen", "want host:port such as 127.0.0.1:8443, got %q: %v", w.Listen, err)
	}
	switch {
	case w.SecretToken == "":
		p.addKey("telegram.webhook.secret_token", "required when telegram.webhook.url is set: 1-256 characters of A-Z, a-z, 0-9, _ and - (try: openssl rand -hex 32)")
	case !secretToken.MatchString(w.SecretToken):
		p.addKey("telegram.webhook.secret_token", "must be 1-256 characters of A-Z, a-z, 0-9, _ and - (value not shown)")
	}
}

// SplitListen splits a listen address into its host and port, with a
// message fit for a config problem when it is not one.
func SplitListen(addr string) (host string, port int, err error) {
	host, ps, err := net.SplitHostPort(addr)
	if ae := (*net.AddrError)(nil); errors.As(err, &ae) {
		return "", 0, errors.New(ae.Err)
	} else if err != nil {
		return "", 0, err
	}
	port, err = strconv.Atoi(ps)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("port %q is not a number from 0 to 65535", ps)
	}
	return host, port, nil
}

// checkAllowedHost says what is wrong with an entry of admin.allowed_hosts,
// or "" when it is a host name or address as a Host header names it.
func checkAllowedHost(h string) string {
	switch {
	case strings.TrimSpace(h) == "":
		return "empty host"
	case strings.Contains(h, "/"), strings.ContainsAny(h, " \t@?#"):
		return "want a host name or address such as kindling.internal or 10.0.0.5, not a URL"
	}
	if _, _, err := net.SplitHostPort(h); err == nil {
		return "want the host without a port (any port is accepted)"
	}
	return ""
}

// checkCreatable reports a path that exists as the wrong kind of thing, or
// whose nearest existing ancestor is not a directory. It creates nothing.
func checkCreatable(p *Error, key, path string, wantDir bool) {
	if path == "" {
		p.addKey(key, "required")
		return
	}
	fi, err := os.Stat(path)
	switch {
	case err == nil && fi.IsDir() != wantDir:
		if wantDir {
			p.addKey(key, "%q is a file, want a directory", path)
		} else {
			p.addKey(key, "%q is a directory, want a file path such as data/kindling.db", path)
		}
		return
	case err == nil:
		return
	case !missing(err):
		p.addKey(key, "cannot use %q: %v", path, pathErr(err))
		return
	}
	for dir := filepath.Dir(path); ; dir = filepath.Dir(dir) {
		fi, err := os.Stat(dir)
		switch {
		case err == nil && !fi.IsDir():
			p.addKey(key, "cannot create %q: %q is not a directory", path, dir)
			return
		case err == nil:
			return
		case !missing(err):
			p.addKey(key, "cannot create %q: %v", path, err)
			return
		}
		if parent := filepath.Dir(dir); parent == dir {
			return
		}
	}
}

// missing reports whether err says a path does not exist, including because
// a parent is not a directory (which checkCreatable then names).
func missing(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

func checkClock(p *Error, key, s string) {
	if _, _, err := schedule.ParseClock(s); err != nil {
		p.addKey(key, "want HH:MM (24-hour clock) such as 09:00, got %q", s)
	}
}

func checkZone(p *Error, key, name string) {
	switch name {
	case "":
		p.addKey(key, "required: an IANA time zone such as Europe/Berlin or UTC")
		return
	case "Local":
		p.addKey(key, "name the zone (such as Europe/Berlin); \"Local\" depends on the server")
		return
	}
	if _, err := time.LoadLocation(name); err != nil {
		p.addKey(key, "unknown time zone %q (want an IANA name such as Europe/Berlin)", name)
	}
}

// validateWeb checks the web workspace's keys.
func (c Config) validateWeb(p *Error) {
	w := c.Web
	if w.Listen != "" {
		host, _, err := SplitListen(w.Listen)
		switch {
		case err != nil:
			p.addKey("web.listen", "want host:port such as 127.0.0.1:8091, or \"\" for off, got %q: %v", w.Listen, err)
		case w.Listen == c.Admin.Listen:
			p.addKey("web.listen", "is also admin.listen (%s): give each its own port", w.Listen)
		case w.BaseURL == "" && (host == "" || net.ParseIP(host).IsUnspecified()):
			p.addKey("web.base_url", "required when web.listen (%s) names no host: the address coaches open, such as https://kindling.example.org", w.Listen)
		}
	}
	if w.BaseURL != "" {
		u, err := url.Parse(w.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			p.addKey("web.base_url", "want the address coaches open, such as https://kindling.example.org or http://localhost:8091, got %q", w.BaseURL)
		}
	}
	if w.SessionTTL < Duration(5*time.Minute) || w.SessionTTL > Duration(30*day) {
		p.addKey("web.session_ttl", "must be between 5m and 30d, got %q", w.SessionTTL)
	}
}
