package store_test

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"kindling/store"
)

func TestCheckIns(t *testing.T) {
	db := mustOpen(t)
	ci := store.CheckIn{ChatID: 1, Instrument: "wellbeing", LocalDate: "2026-03-08", Day: 7, SessionDate: "2026-03-01", Language: "en", Items: 3}
	ci.Add(store.CheckInAnswer{Item: "a", Option: "often", Answer: "Often", Score: 2, At: t0})
	ci.Add(store.CheckInAnswer{Item: "b", Option: "never", Answer: "Never", Score: 0, At: t0.Add(time.Minute)})
	if ci.Total != 2 || ci.Complete || !ci.StartedAt.Equal(t0) {
		t.Fatalf("after two of three items: %+v", ci)
	}
	ci.Add(store.CheckInAnswer{Item: "b", Option: "most", Answer: "Most days", Score: 3, At: t0.Add(2 * time.Minute)})
	if ci.Total != 5 || len(ci.Answers) != 2 {
		t.Fatalf("an item answered again replaces its answer: %+v", ci)
	}
	ci.Add(store.CheckInAnswer{Item: "c", Option: "never", Score: 0, At: t0.Add(3 * time.Minute)})
	if !ci.Complete || ci.Total != 5 {
		t.Fatalf("after every item: %+v", ci)
	}
	before := store.CheckIn{ChatID: 1, Instrument: "wellbeing", LocalDate: "2026-02-28", Day: -1, Language: "en", Items: 3}
	other := store.CheckIn{ChatID: 2, Instrument: "wellbeing", LocalDate: "2026-02-01", Language: "en"}
	update(t, db, func(tx *store.Tx) error {
		for _, c := range []store.CheckIn{ci, before, other} {
			if err := tx.PutCheckIn(c); err != nil {
				return err
			}
		}
		if err := tx.PutCheckIn(store.CheckIn{ChatID: 1, Instrument: "x", LocalDate: "March"}); err == nil {
			t.Error("PutCheckIn took a check-in without a valid date")
		}
		return nil
	})
	view(t, db, func(tx *store.Tx) error {
		got, err := tx.CheckIns(1)
		if err != nil || len(got) != 2 || got[0].Day != -1 || got[1].Total != 5 || got[1].Answers[1].Answer != "Most days" {
			t.Errorf("CheckIns(1) = %+v, %v; want the day -1 one, then day 7", got, err)
		}
		one, err := tx.CheckIn(1, "2026-03-08", 7, "wellbeing")
		if err != nil || !one.Complete {
			t.Errorf("CheckIn = %+v, %v", one, err)
		}
		if _, err := tx.CheckIn(1, "2026-03-08", 7, "other"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("CheckIn of another instrument: %v, want ErrNotFound", err)
		}
		n := 0
		err = tx.EachCheckIn(func(store.CheckIn) error { n++; return nil })
		if err != nil || n != 3 {
			t.Errorf("EachCheckIn saw %d, %v; want 3", n, err)
		}
		return nil
	})
	if err := db.Forget(1); err != nil {
		t.Fatal(err)
	}
	view(t, db, func(tx *store.Tx) error {
		if got, err := tx.CheckIns(1); err != nil || len(got) != 0 {
			t.Errorf("after Forget(1): %+v, %v", got, err)
		}
		if got, err := tx.CheckIns(2); err != nil || len(got) != 1 {
			t.Errorf("Forget(1) touched client 2: %+v, %v", got, err)
		}
		return nil
	})
}

// TestMigrateV6: a schema 6 file, written with raw bbolt, gains the empty
// check-ins bucket and keeps what it held.
func TestMigrateV6(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kindling.db")
	rawUpdate(t, path, func(tx *bbolt.Tx) error {
		for _, name := range []string{"meta", "clients", "sessions", "due", "deliveries", "replies", "reply_msgs", "outbox",
			"invites", "kv", "updates", "alerts", "alert_due", "coach_clients", "reply_times", "reply_steps", "delivery_msgs", "step_briefs"} {
			if _, err := tx.CreateBucket([]byte(name)); err != nil {
				return err
			}
		}
		if err := tx.Bucket([]byte("meta")).Put([]byte("schema"), []byte("6")); err != nil {
			return err
		}
		return tx.Bucket([]byte("clients")).Put(be(1), mustJSON(t, client(1, time.Time{})))
	})
	db := mustOpenAt(t, path, store.Options{NoSync: true})
	update(t, db, func(tx *store.Tx) error {
		if c, err := tx.Client(1); err != nil || c.Name != "client 1" {
			t.Errorf("client after migration: %+v, %v", c, err)
		}
		if got, err := tx.CheckIns(1); err != nil || len(got) != 0 {
			t.Errorf("CheckIns after migration = %+v, %v; want none", got, err)
		}
		return tx.PutCheckIn(store.CheckIn{ChatID: 1, Instrument: "wellbeing", LocalDate: "2026-03-01", Language: "en"})
	})
	db.Close()
	if v := rawSchema(t, path); v != itoa(store.SchemaVersion) {
		t.Errorf("schema after migration %s, want %d", v, store.SchemaVersion)
	}
}

