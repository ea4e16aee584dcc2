package config

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // time zones validate and load the same in a scratch container as on a desktop
	"unicode"

	"filippo.io/age"
	"gopkg.in/yaml.v3"

	"kindling/internal/yamlx"
	"kindling/schedule"
)

// DefaultAPIURL is Telegram's own Bot API server.
const DefaultAPIURL = "https://api.telegram.org"

// The values of Config.Enrollment.
const (
	EnrollInvite = "invite" // only people holding a coach's invite link can start
	EnrollOpen   = "open"   // anyone who finds the bot can start
)

// envPrefix starts every environment variable that overrides a key.
const envPrefix = "KINDLING_"

// Config is kindling's configuration: Default, then config.yaml
// (ReadFile or Parse), then KINDLING_* environment variables
// (ApplyEnv), then the token (LoadToken), then Validate. Load does all
// of it. Packages never see a Config: main hands them plain values.
type Config struct {
	Telegram   Telegram `yaml:"telegram"`
	Store      Store    `yaml:"store"`
	Prompts    Prompts  `yaml:"prompts"`
	Schedule   Schedule `yaml:"schedule"`
	Enrollment string   `yaml:"enrollment"` // EnrollInvite or EnrollOpen
	Invites    Invites  `yaml:"invites"`
	Coaches    []Coach  `yaml:"coaches"`
	Coaching   Coaching `yaml:"coaching"`
	Safety     Safety   `yaml:"safety"`
	Admin      Admin    `yaml:"admin"`
	Web        Web      `yaml:"web"`
	Backup     Backup   `yaml:"backup"`
	Log        Log      `yaml:"log"`
}

// Telegram says how kindling reaches the Bot API.
type Telegram struct {
	Token         string   `yaml:"token"`      // filled by LoadToken; best left out of the file
	TokenFile     string   `yaml:"token_file"` // a file holding only the token
	APIURL        string   `yaml:"api_url"`
	RatePerSecond int      `yaml:"rate_per_second"` // global send rate
	PollTimeout   Duration `yaml:"poll_timeout"`    // getUpdates long-poll wait
	MaxPause      Duration `yaml:"max_pause"`       // longest pause one 429 causes
	UrgentHold    Duration `yaml:"urgent_hold"`     // longest a pause holds a crisis reply or alert
	Webhook       Webhook  `yaml:"webhook"`
}

// Webhook turns on webhook mode when URL is set; otherwise kindling polls.
type Webhook struct {
	URL         string `yaml:"url"`          // public https URL given to setWebhook
	Listen      string `yaml:"listen"`       // host:port kindling's listener binds
	SecretToken string `yaml:"secret_token"` // expected X-Telegram-Bot-Api-Secret-Token
}

// Store locates the database file.
type Store struct {
	Path string `yaml:"path"`
}

// Prompts says where the prompt sequences come from.
type Prompts struct {
	Dir             string `yaml:"dir"` // "" = the built-in sequences
	DefaultSequence string `yaml:"default_sequence"`
	DefaultLanguage string `yaml:"default_language"`
}

// Schedule says when questions and reminders go out.
type Schedule struct {
	Tick            Duration `yaml:"tick"`             // how often due clients are looked for
	CatchUp         Duration `yaml:"catch_up"`         // how late a missed step may still be sent
	RemindAfter     Duration `yaml:"remind_after"`     // 0 = no reminders
	QuietHours      string   `yaml:"quiet_hours"`      // "HH:MM-HH:MM" local, "" = none
	DefaultTime     string   `yaml:"default_time"`     // "HH:MM" until a client picks one
	DefaultTimezone string   `yaml:"default_timezone"` // IANA name until a client picks one
}

// Invites governs coaches' invite links.
type Invites struct {
	TTL Duration `yaml:"ttl"`
}

// Coach is one entry of coaches: a Telegram user allowed to use coach commands.
// Empty Timezone and DigestTime mean the defaults; EffectiveCoaches fills them in.
type Coach struct {
	ID         int64  `yaml:"id"`          // Telegram user id
	Name       string `yaml:"name"`        // shown to their clients
	Timezone   string `yaml:"timezone"`    // IANA name, default schedule.default_timezone
	DigestTime string `yaml:"digest_time"` // "HH:MM" in Timezone, default DefaultDigestTime
}

