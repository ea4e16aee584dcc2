package admin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// StaleTicks is how many ticks may pass without a finished tick before
// /healthz answers 503.
const StaleTicks = 3

// probeTimeout bounds /healthz's write to the database.
const probeTimeout = 2 * time.Second

// Health is the body of /healthz.
type Health struct {
	Status              string    `json:"status"` // "ok", "degraded" (answering, see Degraded) or "unhealthy"
	Problems            []string  `json:"problems,omitempty"`
	Degraded            []string  `json:"degraded,omitempty"` // what is wrong while kindling answers
	DBWritable          bool      `json:"db_writable"`
	LastTick            time.Time `json:"last_tick,omitzero"`
	LastTelegramSuccess time.Time `json:"last_telegram_success,omitzero"`
	Version             string    `json:"version"`
}

// probe is one write to the database on behalf of /healthz.
type probe struct {
	done chan struct{}
	err  error
}

// healthz answers 200 when the database takes a write and the schedule
// ticked within the last StaleTicks ticks (or kindling started less than
// that long ago), 503 otherwise. Telegram being unreachable is reported
// (last_telegram_success) but is not kindling's fault, so not a 503.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	now := s.opts.Now()
	f := s.opts.Facts
	h := Health{Status: "ok", Version: s.opts.Version, LastTick: f.LastTick(), LastTelegramSuccess: f.LastTelegramSuccess()}
	if err := s.writable(); err != nil {
		h.Problems = append(h.Problems, "database not writable: "+err.Error())
	} else if since, err := f.Failing(); err != nil {
		// A small probe fits in free pages when larger writes do not.
		h.Problems = append(h.Problems, fmt.Sprintf("database refuses writes since %s: %v", since.UTC().Format(time.RFC3339), err))
	} else {
		h.DBWritable = true
	}
	since := h.LastTick
	if since.Before(s.opts.Started) {
		since = s.opts.Started
	}
	if limit := StaleTicks * s.opts.Tick; now.Sub(since) > limit {
		what := "no schedule tick since the start " + now.Sub(since).Round(time.Second).String() + " ago"
		if !h.LastTick.IsZero() {
			what = "last schedule tick " + now.Sub(since).Round(time.Second).String() + " ago"
		}
		h.Problems = append(h.Problems, fmt.Sprintf("%s (more than %d × schedule.tick)", what, StaleTicks))
	}
	status := http.StatusOK
	if h.Degraded = f.Degraded(); len(h.Degraded) > 0 {
		h.Status = "degraded"
	}
	if len(h.Problems) > 0 {
		h.Status = "unhealthy"
		status = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(h)
}

// writable runs Facts.Probe: a write transaction with its fsync, so that
// a full disk, a file turned read-only or a stuck writer shows. Concurrent
// calls share one write; none waits longer than probeTimeout.
func (s *Server) writable() error {
	s.probeMu.Lock()
	p := s.probing
	if p == nil {
		p = &probe{done: make(chan struct{})}
		s.probing = p
		go func() {
			p.err = s.opts.Facts.Probe()
			s.probeMu.Lock()
			s.probing = nil
			s.probeMu.Unlock()
			close(p.done)
		}()
	}
	s.probeMu.Unlock()
	t := time.NewTimer(probeTimeout)
	defer t.Stop()
	select {
	case <-p.done:
		return p.err
	case <-t.C:
		return fmt.Errorf("a write did not finish within %s", probeTimeout)
	}
}
