package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestWebConfig: the web workspace's keys, their problems named by key,
// and the address the links of /web point to.
func TestWebConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want []string
		url  string
	}{
		{"defaults", func(*Config) {}, nil, "http://127.0.0.1:8091"},
		{"off", func(c *Config) { c.Web.Listen = "" }, nil, ""},
		{"behind a proxy", func(c *Config) { c.Web.BaseURL = "https://kindling.example.org/" }, nil, "https://kindling.example.org"},
		{"listen", func(c *Config) { c.Web.Listen = "8091" }, []string{
			`web.listen: want host:port such as 127.0.0.1:8091, or "" for off, got "8091": missing port in address`}, ""},
		{"the admin's port", func(c *Config) { c.Web.Listen = c.Admin.Listen }, []string{
			`web.listen: is also admin.listen (127.0.0.1:8090): give each its own port`}, ""},
		{"every address, no base url", func(c *Config) { c.Web.Listen = "0.0.0.0:8091" }, []string{
			`web.base_url: required when web.listen (0.0.0.0:8091) names no host: the address coaches open, such as https://kindling.example.org`}, ""},
		{"every address behind a proxy", func(c *Config) { c.Web.Listen, c.Web.BaseURL = ":8091", "https://k.example" }, nil, "https://k.example"},
		{"base url", func(c *Config) { c.Web.BaseURL = "kindling.example.org" }, []string{
			`web.base_url: want the address coaches open, such as https://kindling.example.org or http://localhost:8091, got "kindling.example.org"`}, ""},
		{"session ttl", func(c *Config) { c.Web.SessionTTL = Duration(time.Minute) }, []string{
			`web.session_ttl: must be between 5m and 30d, got "1m"`}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Default()
			cfg.Store.Path = t.TempDir() + "/kindling.db"
			tc.edit(&cfg)
			var got []string
			if err := cfg.Validate(); err != nil {
				got = strings.Split(err.Error(), "\n")
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("problems %q, want %q", got, tc.want)
			}
			if tc.want == nil && cfg.WebURL() != tc.url {
				t.Errorf("WebURL %q, want %q", cfg.WebURL(), tc.url)
			}
		})
	}
	cfg, err := Parse(strings.NewReader("web:\n  listen: 127.0.0.1:9000\n  base_url: https://k.example\n  session_ttl: 2h\n"))
	if err != nil || cfg.Web != (Web{Listen: "127.0.0.1:9000", BaseURL: "https://k.example", SessionTTL: Duration(2 * time.Hour)}) {
		t.Errorf("parsed %+v %v", cfg.Web, err)
	}
}
