package main

import (
	"maps"
	"math"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"kindling/bot"
	"kindling/store"
	"kindling/telegram"
)

// failureReasons are the reasons telegram.Sender counts failed Telegram calls
// under; each is exported from the start, at zero, so that a rate() over
// it works before the first failure.
var failureReasons = []string{"chat_not_found", "network", "rejected", "server", "unauthorized", "unreachable"}

// backupResults label kindling_backups_total.
var backupResults = []string{"ok", "failed"}

// metrics are kindling's Prometheus metrics, in a registry of their own.
// Most are read at scrape time from the counters the bot, the sender, the
// schedule and the store keep; main observes the rest.
type metrics struct {
	reg          *prometheus.Registry
	tickDuration prometheus.Histogram
	reloadErrors prometheus.Counter
	backups      *prometheus.CounterVec
	lastBackup   prometheus.Gauge
}

// newMetrics registers kindling's metrics, reading a's parts at scrape time.
func newMetrics(a *app) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		tickDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "kindling_tick_duration_seconds",
			Help:    "How long one schedule tick took.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 9), // 1 ms to 65 s
		}),
		reloadErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kindling_prompt_reload_errors_total",
			Help: "Prompt reloads that failed; the last good prompts stayed active.",
		}),
		backups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kindling_backups_total",
			Help: "Automatic backups by result (ok: written and verified).",
		}, []string{"result"}),
		lastBackup: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "kindling_backup_last_success_timestamp_seconds",
			Help: "When the last automatic backup was written and verified (Unix time; 0: none yet).",
		}),
	}
	for _, r := range backupResults {
		m.backups.WithLabelValues(r)
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.tickDuration, m.reloadErrors, m.backups, m.lastBackup,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "kindling_build_info", Help: "Always 1; the version label says which kindling runs.",
			ConstLabels: prometheus.Labels{"version": version()},
		}, func() float64 { return 1 }),
	)
	m.reg.MustRegister(senderMetrics(a)...)
	m.reg.MustRegister(botMetrics(a)...)
	m.reg.MustRegister(storeMetrics(a)...)
	if a.web != nil {
		m.reg.MustRegister(webMetrics(a)...)
	}
	return m
}

func counter(name, help string, f func() float64) prometheus.Collector {
	return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f)
}

func gauge(name, help string, f func() float64) prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
}

// senderMetrics read the sender's counters at scrape time.
func senderMetrics(a *app) []prometheus.Collector {
	sender := func() telegram.SenderStats { return a.sender.Stats() }
	return []prometheus.Collector{
		counter("kindling_messages_sent_total", "Telegram calls that succeeded through the sender: messages sent, edited, button presses answered.",
			func() float64 { return float64(sender().Sent) }),
		&failedCollector{
			desc:  prometheus.NewDesc("kindling_messages_failed_total", "Telegram calls that failed, by reason; a call retried after a network or server error counts once per failed attempt.", []string{"reason"}, nil),
			stats: sender,
		},
		counter("kindling_telegram_429_total", "429 Too Many Requests answers from Telegram.",
			func() float64 { return float64(sender().TooMany) }),
		counter("kindling_telegram_paused_seconds_total", "Time every send was held back to honour a 429's retry_after.",
			func() float64 { return sender().Paused.Seconds() }),
		gauge("kindling_telegram_last_success_timestamp_seconds", "When Telegram last answered a call successfully (Unix time; 0: not yet).",
			func() float64 { return unixSeconds(sender().LastSuccess) }),

		counter("kindling_telegram_retry_after_capped_total", "429 answers whose retry_after was longer than telegram.max_pause; calls were tried again after max_pause.",
			func() float64 { return float64(sender().LongRetryAfter) }),
	}
}

// botMetrics read the conversation's counters at scrape time.
func botMetrics(a *app) []prometheus.Collector {
	return []prometheus.Collector{
		counter("kindling_updates_processed_total", "Telegram updates whose effect was stored.",
			func() float64 { return float64(a.bot.Stats().UpdatesProcessed) }),
		counter("kindling_updates_failed_total", "Attempts to store an update that failed (Telegram delivers the update again).",
			func() float64 { return float64(a.bot.Stats().UpdatesFailed) }),
		counter("kindling_updates_skipped_total", "Updates given up after failing every time while the store took other writes; each is logged with its id.",
			func() float64 { return float64(a.bot.Stats().UpdatesSkipped) }),
		counter("kindling_answers_stored_total", "Answers and journal entries stored.",
			func() float64 { return float64(a.bot.Stats().AnswersStored) }),
		counter("kindling_check_ins_completed_total", "Scored check-ins answered to their last item.",
			func() float64 { return float64(a.bot.Stats().CheckInsCompleted) }),
		&alertCollector{
			raised: prometheus.NewDesc("kindling_safety_alerts_raised_total", "Safety net firings by tier: alert (a coach is told; checks that became alerts included) and check (the client was asked).", []string{"tier"}, nil),
			acked:  prometheus.NewDesc("kindling_safety_alerts_acknowledged_total", "Safety alerts someone pressed \"I'm on it\" or \"Resolved\" on.", nil, nil),
			escal:  prometheus.NewDesc("kindling_safety_alerts_escalated_total", "Safety alerts sent on to every coach and safety.escalate_to: the coach could not be reached, or nobody acknowledged in time.", nil, nil),
			ack:    prometheus.NewDesc("kindling_safety_alert_ack_seconds", "Time from a safety alert to its acknowledgement.", nil, nil),
			stats:  func() bot.Stats { return a.bot.Stats() },
		},
		counter("kindling_webhook_refused_total", "Webhook requests refused: wrong secret, body too large, not an update.",
			func() float64 { return float64(a.bot.Stats().WebhookRefused) }),
	}
}

