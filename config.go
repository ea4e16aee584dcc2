package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	_ "time/tzdata" // time zones validate and load the same in a scratch container as on a desktop
	"unicode"

	"filippo.io/age"
	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"
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

// Config is kindling's configuration: DefaultConfig, then config.yaml
// (ReadConfigFile or ParseConfig), then KINDLING_* environment variables
// (ApplyEnv), then the token (LoadToken), then Validate. LoadConfig does all
// of it. Packages never see a Config: main hands them plain values.
type Config struct {
	Telegram   TelegramConfig `yaml:"telegram"`
	Store      StoreConfig    `yaml:"store"`
	Prompts    PromptsConfig  `yaml:"prompts"`
	Schedule   ScheduleConfig `yaml:"schedule"`
	Enrollment string         `yaml:"enrollment"` // EnrollInvite or EnrollOpen
	Invites    InvitesConfig  `yaml:"invites"`
	Coaches    []Coach        `yaml:"coaches"`
	Coaching   CoachingConfig `yaml:"coaching"`
	Safety     SafetyConfig   `yaml:"safety"`
	Admin      AdminConfig    `yaml:"admin"`
	Backup     BackupConfig   `yaml:"backup"`
	Log        LogConfig      `yaml:"log"`
}

// TelegramConfig says how kindling reaches the Bot API.
type TelegramConfig struct {
	Token         string        `yaml:"token"`      // filled by LoadToken; best left out of the file
	TokenFile     string        `yaml:"token_file"` // a file holding only the token
	APIURL        string        `yaml:"api_url"`
	RatePerSecond int           `yaml:"rate_per_second"` // global send rate
	PollTimeout   Duration      `yaml:"poll_timeout"`    // getUpdates long-poll wait
	MaxPause      Duration      `yaml:"max_pause"`       // longest pause one 429 causes
	Webhook       WebhookConfig `yaml:"webhook"`
}

// WebhookConfig turns on webhook mode when URL is set; otherwise kindling polls.
type WebhookConfig struct {
	URL         string `yaml:"url"`          // public https URL given to setWebhook
	Listen      string `yaml:"listen"`       // host:port kindling's listener binds
	SecretToken string `yaml:"secret_token"` // expected X-Telegram-Bot-Api-Secret-Token
}

// StoreConfig locates the database file.
type StoreConfig struct {
	Path string `yaml:"path"`
}

// PromptsConfig says where the prompt sequences come from.
type PromptsConfig struct {
	Dir             string `yaml:"dir"` // "" = the built-in sequences
	DefaultSequence string `yaml:"default_sequence"`
	DefaultLanguage string `yaml:"default_language"`
}

// ScheduleConfig says when questions and reminders go out.
type ScheduleConfig struct {
	Tick            Duration `yaml:"tick"`             // how often due clients are looked for
	CatchUp         Duration `yaml:"catch_up"`         // how late a missed step may still be sent
	RemindAfter     Duration `yaml:"remind_after"`     // 0 = no reminders
	QuietHours      string   `yaml:"quiet_hours"`      // "HH:MM-HH:MM" local, "" = none
	DefaultTime     string   `yaml:"default_time"`     // "HH:MM" until a client picks one
	DefaultTimezone string   `yaml:"default_timezone"` // IANA name until a client picks one
}

