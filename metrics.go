package main

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"kindling/internal/metric"
)

// backupResults label kindling_backups_total.
var backupResults = []string{"ok", "failed"}

// metrics are kindling's Prometheus metrics, in a registry of their own.
// Most are the Samples the sender, the bot, the store, the schedule and
// the web workspace describe, read at scrape time; main observes the rest.
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
		samples(func() []metric.Sample { return a.sender.Stats().Samples() }),
		samples(func() []metric.Sample { return a.bot.Stats().Samples() }),
		samples(a.db.Samples),
		samples(func() []metric.Sample { return a.sched.Samples(time.Now()) }),
	)
	if a.web != nil {
		m.reg.MustRegister(samples(func() []metric.Sample { return a.web.Stats().Samples() }))
	}
	return m
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

// samples exports what a package's Samples say, read at each scrape. It
// describes nothing in advance (an unchecked collector): the names are
// the package's, and the tests of /metrics hold them.
type samples func() []metric.Sample

func (samples) Describe(chan<- *prometheus.Desc) {}

func (f samples) Collect(ch chan<- prometheus.Metric) {
	for _, s := range f() {
		var labels, values []string
		if s.Label != "" {
			labels, values = []string{s.Label}, []string{s.LabelValue}
		}
		desc := prometheus.NewDesc(s.Name, s.Help, labels, nil)
		switch {
		case s.Err != nil:
			ch <- prometheus.NewInvalidMetric(desc, s.Err)
		case s.Kind == metric.Histogram:
			buckets := make(map[float64]uint64, len(s.Buckets))
			for _, b := range s.Buckets {
				buckets[b.UpperBound] = b.Count
			}
			ch <- prometheus.MustNewConstHistogram(desc, s.Count, s.Sum, buckets, values...)
		case s.Kind == metric.Gauge:
			ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, s.Value, values...)
		default:
			ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, s.Value, values...)
		}
	}
}