// storeMetrics read the store, the outbox and the schedule at scrape time.
func storeMetrics(a *app) []prometheus.Collector {
	return []prometheus.Collector{
		counter("kindling_store_write_errors_total", "Writes the database refused for a reason of the storage: a full disk, an I/O error, a read-only file system.",
			func() float64 { return float64(a.db.StorageStats().WriteErrors) }),
		gauge("kindling_store_refusing_writes", "1 while the database refuses writes (from a refused write until one succeeds a minute after the last refused), else 0.",
			func() float64 {
				if a.db.StorageStats().Failing != nil {
					return 1
				}
				return 0
			}),

		gauge("kindling_outbox_messages", "Messages waiting in the outbox to be sent (a broadcast in progress, or Telegram unreachable).",
			func() float64 {
				n := 0
				if err := a.db.View(func(tx *store.Tx) error { n, _ = tx.OutboxLen(); return nil }); err != nil {
					return math.NaN()
				}
				return float64(n)
			}),
		gauge("kindling_last_tick_timestamp_seconds", "When the last schedule tick finished (Unix time; 0: not yet).",
			func() float64 { return unixSeconds(a.sched.LastTick()) }),
		&dueCollector{
			due:     prometheus.NewDesc("kindling_clients_due", "Clients whose next step or reminder is due now (the tick's backlog).", nil, nil),
			overdue: prometheus.NewDesc("kindling_clients_overdue", "Clients due more than schedule.catch_up ago: their step will be skipped.", nil, nil),
			a:       a,
		},
	}
}

// backupDone counts one automatic backup by its result.
func (m *metrics) backupDone(err error) {
	if err != nil {
		m.backups.WithLabelValues("failed").Inc()
		return
	}
	m.backups.WithLabelValues("ok").Inc()
	m.lastBackup.SetToCurrentTime()
}

func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}

// failedCollector exports the sender's failures with a reason label.
type failedCollector struct {
	desc  *prometheus.Desc
	stats func() telegram.SenderStats
}

func (c *failedCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *failedCollector) Collect(ch chan<- prometheus.Metric) {
	failed := c.stats().Failed
	reasons := slices.Sorted(maps.Keys(failed))
	for _, r := range failureReasons {
		if _, ok := failed[r]; !ok {
			reasons = append(reasons, r)
		}
	}
	for _, r := range reasons {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(failed[r]), r)
	}
}

// alertCollector exports the safety alerts the bot counted.
type alertCollector struct {
	raised, acked, escal, ack *prometheus.Desc
	stats                     func() bot.Stats
}

func (c *alertCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.raised
	ch <- c.acked
	ch <- c.escal
	ch <- c.ack
}

func (c *alertCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.stats()
	ch <- prometheus.MustNewConstMetric(c.raised, prometheus.CounterValue, float64(st.AlertsRaised), "alert")
	ch <- prometheus.MustNewConstMetric(c.raised, prometheus.CounterValue, float64(st.ChecksAsked), "check")
	ch <- prometheus.MustNewConstMetric(c.acked, prometheus.CounterValue, float64(st.AlertsAcknowledged))
	ch <- prometheus.MustNewConstMetric(c.escal, prometheus.CounterValue, float64(st.AlertsEscalated))
	buckets := map[float64]uint64{}
	var cum uint64
	for i, b := range st.AckTime.Bounds {
		cum += st.AckTime.Counts[i]
		buckets[b] = cum
	}
	ch <- prometheus.MustNewConstHistogram(c.ack, st.AckTime.Count, st.AckTime.Sum, buckets)
}

// dueCollector counts due and overdue clients through the store's due
// index; the cost grows with the clients due, not with all clients.
type dueCollector struct {
	due, overdue *prometheus.Desc
	a            *app
}

func (c *dueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.due; ch <- c.overdue }

func (c *dueCollector) Collect(ch chan<- prometheus.Metric) {
	now := time.Now()
	for _, d := range []struct {
		desc *prometheus.Desc
		at   time.Time
	}{
		{c.due, now},
		{c.overdue, now.Add(-time.Duration(c.a.cfg.Schedule.CatchUp))},
	} {
		ids, err := c.a.db.Due(d.at, 0)
		if err != nil {
			ch <- prometheus.NewInvalidMetric(d.desc, err)
			continue
		}
		ch <- prometheus.MustNewConstMetric(d.desc, prometheus.GaugeValue, float64(len(ids)))
	}
}
