package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"kindling/internal/yamlx"
	"kindling/safety"
)

var updateGolden = flag.Bool("update", false, "rewrite golden files in testdata/ with what the code produces now")

// env turns a map into a getenv function.
func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

// validConfig returns Default with the database in a temporary folder,
// so that Validate does not depend on the working directory.
func validConfig(t *testing.T) Config {
	t.Helper()
	c := Default()
	c.Store.Path = filepath.Join(t.TempDir(), "kindling.db")
	return c
}

// problems returns the problems in err, which must be a *Error or nil.
func problems(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %q (%T) is not a *Error", err, err)
	}
	return ce.Problems
}

func equalProblems(t *testing.T, got, want []string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n  got  %q\n  want %q", got, want)
	}
}

func TestConfigEveryMistake(t *testing.T) {
	// Validate reads paths relative to the working directory, the package folder.
	_, err := Load("testdata/config/every-mistake.yaml", env(nil))
	if err == nil {
		t.Fatal("Load accepted every-mistake.yaml")
	}
	got := err.Error() + "\n"
	golden := filepath.Join("testdata", "config", "every-mistake.golden")
	if *updateGolden {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestConfigEveryMistake -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("problems differ from %s (rerun with -update if the change is intended):\n%s", golden, got)
	}
	// Each problem is one line and names a key or a line.
	for _, p := range problems(t, errors.Unwrap(err)) {
		if p == "" || strings.Contains(p, "\n") {
			t.Errorf("problem %q is not one line", p)
		}
	}
}

func TestConfigYAMLIsTheDefault(t *testing.T) {
	b, err := os.ReadFile("../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("config.yaml:\n%v", err)
	}
	want := Default()
	// Safety defaults are built in elsewhere and only commented in config.yaml.
	got.Safety, want.Safety = Safety{}, Safety{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("config.yaml differs from Default():\n got  %+v\n want %+v", got, want)
	}
	if err := validConfig(t).Validate(); err != nil {
		t.Errorf("Default does not validate:\n%v", err)
	}
}

