package report

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"kindling/internal/oneline"
	"kindling/store"
)

// DataFormat names the layout of DataJSON's output; it changes when a
// reader of an earlier file would misread a new one.
const DataFormat = "kindling-mydata/1"

// Data is every record kindling keeps about one client.
type Data struct {
	Client     store.Client     `json:"client"`
	Sessions   []store.Session  `json:"sessions"`
	Deliveries []store.Delivery `json:"deliveries"`
	Replies    []store.Reply    `json:"replies"`
	// Alerts are the times the safety net fired, with who was told and
	// what became of each; left out of the JSON when there are none.
	Alerts []store.Alert `json:"alerts,omitempty"`
	// CheckIns are the scored check-ins answered, with their totals; left
	// out of the JSON when there are none.
	CheckIns   []store.CheckIn `json:"check_ins,omitempty"`
	ExportedAt time.Time       `json:"exported_at"`
}

// dataFile is the JSON document: Data's fields after "format".
type dataFile struct {
	Format string `json:"format"`
	Data
}

// DataJSON writes d as an indented JSON object: "format" (DataFormat), then
// Data's fields with the store's own keys, so json.Unmarshal of the output
// into a Data gives d back. Absent lists are written as [], never null.
func DataJSON(d Data) ([]byte, error) {
	f := dataFile{Format: DataFormat, Data: d}
	if f.Sessions == nil {
		f.Sessions = []store.Session{}
	}
	if f.Deliveries == nil {
		f.Deliveries = []store.Delivery{}
	}
	if f.Replies == nil {
		f.Replies = []store.Reply{}
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode data of chat %d: %w", d.Client.ChatID, err)
	}
	return append(b, '\n'), nil
}

// DataMarkdown writes d as one Markdown document for the client to read:
// settings, safety plan, sessions (with intention and note), every answer
// grouped by session and day with the question as it was asked, its time,
// its edit history and voice notes, then the days kindling wrote. Times are
// shown in the client's time zone when it is known, else in UTC. It is
// built in one pass over sorted copies, fast for thousands of answers.
func DataMarkdown(d Data, lang string) []byte {
	w := wordsFor(lang)
	loc := time.UTC
	if l, err := time.LoadLocation(d.Client.TimeZone); err == nil && d.Client.TimeZone != "" {
		loc = l
	}
	at := func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(loc).Format("2006-01-02 15:04 MST")
	}

	var b bytes.Buffer
	b.Grow(512 + 256*len(d.Replies))
	writeHeading(&b, 1, w.dataTitle)
	b.WriteString(fmt.Sprintf(w.exported, at(d.ExportedAt)) + " " + w.jsonNote + "\n\n")

	writeSettings(&b, w, d.Client, at)
	writeSafetyPlan(&b, w, d.Client.SafetyPlan)
	writeSessions(&b, w, lang, d.Sessions, at)
	writeAnswers(&b, w, lang, d.Replies, at)
	writeDeliveries(&b, w, d.Deliveries)
	writeAlerts(&b, w, d.Alerts, at)
	return append(bytes.TrimRight(b.Bytes(), "\n"), '\n')
}

func writeSettings(b *bytes.Buffer, w words, c store.Client, at func(time.Time) string) {
	writeHeading(b, 2, w.settings)
	item := func(label, value string) {
		if value != "" {
			b.WriteString("- " + label + ": " + oneline.Of(value) + "\n")
		}
	}
	item(w.name, c.Name)
	if c.Username != "" {
		item(w.username, "@"+c.Username)
	}
	item(w.language, c.Language)
	item(w.zone, c.TimeZone)
	item(w.sendTime, c.SendTime)
	item(w.sequence, c.Sequence)
	status := string(c.Status)
	if s, ok := w.statuses[status]; ok {
		status = s
	}
	switch {
	case c.PausedUntil.IsZero():
	case c.Status == store.StatusPaused:
		status = fmt.Sprintf(w.pausedUntil, at(c.PausedUntil))
	default:
		status += ", " + fmt.Sprintf(w.pausedUntil, at(c.PausedUntil))
	}
	item(w.status, status)
	if c.Coach != 0 {
		item(w.coach, strconv.FormatInt(c.Coach, 10))
	}
	item(w.chatID, strconv.FormatInt(c.ChatID, 10))
	item(w.consent, at(c.ConsentAt))
	item(w.joined, at(c.CreatedAt))
	if !c.Due.IsZero() {
		item(w.nextCheck, at(c.Due))
	}
	item(w.setup, c.Setup)
	if c.Flow != "" {
		item(w.flow, c.Flow)
	}
	b.WriteByte('\n')
	for _, k := range slices.Sorted(maps.Keys(c.FlowData)) {
		b.WriteString("*" + escapeInline(oneline.Of(k)) + "*\n\n")
		writeQuote(b, c.FlowData[k])
	}
}

// writeSafetyPlan writes the known parts in their usual order, then any
// other part by name.
func writeSafetyPlan(b *bytes.Buffer, w words, plan map[string]string) {
	if len(plan) == 0 {
		return
	}
	writeHeading(b, 2, w.safetyPlan)
	order := []string{"warning_signs", "coping", "people_places", "contacts"}
	for _, k := range slices.Sorted(maps.Keys(plan)) {
		if !slices.Contains(order, k) {
			order = append(order, k)
		}
	}
	for _, k := range order {
		text, ok := plan[k]
		if !ok {
			continue
		}
		title := w.planParts[k]
		if title == "" {
			title = k
		}
		writeHeading(b, 3, title)
		writeQuote(b, text)
	}
}

