package bot

import (
	"sync"
	"sync/atomic"
	"time"
)

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
	// CheckInsCompleted counts scored check-ins whose last item was
	// answered.
	CheckInsCompleted int64
	// UpdatesSkipped counts updates given up after failing the same way
	// every time while the store took writes (see Poll); never one whose
	// write the storage refused.
	UpdatesSkipped int64
	// WebhookRefused counts webhook requests refused before handling: a
	// wrong secret, a body too large, or something that is not an update.
	WebhookRefused int64

	// AlertsRaised counts safety alerts raised (checks that became alerts
	// included); ChecksAsked counts safety checks asked.
	AlertsRaised int64
	ChecksAsked  int64
	// AlertsAcknowledged counts alerts someone pressed "I'm on it" (or
	// "Resolved") on; AlertsEscalated those sent on to every coach and the
	// escalate_to chats.
	AlertsAcknowledged int64
	AlertsEscalated    int64
	// AckTime is the time from an alert to its acknowledgement.
	AckTime Histogram
}

// Histogram is a distribution of durations in seconds: Counts[i] counts
// the values at most Bounds[i] (not cumulative), and the last entry of
// Counts those above every bound.
type Histogram struct {
	Bounds []float64
	Counts []uint64
	Count  uint64
	Sum    float64
}

// ackBounds are the buckets of the time to acknowledge, in seconds: from
// a minute to a day.
var ackBounds = []float64{60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400}

// counters are the live values behind Stats.
type counters struct {
	updates, failed, answers, refused, skipped, checkIns atomic.Int64

	alertsRaised, checksAsked, alertsAcked, alertsEscalated atomic.Int64

	ackMu sync.Mutex
	ack   Histogram
}

// acknowledged counts one acknowledgement that took d.
func (c *counters) acknowledged(d time.Duration) {
	c.alertsAcked.Add(1)
	c.ackMu.Lock()
	defer c.ackMu.Unlock()
	if c.ack.Counts == nil {
		c.ack.Bounds = ackBounds
		c.ack.Counts = make([]uint64, len(ackBounds)+1)
	}
	s := max(d.Seconds(), 0)
	i := 0
	for i < len(ackBounds) && s > ackBounds[i] {
		i++
	}
	c.ack.Counts[i]++
	c.ack.Count++
	c.ack.Sum += s
}

// Stats returns a snapshot of the bot's counters.
func (b *Bot) Stats() Stats {
	b.stats.ackMu.Lock()
	ack := Histogram{Bounds: ackBounds, Counts: append([]uint64(nil), b.stats.ack.Counts...), Count: b.stats.ack.Count, Sum: b.stats.ack.Sum}
	b.stats.ackMu.Unlock()
	if ack.Counts == nil {
		ack.Counts = make([]uint64, len(ackBounds)+1)
	}
	return Stats{
		UpdatesProcessed:   b.stats.updates.Load(),
		UpdatesFailed:      b.stats.failed.Load(),
		AnswersStored:      b.stats.answers.Load(),
		CheckInsCompleted:  b.stats.checkIns.Load(),
		WebhookRefused:     b.stats.refused.Load(),
		UpdatesSkipped:     b.stats.skipped.Load(),
		AlertsRaised:       b.stats.alertsRaised.Load(),
		ChecksAsked:        b.stats.checksAsked.Load(),
		AlertsAcknowledged: b.stats.alertsAcked.Load(),
		AlertsEscalated:    b.stats.alertsEscalated.Load(),
		AckTime:            ack,
	}
}
