package schedule

import (
	"time"

	"kindling/internal/metric"
)

// Samples are the schedule's numbers for monitoring at now: when the last
// tick finished, and the clients due and overdue, counted through the due
// index (the cost grows with the clients due, not with all clients).
func (s *Scheduler) Samples(now time.Time) []metric.Sample {
	out := []metric.Sample{metric.Of(metric.Gauge, "kindling_last_tick_timestamp_seconds", "When the last schedule tick finished (Unix time; 0: not yet).", metric.Unix(s.LastTick()))}
	for _, d := range []struct {
		name, help string
		at         time.Time
	}{
		{"kindling_clients_due", "Clients whose next step or reminder is due now (the tick's backlog).", now},
		{"kindling_clients_overdue", "Clients due more than schedule.catch_up ago: their step will be skipped.", now.Add(-s.CatchUp)},
	} {
		smp := metric.Of(metric.Gauge, d.name, d.help, 0)
		ids, err := s.DB.Due(d.at, 0)
		smp.Value, smp.Err = float64(len(ids)), err
		out = append(out, smp)
	}
	return out
}