// InvitesConfig governs coaches' invite links.
type InvitesConfig struct {
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

// CoachingConfig governs what coaches receive about their clients.
type CoachingConfig struct {
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

// SafetyConfig is the crisis safety net: the built-in warning-sign rules,
// a practice's rules file that extends or replaces them, and simple phrases
// added on top (each an alert). Crisis messages given in the file or the
// environment replace the same language's message; others keep theirs.
type SafetyConfig struct {
	RulesFile       string              `yaml:"rules_file"`        // "" = the built-in rules only
	RulesMode       string              `yaml:"rules_mode"`        // extend or replace the built-in rules
	Phrases         map[string][]string `yaml:"phrases"`           // language -> phrases that raise an alert
	CrisisMessage   map[string]string   `yaml:"crisis_message"`    // language -> reply on a match
	LowestMoodTwice bool                `yaml:"lowest_mood_twice"` // the lowest mood twice in a row: an alert
	LowestMoodCheck bool                `yaml:"lowest_mood_check"` // the lowest mood once: a check
	// EscalateTo are chats (an on-call group, a clinician) told of an
	// alert at once when the coach cannot be reached, or when nobody
	// acknowledged it within EscalateAfter.
	EscalateTo    []int64  `yaml:"escalate_to"`
	EscalateAfter Duration `yaml:"escalate_after"`
	CheckTimeout  Duration `yaml:"check_timeout"` // a check unanswered this long alerts the coach
}

// AdminConfig is the loopback HTTP server for /healthz, /metrics, backup and export.
type AdminConfig struct {
	Listen string `yaml:"listen"` // "" = off
	// Token is the bearer token for all but /healthz and /metrics; ""
	// means the one kindling keeps in a file beside the database (see
	// adminTokenPath).
	Token string `yaml:"token"`
	// AllowedHosts are the Host names, besides loopback ones, that the
	// admin address answers to.
	AllowedHosts []string `yaml:"allowed_hosts"`
}

// BackupConfig governs automatic backups.
type BackupConfig struct {
	Dir      string `yaml:"dir"`      // "" = "backups" beside the database; see Config.BackupDir
	Schedule string `yaml:"schedule"` // standard 5-field cron expression; "" = off
	Keep     int    `yaml:"keep"`     // newest backups kept
	// EncryptTo is one or more age recipients (age1...), separated by
	// commas or spaces, to whom automatic backups are encrypted; "" = not
	// encrypted. See Config.BackupRecipients.
	EncryptTo string `yaml:"encrypt_to"`
}

// LogConfig governs log/slog output.
type LogConfig struct {
	Format string `yaml:"format"` // text or json
	Level  string `yaml:"level"`  // debug, info, warn or error
}

// DefaultConfig returns the configuration kindling runs with when nothing is
// set. config.yaml at the repository root writes the same values out.
// Safety phrases and crisis messages are left empty: they are built in
// elsewhere and used for every language the config does not name.
func DefaultConfig() Config {
	return Config{
		Telegram: TelegramConfig{
			APIURL:        DefaultAPIURL,
			RatePerSecond: 25,
			PollTimeout:   Duration(50 * time.Second),
			MaxPause:      Duration(time.Minute),
		},
		Store: StoreConfig{Path: filepath.Join("data", "kindling.db")},
		Prompts: PromptsConfig{
			DefaultSequence: "after-session",
			DefaultLanguage: "en",
		},
		Schedule: ScheduleConfig{
			Tick:            Duration(time.Minute),
			CatchUp:         Duration(6 * time.Hour),
			RemindAfter:     Duration(3 * time.Hour),
			QuietHours:      "22:00-08:00",
			DefaultTime:     "09:00",
			DefaultTimezone: "UTC",
		},
		Enrollment: EnrollInvite,
		Invites:    InvitesConfig{TTL: Duration(14 * day)},
		Coaching:   CoachingConfig{ProtectContent: true},
		Safety: SafetyConfig{
			RulesMode: RulesExtend, LowestMoodTwice: true, LowestMoodCheck: true,
			EscalateAfter: Duration(15 * time.Minute), CheckTimeout: Duration(30 * time.Minute),
		},
		Admin:  AdminConfig{Listen: "127.0.0.1:8090"},
		Backup: BackupConfig{Schedule: "30 3 * * *", Keep: 14},
		Log:    LogConfig{Format: "text", Level: "info"},
	}
}

// ConfigError lists every problem found in a configuration, one per line,
// each naming the key (and, for the file, the line) it is about.
type ConfigError struct {
	Problems []string

	keys []string // the key each problem is about, parallel to Problems
}

func (e *ConfigError) Error() string { return strings.Join(e.Problems, "\n") }

func (e *ConfigError) add(key, problem string) {
	e.Problems = append(e.Problems, problem)
	e.keys = append(e.keys, key)
}

// addKey adds a problem that is reported as "key: message".
func (e *ConfigError) addKey(key, format string, args ...any) {
	e.add(key, key+": "+fmt.Sprintf(format, args...))
}

func (e *ConfigError) merge(other error) {
	var ce *ConfigError
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
func (e *ConfigError) covers(key string) bool {
	for _, k := range e.keys {
		if k != "" && (key == k || strings.HasPrefix(key, k+".") || strings.HasPrefix(key, k+"[")) {
			return true
		}
	}
	return false
}

func (e *ConfigError) orNil() error {
	if len(e.Problems) == 0 {
		return nil
	}
	return e
}

// LoadConfig is the whole of loading: DefaultConfig, the file at path (none if
// path is ""), ApplyEnv, LoadToken and Validate, with every problem from every
// step in one *ConfigError. A missing file is returned at once as an error
// wrapping fs.ErrNotExist, so the caller can choose to run on defaults.
// The token is not required here: see RequireToken.
func LoadConfig(path string, getenv func(string) string) (Config, error) {
	cfg := DefaultConfig()
	problems := &ConfigError{}
	if path != "" {
		var err error
		cfg, err = ReadConfigFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return cfg, err
		}
		problems.merge(err)
	}
	problems.merge(cfg.ApplyEnv(getenv))
	problems.merge(cfg.LoadToken(getenv))
	var verr *ConfigError
	if errors.As(cfg.Validate(), &verr) {
		for i, p := range verr.Problems {
			if !problems.covers(verr.keys[i]) {
				problems.add(verr.keys[i], p)
			}
		}
	}
	return cfg, problems.orNil()
}

// ReadConfigFile parses the YAML file at path; problems are reported as
// "path:line: key: message". A missing file gives DefaultConfig and an error
// wrapping fs.ErrNotExist.
func ReadConfigFile(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return DefaultConfig(), fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	return parseConfig(f, func(line int) string { return fmt.Sprintf("%s:%d", path, line) })
}

// ParseConfig reads YAML on top of DefaultConfig. Decoding is strict: unknown
// keys, duplicate keys and values of the wrong type are all reported, each as
// "line N: key: message", in one *ConfigError. An empty value keeps the
// default. Lists replace the default; maps (safety.*) replace it per entry.
// On error the returned Config holds whatever did decode.
func ParseConfig(r io.Reader) (Config, error) {
	return parseConfig(r, func(line int) string { return fmt.Sprintf("line %d", line) })
}

func parseConfig(r io.Reader, where func(line int) string) (Config, error) {
	cfg := DefaultConfig()
	d := newDecoder(where)
	dec := yaml.NewDecoder(r)
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return cfg, nil
		}
		d.syntax(err)
		return cfg, d.problems.orNil()
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		d.problems.add("", fmt.Sprintf("%s: want one YAML document, found another (remove the ---)", where(next.Line)))
	} else if !errors.Is(err, io.EOF) {
		d.syntax(err)
	}
	d.decode(&doc, reflect.ValueOf(&cfg).Elem(), "")
	return cfg, d.problems.orNil()
}

