package store_test

import (
	"errors"
	"testing"
	"time"

	"kindling/store"
)

func TestExportCheckIns(t *testing.T) {
	db := mustOpen(t)
	update(t, db, func(tx *store.Tx) error {
		for _, id := range []int64{1, 2, 3} {
			if err := tx.PutClient(store.Client{ChatID: id, Name: "c", Language: "en", TimeZone: "UTC", Status: store.StatusActive}); err != nil {
				return err
			}
		}
		for _, ci := range []store.CheckIn{
			{ChatID: 1, Instrument: "wellbeing", LocalDate: "2026-03-01", Language: "en"},
			{ChatID: 1, Instrument: "wellbeing", LocalDate: "2026-03-08", Day: 7, Language: "en"},
			{ChatID: 2, Instrument: "wellbeing", LocalDate: "2026-03-08", Day: 7, Language: "en"},
			{ChatID: 3, Instrument: "wellbeing", LocalDate: "2026-03-09", Day: 7, Language: "en"},
		} {
			if err := tx.PutCheckIn(ci); err != nil {
				return err
			}
		}
		return nil
	})
	count := func(opts store.ExportOptions, keep func(int64) bool) map[int64]int {
		t.Helper()
		cis, err := db.ExportCheckIns(opts, keep)
		if err != nil {
			t.Fatal(err)
		}
		n := map[int64]int{}
		for _, ci := range cis {
			n[ci.ChatID]++
		}
		return n
	}
	if n := count(store.ExportOptions{}, nil); n[1] != 2 || n[2] != 1 || n[3] != 1 {
		t.Errorf("all: %v", n)
	}
	if n := count(store.ExportOptions{ChatID: 1, Since: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)}, nil); len(n) != 1 || n[1] != 1 {
		t.Errorf("client 1 since 2 March: %v", n)
	}
	if n := count(store.ExportOptions{}, func(id int64) bool { return id != 2 }); n[2] != 0 || n[1] != 2 || n[3] != 1 {
		t.Errorf("keeping all but client 2: %v", n)
	}
	if _, err := db.ExportCheckIns(store.ExportOptions{ChatID: 99}, nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an unknown client: %v, want ErrNotFound", err)
	}
}
