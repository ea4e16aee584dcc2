package main

import (
	"context"
	"testing"
	"time"
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