// Coaching governs what coaches receive about their clients.
type Coaching struct {
	// ProtectContent sends safety alerts, /journal, /export files,
	// /clients, /alerts and digests with Telegram's protect_content: the
	// coach's app does not let them be forwarded or saved.
	ProtectContent bool `yaml:"protect_content"`
}

// The values of safety.rules_mode.
const (
	RulesExtend  = "extend"  // the rules file adds to the built-in rules; a rule with a built-in id replaces it
	RulesReplace = "replace" // the rules file is the whole set
)

// DefaultDigestTime is when a coach's daily digest goes out unless they set digest_time.
const DefaultDigestTime = "18:00"

// Safety is the crisis safety net: the built-in warning-sign rules,
// a practice's rules file that extends or replaces them, and simple phrases
// added on top (each an alert). Crisis messages given in the file or the
// environment replace the same language's message; others keep theirs.
type Safety struct {
	RulesFile       string              `yaml:"rules_file"`        // "" = the built-in rules only
	RulesMode       string              `yaml:"rules_mode"`        // extend or replace the built-in rules
	Phrases         map[string][]string `yaml:"phrases"`           // language -> phrases that raise an alert
	CrisisMessage   map[string]string   `yaml:"crisis_message"`    // language -> reply on a match
	LowestMoodTwice bool                `yaml:"lowest_mood_twice"` // the lowest mood twice in a row: an alert
	LowestMoodCheck bool                `yaml:"lowest_mood_check"` // the lowest mood once: a check
	LearnedCheck    bool                `yaml:"learned_check"`     // the learned model raises what no rule fired on to a check
	// EscalateTo are chats (an on-call group, a clinician) told of an
	// alert at once when the coach cannot be reached, or when nobody
	// acknowledged it within EscalateAfter.
	EscalateTo    []int64  `yaml:"escalate_to"`
	EscalateAfter Duration `yaml:"escalate_after"`
	CheckTimeout  Duration `yaml:"check_timeout"` // a check unanswered this long alerts the coach
}

// Admin is the loopback HTTP server for /healthz, /metrics, backup and export.
type Admin struct {
	Listen string `yaml:"listen"` // "" = off
	// Token is the bearer token for all but /healthz and /metrics; ""
	// means the one kindling keeps in a file beside the database (see
	// adminTokenPath).
	Token string `yaml:"token"`
	// AllowedHosts are the Host names, besides loopback ones, that the
	// admin address answers to.
	AllowedHosts []string `yaml:"allowed_hosts"`
}

// Web is the coach's web workspace, opened with a link from /web.
type Web struct {
	Listen     string   `yaml:"listen"`      // host:port; "" = off
	BaseURL    string   `yaml:"base_url"`    // the address coaches open; "" = http:// and listen
	SessionTTL Duration `yaml:"session_ttl"` // how long a sign-in lasts
}

// WebURL is web.base_url, or http:// and web.listen when it is empty;
// "" when the workspace is off.
func (c Config) WebURL() string {
	switch {
	case c.Web.Listen == "":
		return ""
	case c.Web.BaseURL != "":
		return strings.TrimSuffix(c.Web.BaseURL, "/")
	}
	return "http://" + c.Web.Listen
}

// Backup governs automatic backups.
type Backup struct {
	Dir      string `yaml:"dir"`      // "" = "backups" beside the database; see Config.BackupDir
	Schedule string `yaml:"schedule"` // standard 5-field cron expression; "" = off
	Keep     int    `yaml:"keep"`     // newest backups kept
	// EncryptTo is one or more age recipients (age1...), separated by
	// commas or spaces, to whom automatic backups are encrypted; "" = not
	// encrypted. See Config.BackupRecipients.
	EncryptTo string `yaml:"encrypt_to"`
}

// Log governs log/slog output.
type Log struct {
	Format string `yaml:"format"` // text or json
	Level  string `yaml:"level"`  // debug, info, warn or error
}