func writeSessions(b *bytes.Buffer, w words, lang string, sessions []store.Session, at func(time.Time) string) {
	writeHeading(b, 2, fmt.Sprintf("%s (%d)", w.sessions, len(sessions)))
	if len(sessions) == 0 {
		b.WriteString(w.none + "\n\n")
		return
	}
	sorted := slices.Clone(sessions)
	slices.SortStableFunc(sorted, func(a, b store.Session) int { return strings.Compare(a.Date, b.Date) })
	for _, s := range sorted {
		writeHeading(b, 3, longDate(lang, s.Date))
		b.WriteString("- " + w.logged + ": " + at(s.CreatedAt) + "\n\n")
		if s.Intention != "" {
			writeItalic(b, w.intention)
			writeQuote(b, s.Intention)
		}
		if s.Note != "" {
			writeItalic(b, w.note)
			writeQuote(b, s.Note)
		}
	}
}

// writeAnswers groups replies by session date (those without one last), then
// orders them by day, time and id.
func writeAnswers(b *bytes.Buffer, w words, lang string, replies []store.Reply, at func(time.Time) string) {
	writeHeading(b, 2, fmt.Sprintf("%s (%d)", w.answers, len(replies)))
	if len(replies) == 0 {
		b.WriteString(w.none + "\n\n")
		return
	}
	sorted := slices.Clone(replies)
	slices.SortFunc(sorted, func(a, b store.Reply) int {
		if (a.SessionDate == "") != (b.SessionDate == "") {
			if a.SessionDate == "" {
				return 1
			}
			return -1
		}
		if c := strings.Compare(a.SessionDate, b.SessionDate); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Day, b.Day); c != 0 {
			return c
		}
		return replyCompare(a, b)
	})
	for i, r := range sorted {
		newSession := i == 0 || r.SessionDate != sorted[i-1].SessionDate
		if newSession {
			if r.SessionDate == "" {
				writeHeading(b, 3, w.noSession)
			} else {
				writeHeading(b, 3, fmt.Sprintf(w.sessionOf, longDate(lang, r.SessionDate)))
			}
		}
		if r.SessionDate != "" && (newSession || r.Day != sorted[i-1].Day) {
			heading := fmt.Sprintf(w.day, r.Day)
			if r.LocalDate != "" {
				heading += " · " + r.LocalDate
			}
			writeHeading(b, 4, heading)
		}

		if r.QuestionID == "" && r.Question == "" {
			writeItalic(b, w.journal)
		} else if r.Question != "" {
			writeItalic(b, r.Question)
		} else {
			writeItalic(b, r.QuestionID)
		}
		writeQuote(b, answerText(w, nil, r))

		meta := []string{fmt.Sprintf(w.answered, at(r.At))}
		if r.Voice != nil && r.Voice.Path != "" {
			meta = append(meta, fmt.Sprintf(w.voiceFile, r.Voice.Path))
		}
		if len(r.Edits) > 0 {
			meta = append(meta, w.edited)
		}
		if r.Flagged {
			meta = append(meta, w.flagged)
		}
		writeItalic(b, strings.Join(meta, " · "))
		for _, e := range r.Edits {
			writeItalic(b, fmt.Sprintf(w.earlier, at(e.At)))
			writeQuote(b, e.Answer)
		}
	}
}

// writeAlerts lists the times the safety net fired, when there were any.
func writeAlerts(b *bytes.Buffer, w words, alerts []store.Alert, at func(time.Time) string) {
	if len(alerts) == 0 {
		return
	}
	writeHeading(b, 2, fmt.Sprintf("%s (%d)", w.alerts, len(alerts)))
	for _, a := range alerts {
		b.WriteString("- " + at(a.At) + ": " + escapeInline(store.AlertSummary(a)) + "\n")
		if a.Words != "" {
			b.WriteString("\n  > " + strings.ReplaceAll(normalizeNewlines(a.Words), "\n", "\n  > ") + "\n\n")
		}
	}
	b.WriteString("\n")
}

func writeDeliveries(b *bytes.Buffer, w words, deliveries []store.Delivery) {
	writeHeading(b, 2, fmt.Sprintf("%s (%d)", w.deliveries, len(deliveries)))
	if len(deliveries) == 0 {
		b.WriteString(w.none + "\n\n")
		return
	}
	sorted := slices.Clone(deliveries)
	slices.SortStableFunc(sorted, func(a, b store.Delivery) int {
		if c := strings.Compare(a.LocalDate, b.LocalDate); c != 0 {
			return c
		}
		return a.CreatedAt.Compare(b.CreatedAt)
	})
	cell := func(s string) string { return strings.ReplaceAll(escapeInline(oneline.Of(s)), "|", `\|`) }
	b.WriteString("| " + w.date + " | " + w.session + " | " + w.dayColumn +
		" | " + w.sequence + " | " + w.asked + " | " + w.state + " |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	for _, d := range sorted {
		answered := min(d.Next, len(d.Questions))
		asked := fmt.Sprintf(w.questionsOf, answered, len(d.Questions))
		if d.Manual {
			asked += ", " + w.manual
		}
		fmt.Fprintf(b, "| %s | %s | %d | %s | %s | %s |\n",
			cell(d.LocalDate), cell(d.SessionDate), d.Day, cell(d.Sequence), cell(asked), cell(string(d.State)))
	}
	b.WriteByte('\n')
}