// decoder decodes a yaml.Node tree into a Config by walking both together,
// so that every problem can name its key and line and none stops the others.
type decoder struct {
	where    func(line int) string
	problems ConfigError
	budget   int                 // nodes left to visit; aliases can expand a small file into a huge tree
	active   map[*yaml.Node]bool // anchors being expanded, to refuse an alias inside its own anchor
}

// maxNodes bounds the values one config may expand to through aliases.
const maxNodes = 100_000

func newDecoder(where func(int) string) *decoder {
	return &decoder{where: where, budget: maxNodes, active: map[*yaml.Node]bool{}}
}

func (d *decoder) addf(n *yaml.Node, key, format string, args ...any) {
	p := d.where(n.Line) + ": "
	if key != "" {
		p += key + ": "
	}
	d.problems.add(key, p+fmt.Sprintf(format, args...))
}

// spend counts one more value visited, reporting once when there are too many.
func (d *decoder) spend(n *yaml.Node, path string) bool {
	d.budget--
	if d.budget == -1 {
		d.addf(n, path, "too many values (aliases expand this file to more than %d)", maxNodes)
	}
	return d.budget >= 0
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntax reports a YAML syntax error, which ends parsing.
func (d *decoder) syntax(err error) {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		d.problems.add("", d.where(line)+": "+m[2])
		return
	}
	d.problems.add("", d.where(1)+": "+strings.TrimPrefix(msg, "yaml: "))
}

var durationType = reflect.TypeFor[Duration]()

