// Package metric is how a package of kindling describes its own numbers
// for monitoring without importing a monitoring library: each package
// lists Samples beside the counters it keeps, with their names and what
// they mean, and the main package exports them to Prometheus (metrics.go).
//
// It must stay a leaf: it imports nothing of kindling's. A Sample holds
// numbers only, never a client's words or a token.
package metric

import "time"

// Kind is what a Sample's number is.
type Kind uint8

const (
	Counter   Kind = iota // only ever goes up (a restart starts again at 0)
	Gauge                 // goes up and down
	Histogram             // observations counted into buckets
)

// A Sample is one number of a package as it is read now, in Prometheus's
// terms: a metric name (kindling_*_total for counters), a help text, and
// at most one label. Samples of one name have the same help, kind and
// label name.
type Sample struct {
	Name, Help string
	Kind       Kind
	Label      string // the label's name, "" for none
	LabelValue string
	Value      float64
	// Buckets, Count and Sum make a Histogram: Buckets are cumulative
	// counts of the observations at most each upper bound.
	Buckets []Bucket
	Count   uint64
	Sum     float64
	// Err, when set, says the number could not be read this time.
	Err error
}

// Bucket is one bucket of a Histogram.
type Bucket struct {
	UpperBound float64
	Count      uint64 // cumulative
}

// Of is a Sample of a number that has no label.
func Of(kind Kind, name, help string, value float64) Sample {
	return Sample{Name: name, Help: help, Kind: kind, Value: value}
}

// Unix is t as Unix seconds with a fraction, 0 for the zero time: how a
// timestamp gauge reads "not yet".
func Unix(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}
