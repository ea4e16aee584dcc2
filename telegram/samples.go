package telegram

import (
	"maps"
	"slices"

	"kindling/internal/metric"
)

// FailureReasons are the reasons the Sender counts failed calls under
// (SenderStats.Failed). Samples lists each from the start, at zero, so
// that a rate over it works before the first failure.
var FailureReasons = []string{"chat_not_found", "network", "rejected", "server", "unauthorized", "unreachable"}

// Samples are s as numbers for monitoring.
func (s SenderStats) Samples() []metric.Sample {
	out := []metric.Sample{
		metric.Of(metric.Counter, "kindling_messages_sent_total", "Telegram calls that succeeded through the sender: messages sent, edited, button presses answered.", float64(s.Sent)),
		metric.Of(metric.Counter, "kindling_telegram_429_total", "429 Too Many Requests answers from Telegram.", float64(s.TooMany)),
		metric.Of(metric.Counter, "kindling_telegram_paused_seconds_total", "Time every send was held back to honour a 429's retry_after.", s.Paused.Seconds()),
		metric.Of(metric.Gauge, "kindling_telegram_last_success_timestamp_seconds", "When Telegram last answered a call successfully (Unix time; 0: not yet).", metric.Unix(s.LastSuccess)),
		metric.Of(metric.Counter, "kindling_telegram_missed_slots_total", "Calls held up past their turn under the rate (the process short of CPU) that waited for a new turn, so that no second held more calls than the rate.", float64(s.MissedSlots)),
		metric.Of(metric.Counter, "kindling_telegram_retry_after_capped_total", "429 answers whose retry_after was longer than telegram.max_pause; calls were tried again after max_pause.", float64(s.LongRetryAfter)),
	}
	reasons := slices.Sorted(maps.Keys(s.Failed))
	for _, r := range FailureReasons {
		if _, ok := s.Failed[r]; !ok {
			reasons = append(reasons, r)
		}
	}
	for _, r := range reasons {
		out = append(out, metric.Sample{Name: "kindling_messages_failed_total",
			Help: "Telegram calls that failed, by reason; a call retried after a network or server error counts once per failed attempt.",
			Kind: metric.Counter, Label: "reason", LabelValue: r, Value: float64(s.Failed[r])})
	}
	return out
}
