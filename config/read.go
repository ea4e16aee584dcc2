package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"kindling/internal/yamlx"
)

// Load is the whole of loading: Default, the file at path (none if
// path is ""), ApplyEnv, LoadToken and Validate, with every problem from every
// step in one *Error. A missing file is returned at once as an error
// wrapping fs.ErrNotExist, so the caller can choose to run on defaults.
// The token is not required here: see RequireToken.
func Load(path string, getenv func(string) string) (Config, error) {
	cfg := Default()
	problems := &Error{}
	if path != "" {
		var err error
		cfg, err = ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return cfg, err
		}
		problems.merge(err)
	}
	problems.merge(cfg.ApplyEnv(getenv))
	problems.merge(cfg.LoadToken(getenv))
	var verr *Error
	if errors.As(cfg.Validate(), &verr) {
		for i, p := range verr.Problems {
			if !problems.covers(verr.keys[i]) {
				problems.add(verr.keys[i], p)
			}
		}
	}
	return cfg, problems.orNil()
}

// ReadFile parses the YAML file at path; problems are reported as
// "path:line: key: message". A missing file gives Default and an error
// wrapping fs.ErrNotExist.
func ReadFile(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Default(), fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	return parse(f, func(line int) string { return fmt.Sprintf("%s:%d", path, line) })
}

// Parse reads YAML on top of Default. Decoding is strict: unknown
// keys, duplicate keys and values of the wrong type are all reported, each as
// "line N: key: message", in one *Error. An empty value keeps the
// default. Lists replace the default; maps (safety.*) replace it per entry.
// On error the returned Config holds whatever did decode.
func Parse(r io.Reader) (Config, error) {
	return parse(r, func(line int) string { return fmt.Sprintf("line %d", line) })
}

func parse(r io.Reader, where func(line int) string) (Config, error) {
	cfg := Default()
	d := newDecoder(where)
	d.DecodeOne(r, &cfg)
	return cfg, problemsOf(d).orNil()
}

var durationType = reflect.TypeFor[Duration]()

// newDecoder is the strict decoder of config YAML: yamlx's, with the
// config's own Duration.
func newDecoder(where func(line int) string) *yamlx.Decoder {
	return yamlx.NewDecoder(where, map[reflect.Type]yamlx.Scalar{durationType: {
		Want: "a duration such as 90s, 45m, 6h or 14d",
		Set: func(v reflect.Value, s string) error {
			dur, err := ParseDuration(s)
			if err == nil {
				v.SetInt(int64(dur))
			}
			return err
		},
	}})
}

// problemsOf is what d found, each filed under its key.
func problemsOf(d *yamlx.Decoder) *Error {
	problems := &Error{}
	for _, p := range d.Problems {
		problems.add(p.Key, p.Text)
	}
	return problems
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
			p := yamlx.JoinKey(path, yamlx.FieldName(f))
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
	problems := &Error{}
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
				d.Syntax(err)
			} else {
				tmp := reflect.New(f.Type()).Elem()
				tmp.Set(f)
				d.Decode(&n, tmp, k.path)
				if len(d.Problems) == 0 {
					f.Set(tmp)
				}
			}
			for _, p := range d.Problems {
				key := p.Key
				if key == "" {
					key = k.path
				}
				problems.add(key, p.Text)
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
	problems := &Error{}
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
