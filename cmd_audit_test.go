package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"kindling/config"
	"kindling/store"
)

// TestAuditCommand: `kindling audit` prints the web workspace's record of
// views, through the running bot's admin address and from the file once
// the bot has stopped, with --since choosing the days.
func TestAuditCommand(t *testing.T) {
	r := startRig(t, func(c *config.Config) { c.Coaches = []config.Coach{{ID: 9500, Name: "Sam"}} })
	if err := r.a.db.Update(func(tx *store.Tx) error {
		for _, v := range []store.WebView{
			{ChatID: 7001, Coach: 9500, At: time.Date(2026, 10, 30, 9, 0, 0, 0, time.UTC), What: "client"},
			{ChatID: 7002, Coach: 9500, At: time.Date(2026, 11, 2, 17, 30, 0, 0, time.UTC), What: "voice"},
		} {
			if err := tx.AddWebView(v); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	env := func(listen string) func(string) string {
		return func(k string) string {
			return map[string]string{
				"KINDLING_STORE_PATH":   r.a.cfg.Store.Path,
				"KINDLING_ADMIN_LISTEN": listen,
				"KINDLING_ADMIN_TOKEN":  rigAdminToken,
				"KINDLING_COACHES":      `[{"id": 9500, "name": "Sam"}]`,
			}[k]
		}
	}
	cli := func(getenv func(string) string, args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"audit", "--config", os.DevNull}, args...), getenv, &out, io.Discard)
		return out.String(), err
	}
	admin := strings.TrimPrefix(r.admin.URL, "http://")
	out, err := cli(env(admin))
	if err != nil || !strings.Contains(out, "2026-10-30T09:00:00Z  9500   Sam   client  7001") || !strings.Contains(out, "voice   7002") {
		t.Fatalf("audit through the running bot: %v\n%s", err, out)
	}
	out, err = cli(env(admin), "--since", "2026-11-01")
	if err != nil || strings.Contains(out, "7001") || !strings.Contains(out, "7002") {
		t.Errorf("audit --since 2026-11-01: %v\n%s", err, out)
	}
	if _, err := cli(env(admin), "--since", "November"); err == nil || !strings.Contains(err.Error(), "--since") {
		t.Errorf("audit --since November: %v", err)
	}
	if err := r.a.Stop(time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	out, err = cli(env(`""`), "--since", "2026-10-01")
	if err != nil || !strings.Contains(out, "Sam") || !strings.Contains(out, "7002") {
		t.Errorf("audit from the file: %v\n%s", err, out)
	}
	out, err = cli(env(`""`), "--since", "2027-01-01")
	if err != nil || !strings.Contains(out, "(no views recorded)") {
		t.Errorf("audit of nothing: %v\n%s", err, out)
	}
}