// TestExportScores: a scale answer's number goes to the value column and
// a check-in item's score to the score column, as numbers.
func TestExportScores(t *testing.T) {
	db := mustOpen(t)
	seven, two := 7, 2
	update(t, db, func(tx *store.Tx) error {
		if err := tx.PutClient(client(1, time.Time{})); err != nil {
			return err
		}
		for _, r := range []store.Reply{
			{ChatID: 1, At: t0, SessionDate: "2026-03-01", LocalDate: "2026-03-01", QuestionID: "mood", Kind: "scale", Answer: "7", Value: &seven},
			{ChatID: 1, At: t0.Add(time.Minute), SessionDate: "2026-03-01", LocalDate: "2026-03-01", QuestionID: "wellbeing.worry",
				Kind: "check_in", Answer: "Often", CheckIn: "wellbeing", Option: "often", Score: &two},
		} {
			if err := tx.AddReply(&r); err != nil {
				return err
			}
		}
		return nil
	})
	var csvOut, jsonOut strings.Builder
	if err := db.Export(&csvOut, store.ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(csvOut.String(), "\ufeff"))).ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("CSV rows %v, %v", rows, err)
	}
	col := func(name string) int { return slices.Index(rows[0], name) }
	if rows[1][col("value")] != "7" || rows[1][col("score")] != "" || rows[2][col("value")] != "" || rows[2][col("score")] != "2" {
		t.Errorf("value, score = %q %q then %q %q; want 7 and empty, then empty and 2",
			rows[1][col("value")], rows[1][col("score")], rows[2][col("value")], rows[2][col("score")])
	}
	if err := db.Export(&jsonOut, store.ExportOptions{Format: "json"}); err != nil {
		t.Fatal(err)
	}
	var objs []map[string]any
	if err := json.Unmarshal([]byte(jsonOut.String()), &objs); err != nil || len(objs) != 2 {
		t.Fatalf("JSON %v, %v", objs, err)
	}
	if objs[0]["value"] != 7.0 || objs[0]["score"] != nil || objs[1]["score"] != 2.0 {
		t.Errorf("JSON value/score = %v %v, %v", objs[0]["value"], objs[0]["score"], objs[1]["score"])
	}
}

// TestCheckInDamage: Check finds a check-in that does not decode, and
// Salvage drops it and keeps the others.
func TestCheckInDamage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kindling.db")
	db, err := store.Open(path, store.Options{NoSync: true, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	update(t, db, func(tx *store.Tx) error {
		return tx.PutCheckIn(store.CheckIn{ChatID: 1, Instrument: "wellbeing", LocalDate: "2026-03-01", Language: "en"})
	})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	rawUpdate(t, path, func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte("checkins")).Put(append(be(2), "2026-03-01"...), []byte("{not json"))
	})
	db, err = store.Open(path, store.Options{NoSync: true, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Check(); err == nil || !strings.Contains(err.Error(), "check-in") {
		t.Errorf("Check = %v, want the check-in that does not decode", err)
	}
	db.Close()
	dst := filepath.Join(t.TempDir(), "saved.db")
	if _, err := store.Salvage(path, dst); err != nil {
		t.Fatal(err)
	}
	saved := mustOpenAt(t, dst, store.Options{NoSync: true}) // checked at cleanup
	view(t, saved, func(tx *store.Tx) error {
		if cis, err := tx.CheckIns(1); err != nil || len(cis) != 1 {
			t.Errorf("after salvage: %+v, %v; want client 1's check-in kept", cis, err)
		}
		return nil
	})
}