// Default returns the configuration kindling runs with when nothing is
// set. config.yaml at the repository root writes the same values out.
// Safety phrases and crisis messages are left empty: they are built in
// elsewhere and used for every language the config does not name.
func Default() Config {
	return Config{
		Telegram: Telegram{
			APIURL:        DefaultAPIURL,
			RatePerSecond: 25,
			PollTimeout:   Duration(50 * time.Second),
			MaxPause:      Duration(time.Minute),
			UrgentHold:    Duration(30 * time.Second),
		},
		Store: Store{Path: filepath.Join("data", "kindling.db")},
		Prompts: Prompts{
			DefaultSequence: "after-session",
			DefaultLanguage: "en",
		},
		Schedule: Schedule{
			Tick:            Duration(time.Minute),
			CatchUp:         Duration(6 * time.Hour),
			RemindAfter:     Duration(3 * time.Hour),
			QuietHours:      "22:00-08:00",
			DefaultTime:     "09:00",
			DefaultTimezone: "UTC",
		},
		Enrollment: EnrollInvite,
		Invites:    Invites{TTL: Duration(14 * day)},
		Coaching:   Coaching{ProtectContent: true},
		Safety: Safety{
			RulesMode: RulesExtend, LowestMoodTwice: true, LowestMoodCheck: true, LearnedCheck: true,
			EscalateAfter: Duration(15 * time.Minute), CheckTimeout: Duration(30 * time.Minute),
		},
		Admin:  Admin{Listen: "127.0.0.1:8090"},
		Web:    Web{Listen: "127.0.0.1:8091", SessionTTL: Duration(12 * time.Hour)},
		Backup: Backup{Schedule: "30 3 * * *", Keep: 14},
		Log:    Log{Format: "text", Level: "info"},
	}
}

// Error lists every problem found in a configuration, one per line,
// each naming the key (and, for the file, the line) it is about.
type Error struct {
	Problems []string

	keys []string // the key each problem is about, parallel to Problems
}

func (e *Error) Error() string { return strings.Join(e.Problems, "\n") }

func (e *Error) add(key, problem string) {
	e.Problems = append(e.Problems, problem)
	e.keys = append(e.keys, key)
}

// addKey adds a problem that is reported as "key: message".
func (e *Error) addKey(key, format string, args ...any) {
	e.add(key, key+": "+fmt.Sprintf(format, args...))
}

func (e *Error) merge(other error) {
	var ce *Error
	if errors.As(other, &ce) {
		for i, p := range ce.Problems {
			e.add(ce.keys[i], p)
		}
	} else if other != nil {
		e.add("", other.Error())
	}
}

// covers reports whether a problem was already reported about key or a key
// containing it, so that a value that failed to decode is not reported again
// by Validate for still holding its default.
func (e *Error) covers(key string) bool {
	for _, k := range e.keys {
		if k != "" && (key == k || strings.HasPrefix(key, k+".") || strings.HasPrefix(key, k+"[")) {
			return true
		}
	}
	return false
}

func (e *Error) orNil() error {
	if len(e.Problems) == 0 {
		return nil
	}
	return e
}

var logLevels = map[string]slog.Level{
	"debug": slog.LevelDebug,
	"info":  slog.LevelInfo,
	"warn":  slog.LevelWarn,
	"error": slog.LevelError,
}

// LogLevel is log.level as a slog.Level (info if it is not valid).
func (c Config) LogLevel() slog.Level {
	return logLevels[c.Log.Level] // the zero Level is info
}

// Logger logs to w as log.format and log.level say. Answers and tokens never
// go into a log line at info level or above. JSON lines give durations in
// seconds ("retry_in":0.5), as log collectors and Prometheus count time;
// text lines keep Go's "500ms".
func (c Config) Logger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel()}
	if c.Log.Format == "json" {
		opts.ReplaceAttr = durationsInSeconds
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// durationsInSeconds is a slog ReplaceAttr that writes a time.Duration as
// a number of seconds.
func durationsInSeconds(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		a.Value = slog.Float64Value(a.Value.Duration().Seconds())
	}
	return a
}

// QuietHours returns schedule.quiet_hours as its "HH:MM" start and end; ok
// is false when there are none (or the value is invalid: Validate says so).
// The end may be before the start: the quiet hours then span midnight.
func (c Config) QuietHours() (start, end string, ok bool) {
	start, end, found := strings.Cut(c.Schedule.QuietHours, "-")
	_, _, errStart := schedule.ParseClock(start)
	_, _, errEnd := schedule.ParseClock(end)
	if !found || errStart != nil || errEnd != nil || start == end {
		return "", "", false
	}
	return start, end, true
}

// TickSpec is schedule.tick as a robfig/cron spec, such as "@every 1m".
func (c Config) TickSpec() string {
	return "@every " + time.Duration(c.Schedule.Tick).String()
}

// BackupDir is backup.dir, or "backups" beside the database when it is empty.
func (c Config) BackupDir() string {
	if c.Backup.Dir != "" {
		return c.Backup.Dir
	}
	return filepath.Join(filepath.Dir(c.Store.Path), "backups")
}

