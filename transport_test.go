package main

import (
	"context"
	"testing"
	"time"

	"kindling/store"
)

// TestTickDurationMetricMoves: kindling_tick_duration_seconds observes
// how long each tick took, not zero.
func TestTickDurationMetricMoves(t *testing.T) {
	r := startRig(t, nil)
	r.converse(7201)
	r.a.tick(context.Background(), time.Now())
	h := scrape(t, r)["kindling_tick_duration_seconds"].GetMetric()[0].GetHistogram()
	if h.GetSampleCount() < 1 || h.GetSampleSum() <= 0 {
		t.Fatalf("kindling_tick_duration_seconds: %d ticks taking %v s in all, want time spent", h.GetSampleCount(), h.GetSampleSum())
	}
}

// TestTickRunsAgainWhileClientsRemain: when more clients are due than one
// schedule tick handles, the app ticks again at once instead of leaving
// the rest for the next beat a minute later.
func TestTickRunsAgainWhileClientsRemain(t *testing.T) {
	r := startRig(t, nil)
	r.a.sched.Limit = 5
	now := time.Now().UTC()
	if err := r.a.db.Update(func(tx *store.Tx) error {
		for i := range 250 { // more than two batches of the tick (100 clients each)
			id := int64(8000 + i)
			c := store.Client{ChatID: id, UserID: id, Name: "Client", Language: "en", TimeZone: "UTC",
				SendTime: now.Add(-time.Minute).Format("15:04"), Sequence: "after-session", Status: store.StatusActive,
				ConsentAt: now, CreatedAt: now, Due: now.Add(-time.Minute)}
			if err := tx.PutClient(c); err != nil {
				return err
			}
			if err := tx.AddSession(store.Session{ChatID: id, Date: now.AddDate(0, 0, -1).Format("2006-01-02"), CreatedAt: now}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	r.a.tick(context.Background(), now)
	var left []int64
	if err := r.a.db.View(func(tx *store.Tx) error {
		var err error
		left, err = tx.Due(now, 0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("after one beat of the schedule %d of 250 due clients are still due (a tick stops after its first batch here)", len(left))
	}
}
