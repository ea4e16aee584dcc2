package demo

import (
	"fmt"
	"io"
	"strings"
	"time"

	"kindling/prompts"
	"kindling/store"
)

// Summary prints what the month of days left in the database: the days
// prompted and answered, the answers stored, the messages kindling sent,
// and each complete check-in.
func (j *Journey) Summary(w io.Writer, days int) error {
	var deliveries, replies, answered int
	err := j.opt.DB.View(func(tx *store.Tx) error {
		ds, err := tx.Deliveries(j.user.ID())
		if err != nil {
			return err
		}
		deliveries = len(ds)
		for _, dl := range ds {
			if dl.Next > 0 {
				answered++
			}
		}
		rs, err := tx.Replies(j.user.ID(), time.Time{})
		replies = len(rs)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nSummary: %d days run, %d days prompted (%d answered), %d answers stored, %d messages from kindling\n",
		days, deliveries, answered, replies, len(j.opt.Server.Messages(j.user.ID())))
	return j.checkInSummary(w)
}

// checkInSummary prints each complete check-in of the demo's client: its
// day, total and band, and where the last stands against the baseline.
func (j *Journey) checkInSummary(w io.Writer) error {
	var cis []store.CheckIn
	var first string
	err := j.opt.DB.View(func(tx *store.Tx) error {
		var err error
		if cis, err = tx.CheckIns(j.user.ID()); err != nil {
			return err
		}
		ss, err := tx.Sessions(j.user.ID())
		if len(ss) > 0 {
			first = ss[0].Date
		}
		return err
	})
	if err != nil {
		return err
	}
	set := prompts.Default()
	byID := map[string][]prompts.Score{}
	parts := map[string][]string{}
	var ids []string
	for _, ci := range cis {
		in, ok := set.Instrument(ci.Instrument, "en")
		if !ok || !ci.Complete {
			continue
		}
		band, _ := in.BandOf(ci.Total)
		if _, seen := byID[ci.Instrument]; !seen {
			ids = append(ids, ci.Instrument)
		}
		byID[ci.Instrument] = append(byID[ci.Instrument], prompts.Score{LocalDate: ci.LocalDate, Total: ci.Total})
		parts[ci.Instrument] = append(parts[ci.Instrument], fmt.Sprintf("day %d: %d, %s", ci.Day, ci.Total, band.Label))
	}
	for _, id := range ids {
		in, _ := set.Instrument(id, "en")
		p, _ := in.Progress(byID[id], first)
		line := fmt.Sprintf("Check-in %q: %s", in.Name, strings.Join(parts[id], "; "))
		if p.HasBaseline {
			line += fmt.Sprintf(" (%+d from the baseline", p.Change)
			switch {
			case p.Remission:
				line += ", remission"
			case p.Response:
				line += ", response"
			}
			line += ")"
		}
		fmt.Fprintln(w, line)
	}
	return nil
}
