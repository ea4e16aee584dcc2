package bot

import "sync/atomic"

// Stats counts what the bot did since it started. main turns these into
// metrics; the bot itself knows nothing of Prometheus.
type Stats struct {
	// UpdatesProcessed counts updates whose effect was stored (replays of
	// an update already stored are not counted again).
	UpdatesProcessed int64
	// UpdatesFailed counts attempts to store an update that failed; the
	// update was not confirmed and Telegram delivers it again.
	UpdatesFailed int64
	// AnswersStored counts answers to questions and journal entries.
	AnswersStored int64
	// UpdatesSkipped counts updates given up after failing the same way
	// every time while the store took writes (see Poll); never one whose
	// write the storage refused.
	UpdatesSkipped int64
	// WebhookRefused counts webhook requests refused before handling: a
	// wrong secret, a body too large, or something that is not an update.
	WebhookRefused int64
}

// counters are the live values behind Stats.
type counters struct {
	updates, failed, answers, refused, skipped atomic.Int64
}

// Stats returns a snapshot of the bot's counters.
func (b *Bot) Stats() Stats {
	return Stats{
		UpdatesProcessed: b.stats.updates.Load(),
		UpdatesFailed:    b.stats.failed.Load(),
		AnswersStored:    b.stats.answers.Load(),
		WebhookRefused:   b.stats.refused.Load(),
		UpdatesSkipped:   b.stats.skipped.Load(),
	}
}
