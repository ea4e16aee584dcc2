package metric_test

import (
	"testing"
	"time"

	"kindling/internal/metric"
)

func TestUnix(t *testing.T) {
	if got := metric.Unix(time.Time{}); got != 0 {
		t.Errorf("Unix(zero) = %v, want 0 (not yet)", got)
	}
	at := time.Date(2026, 3, 1, 9, 0, 0, 500_000_000, time.UTC)
	if got, want := metric.Unix(at), float64(at.Unix())+0.5; got != want {
		t.Errorf("Unix(%v) = %v, want %v", at, got, want)
	}
}

func TestOf(t *testing.T) {
	s := metric.Of(metric.Gauge, "kindling_x", "An x.", 2)
	if s.Name != "kindling_x" || s.Help != "An x." || s.Kind != metric.Gauge || s.Value != 2 || s.Label != "" || s.Err != nil {
		t.Errorf("Of = %+v", s)
	}
}