// TestConfigYAMLDocumentsEveryKey keeps config.yaml complete: every key is
// present and its comment names its environment variable.
func TestConfigYAMLDocumentsEveryKey(t *testing.T) {
	b, err := os.ReadFile("../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	present := map[string]bool{}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := yamlx.JoinKey(path, n.Content[i].Value)
			present[p] = true
			if n.Content[i+1].Kind == yaml.MappingNode {
				walk(n.Content[i+1], p)
			}
		}
	}
	walk(doc.Content[0], "")
	commented := map[string]bool{"safety.phrases": true, "safety.crisis_message": true}
	for _, k := range configKeys() {
		if !present[k.path] && !(commented[k.path] && strings.Contains(string(b), strings.TrimPrefix(k.path, "safety.")+":")) {
			t.Errorf("config.yaml lacks %s", k.path)
		}
		if !strings.Contains(string(b), "Env: "+k.env) {
			t.Errorf("config.yaml does not name %s for %s", k.env, k.path)
		}
	}
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want func(c *Config) // applied to Default
	}{
		{"empty", "", func(c *Config) {}},
		{"comments only", "# nothing\n", func(c *Config) {}},
		{"null document", "~\n", func(c *Config) {}},
		{"some keys, others default", "schedule:\n  tick: 30s\nlog:\n  level: debug\n", func(c *Config) {
			c.Schedule.Tick = Duration(30 * time.Second)
			c.Log.Level = "debug"
		}},
		{"empty value keeps the default", "schedule:\n  tick:\nbackup:\n", func(c *Config) {}},
		{"empty string clears", "admin:\n  listen: \"\"\nbackup:\n  schedule: \"\"\n", func(c *Config) {
			c.Admin.Listen = ""
			c.Backup.Schedule = ""
		}},
		{"days and zero", "invites:\n  ttl: 30d\nschedule:\n  remind_after: 0\n  catch_up: 1d12h\n", func(c *Config) {
			c.Invites.TTL = Duration(30 * day)
			c.Schedule.RemindAfter = 0
			c.Schedule.CatchUp = Duration(36 * time.Hour)
		}},
		{"nested", "telegram:\n  webhook:\n    url: https://bot.example.org/tg\n    secret_token: s3cret\n", func(c *Config) {
			c.Telegram.Webhook.URL = "https://bot.example.org/tg"
			c.Telegram.Webhook.SecretToken = "s3cret"
		}},
		{"coaches", "coaches:\n  - id: 42\n    name: Ana\n  - {id: 7, name: Bo, timezone: Asia/Kolkata, digest_time: \"19:30\"}\n", func(c *Config) {
			c.Coaches = []Coach{{ID: 42, Name: "Ana"}, {ID: 7, Name: "Bo", Timezone: "Asia/Kolkata", DigestTime: "19:30"}}
		}},
		{"empty list", "coaches: []\n", func(c *Config) {}},
		{"coach copies forwardable", "coaching:\n  protect_content: false\n", func(c *Config) {
			c.Coaching.ProtectContent = false
		}},
		{"safety rules", "safety:\n  rules_file: /etc/kindling/rules.yaml\n  rules_mode: replace\n", func(c *Config) {
			c.Safety.RulesFile = "/etc/kindling/rules.yaml"
			c.Safety.RulesMode = RulesReplace
		}},
		{"safety maps", "safety:\n  phrases:\n    de: [ich will sterben]\n  crisis_message:\n    en: Please call 988.\n  lowest_mood_twice: no\n", func(c *Config) {
			c.Safety.Phrases = map[string][]string{"de": {"ich will sterben"}}
			c.Safety.CrisisMessage = map[string]string{"en": "Please call 988."}
			c.Safety.LowestMoodTwice = false
		}},
		{"merge keys", "coaches:\n  - &ana {id: 1, name: Ana, timezone: Europe/Berlin}\n  - <<: *ana\n    id: 2\n    name: Bo\n", func(c *Config) {
			c.Coaches = []Coach{{ID: 1, Name: "Ana", Timezone: "Europe/Berlin"}, {ID: 2, Name: "Bo", Timezone: "Europe/Berlin"}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tt.yaml))
			if err != nil {
				t.Fatalf("Parse:\n%v", err)
			}
			want := Default()
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestParseConfigMapsReplacePerLanguage(t *testing.T) {
	// The lead may put built-in safety defaults in Default: a language
	// in the file replaces that language only.
	d := newDecoder(func(line int) string { return "line" })
	c := Default()
	c.Safety.Phrases = map[string][]string{"en": {"a", "b"}, "de": {"c"}}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte("safety:\n  phrases:\n    en: [x]\n"), &n); err != nil {
		t.Fatal(err)
	}
	before := c.Safety.Phrases
	d.Decode(&n, reflect.ValueOf(&c).Elem(), "")
	want := map[string][]string{"en": {"x"}, "de": {"c"}}
	if !reflect.DeepEqual(c.Safety.Phrases, want) {
		t.Errorf("phrases = %v, want %v", c.Safety.Phrases, want)
	}
	if len(before["en"]) != 2 {
		t.Errorf("decoding changed the map it started from: %v", before)
	}
}

func TestParseConfigProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{"unknown key with suggestion", "schedule:\n  tic: 1m\n", []string{
			`line 2: schedule.tic: unknown key (did you mean tick?)`}},
		{"unknown key spelled another way", "schedule:\n  catchUp: 1h\n", []string{
			`line 2: schedule.catchUp: unknown key (did you mean catch_up?)`}},
		{"unknown key without suggestion", "coaches:\n  - id: 1\n    email: a@b\n", []string{
			`line 3: coaches[0].email: unknown key`}},
		{"unknown top-level key", "x-coach: &berlin {timezone: Europe/Berlin}\n", []string{
			`line 1: x-coach: unknown key`}},
		{"wrong types", "telegram:\n  rate_per_second: fast\nsafety:\n  lowest_mood_twice: 2\ncoaches: {id: 1}\nstore: [a]\nlog:\n  level: [debug]\n", []string{
			`line 2: telegram.rate_per_second: want a whole number, got "fast"`,
			`line 4: safety.lowest_mood_twice: want true or false, got "2"`,
			`line 5: coaches: want a list, got a mapping`,
			`line 6: store: want a mapping (the keys of store, one per line), got a list`,
			`line 8: log.level: want text, got a list`}},
		{"bad durations", "schedule:\n  tick: 5 minutes\n  catch_up: 1.5d\n  remind_after: [1h]\n", []string{
			`line 2: schedule.tick: want a duration such as 90s, 45m, 6h or 14d, got "5 minutes"`,
			`line 3: schedule.catch_up: want whole days, got "1.5d" (write hours instead, such as 36h)`,
			`line 4: schedule.remind_after: want a duration such as 90s, 45m, 6h or 14d, got a list`}},
		{"number too large", "backup:\n  keep: 99999999999999999999\n", []string{
			`line 2: backup.keep: want a whole number, got "99999999999999999999"`}},
		{"set twice", "log:\n  level: info\n  level: debug\n", []string{
			`line 3: log.level: set twice (first on line 2)`}},
		{"syntax error", "schedule:\n  tick: 1m\n bad: [\n", []string{
			`line 2: did not find expected key`}},
		{"tab indentation", "schedule:\n\ttick: 1m\n", []string{
			`line 2: found character that cannot start any token`}},
		{"two documents", "log: {level: info}\n---\nlog: {level: debug}\n", []string{
			`line 2: want one YAML document, found another (remove the ---)`}},
		{"top level list", "- a\n- b\n", []string{
			`line 1: want a mapping (keys, one per line), got a list`}},
		{"alias in its own anchor", "log: &a\n  <<: *a\n", []string{
			`line 2: log: alias *a refers to its own anchor`}},
		{"strange key is quoted", "\"a\\nbcdefgh\": 1\n", []string{
			`line 1: "a\nbcdefgh": unknown key`}},
		{"many problems at once", "telegram:\n  poll_timeout: x\nlog:\n  format: 1\n  levl: info\n", []string{
			`line 2: telegram.poll_timeout: want a duration such as 90s, 45m, 6h or 14d, got "x"`,
			`line 5: log.levl: unknown key (did you mean level?)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.yaml))
			equalProblems(t, problems(t, err), tt.want)
		})
	}
}

func TestParseConfigAliasBomb(t *testing.T) {
	// Merge keys nine levels deep, ten to a level, would be a billion merges.
	var b strings.Builder
	b.WriteString("m0: &m0 {level: info}\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "m%d: &m%d {<<: [%s]}\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*m%d, ", i-1), 10), ", "))
	}
	b.WriteString("log: {<<: *m9}\n")
	start := time.Now()
	_, err := Parse(strings.NewReader(b.String()))
	if err == nil || !strings.Contains(err.Error(), "log: too many values") {
		t.Errorf("err = %v, want too many values", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestReadConfigFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte("schedule:\n  tick: 2m\n  tik: 1m\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := ReadFile(path)
	equalProblems(t, problems(t, err), []string{path + `:3: schedule.tik: unknown key (did you mean tick?)`})
	if c.Schedule.Tick != Duration(2*time.Minute) {
		t.Errorf("tick = %v, want what did decode (2m)", c.Schedule.Tick)
	}

	c, err = ReadFile(filepath.Join(dir, "absent.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: err = %v, want fs.ErrNotExist", err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("missing file: config is not Default()")
	}
	if _, err := Load(filepath.Join(dir, "absent.yaml"), env(nil)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a missing file: err = %v, want fs.ErrNotExist", err)
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte("123:from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	yml := "store:\n  path: " + filepath.Join(dir, "k.db") + "\ntelegram:\n  token_file: " + tokenFile + "\nlog:\n  level: loud\n"
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path, env(map[string]string{"KINDLING_LOG_LEVEL": "debug", "KINDLING_SCHEDULE_TICK": "0s"}))
	equalProblems(t, problems(t, err), []string{`schedule.tick: must be at least 1s, got "0s"`})
	if c.Telegram.Token != "123:from-file" || c.Log.Level != "debug" {
		t.Errorf("token %q, level %q", c.Telegram.Token, c.Log.Level)
	}

	// Problems from the file, the environment and Validate come together;
	// a value that failed to decode is not reported again by Validate.
	_, err = Load("", env(map[string]string{"KINDLING_SCHEDULE_TICK": "soon", "KINDLING_ENROLLMENT": "closed",
		"KINDLING_STORE_PATH": filepath.Join(dir, "k.db")}))
	equalProblems(t, problems(t, err), []string{
		`KINDLING_SCHEDULE_TICK: want a duration such as 90s, 45m, 6h or 14d, got "soon"`,
		`enrollment: must be "invite" or "open", got "closed"`,
	})
}

func TestConfigValidate(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(c *Config)
		want   []string
	}{
		{"defaults", func(c *Config) {}, nil},
		{"durations", func(c *Config) {
			c.Schedule.Tick = Duration(500 * time.Millisecond)
			c.Schedule.RemindAfter = Duration(-time.Second)
			c.Invites.TTL = 0
			c.Telegram.PollTimeout = Duration(-time.Second)
		}, []string{
			`telegram.poll_timeout: must be between 0s and 10m, got "-1s"`,
			`schedule.tick: must be at least 1s, got "500ms"`,
			`schedule.remind_after: must not be negative (0 turns reminders off), got "-1s"`,
			`invites.ttl: must be at least 1m, got "0s"`,
		}},
		{"max_pause too short", func(c *Config) { c.Telegram.MaxPause = 0 },
			[]string{`telegram.max_pause: must be between 1s and 1h, got "0s"`}},
		{"max_pause too long", func(c *Config) { c.Telegram.MaxPause = Duration(2 * time.Hour) },
			[]string{`telegram.max_pause: must be between 1s and 1h, got "2h"`}},
		{"urgent_hold too short", func(c *Config) { c.Telegram.UrgentHold = Duration(500 * time.Millisecond) },
			[]string{`telegram.urgent_hold: must be between 1s and 30s, got "500ms"`}},
		{"urgent_hold past the 30 s promise", func(c *Config) { c.Telegram.UrgentHold = Duration(31 * time.Second) },
			[]string{`telegram.urgent_hold: must be between 1s and 30s, got "31s"`}},
		{"catch_up shorter than tick", func(c *Config) { c.Schedule.Tick, c.Schedule.CatchUp = Duration(time.Hour), Duration(30*time.Minute) },
			[]string{`schedule.catch_up: must be at least schedule.tick (1h), got "30m"`}},
		{"reminders off", func(c *Config) { c.Schedule.RemindAfter = 0 }, nil},
		{"time zones and clocks", func(c *Config) {
			c.Schedule.DefaultTimezone = "Mars/Base"
			c.Schedule.DefaultTime = "9am"
			c.Schedule.QuietHours = "22:00-22:00"
			c.Coaches = []Coach{{ID: 1, Name: "A", Timezone: "Local", DigestTime: "24:00"}}
		}, []string{
			`schedule.quiet_hours: start and end are the same; use "" for no quiet hours, got "22:00-22:00"`,
			`schedule.default_time: want HH:MM (24-hour clock) such as 09:00, got "9am"`,
			`schedule.default_timezone: unknown time zone "Mars/Base" (want an IANA name such as Europe/Berlin)`,
			`coaches[0].timezone: name the zone (such as Europe/Berlin); "Local" depends on the server`,
			`coaches[0].digest_time: want HH:MM (24-hour clock) such as 09:00, got "24:00"`,
		}},
		{"quiet hours", func(c *Config) { c.Schedule.QuietHours = "22:00 to 08:00" },
			[]string{`schedule.quiet_hours: want HH:MM-HH:MM such as 22:00-08:00, or "" for none, got "22:00 to 08:00"`}},
		{"clock edge cases", func(c *Config) {
			c.Schedule.DefaultTime = " 07:00"
			c.Coaches = []Coach{{ID: 1, Name: "A", Timezone: "UTC", DigestTime: "7:5"}, {ID: 2, Name: "B", Timezone: "UTC", DigestTime: "+9:00"}}
		}, []string{
			`schedule.default_time: want HH:MM (24-hour clock) such as 09:00, got " 07:00"`,
			`coaches[0].digest_time: want HH:MM (24-hour clock) such as 09:00, got "7:5"`,
			`coaches[1].digest_time: want HH:MM (24-hour clock) such as 09:00, got "+9:00"`,
		}},
		{"quiet hours with spaces inside", func(c *Config) { c.Schedule.QuietHours = "22:00 -08:00" },
			[]string{`schedule.quiet_hours: want HH:MM-HH:MM such as 22:00-08:00, or "" for none, got "22:00 -08:00"`}},
		{"no quiet hours, one-digit hour", func(c *Config) { c.Schedule.QuietHours, c.Schedule.DefaultTime = "", "7:30" }, nil},
		{"coaches", func(c *Config) {
			c.Coaches = []Coach{{ID: 42, Name: "Ana"}, {ID: 42, Name: " "}, {ID: -5, Name: "C"}, {ID: 42, Name: "D"}}
		}, []string{
			`coaches[1].id: duplicate 42, also coaches[0].id`,
			`coaches[1].name: required: the name clients see`,
			`coaches[2].id: want the coach's numeric Telegram user id (a positive number), got -5`,
			`coaches[3].id: duplicate 42, also coaches[0].id`,
		}},
		{"telegram", func(c *Config) {
			c.Telegram.APIURL = "api.telegram.org"
			c.Telegram.RatePerSecond = 0
			c.Telegram.Token = "123:abc\n"
		}, []string{
			`telegram.token: contains spaces or line breaks (value not shown)`,
			`telegram.api_url: want an http(s) URL such as https://api.telegram.org, got "api.telegram.org"`,
			`telegram.rate_per_second: must be between 1 and 1000, got 0`,
		}},
		{"local bot api server", func(c *Config) { c.Telegram.APIURL = "http://127.0.0.1:8081" }, nil},
		{"webhook without listen and secret", func(c *Config) { c.Telegram.Webhook.URL = "http://bot.example.org/tg" }, []string{
			`telegram.webhook.url: must be https (Telegram delivers webhooks only over TLS), got "http://bot.example.org/tg"`,
			`telegram.webhook.listen: required when telegram.webhook.url is set: the host:port kindling listens on, such as 127.0.0.1:8443`,
			`telegram.webhook.secret_token: required when telegram.webhook.url is set: 1-256 characters of A-Z, a-z, 0-9, _ and - (try: openssl rand -hex 32)`,
		}},
		{"webhook port and listen", func(c *Config) {
			c.Telegram.Webhook = Webhook{URL: "https://bot.example.org:9000/tg", Listen: "8443", SecretToken: "ok_-1"}
		}, []string{
			`telegram.webhook.url: Telegram delivers webhooks only to ports 443, 80, 88 and 8443, got 9000`,
			`telegram.webhook.listen: want host:port such as 127.0.0.1:8443, got "8443": missing port in address`,
		}},
		{"webhook good", func(c *Config) {
			c.Telegram.Webhook = Webhook{URL: "https://bot.example.org:8443/tg", Listen: "127.0.0.1:8443", SecretToken: strings.Repeat("a", 256)}
		}, nil},
		{"webhook listen alone", func(c *Config) { c.Telegram.Webhook.Listen = ":8443" }, []string{
			`telegram.webhook.url: required when telegram.webhook.listen is set (or clear listen to use long polling)`}},
		{"paths", func(c *Config) {
			c.Store.Path = dir
			c.Prompts.Dir = filepath.Join(dir, "missing")
			c.Backup.Dir = file
		}, []string{
			`store.path: "` + dir + `" is a directory, want a file path such as data/kindling.db`,
			`prompts.dir: cannot read "` + filepath.Join(dir, "missing") + `": no such file or directory`,
			`backup.dir: "` + file + `" is a file, want a directory`,
		}},
		{"paths under a file", func(c *Config) {
			c.Store.Path = filepath.Join(file, "a", "kindling.db")
			c.Backup.Dir = filepath.Join(file, "backups")
		}, []string{
			`store.path: cannot create "` + filepath.Join(file, "a", "kindling.db") + `": "` + file + `" is not a directory`,
			`backup.dir: cannot create "` + filepath.Join(file, "backups") + `": "` + file + `" is not a directory`,
		}},
		{"paths not yet created", func(c *Config) {
			c.Store.Path = filepath.Join(dir, "a", "b", "kindling.db")
			c.Backup.Dir = filepath.Join(dir, "c", "backups")
		}, nil},
		{"empty store path", func(c *Config) { c.Store.Path = "" }, []string{`store.path: required`}},
		{"prompts", func(c *Config) {
			c.Prompts.Dir = dir
			c.Prompts.DefaultSequence = ""
			c.Prompts.DefaultLanguage = "EN"
		}, []string{
			`prompts.default_sequence: required: the id of the sequence new clients follow, such as after-session`,
			`prompts.default_language: want a language code such as en or pt-BR, got "EN"`,
		}},
		{"enrollment open", func(c *Config) { c.Enrollment = EnrollOpen }, nil},
		{"enrollment", func(c *Config) { c.Enrollment = "" }, []string{`enrollment: must be "invite" or "open", got ""`}},
		{"safety", func(c *Config) {
			c.Safety.Phrases = map[string][]string{"en": {"i want to die", " "}, "de": nil, "Deutsch": {"x"}}
			c.Safety.CrisisMessage = map[string]string{"en": "", "de": strings.Repeat("ü", 4097)}
		}, []string{
			`safety.phrases.Deutsch: want a language code such as en or de as the key`,
			`safety.phrases.en[1]: empty phrase`,
			`safety.crisis_message.de: 4097 characters, more than a Telegram message holds (4096)`,
			`safety.crisis_message.en: empty message`,
		}},
		{"safety rules extend a file", func(c *Config) { c.Safety.RulesFile = "rules.yaml" }, nil},
		{"safety rules replace", func(c *Config) { c.Safety.RulesFile = "rules.yaml"; c.Safety.RulesMode = RulesReplace }, nil},
		{"safety rules replace without a file", func(c *Config) { c.Safety.RulesMode = RulesReplace }, []string{
			`safety.rules_mode: replace needs safety.rules_file: without it there would be no rules`}},
		{"safety rules mode", func(c *Config) { c.Safety.RulesMode = "merge" }, []string{
			`safety.rules_mode: want extend or replace, got "merge"`}},
		{"admin off", func(c *Config) { c.Admin.Listen = "" }, nil},
		{"admin public with token", func(c *Config) { c.Admin = Admin{Listen: ":8090", Token: "t"} }, nil},
		{"admin on localhost and ::1", func(c *Config) { c.Admin.Listen = "[::1]:8090" }, nil},
		{"admin public with kindling's own token", func(c *Config) { c.Admin.Listen = "0.0.0.0:8090" }, nil},
		{"admin listen", func(c *Config) { c.Admin.Listen = "localhost:http" }, []string{
			`admin.listen: want host:port such as 127.0.0.1:8090, or "" for off, got "localhost:http": port "http" is not a number from 0 to 65535`}},
		{"backup", func(c *Config) { c.Backup.Schedule = "30 3 * *"; c.Backup.Keep = 0 }, []string{
			`backup.schedule: invalid cron expression "30 3 * *": expected exactly 5 fields, found 4: [30 3 * *] (want 5 fields such as "30 3 * * *", or "" for off)`,
			`backup.keep: must be at least 1, got 0`,
		}},
		{"admin allowed hosts", func(c *Config) { c.Admin.AllowedHosts = []string{"kindling.internal", "10.0.0.5", "fe80::1"} }, nil},
		{"admin allowed hosts with ports and URLs", func(c *Config) {
			c.Admin.AllowedHosts = []string{"mon.lan:8090", "http://mon.lan", "", "[::1]:80"}
		}, []string{
			`admin.allowed_hosts[0]: want the host without a port (any port is accepted), got "mon.lan:8090"`,
			`admin.allowed_hosts[1]: want a host name or address such as kindling.internal or 10.0.0.5, not a URL, got "http://mon.lan"`,
			`admin.allowed_hosts[2]: empty host, got ""`,
			`admin.allowed_hosts[3]: want the host without a port (any port is accepted), got "[::1]:80"`,
		}},
		{"backup encrypted", func(c *Config) {
			c.Backup.EncryptTo = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p, age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
		}, nil},
		{"backup encrypted to a typo", func(c *Config) { c.Backup.EncryptTo = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8x" }, []string{
			`backup.encrypt_to: not an age recipient: "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8x" (want age recipients such as age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p, from age-keygen)`,
		}},
		{"backup descriptors and off", func(c *Config) { c.Backup.Schedule = "@daily" }, nil},
		{"backup off", func(c *Config) { c.Backup.Schedule = "" }, nil},
		{"log", func(c *Config) { c.Log = Log{Format: "JSON", Level: "warning"} }, []string{
			`log.format: must be "text" or "json", got "JSON"`,
			`log.level: must be debug, info, warn or error, got "warning"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig(t)
			tt.change(&c)
			equalProblems(t, problems(t, c.Validate()), tt.want)
		})
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
		str     string // String() of the result; "" = in
	}{
		{in: "14d", want: 14 * day},
		{in: "1d", want: day},
		{in: "0d", want: 0, str: "0s"},
		{in: "90m", want: 90 * time.Minute, str: "1h30m"},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "1m", want: time.Minute},
		{in: "10m", want: 10 * time.Minute},
		{in: "2h", want: 2 * time.Hour},
		{in: "36h", want: 36 * time.Hour},
		{in: "48h", want: 2 * day, str: "2d"},
		{in: "1d12h", want: 36 * time.Hour, str: "36h"},
		{in: "1h0m5s", want: time.Hour + 5*time.Second},
		{in: "90s", want: 90 * time.Second, str: "1m30s"},
		{in: "10s", want: 10 * time.Second},
		{in: "500ms", want: 500 * time.Millisecond},
		{in: "1.5h", want: 90 * time.Minute, str: "1h30m"},
		{in: "0", want: 0, str: "0s"},
		{in: "-1s", want: -time.Second},
		{in: "-1d", want: -day},
		{in: "+2d", want: 2 * day, str: "2d"},
		{in: "d", wantErr: `want a duration such as 90s, 45m, 6h or 14d, got "d"`},
		{in: "1.5d", wantErr: `want whole days, got "1.5d" (write hours instead, such as 36h)`},
		{in: "14 days", wantErr: `want a duration such as 90s, 45m, 6h or 14d, got "14 days"`},
		{in: "1d-1h", wantErr: `want a duration such as 90s, 45m, 6h or 14d, got "1d-1h"`},
		{in: "1dd", wantErr: `want a duration such as 90s, 45m, 6h or 14d, got "1dd"`},
		{in: "5", wantErr: `want a duration such as 90s, 45m, 6h or 14d, got "5"`},
		{in: "", wantErr: `want a duration such as 90s, 45m, 6h or 14d, got ""`},
		{in: "200000d", wantErr: `duration "200000d" is too long`},
		{in: "106751d24h", wantErr: `duration "106751d24h" is too long`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("ParseDuration(%q) = %v, %v; want error %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || time.Duration(got) != tt.want {
				t.Fatalf("ParseDuration(%q) = %v, %v; want %v", tt.in, time.Duration(got), err, tt.want)
			}
			str := tt.str
			if str == "" {
				str = tt.in
			}
			if got.String() != str {
				t.Errorf("String() = %q, want %q", got.String(), str)
			}
			back, err := ParseDuration(got.String())
			if err != nil || back != got {
				t.Errorf("ParseDuration(String()) = %v, %v; want %v", back, err, got)
			}
		})
	}
}

func TestConfigEnv(t *testing.T) {
	c := Default()
	err := c.ApplyEnv(env(map[string]string{
		"KINDLING_TELEGRAM_RATE_PER_SECOND":       " 10 ",
		"KINDLING_TELEGRAM_WEBHOOK_SECRET_TOKEN":  "s3cret",
		"KINDLING_STORE_PATH":                     "/var/lib/kindling/kindling.db",
		"KINDLING_SCHEDULE_TICK":                  "30s",
		"KINDLING_INVITES_TTL":                    "7d",
		"KINDLING_ENROLLMENT":                     "open",
		"KINDLING_SAFETY_LOWEST_MOOD_TWICE":       "false",
		"KINDLING_COACHES":                        `[{"id": 42, "name": "Ana"}, {"id": 7, "name": "Bo", "digest_time": "08:00"}]`,
		"KINDLING_SAFETY_PHRASES":                 "de: [ich will nicht mehr leben]",
		"KINDLING_SAFETY_CRISIS_MESSAGE":          `{"en": "Call 988."}`,
		"KINDLING_ADMIN_ALLOWED_HOSTS":            "[kindling, mon.lan]",
		"KINDLING_ADMIN_LISTEN":                   "",      // empty: unset
		"KINDLING_BACKUP_SCHEDULE":                `""`,    // cleared
		"KINDLING_SCHEDULE_DEFAULT_TIMEZONE_TYPO": "Mars/", // not a key
	}))
	if err != nil {
		t.Fatalf("ApplyEnv:\n%v", err)
	}
	want := Default()
	want.Telegram.RatePerSecond = 10
	want.Telegram.Webhook.SecretToken = "s3cret"
	want.Store.Path = "/var/lib/kindling/kindling.db"
	want.Schedule.Tick = Duration(30 * time.Second)
	want.Invites.TTL = Duration(7 * day)
	want.Enrollment = EnrollOpen
	want.Backup.Schedule = ""
	want.Admin.AllowedHosts = []string{"kindling", "mon.lan"}
	want.Safety.LowestMoodTwice = false
	want.Coaches = []Coach{{ID: 42, Name: "Ana"}, {ID: 7, Name: "Bo", DigestTime: "08:00"}}
	want.Safety.Phrases = map[string][]string{"de": {"ich will nicht mehr leben"}}
	want.Safety.CrisisMessage = map[string]string{"en": "Call 988."}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got  %+v\nwant %+v", c, want)
	}
}

func TestConfigEnvNamesEveryKey(t *testing.T) {
	want := map[string]string{
		"telegram.token":                "KINDLING_TELEGRAM_TOKEN",
		"telegram.token_file":           "KINDLING_TELEGRAM_TOKEN_FILE",
		"telegram.webhook.secret_token": "KINDLING_TELEGRAM_WEBHOOK_SECRET_TOKEN",
		"schedule.tick":                 "KINDLING_SCHEDULE_TICK",
		"store.path":                    "KINDLING_STORE_PATH",
		"enrollment":                    "KINDLING_ENROLLMENT",
		"coaches":                       "KINDLING_COACHES",
		"coaching.protect_content":      "KINDLING_COACHING_PROTECT_CONTENT",
		"safety.phrases":                "KINDLING_SAFETY_PHRASES",
		"admin.allowed_hosts":           "KINDLING_ADMIN_ALLOWED_HOSTS",
		"backup.encrypt_to":             "KINDLING_BACKUP_ENCRYPT_TO",
		"safety.rules_file":             "KINDLING_SAFETY_RULES_FILE",
		"safety.rules_mode":             "KINDLING_SAFETY_RULES_MODE",
		"safety.learned_check":          "KINDLING_SAFETY_LEARNED_CHECK",
	}
	got := map[string]string{}
	for _, k := range configKeys() {
		got[k.path] = k.env
	}
	for path, name := range want {
		if got[path] != name {
			t.Errorf("%s: variable %q, want %q", path, got[path], name)
		}
	}
	if len(got) != 46 {
		t.Errorf("%d keys, want 46: %v", len(got), got)
	}
	unknown := UnknownEnv([]string{"KINDLING_SCHEDULE_TICK=1m", "KINDLING_SCHEDULE_TIKC=1m", "HOME=/root", "KINDLING_TELEGRAM_TOKEN=x"})
	if !reflect.DeepEqual(unknown, []string{"KINDLING_SCHEDULE_TIKC"}) {
		t.Errorf("UnknownEnv = %q", unknown)
	}
}

func TestConfigEnvProblems(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"duration", map[string]string{"KINDLING_SCHEDULE_TICK": "5 minutes"}, []string{
			`KINDLING_SCHEDULE_TICK: want a duration such as 90s, 45m, 6h or 14d, got "5 minutes"`}},
		{"days", map[string]string{"KINDLING_INVITES_TTL": "1.5d"}, []string{
			`KINDLING_INVITES_TTL: want whole days, got "1.5d" (write hours instead, such as 36h)`}},
		{"int", map[string]string{"KINDLING_BACKUP_KEEP": "many", "KINDLING_TELEGRAM_RATE_PER_SECOND": "99999999999999999999"}, []string{
			`KINDLING_TELEGRAM_RATE_PER_SECOND: want a whole number, got "99999999999999999999"`,
			`KINDLING_BACKUP_KEEP: want a whole number, got "many"`}},
		{"bool", map[string]string{"KINDLING_SAFETY_LOWEST_MOOD_TWICE": "sometimes"}, []string{
			`KINDLING_SAFETY_LOWEST_MOOD_TWICE: want true or false, got "sometimes"`}},
		{"list", map[string]string{"KINDLING_COACHES": `[{"id": "x", "nam": "A"}]`}, []string{
			`KINDLING_COACHES: line 1: coaches[0].id: want a whole number, got "x"`,
			`KINDLING_COACHES: line 1: coaches[0].nam: unknown key (did you mean name?)`}},
		{"list of the wrong shape", map[string]string{"KINDLING_COACHES": `42`}, []string{
			`KINDLING_COACHES: line 1: coaches: want a list, got "42"`}},
		{"map syntax", map[string]string{"KINDLING_SAFETY_PHRASES": `{"en": [}`}, []string{
			`KINDLING_SAFETY_PHRASES: line 1: did not find expected node content`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			err := c.ApplyEnv(env(tt.env))
			equalProblems(t, problems(t, err), tt.want)
			if !reflect.DeepEqual(c, Default()) {
				t.Errorf("a bad value changed the config: %+v", c)
			}
		})
	}
}

func TestConfigLoadToken(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good := write("token", "  123:from-file \n")
	empty := write("empty", "\n\n")
	big := write("big", strings.Repeat("x", 5000))

	tests := []struct {
		name      string
		yamlToken string
		tokenFile string
		env       map[string]string
		want      string
		wantErr   string
	}{
		{name: "none", want: ""},
		{name: "yaml", yamlToken: "123:yaml", want: "123:yaml"},
		{name: "file over yaml", yamlToken: "123:yaml", tokenFile: good, want: "123:from-file"},
		{name: "env over file", tokenFile: good, env: map[string]string{"KINDLING_TELEGRAM_TOKEN": "123:env"}, want: "123:env"},
		{name: "file from env", env: map[string]string{"KINDLING_TELEGRAM_TOKEN_FILE": good}, want: "123:from-file"},
		{name: "missing file", tokenFile: filepath.Join(dir, "nope"), wantErr: `telegram.token_file: cannot read "` + filepath.Join(dir, "nope") + `": no such file or directory`},
		{name: "empty file", tokenFile: empty, wantErr: `telegram.token_file: "` + empty + `" is empty; it should hold the token from @BotFather`},
		{name: "not a token file", tokenFile: big, wantErr: `telegram.token_file: "` + big + `" is larger than 4096 bytes; it should hold only the token`},
		{name: "a folder", tokenFile: dir, wantErr: `telegram.token_file: cannot read "` + dir + `": is a directory`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.Telegram.Token, c.Telegram.TokenFile = tt.yamlToken, tt.tokenFile
			err := c.LoadToken(env(tt.env))
			if tt.wantErr != "" {
				equalProblems(t, problems(t, err), []string{tt.wantErr})
				return
			}
			if err != nil || c.Telegram.Token != tt.want {
				t.Errorf("token %q, err %v; want %q", c.Telegram.Token, err, tt.want)
			}
		})
	}

	c := Default()
	err := c.RequireToken()
	if err == nil || !strings.Contains(err.Error(), "KINDLING_TELEGRAM_TOKEN") || !strings.Contains(err.Error(), "@BotFather") {
		t.Errorf("RequireToken() = %v, want a message saying how to get and set a token", err)
	}
	c.Telegram.Token = "123:x"
	if err := c.RequireToken(); err != nil {
		t.Errorf("RequireToken() with a token = %v", err)
	}
}

func TestConfigMasked(t *testing.T) {
	c := Default()
	c.Telegram.Token = "123456:SECRET-BOT-TOKEN"
	c.Telegram.Webhook.SecretToken = "SECRET-WEBHOOK"
	c.Admin.Token = "SECRET-ADMIN"
	var b bytes.Buffer
	if err := Write(&b, c.Masked()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Contains(out, "SECRET") {
		t.Errorf("masked config shows a secret:\n%s", out)
	}
	if n := strings.Count(out, "***"); n != 3 {
		t.Errorf("masked config has %d masked values, want 3:\n%s", n, out)
	}
	if c.Telegram.Token != "123456:SECRET-BOT-TOKEN" {
		t.Errorf("Masked changed the original")
	}

	// Unset secrets stay empty, so `kindling config` shows they are unset.
	b.Reset()
	if err := Write(&b, Default().Masked()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "***") {
		t.Errorf("unset secrets printed as set:\n%s", b.String())
	}
}

func TestWriteConfigRoundTrip(t *testing.T) {
	c := Default()
	c.Coaches = []Coach{{ID: 42, Name: "Ana: the \"coach\"", Timezone: "Europe/Berlin"}}
	c.Safety.Phrases = map[string][]string{"en": {"i want to die", "kill myself"}, "de": {"nicht mehr leben"}}
	c.Safety.CrisisMessage = map[string]string{"en": "You are not alone.\nCall 988.\n"}
	c.Schedule.CatchUp = Duration(36 * time.Hour)
	c.Backup.Schedule = "*/5 * * * *"
	var b bytes.Buffer
	if err := Write(&b, c); err != nil {
		t.Fatal(err)
	}
	got, err := Parse(&b)
	if err != nil {
		t.Fatalf("Parse(Write(c)):\n%v", err)
	}
	if !reflect.DeepEqual(got, c) {
		t.Errorf("round trip:\n got  %+v\n want %+v", got, c)
	}
}

func TestConfigHelpers(t *testing.T) {
	c := Default()
	if start, end, ok := c.QuietHours(); !ok || start != "22:00" || end != "08:00" {
		t.Errorf("QuietHours() = %q, %q, %v", start, end, ok)
	}
	c.Schedule.QuietHours = ""
	if _, _, ok := c.QuietHours(); ok {
		t.Errorf("QuietHours() ok with none set")
	}
	if got := c.TickSpec(); got != "@every 1m0s" {
		t.Errorf("TickSpec() = %q", got)
	}
	if got := c.BackupDir(); got != filepath.Join("data", "backups") {
		t.Errorf("BackupDir() = %q", got)
	}
	c.Coaches = []Coach{{ID: 1, Name: "A"}, {ID: 2, Name: "B", Timezone: "Asia/Kolkata", DigestTime: "07:00"}}
	c.Schedule.DefaultTimezone = "Europe/Berlin"
	want := []Coach{{ID: 1, Name: "A", Timezone: "Europe/Berlin", DigestTime: "18:00"}, {ID: 2, Name: "B", Timezone: "Asia/Kolkata", DigestTime: "07:00"}}
	if got := c.EffectiveCoaches(); !reflect.DeepEqual(got, want) {
		t.Errorf("EffectiveCoaches() = %+v", got)
	}
	if c.Coaches[0].Timezone != "" {
		t.Errorf("EffectiveCoaches changed the config")
	}
	if c.LogLevel().String() != "INFO" {
		t.Errorf("LogLevel() = %v", c.LogLevel())
	}
}

// FuzzParseConfig checks that no input crashes Parse, that every
// problem is one line, and that whatever parses writes back to itself.
func FuzzParseConfig(f *testing.F) {
	// Seeds are in testdata/fuzz/FuzzParseConfig, one small one per section:
	// the fuzzer minimises large seeds such as config.yaml slowly.
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := Parse(bytes.NewReader(in))
		if err != nil {
			for _, p := range problems(t, err) {
				if p == "" || strings.Contains(p, "\n") {
					t.Fatalf("problem %q is not one line", p)
				}
			}
			return
		}
		var b bytes.Buffer
		if err := Write(&b, c); err != nil {
			t.Fatalf("Write: %v", err)
		}
		back, err := Parse(bytes.NewReader(b.Bytes()))
		if err != nil {
			t.Fatalf("Parse(Write(c)):\n%v\n%s", err, b.Bytes())
		}
		if !reflect.DeepEqual(back, c) {
			t.Fatalf("round trip:\n got  %#v\n want %#v\n%s", back, c, b.Bytes())
		}
	})
}

// TestConfigYAMLCrisisMessagesAreTheDefaults keeps the helplines shown in
// config.yaml the same as the built-in ones.
func TestConfigYAMLCrisisMessagesAreTheDefaults(t *testing.T) {
	cfg, err := ReadFile("../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for lang, want := range safety.DefaultCrisisMessage {
		if got := strings.TrimRight(cfg.Safety.CrisisMessage[lang], "\n"); got != want {
			t.Errorf("config.yaml safety.crisis_message.%s differs from safety.DefaultCrisisMessage:\n%s\n---\n%s", lang, got, want)
		}
	}
}
