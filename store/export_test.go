package store_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"kindling/store"
)

var updateGolden = flag.Bool("update", false, "rewrite golden files in testdata")

func exportFixture(t *testing.T) *store.DB {
	db := mustOpen(t)
	seven := 7
	update(t, db, func(tx *store.Tx) error {
		ana := client(1, time.Time{})
		ana.Name = "Ana"
		if err := tx.PutClient(ana); err != nil {
			return err
		}
		evil := client(2, time.Time{})
		evil.Name = "=cmd|' /C calc'!A0"
		if err := tx.PutClient(evil); err != nil {
			return err
		}
		berlin := time.FixedZone("CET", 3600)
		for _, r := range []store.Reply{
			{ChatID: 1, At: time.Date(2026, 3, 2, 9, 5, 0, 0, berlin), SessionDate: "2026-03-01", Day: 1, QuestionID: "mood",
				Question: "How are you feeling today?", Kind: "scale", Answer: "7", Value: &seven},
			{ChatID: 1, At: time.Date(2026, 3, 2, 9, 7, 30, 0, time.UTC), SessionDate: "2026-03-01", Day: 1, QuestionID: "stood-out",
				Question: "What from the session is still with you?", Kind: "text",
				Answer: "The light, mostly.\nAnd my sister's voice, saying \"you're safe\", twice.", Edits: []store.Edit{{At: t0, Answer: "The light."}}},
			{ChatID: 1, At: time.Date(2026, 3, 3, 20, 0, 0, 0, time.UTC), SessionDate: "2026-03-01", Day: 2, QuestionID: "body",
				Question: "Where do you feel it in your body?", Kind: "text", Answer: "🌿 lighter in my chest ✨ — calmer"},
			{ChatID: 1, At: time.Date(2026, 3, 4, 8, 0, 0, 0, time.UTC), SessionDate: "2026-03-01", Day: 3, QuestionID: "voice",
				Question: "Say it out loud", Kind: "voice", Voice: &store.Voice{FileID: "AwACAgI", Path: "voice/1/20260304-080000.ogg", Duration: 42}},
			{ChatID: 1, At: time.Date(2026, 3, 4, 23, 59, 0, 0, time.UTC), SessionDate: "2026-03-01", Day: 3, Kind: "journal",
				Answer: "-I couldn't sleep. Wrote this instead.", Flagged: true},
			{ChatID: 2, At: time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC), Kind: "journal", Answer: "=HYPERLINK(\"http://evil\",\"click\")"},
			{ChatID: 2, At: time.Date(2026, 3, 5, 10, 1, 0, 0, time.UTC), Kind: "journal", Answer: "+SUM(A1:A9)"},
			{ChatID: 2, At: time.Date(2026, 3, 5, 10, 2, 0, 0, time.UTC), Kind: "journal", Answer: "@everyone"},
			{ChatID: 2, At: time.Date(2026, 3, 5, 10, 3, 0, 0, time.UTC), Kind: "journal", Answer: "\ttabbed\r\nand a CR"},
		} {
			if err := tx.AddReply(&r); err != nil {
				return err
			}
		}
		return nil
	})
	return db
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file (run with -update to accept):\n%s", name, got)
	}
}

func TestExportCSV(t *testing.T) {
	db := exportFixture(t)
	var buf bytes.Buffer
	if err := db.Export(&buf, store.ExportOptions{Format: "csv"}); err != nil {
		t.Fatal(err)
	}
	golden(t, "export.csv", buf.Bytes())

	if !bytes.HasPrefix(buf.Bytes(), []byte("\ufeff")) {
		t.Error("no byte order mark")
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(buf.Bytes(), []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 10 || strings.Join(rows[0], ",") != strings.Join(store.ExportColumns, ",") {
		t.Fatalf("%d rows, header %v", len(rows), rows[0])
	}
	for _, row := range rows[1:] {
		for i, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("column %s starts with a formula character: %q", store.ExportColumns[i], cell)
			}
		}
	}
	if got := rows[2][7]; got != "The light, mostly.\nAnd my sister's voice, saying \"you're safe\", twice." {
		t.Errorf("multi-line answer read back as %q", got)
	}
}

func TestExportJSON(t *testing.T) {
	db := exportFixture(t)
	var buf bytes.Buffer
	if err := db.Export(&buf, store.ExportOptions{Format: "json"}); err != nil {
		t.Fatal(err)
	}
	golden(t, "export.json", buf.Bytes())
	var rows []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 9 || rows[5]["answer"] != "=HYPERLINK(\"http://evil\",\"click\")" || rows[5]["day"] != nil {
		t.Errorf("JSON rows: %v", rows)
	}
	for _, row := range rows {
		if len(row) != len(store.ExportColumns) {
			t.Errorf("row keys %v, want %v", row, store.ExportColumns)
		}
	}
}