// BackupRecipients parses backup.encrypt_to: nil when it is empty.
func (c Config) BackupRecipients() ([]age.Recipient, error) {
	fields := strings.FieldsFunc(c.Backup.EncryptTo, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
	if len(fields) == 0 {
		return nil, nil
	}
	var rs []age.Recipient
	for _, f := range fields {
		list, err := age.ParseRecipients(strings.NewReader(f))
		if err != nil {
			return nil, fmt.Errorf("not an age recipient: %q", f)
		}
		rs = append(rs, list...)
	}
	return rs, nil
}

// EffectiveCoaches returns coaches with an empty timezone set to
// schedule.default_timezone and an empty digest_time to DefaultDigestTime.
func (c Config) EffectiveCoaches() []Coach {
	coaches := slices.Clone(c.Coaches)
	for i := range coaches {
		if coaches[i].Timezone == "" {
			coaches[i].Timezone = c.Schedule.DefaultTimezone
		}
		if coaches[i].DigestTime == "" {
			coaches[i].DigestTime = DefaultDigestTime
		}
	}
	return coaches
}

// masked replaces a secret that is set.
const masked = "***"

// Masked returns c with the bot token, admin token and webhook secret
// replaced by "***" where they are set, for printing.
func (c Config) Masked() Config {
	for _, s := range []*string{&c.Telegram.Token, &c.Admin.Token, &c.Telegram.Webhook.SecretToken} {
		if *s != "" {
			*s = masked
		}
	}
	return c
}

// Write writes c as YAML that Parse reads back to c. It writes
// secrets as they are: `kindling config` passes c.Masked().
func Write(w io.Writer, c Config) error {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	return nil
}

// Duration is a time.Duration written as Go writes durations ("90s", "45m",
// "1h30m") or in whole days ("14d", "1d12h").
type Duration time.Duration

const day = 24 * time.Hour

// ParseDuration parses a Go duration ("90s", "1h30m", "-1s") or a whole
// number of days optionally followed by a Go duration ("14d", "1d12h").
// Fractional days ("1.5d") are refused: write "36h".
func ParseDuration(s string) (Duration, error) {
	bad := func() (Duration, error) {
		return 0, fmt.Errorf("want a duration such as 90s, 45m, 6h or 14d, got %q", s)
	}
	num, rest, hasDays := strings.Cut(s, "d")
	if !hasDays {
		d, err := time.ParseDuration(s)
		if err != nil {
			return bad()
		}
		return Duration(d), nil
	}
	sign := time.Duration(1)
	if n, ok := strings.CutPrefix(num, "-"); ok {
		sign, num = -1, n
	} else if n, ok := strings.CutPrefix(num, "+"); ok {
		num = n
	}
	if num == "" || strings.Trim(num, "0123456789") != "" {
		if strings.Trim(num, "0123456789.") == "" && strings.Contains(num, ".") {
			return 0, fmt.Errorf("want whole days, got %q (write hours instead, such as 36h)", s)
		}
		return bad()
	}
	days, err := strconv.ParseInt(num, 10, 64)
	if err != nil || days > int64(math.MaxInt64/day) {
		return 0, fmt.Errorf("duration %q is too long", s)
	}
	d := time.Duration(days) * day
	if rest != "" {
		if rest[0] == '-' || rest[0] == '+' {
			return bad()
		}
		r, err := time.ParseDuration(rest)
		if err != nil {
			return bad()
		}
		if d > math.MaxInt64-r {
			return 0, fmt.Errorf("duration %q is too long", s)
		}
		d += r
	}
	return Duration(sign * d), nil
}

// String writes d as ParseDuration reads it, compactly: "14d", "90s", "1h30m".
func (d Duration) String() string {
	td := time.Duration(d)
	if td != 0 && td%day == 0 {
		return strconv.FormatInt(int64(td/day), 10) + "d"
	}
	s := td.String()
	if strings.HasSuffix(s, "m0s") { // "1h30m0s", "10m0s"
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") { // "2h0m" (from "2h0m0s")
		s = s[:len(s)-2]
	}
	return s
}

// MarshalText writes d as String does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads d as ParseDuration does.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalYAML writes d as String does.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// UnmarshalYAML reads d as ParseDuration does.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a duration such as 90s, 45m, 6h or 14d, got %s", n.Line, yamlx.Describe(n))
	}
	return d.UnmarshalText([]byte(n.Value))
}
