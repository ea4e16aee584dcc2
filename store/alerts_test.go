package store_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"kindling/store"
)

func TestAlertsStoredAndFound(t *testing.T) {
	db := mustOpen(t)
	at := t0.Add(time.Minute)
	var first, second store.Alert
	update(t, db, func(tx *store.Tx) error {
		if err := tx.PutClient(client(7, time.Time{})); err != nil {
			return err
		}
		first = store.Alert{ChatID: 7, At: at, Tier: store.TierAlert, Rule: "intent-1", Category: "intent", Words: "the words",
			Coach: 9101, Told: []store.Told{{Chat: 9101}}, Due: at.Add(15 * time.Minute)}
		if err := tx.AddAlert(&first); err != nil {
			return err
		}
		// The same moment again: the key stays unique.
		second = store.Alert{ChatID: 7, At: at, Tier: store.TierCheck, Check: store.CheckAsked, Due: at.Add(30 * time.Minute)}
		if err := tx.AddAlert(&second); err != nil {
			return err
		}
		return tx.AddAlert(&store.Alert{ChatID: 8, At: at, Tier: store.TierAlert, Due: at.Add(5 * time.Minute)})
	})
	if !second.At.After(first.At) {
		t.Fatalf("second alert at %v, want after %v", second.At, first.At)
	}
	view(t, db, func(tx *store.Tx) error {
		got, err := tx.Alert(7, at)
		if err != nil || got.Words != "the words" || got.Told[0].Chat != 9101 || !got.Open() {
			t.Errorf("Alert = %+v, %v", got, err)
		}
		all, err := tx.Alerts(7)
		if err != nil || len(all) != 2 || all[0].Tier != store.TierAlert || all[1].Check != store.CheckAsked {
			t.Errorf("Alerts(7) = %+v, %v", all, err)
		}
		if _, err := tx.Alert(7, at.Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing alert: %v, want ErrNotFound", err)
		}
		due, err := tx.AlertsDue(at.Add(16*time.Minute), 0)
		if err != nil || len(due) != 2 || due[0].ChatID != 8 || due[1].ChatID != 7 || due[1].Tier != store.TierAlert {
			t.Errorf("AlertsDue(+16m) = %+v, %v; want chat 8 then 7's alert", due, err)
		}
		if due, _ := tx.AlertsDue(at.Add(time.Hour), 1); len(due) != 1 || due[0].ChatID != 8 {
			t.Errorf("AlertsDue limit 1 = %+v", due)
		}
		if due, _ := tx.AlertsDue(at, 0); len(due) != 0 {
			t.Errorf("AlertsDue(at) = %+v, want none yet", due)
		}
		return nil
	})

	// Acknowledged: the timer goes; a check's timer moves.
	update(t, db, func(tx *store.Tx) error {
		first.AckBy, first.AckAt, first.Due = 9101, at.Add(2*time.Minute), time.Time{}
		if err := tx.PutAlert(first); err != nil {
			return err
		}
		second.Due = at.Add(2 * time.Hour)
		return tx.PutAlert(second)
	})
	view(t, db, func(tx *store.Tx) error {
		due, err := tx.AlertsDue(at.Add(time.Hour), 0)
		if err != nil || len(due) != 1 || due[0].ChatID != 8 {
			t.Errorf("AlertsDue after acknowledging = %+v, %v; want only chat 8", due, err)
		}
		due, _ = tx.AlertsDue(at.Add(3*time.Hour), 0)
		if len(due) != 2 || due[1].At != second.At {
			t.Errorf("AlertsDue +3h = %+v, want 8 and the moved check", due)
		}
		n := 0
		if err := tx.EachAlert(func(store.Alert) error { n++; return nil }); err != nil || n != 3 {
			t.Errorf("EachAlert saw %d, %v; want 3", n, err)
		}
		return nil
	})
	update(t, db, func(tx *store.Tx) error {
		err := tx.PutAlert(store.Alert{ChatID: 9, At: at})
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("PutAlert of a missing alert = %v, want ErrNotFound", err)
		}
		if err := tx.AddAlert(&store.Alert{}); err == nil {
			t.Error("AddAlert without a chat id succeeded")
		}
		return nil
	})
	if err := db.Forget(7); err != nil {
		t.Fatal(err)
	}
	view(t, db, func(tx *store.Tx) error {
		if all, _ := tx.Alerts(7); len(all) != 0 {
			t.Errorf("alerts after Forget: %+v", all)
		}
		if due, _ := tx.AlertsDue(at.Add(3*time.Hour), 0); len(due) != 1 || due[0].ChatID != 8 {
			t.Errorf("AlertsDue after Forget = %+v, want only chat 8", due)
		}
		return nil
	})
}

