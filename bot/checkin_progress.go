package bot

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"kindling/prompts"
	"kindling/report"
	"kindling/store"
)

// checkInStatus is where a client stands on one check-in: its latest
// complete total compared with the baseline.
type checkInStatus struct {
	inst     *prompts.Instrument // in the coach's language when it has one
	progress prompts.Progress
	latestAt time.Time // when the latest total was completed
}

// checkInStatuses reads a client's complete check-ins, one status per
// check-in they have answered, in the order first answered.
func (b *Bot) checkInStatuses(tx *store.Tx, chatID int64, lang string) ([]checkInStatus, error) {
	cis, err := tx.CheckIns(chatID)
	if err != nil || len(cis) == 0 {
		return nil, err
	}
	firstSession := ""
	sessions, err := tx.Sessions(chatID)
	if err != nil {
		return nil, err
	}
	for _, s := range sessions {
		if firstSession == "" || s.Date < firstSession {
			firstSession = s.Date
		}
	}
	var order []string
	scores := map[string][]prompts.Score{}
	latestAt := map[string]time.Time{}
	for _, ci := range cis { // by date
		if !ci.Complete {
			continue
		}
		if _, seen := scores[ci.Instrument]; !seen {
			order = append(order, ci.Instrument)
		}
		scores[ci.Instrument] = append(scores[ci.Instrument], prompts.Score{LocalDate: ci.LocalDate, Total: ci.Total})
		latestAt[ci.Instrument] = ci.UpdatedAt
	}
	var out []checkInStatus
	for _, id := range order {
		in, ok := b.prompts().Instrument(id, lang)
		if !ok {
			continue // no longer in the prompts: its bands are unknown
		}
		p, ok := in.Progress(scores[id], firstSession)
		if ok {
			out = append(out, checkInStatus{inst: in, progress: p, latestAt: latestAt[id]})
		}
	}
	return out, nil
}

// line is a status as coaches read it: "How the past week has been: 7,
// some strain (baseline 14, -7) · response".
func (s checkInStatus) line() string {
	p := s.progress
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s: %d", s.inst.Name, p.Latest.Total)
	if p.Band.Label != "" {
		sb.WriteString(", " + p.Band.Label)
	}
	if p.HasBaseline {
		fmt.Fprintf(&sb, " (baseline %d, %+d)", p.Baseline.Total, p.Change)
	} else {
		sb.WriteString(" (baseline)")
	}
	switch {
	case p.Remission:
		sb.WriteString(" · remission")
	case p.Response:
		sb.WriteString(" · response")
	}
	return sb.String()
}

// checkInSummary is the check-in lines of a client in /clients, each on a
// line of its own; "" when they have no complete check-in.
func (b *Bot) checkInSummary(tx *store.Tx, chatID int64, lang string) (string, error) {
	sts, err := b.checkInStatuses(tx, chatID, lang)
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	for _, s := range sts {
		sb.WriteString("\n  " + s.line())
	}
	return sb.String(), nil
}

// CheckInBands is where a client stands on each scored check-in they
// completed, as in /clients: the latest total, its band, the change from
// baseline and response or remission, joined by "; " ("" for none). It
// reads in tx and writes nothing; the web workspace's clients page shows it.
func (b *Bot) CheckInBands(tx *store.Tx, chatID int64) (string, error) {
	sts, err := b.checkInStatuses(tx, chatID, b.cfg.DefaultLanguage)
	if err != nil {
		return "", err
	}
	lines := make([]string, len(sts))
	for i, s := range sts {
		lines[i] = s.line()
	}
	return strings.Join(lines, "; "), nil
}

// checkInNews is what a digest adds for a client who completed a
// check-in between since and now; "" otherwise.
func (b *Bot) checkInNews(tx *store.Tx, chatID int64, lang string, since, now time.Time) (string, error) {
	sts, err := b.checkInStatuses(tx, chatID, lang)
	if err != nil {
		return "", err
	}
	var parts []string
	for _, s := range sts {
		if s.latestAt.After(since) && !s.latestAt.After(now) {
			parts = append(parts, s.line())
		}
	}
	if len(parts) == 0 {
		return "", nil
	}
	return "\n  " + strings.Join(parts, "\n  "), nil
}

// checkInCharts adds each complete check-in's total to what /progress
// charts, as the answers of a scale named by the check-in's id running
// from its lowest to its highest total: one line per session, the days
// since it across.
func (b *Bot) checkInCharts(tx *store.Tx, c *store.Client, replies []store.Reply, deliveries []store.Delivery, scales map[string]report.ScaleInfo) ([]store.Reply, []store.Delivery, error) {
	cis, err := tx.CheckIns(c.ChatID)
	if err != nil || len(cis) == 0 {
		return replies, deliveries, err
	}
	for _, ci := range cis {
		in, ok := b.prompts().Instrument(ci.Instrument, c.Language)
		if !ok || !ci.Complete || ci.SessionDate == "" {
			continue
		}
		total := ci.Total
		replies = append(replies, store.Reply{ChatID: c.ChatID, At: ci.UpdatedAt, LocalDate: ci.LocalDate, Day: ci.Day,
			SessionDate: ci.SessionDate, QuestionID: ci.Instrument, Kind: "check_in", Value: &total})
		if _, done := scales[in.ID]; !done {
			low, high := "", ""
			if len(in.Bands) > 0 {
				low, high = in.Bands[0].Label, in.Bands[len(in.Bands)-1].Label
			}
			scales[in.ID] = report.ScaleInfo{Title: in.Name, Min: in.MinTotal(), Max: in.MaxTotal(), Low: low, High: high}
		}
	}
	// The days a check-in was asked, so that a line skips one left
	// unanswered rather than joining across it.
	for _, d := range deliveries {
		seen := map[string]bool{}
		for _, q := range d.Questions {
			if inst, _, ok := prompts.SplitCheckInQuestionID(q); ok && !seen[inst] {
				seen[inst] = true
				deliveries = append(deliveries, store.Delivery{ChatID: d.ChatID, LocalDate: d.LocalDate, Day: d.Day, SessionDate: d.SessionDate, Questions: []string{inst}})
			}
		}
	}
	slices.SortStableFunc(replies, func(a, b store.Reply) int { return a.At.Compare(b.At) })
	return replies, deliveries, nil
}
