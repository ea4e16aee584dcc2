package store

import (
	"math"

	"kindling/internal/metric"
)

// Samples are the database's numbers for monitoring: the writes the
// storage refused, whether it refuses them now, and the messages waiting
// in the outbox (one read transaction; NaN when it cannot be read).
func (db *DB) Samples() []metric.Sample {
	st := db.StorageStats()
	refusing := 0.0
	if st.Failing != nil {
		refusing = 1
	}
	outbox := metric.Of(metric.Gauge, "kindling_outbox_messages", "Messages waiting in the outbox to be sent (a broadcast in progress, or Telegram unreachable).", 0)
	if err := db.View(func(tx *Tx) error { n, _ := tx.OutboxLen(); outbox.Value = float64(n); return nil }); err != nil {
		outbox.Value = math.NaN() // not read this time
	}
	return []metric.Sample{
		metric.Of(metric.Counter, "kindling_store_write_errors_total", "Writes the database refused for a reason of the storage: a full disk, an I/O error, a read-only file system.", float64(st.WriteErrors)),
		metric.Of(metric.Gauge, "kindling_store_refusing_writes", "1 while the database refuses writes (from a refused write until one succeeds a minute after the last refused), else 0.", refusing),
		outbox,
	}
}
