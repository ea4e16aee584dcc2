package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"kindling/internal/yamlx"
)

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

// syntax reports a YAML syntax error, which ends parsing.
func (d *decoder) syntax(err error) {
	line, msg := yamlx.SyntaxError(err)
	d.problems.add("", d.where(max(line, 1))+": "+msg)
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
		d.decodeDuration(n, v, path)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		d.decodeSlice(n, v, path)
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.String:
		d.decodeString(n, v, path)
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

// decodeDuration stores a Duration such as 90s or 14d.
func (d *decoder) decodeDuration(n *yaml.Node, v reflect.Value, path string) {
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
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, path string) {
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
}

// decodeString stores text; a !!binary value is stored decoded.
func (d *decoder) decodeString(n *yaml.Node, v reflect.Value, path string) {
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
	names := make([]string, t.NumField())
	for i := range t.NumField() {
		names[i] = yamlName(t.Field(i))
	}
	return yamlx.SuggestKey(key, names)
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
