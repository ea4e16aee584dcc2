package bot

import "kindling/internal/metric"

// Samples are s as numbers for monitoring.
func (s Stats) Samples() []metric.Sample {
	raised := "Safety net firings by tier: alert (a coach is told; checks that became alerts included) and check (the client was asked)."
	out := []metric.Sample{
		metric.Of(metric.Counter, "kindling_updates_processed_total", "Telegram updates whose effect was stored.", float64(s.UpdatesProcessed)),
		metric.Of(metric.Counter, "kindling_updates_failed_total", "Attempts to store an update that failed (Telegram delivers the update again).", float64(s.UpdatesFailed)),
		metric.Of(metric.Counter, "kindling_updates_skipped_total", "Updates given up after failing every time while the store took other writes; each is logged with its id.", float64(s.UpdatesSkipped)),
		metric.Of(metric.Counter, "kindling_answers_stored_total", "Answers and journal entries stored.", float64(s.AnswersStored)),
		metric.Of(metric.Counter, "kindling_check_ins_completed_total", "Scored check-ins answered to their last item.", float64(s.CheckInsCompleted)),
		{Name: "kindling_safety_alerts_raised_total", Help: raised, Kind: metric.Counter, Label: "tier", LabelValue: "alert", Value: float64(s.AlertsRaised)},
		{Name: "kindling_safety_alerts_raised_total", Help: raised, Kind: metric.Counter, Label: "tier", LabelValue: "check", Value: float64(s.ChecksAsked)},
		metric.Of(metric.Counter, "kindling_safety_alerts_acknowledged_total", "Safety alerts someone pressed \"I'm on it\" or \"Resolved\" on.", float64(s.AlertsAcknowledged)),
		metric.Of(metric.Counter, "kindling_safety_alerts_escalated_total", "Safety alerts sent on to every coach and safety.escalate_to: the coach could not be reached, or nobody acknowledged in time.", float64(s.AlertsEscalated)),
		metric.Of(metric.Counter, "kindling_webhook_refused_total", "Webhook requests refused: wrong secret, body too large, not an update.", float64(s.WebhookRefused)),
	}
	ack := metric.Sample{Name: "kindling_safety_alert_ack_seconds", Help: "Time from a safety alert to its acknowledgement.",
		Kind: metric.Histogram, Count: s.AckTime.Count, Sum: s.AckTime.Sum}
	var cum uint64
	for i, b := range s.AckTime.Bounds {
		cum += s.AckTime.Counts[i]
		ack.Buckets = append(ack.Buckets, metric.Bucket{UpperBound: b, Count: cum})
	}
	return append(out, ack)
}
