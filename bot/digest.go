package bot

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"kindling/prompts"
	"kindling/store"
)

// digestState is what a coach's last digest covered, kept in the store.
type digestState struct {
	Date  string    `json:"date"`  // the coach's local date of the last digest
	Until time.Time `json:"until"` // answers up to this moment were counted
}

// Digests sends each coach whose digest time has come today their daily
// digest: new answers and flags per client since the last one. Nothing is
// sent when there is nothing new. Each coach gets at most one a day.
//
// The answers are counted in a read transaction; the write transaction
// only records each digest and enqueues it, and skips a coach whose
// digest of the day another run recorded meanwhile.
func (b *Bot) Digests(now time.Time) error {
	var plans []digestPlan
	err := b.db.View(func(tx *store.Tx) error {
		plans = plans[:0]
		for _, co := range b.cfg.Coaches {
			p, due, err := b.digest(tx, co, now)
			if err != nil {
				return err
			}
			if due {
				plans = append(plans, p)
			}
		}
		return nil
	})
	if err != nil || len(plans) == 0 {
		return err
	}
	sent := false
	err = b.db.Update(func(tx *store.Tx) error {
		sent = false
		for _, p := range plans {
			fx := effects{bulk: true}
			if err := b.sendDigest(tx, &fx, p, now); err != nil {
				return err
			}
			sent = sent || fx.sent
		}
		return nil
	})
	if err == nil && sent {
		b.Wake()
	}
	return err
}

// digestPlan is one coach's digest, counted and waiting to be recorded.
type digestPlan struct {
	co    Coach
	key   string // the coach's entry in the digest namespace
	today string // the coach's local date
	lines []string
}

// sendDigest records a coach's digest of today and enqueues it, unless
// one was already recorded today.
func (b *Bot) sendDigest(tx *store.Tx, fx *effects, p digestPlan, now time.Time) error {
	if raw, ok := tx.Get("digest", p.key); ok {
		var st digestState
		if json.Unmarshal(raw, &st) == nil && st.Date == p.today {
			return nil
		}
	}
	raw, err := json.Marshal(digestState{Date: p.today, Until: now})
	if err != nil {
		return err
	}
	if err := tx.Put("digest", p.key, raw); err != nil {
		return err
	}
	if len(p.lines) == 0 {
		return nil
	}
	lang := b.cfg.DefaultLanguage
	lines := append(p.lines[:len(p.lines):len(p.lines)], b.text(lang, "coach_digest_footer", prompts.Vars{}))
	return b.sayLongAs(tx, fx, b.coachCopy(p.co.ID), b.text(lang, "coach_digest", prompts.Vars{Name: p.co.Name}), lines)
}

// digest counts a coach's digest, in a read transaction. due is false
// when the coach's digest time has not come today or their digest of
// today was already sent.
func (b *Bot) digest(tx *store.Tx, co Coach, now time.Time) (p digestPlan, due bool, err error) {
	zone := co.TimeZone
	if zone == "" {
		zone = b.cfg.DefaultTimeZone
	}
	loc, err := loadZone(zone)
	if err != nil {
		loc = time.UTC
	}
	at := co.DigestTime
	if at == "" {
		at = "18:00"
	}
	h, m, err := parseClock(at)
	if err != nil {
		return p, false, nil
	}
	local := now.In(loc)
	if local.Hour()*60+local.Minute() < h*60+m {
		return p, false, nil
	}
	key := strconv.FormatInt(co.ID, 10)
	var st digestState
	if raw, ok := tx.Get("digest", key); ok {
		if err := json.Unmarshal(raw, &st); err != nil {
			st = digestState{}
		}
	}
	today := local.Format("2006-01-02")
	if st.Date == today {
		return p, false, nil
	}
	p = digestPlan{co: co, key: key, today: today}
	since := st.Until
	if since.IsZero() {
		since = now.Add(-24 * time.Hour)
	}
	cs, err := coachClients(tx, co.ID)
	if err != nil {
		return p, false, err
	}
	for _, c := range cs {
		line, ok, err := b.digestLine(tx, c, since, now)
		if err != nil {
			return p, false, err
		}
		if ok {
			p.lines = append(p.lines, line)
		}
	}
	return p, true, nil
}

// digestLine is a client's line in a coach's digest: their answers in
// (since, now], how many were flagged, the safety alerts and checks, and
// the check-in news. ok is false when there was nothing new.
func (b *Bot) digestLine(tx *store.Tx, c store.Client, since, now time.Time) (line string, ok bool, err error) {
	rs, err := tx.Replies(c.ChatID, since)
	if err != nil {
		return "", false, err
	}
	answers, flagged := 0, 0
	for _, r := range rs {
		if !r.At.After(since) || r.At.After(now) {
			continue
		}
		answers++
		if r.Flagged {
			flagged++
		}
	}
	alerts, checks, err := alertsSince(tx, c.ChatID, since, now)
	if err != nil {
		return "", false, err
	}
	if answers == 0 && alerts == 0 && checks == 0 {
		return "", false, nil
	}
	line = fmt.Sprintf("• %s: %d new", c.Name, answers)
	if flagged > 0 {
		line += fmt.Sprintf(", ⚠ %d flagged", flagged)
	}
	if alerts > 0 {
		line += fmt.Sprintf(", ⚠ %d safety alerts", alerts)
	}
	if checks > 0 {
		line += fmt.Sprintf(", %d safety checks asked (/alerts)", checks)
	}
	news, err := b.checkInNews(tx, c.ChatID, b.cfg.DefaultLanguage, since, now)
	if err != nil {
		return "", false, err
	}
	return line + news, true, nil
}