// decode stores node n into v. path is the key v is reached by (schedule.tick).
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if !d.spend(n, path) {
		return
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) > 0 {
			d.decode(n.Content[0], v, path)
		}
		return
	case yaml.AliasNode:
		target := n.Alias
		if target == nil || d.active[target] {
			d.addf(n, path, "alias *%s refers to its own anchor", n.Value)
			return
		}
		d.active[target] = true
		d.decode(target, v, path)
		delete(d.active, target)
		return
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // an empty value keeps the default
	}
	if v.Type() == durationType {
		if n.Kind != yaml.ScalarNode {
			d.addf(n, path, "want a duration such as 90s, 45m, 6h or 14d, got %s", describe(n))
			return
		}
		dur, err := ParseDuration(n.Value)
		if err != nil {
			d.addf(n, path, "%v", err)
			return
		}
		v.SetInt(int64(dur))
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.addf(n, path, "want a list, got %s", describe(n))
			return
		}
		if len(n.Content) == 0 {
			v.SetZero()
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.addf(n, path, "want text, got %s", describe(n))
			return
		}
		s := n.Value
		if n.ShortTag() == "!!binary" {
			b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
			if err != nil {
				d.addf(n, path, "invalid !!binary value: %v", err)
				return
			}
			s = string(b)
		}
		v.SetString(s)
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.Decode(&b) != nil {
			d.addf(n, path, "want true or false, got %s", describe(n))
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		var i int64
		if n.Kind != yaml.ScalarNode || n.Decode(&i) != nil {
			d.addf(n, path, "want a whole number, got %s", describe(n))
			return
		}
		if v.OverflowInt(i) {
			d.addf(n, path, "number %d is too large", i)
			return
		}
		v.SetInt(i)
	default:
		panic(fmt.Sprintf("config: %s: no decoder for %s", path, v.Type()))
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		what := "keys"
		if path != "" {
			what = "the keys of " + path
		}
		d.addf(n, path, "want a mapping (%s, one per line), got %s", what, describe(n))
		return
	}
	t := v.Type()
	d.eachPair(n, path, func(key string, k, val *yaml.Node) {
		for i := range t.NumField() {
			if yamlName(t.Field(i)) == key {
				d.decode(val, v.Field(i), joinKey(path, key))
				return
			}
		}
		msg := "unknown key"
		if s := suggest(key, t); s != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", s)
		}
		d.addf(k, joinKey(path, key), "%s", msg)
	})
}

// decodeMap decodes a mapping into a map with string keys. Entries replace
// the existing entries with the same key; other entries are kept.
func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.addf(n, path, "want a mapping (one entry per line), got %s", describe(n))
		return
	}
	var m reflect.Value
	d.eachPair(n, path, func(key string, _, val *yaml.Node) {
		if !m.IsValid() {
			m = reflect.MakeMap(v.Type())
			for it := v.MapRange(); it.Next(); {
				m.SetMapIndex(it.Key(), it.Value())
			}
		}
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(val, elem, joinKey(path, key))
		m.SetMapIndex(reflect.ValueOf(key), elem)
	})
	if m.IsValid() {
		v.Set(m)
	}
}

// eachPair calls f for each key of mapping n, after the keys it merges
// (<<: *anchor), reporting keys that are not text and keys given twice.
func (d *decoder) eachPair(n *yaml.Node, path string, f func(key string, k, val *yaml.Node)) {
	seen := map[string]int{}
	var explicit []int
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			d.merge(val, path, f)
			continue
		}
		explicit = append(explicit, i)
	}
	for _, i := range explicit {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.addf(k, path, "want a plain key, got %s", describe(k))
			continue
		}
		if line, ok := seen[k.Value]; ok {
			// Not filed under the key: the first value stands and is validated.
			d.problems.add("", fmt.Sprintf("%s: %s: set twice (first on line %d)", d.where(k.Line), joinKey(path, k.Value), line))
			continue
		}
		seen[k.Value] = k.Line
		f(k.Value, k, val)
	}
}

// merge applies the mapping(s) named by a merge key (<<) as if their keys were written in place.
func (d *decoder) merge(val *yaml.Node, path string, f func(key string, k, val *yaml.Node)) {
	if !d.spend(val, path) {
		return
	}
	switch val.Kind {
	case yaml.AliasNode:
		if val.Alias == nil || d.active[val.Alias] {
			d.addf(val, path, "alias *%s refers to its own anchor", val.Value)
			return
		}
		d.active[val.Alias] = true
		d.merge(val.Alias, path, f)
		delete(d.active, val.Alias)
	case yaml.MappingNode:
		d.eachPair(val, path, f)
	case yaml.SequenceNode:
		for _, item := range val.Content {
			if item.Kind == yaml.SequenceNode {
				d.addf(item, path, "<< wants a mapping or a list of mappings, got a list inside the list")
				continue
			}
			d.merge(item, path, f)
		}
	default:
		d.addf(val, path, "<< wants a mapping or a list of mappings, got %s", describe(val))
	}
}

