package main

import (
	"fmt"
	"io"
	"strings"

	"kindling/prompts"
	"kindling/store"
	"kindling/telegramtest"
)

// pickCheckIn chooses the answer to a check-in item: the weeks after the
// session get gradually lighter ("often" on the first days, "not at all"
// by the end of the month), and the safety item is always "not at all".
// It returns "" when kb holds no check-in buttons.
func pickCheckIn(kb [][]telegramtest.Button, day int) string {
	var options []telegramtest.Button
	for _, row := range kb {
		for _, b := range row {
			if strings.HasPrefix(b.CallbackData, prompts.CheckInButtonKind+"|") {
				options = append(options, b)
			}
		}
	}
	if len(options) == 0 {
		return ""
	}
	if strings.Contains(options[0].CallbackData, "|harm|") {
		return options[0].CallbackData
	}
	i := min(max(2-day/12, 0), len(options)-1)
	return options[i].CallbackData
}

// checkInSummary prints each complete check-in of the demo's client: its
// day, total and band, and where the last stands against the baseline.
func (d *demo) checkInSummary(w io.Writer) error {
	var cis []store.CheckIn
	var first string
	err := d.a.db.View(func(tx *store.Tx) error {
		var err error
		if cis, err = tx.CheckIns(d.user.ID()); err != nil {
			return err
		}
		ss, err := tx.Sessions(d.user.ID())
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