func TestExportFilters(t *testing.T) {
	db := exportFixture(t)
	count := func(opts store.ExportOptions) int {
		t.Helper()
		opts.Format = "json"
		var buf bytes.Buffer
		if err := db.Export(&buf, opts); err != nil {
			t.Fatal(err)
		}
		var rows []map[string]any
		if err := json.Unmarshal(buf.Bytes(), &rows); err != nil {
			t.Fatal(err)
		}
		return len(rows)
	}
	for _, tc := range []struct {
		opts store.ExportOptions
		want int
	}{
		{store.ExportOptions{ChatID: 1}, 5},
		{store.ExportOptions{ChatID: 2}, 4},
		{store.ExportOptions{Since: time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)}, 6},
		{store.ExportOptions{ChatID: 1, Since: time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)}, 2},
		{store.ExportOptions{Since: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}, 0},
	} {
		if got := count(tc.opts); got != tc.want {
			t.Errorf("Export(%+v): %d rows, want %d", tc.opts, got, tc.want)
		}
	}
	if err := db.Export(&bytes.Buffer{}, store.ExportOptions{ChatID: 3}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Export of an unknown client = %v, want ErrNotFound", err)
	}
	if err := db.Export(&bytes.Buffer{}, store.ExportOptions{Format: "xlsx"}); err == nil {
		t.Error("Export as xlsx: no error")
	}
	var empty bytes.Buffer
	if err := mustOpen(t).Export(&empty, store.ExportOptions{Format: "json"}); err != nil || empty.String() != "[]\n" {
		t.Errorf("empty JSON export = %q, %v", empty.String(), err)
	}
}

// FuzzExportCSV stores arbitrary text as a client's name, a question and an
// answer, exports CSV and reads it back: the cells are the stored text,
// neutralised, and never start with a formula character.
func FuzzExportCSV(f *testing.F) {
	f.Add("Ana", "How are you?", "fine")
	f.Add("=cmd|' /C calc'!A0", "+q", "-1")
	f.Add("", "", "\r\n\"\",;\x00\xff🌿")
	db := mustOpen(f)
	var chat atomic.Int64
	f.Fuzz(func(t *testing.T, name, question, answer string) {
		id := chat.Add(1)
		var stored store.Reply
		update(t, db, func(tx *store.Tx) error {
			c := client(id, time.Time{})
			c.Name = name
			if err := tx.PutClient(c); err != nil {
				return err
			}
			stored = store.Reply{ChatID: id, Question: question, Answer: answer, Kind: "text", SessionDate: "2026-03-01"}
			if err := tx.AddReply(&stored); err != nil {
				return err
			}
			var err error
			stored, err = tx.Reply(id, stored.ID)
			return err
		})
		var buf bytes.Buffer
		if err := db.Export(&buf, store.ExportOptions{ChatID: id}); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(buf.Bytes(), []byte("\ufeff")))).ReadAll()
		if err != nil {
			t.Fatalf("export does not parse as CSV: %v\n%q", err, buf.Bytes())
		}
		if len(rows) != 2 {
			t.Fatalf("%d rows", len(rows))
		}
		var storedName string
		view(t, db, func(tx *store.Tx) error { c, err := tx.Client(id); storedName = c.Name; return err })
		// Line breaks are written as CRLF, which encoding/csv reads back as "\n".
		norm := func(s string) string {
			return strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(store.Neutralise(s))
		}
		for col, want := range map[int]string{1: storedName, 5: stored.Question, 7: stored.Answer} {
			if got := rows[1][col]; got != norm(want) {
				t.Errorf("column %s = %q, want %q", store.ExportColumns[col], got, norm(want))
			}
		}
		for i, cell := range rows[1] {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("column %s starts with a formula character: %q", store.ExportColumns[i], cell)
			}
		}
	})
}

// FuzzOpen opens arbitrary bytes as a database: an error, never a panic
// or a hang.
func FuzzOpen(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("not a database"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "kindling.db")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		db, err := store.Open(path, store.Options{NoSync: true})
		if err != nil {
			return
		}
		defer db.Close()
		_ = db.View(func(tx *store.Tx) error {
			_, _ = tx.Due(t0, 10)
			return tx.Clients(func(store.Client) error { return nil })
		})
	})
}