// describe names what a node holds, for "want X, got Y".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "an alias"
	}
	const max = 60
	s := n.Value
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strconv.Quote(s)
}

var plainKey = regexp.MustCompile(`^[A-Za-z0-9_\-]+$`)

// joinKey appends a key to a path, quoting keys that would make the path ambiguous or span lines.
func joinKey(path, key string) string {
	if !plainKey.MatchString(key) {
		key = strconv.Quote(key)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return name
}

// suggest returns the key of struct t that key was probably meant to be.
func suggest(key string, t reflect.Type) string {
	norm := func(s string) string {
		return strings.NewReplacer("_", "", "-", "", " ", "").Replace(strings.ToLower(s))
	}
	best, bestDist := "", 3
	for i := range t.NumField() {
		name := yamlName(t.Field(i))
		if norm(name) == norm(key) {
			return name
		}
		if dist := editDistance(key, name); dist < bestDist {
			best, bestDist = name, dist
		}
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return math.MaxInt
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// configKey is one leaf of the configuration: a value with its own
// environment variable.
type configKey struct {
	path  string // schedule.tick
	env   string // KINDLING_SCHEDULE_TICK
	index []int  // reflect field index from Config
}

// configKeys lists every leaf key in the order of Config.
var configKeys = sync.OnceValue(func() []configKey {
	var keys []configKey
	var walk func(t reflect.Type, path string, index []int)
	walk = func(t reflect.Type, path string, index []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			p := joinKey(path, yamlName(f))
			idx := append(slices.Clone(index), i)
			if f.Type.Kind() == reflect.Struct {
				walk(f.Type, p, idx)
				continue
			}
			env := envPrefix + strings.ToUpper(strings.ReplaceAll(p, ".", "_"))
			keys = append(keys, configKey{path: p, env: env, index: idx})
		}
	}
	walk(reflect.TypeFor[Config](), "", nil)
	return keys
})

// ApplyEnv overrides keys from the environment: KINDLING_ and the key's path
// in upper case with "_" for "." (schedule.tick: KINDLING_SCHEDULE_TICK;
// telegram.webhook.secret_token: KINDLING_TELEGRAM_WEBHOOK_SECRET_TOKEN).
// An empty variable counts as unset; "" (two quote marks) sets a text key
// to empty. Scalars take their plain text (surrounding spaces ignored);
// lists and maps (coaches, safety.phrases, safety.crisis_message) take YAML
// or JSON text, decoded as in the file.
// Every bad value is reported, naming the variable.
func (c *Config) ApplyEnv(getenv func(string) string) error {
	problems := &ConfigError{}
	root := reflect.ValueOf(c).Elem()
	for _, k := range configKeys() {
		s := strings.TrimSpace(getenv(k.env))
		if s == "" {
			continue
		}
		f := root.FieldByIndex(k.index)
		bad := func(format string, args ...any) {
			problems.add(k.path, k.env+": "+fmt.Sprintf(format, args...))
		}
		switch {
		case f.Type() == durationType:
			dur, err := ParseDuration(s)
			if err != nil {
				bad("%v", err)
				continue
			}
			f.SetInt(int64(dur))
		case f.Kind() == reflect.String:
			if s == `""` || s == "''" {
				s = "" // as in YAML: clears a key such as admin.listen
			}
			f.SetString(s)
		case f.Kind() == reflect.Bool:
			b, err := strconv.ParseBool(s)
			if err != nil {
				bad("want true or false, got %q", s)
				continue
			}
			f.SetBool(b)
		case f.Kind() == reflect.Int || f.Kind() == reflect.Int64:
			i, err := strconv.ParseInt(s, 10, f.Type().Bits())
			if err != nil {
				bad("want a whole number, got %q", s)
				continue
			}
			f.SetInt(i)
		default: // lists and maps
			env := k.env
			d := newDecoder(func(line int) string { return fmt.Sprintf("%s: line %d", env, line) })
			var n yaml.Node
			if err := yaml.Unmarshal([]byte(s), &n); err != nil {
				d.syntax(err)
			} else {
				tmp := reflect.New(f.Type()).Elem()
				tmp.Set(f)
				d.decode(&n, tmp, k.path)
				if len(d.problems.Problems) == 0 {
					f.Set(tmp)
				}
			}
			for i, p := range d.problems.Problems {
				key := d.problems.keys[i]
				if key == "" {
					key = k.path
				}
				problems.add(key, p)
			}
		}
	}
	return problems.orNil()
}

// UnknownEnv returns the variables in environ (as from os.Environ) that start
// with KINDLING_ but name no key, so that a misspelt override can be warned
// about instead of silently ignored.
func UnknownEnv(environ []string) []string {
	known := map[string]bool{}
	for _, k := range configKeys() {
		known[k.env] = true
	}
	var unknown []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, envPrefix) && !known[name] {
			unknown = append(unknown, name)
		}
	}
	return unknown
}