func TestExportHasAlerts(t *testing.T) {
	db := exportFixture(t)
	at := time.Date(2026, 3, 6, 21, 0, 0, 0, time.UTC)
	update(t, db, func(tx *store.Tx) error {
		return tx.AddAlert(&store.Alert{ChatID: 1, At: at, Tier: store.TierAlert, Rule: "intent-direct", Category: "intent",
			Words: "I want to die", Told: []store.Told{{Chat: 9101, At: at.Add(time.Second)}},
			AckBy: 9101, AckAt: at.Add(3 * time.Minute), ResolvedBy: 9101, ResolvedAt: at.Add(time.Hour), Note: "called her; safe with her sister"})
	})
	var buf bytes.Buffer
	if err := db.Export(&buf, store.ExportOptions{ChatID: 1}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != strings.Join(store.ExportColumns, ",") {
		t.Fatalf("header %v changed", rows[0])
	}
	last := rows[len(rows)-1]
	want := map[string]string{"client": "1", "client_name": "Ana", "question_id": "intent-direct", "kind": "alert",
		"answer": "I want to die", "answered_at": "2026-03-06T21:00:00Z", "flagged": "yes"}
	for i, col := range store.ExportColumns {
		if w, ok := want[col]; ok && last[i] != w {
			t.Errorf("alert row %s = %q, want %q", col, last[i], w)
		}
	}
	q := last[5]
	for _, part := range []string{"told 9101 at 2026-03-06T21:00:01Z", "acknowledged by 9101 at 2026-03-06T21:03:00Z", "resolved by 9101", "note: called her; safe with her sister"} {
		if !strings.Contains(q, part) {
			t.Errorf("alert row's summary %q lacks %q", q, part)
		}
	}
	if len(rows) != 1+5+1 {
		t.Errorf("%d rows, want the header, Ana's 5 answers and her alert", len(rows))
	}
	// An alert before Since is left out, as answers are.
	buf.Reset()
	if err := db.Export(&buf, store.ExportOptions{ChatID: 1, Since: at.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "I want to die") {
		t.Error("an alert before since was exported")
	}
}

// TestCheckFindsABrokenAlertTimer: Check reports an alert whose timer is
// missing from the index. (A sound file passes: every test's DB closes
// through Check.)
func TestCheckFindsABrokenAlertTimer(t *testing.T) {
	path := t.TempDir() + "/kindling.db"
	db := mustOpenAt(t, path, store.Options{NoSync: true})
	update(t, db, func(tx *store.Tx) error {
		return tx.AddAlert(&store.Alert{ChatID: 7, At: t0, Tier: store.TierAlert, Due: t0.Add(time.Minute)})
	})
	if err := db.Check(); err != nil {
		t.Fatalf("Check of a sound file: %v", err)
	}
	db.Close()
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Update(func(tx *bbolt.Tx) error {
		bk := tx.Bucket([]byte("alert_due"))
		k, _ := bk.Cursor().First()
		return bk.Delete(k)
	}); err != nil {
		t.Fatal(err)
	}
	b.Close()
	db = mustOpenAt(t, path, store.Options{NoSync: true})
	if err := db.Check(); err == nil || !strings.Contains(err.Error(), "not in the alert due index") {
		t.Errorf("Check = %v, want the missing timer named", err)
	}
	// Storing the alert again mends the index (and the cleanup's Check).
	update(t, db, func(tx *store.Tx) error {
		a, err := tx.Alert(7, t0)
		if err != nil {
			return err
		}
		return tx.PutAlert(a)
	})
}
