package admin_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kindling/admin"
	"kindling/store"
)

func TestWriteAudit(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "kindling.db"), store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out bytes.Buffer
	if err := admin.WriteAudit(&out, db, time.Time{}, nil); err != nil || !strings.Contains(out.String(), "(no views recorded)") {
		t.Fatalf("no views: %v\n%s", err, out.String())
	}
	day := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	err = db.Update(func(tx *store.Tx) error {
		for _, v := range []store.WebView{{ChatID: 7, Coach: 9500, At: day, What: "client"}, {ChatID: 8, Coach: 9600, At: day.Add(24 * time.Hour), What: "export"}} {
			if err := tx.AddWebView(v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := admin.WriteAudit(&out, db, day.Add(time.Hour), map[int64]string{9600: "Ana"}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "when (UTC)") ||
		strings.Join(strings.Fields(lines[1]), " ") != "2026-03-03T10:00:00Z 9600 Ana export 8" {
		t.Errorf("since the second day:\n%s", out.String())
	}
}