// maxTokenFile bounds what LoadToken reads, in case token_file names something else.
const maxTokenFile = 4096

// LoadToken sets telegram.token from, in order: KINDLING_TELEGRAM_TOKEN, the
// file named by KINDLING_TELEGRAM_TOKEN_FILE or telegram.token_file
// (surrounding whitespace trimmed), or telegram.token as it is. It does not
// require a token: see RequireToken.
func (c *Config) LoadToken(getenv func(string) string) error {
	if t := strings.TrimSpace(getenv(envPrefix + "TELEGRAM_TOKEN")); t != "" {
		c.Telegram.Token = t
		return nil
	}
	if f := strings.TrimSpace(getenv(envPrefix + "TELEGRAM_TOKEN_FILE")); f != "" {
		c.Telegram.TokenFile = f
	}
	path := c.Telegram.TokenFile
	if path == "" {
		return nil
	}
	const key = "telegram.token_file"
	problems := &ConfigError{}
	f, err := os.Open(path)
	if err != nil {
		problems.addKey(key, "cannot read %q: %v", path, pathErr(err))
		return problems
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
	switch {
	case err != nil:
		problems.addKey(key, "cannot read %q: %v", path, pathErr(err))
	case len(b) > maxTokenFile:
		problems.addKey(key, "%q is larger than %d bytes; it should hold only the token", path, maxTokenFile)
	case strings.TrimSpace(string(b)) == "":
		problems.addKey(key, "%q is empty; it should hold the token from @BotFather", path)
	default:
		c.Telegram.Token = strings.TrimSpace(string(b))
	}
	return problems.orNil()
}

// RequireToken reports a missing token with how to provide one. Only
// commands that talk to Telegram need it.
func (c Config) RequireToken() error {
	if c.Telegram.Token != "" {
		return nil
	}
	return errors.New("telegram.token: not set; set KINDLING_TELEGRAM_TOKEN or telegram.token_file " +
		"(get a token from @BotFather in Telegram: /newbot)")
}

// pathErr drops the path and operation from a *fs.PathError, which the messages name already.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

var (
	languageCode = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)
	secretToken  = regexp.MustCompile(`^[A-Za-z0-9_\-]{1,256}$`)
	// webhookPorts are the only ports Telegram delivers webhooks to.
	webhookPorts = []string{"443", "80", "88", "8443"}
)

// Validate checks the whole configuration and returns a *ConfigError listing
// every problem, each as "key: message". It reads the file system only to
// check that paths can be read or created.
func (c Config) Validate() error {
	p := &ConfigError{}
	atLeast := func(key string, d, floor Duration) {
		if d < floor {
			p.addKey(key, "must be at least %s, got %q", floor, d)
		}
	}

	// telegram
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
	c.validateWebhook(p)

	// store, prompts
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

	// schedule
	s := c.Schedule
	atLeast("schedule.tick", s.Tick, Duration(time.Second))
	if s.Tick >= Duration(time.Second) && s.CatchUp < s.Tick {
		p.addKey("schedule.catch_up", "must be at least schedule.tick (%s), got %q", s.Tick, s.CatchUp)
	}
	if s.RemindAfter < 0 {
		p.addKey("schedule.remind_after", "must not be negative (0 turns reminders off), got %q", s.RemindAfter)
	}
	if s.QuietHours != "" {
		start, end, ok := strings.Cut(s.QuietHours, "-")
		_, _, okStart := parseClock(start)
		_, _, okEnd := parseClock(end)
		switch {
		case !ok || !okStart || !okEnd:
			p.addKey("schedule.quiet_hours", "want HH:MM-HH:MM such as 22:00-08:00, or \"\" for none, got %q", s.QuietHours)
		case start == end:
			p.addKey("schedule.quiet_hours", "start and end are the same; use \"\" for no quiet hours, got %q", s.QuietHours)
		}
	}
	checkClock(p, "schedule.default_time", s.DefaultTime)
	checkZone(p, "schedule.default_timezone", s.DefaultTimezone)

	// enrollment, invites, coaches
	if c.Enrollment != EnrollInvite && c.Enrollment != EnrollOpen {
		p.addKey("enrollment", "must be %q or %q, got %q", EnrollInvite, EnrollOpen, c.Enrollment)
	}
	atLeast("invites.ttl", c.Invites.TTL, Duration(time.Minute))
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

	// safety
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
		key := joinKey("safety.phrases", lang)
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
		key := joinKey("safety.crisis_message", lang)
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

	// admin
	if l := c.Admin.Listen; l != "" {
		// Off loopback, too, /export and /backup need a token: admin.token
		// or the one kindling makes (see ensureAdminToken).
		if _, _, err := splitListen(l); err != nil {
			p.addKey("admin.listen", "want host:port such as 127.0.0.1:8090, or \"\" for off, got %q: %v", l, err)
		}
	}
	for i, h := range c.Admin.AllowedHosts {
		if msg := checkAllowedHost(h); msg != "" {
			p.addKey(fmt.Sprintf("admin.allowed_hosts[%d]", i), "%s, got %q", msg, h)
		}
	}

	// backup
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

	// log
	if f := c.Log.Format; f != "text" && f != "json" {
		p.addKey("log.format", "must be \"text\" or \"json\", got %q", f)
	}
	if _, ok := logLevels[c.Log.Level]; !ok {
		p.addKey("log.level", "must be debug, info, warn or error, got %q", c.Log.Level)
	}
	return p.orNil()
}

func (c Config) validateWebhook(p *ConfigError) {
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
	} else if _, _, err := splitListen(w.Listen); err != nil {
		p.addKey("telegram.webhook.listen", "want host:port such as 127.0.0.1:8443, got %q: %v", w.Listen, err)
	}
	switch {
	case w.SecretToken == "":
		p.addKey("telegram.webhook.secret_token", "required when telegram.webhook.url is set: 1-256 characters of A-Z, a-z, 0-9, _ and - (try: openssl rand -hex 32)")
	case !secretToken.MatchString(w.SecretToken):
		p.addKey("telegram.webhook.secret_token", "must be 1-256 characters of A-Z, a-z, 0-9, _ and - (value not shown)")
	}
}

func splitListen(addr string) (host string, port int, err error) {
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

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
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
func checkCreatable(p *ConfigError, key, path string, wantDir bool) {
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

func checkClock(p *ConfigError, key, s string) {
	if _, _, ok := parseClock(s); !ok {
		p.addKey(key, "want HH:MM (24-hour clock) such as 09:00, got %q", s)
	}
}

func checkZone(p *ConfigError, key, name string) {
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

// parseClock parses "HH:MM" (the hour may have one digit) on a 24-hour clock.
func parseClock(s string) (hour, minute int, ok bool) {
	h, m, found := strings.Cut(s, ":")
	if !found || len(h) < 1 || len(h) > 2 || len(m) != 2 {
		return 0, 0, false
	}
	hour, err1 := strconv.Atoi(h)
	minute, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || h[0] == '+' || h[0] == '-' || m[0] == '+' || m[0] == '-' ||
		hour < 0 || hour > 23 || minute < 0 || minute > 59 {
		return 0, 0, false
	}
	return hour, minute, true
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

// QuietHours returns schedule.quiet_hours as its "HH:MM" start and end; ok
// is false when there are none (or the value is invalid: Validate says so).
// The end may be before the start: the quiet hours then span midnight.
func (c Config) QuietHours() (start, end string, ok bool) {
	start, end, found := strings.Cut(c.Schedule.QuietHours, "-")
	_, _, okStart := parseClock(start)
	_, _, okEnd := parseClock(end)
	if !found || !okStart || !okEnd || start == end {
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

// WriteConfig writes c as YAML that ParseConfig reads back to c. It writes
// secrets as they are: `kindling config` passes c.Masked().
func WriteConfig(w io.Writer, c Config) error {
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
		return fmt.Errorf("line %d: want a duration such as 90s, 45m, 6h or 14d, got %s", n.Line, describe(n))
	}
	return d.UnmarshalText([]byte(n.Value))
}
