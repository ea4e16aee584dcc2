package store

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// ExportOptions selects what Export writes.
type ExportOptions struct {
	ChatID int64 // one client; zero for all
	// Coach, when ChatID is zero and Coach is not, exports only the
	// clients of that coach (read through the coach index).
	Coach  int64
	Since  time.Time // answers at or after; zero for all
	Format string    // "csv" (the default when empty) or "json"
}

// ExportColumns are the CSV header and the JSON keys of an export, in order.
var ExportColumns = []string{
	"client", "client_name", "session_date", "day", "question_id", "question",
	"kind", "answer", "answered_at", "edited", "flagged", "value", "score",
}

// exportRow is one answer as exported. Day is nil when the answer belongs
// to no session (a journal entry written before any session).
type exportRow struct {
	Client      int64  `json:"client"`
	ClientName  string `json:"client_name"`
	SessionDate string `json:"session_date"`
	Day         *int   `json:"day"`
	QuestionID  string `json:"question_id"`
	Question    string `json:"question"`
	Kind        string `json:"kind"`
	Answer      string `json:"answer"`
	AnsweredAt  string `json:"answered_at"`
	Edited      bool   `json:"edited"`
	Flagged     bool   `json:"flagged"`
	Value       *int   `json:"value"` // the number of a scale answer
	Score       *int   `json:"score"` // the score of a check-in item's answer
}

// Export writes one row per reply (journal entries too, with an empty
// question), by client then reply id, in a consistent snapshot. See
// Tx.Export for the formats.
//
// A damaged page ends it with ErrCorrupt naming the page, after part of
// the rows may have been written to w: write to a buffer or a temporary
// file and use it only when Export returned nil.
func (db *DB) Export(w io.Writer, opts ExportOptions) error {
	returned := false
	err := db.View(func(tx *Tx) error {
		err := tx.Export(w, opts)
		returned = true
		return err
	})
	if err != nil && !returned {
		return fmt.Errorf("export: %w", err) // Tx.Export's own errors say so already
	}
	return err
}

// Export writes one row per reply (journal entries too, with an empty
// question), by client then reply id, then one row per alert of the safety
// net, by client then time.
//
// An alert row has kind "alert" or "check", the rule in question_id, the
// client's words in answer, when the net fired in answered_at, flagged
// "yes" for an alert, and in question what became of it: who was told and
// when, who acknowledged and resolved it, the note.
//
// CSV is UTF-8 with a byte order mark (so that Excel reads it as UTF-8),
// RFC 4180 quoting, CRLF line ends (line breaks inside answers too) and a
// header row of ExportColumns. A
// text cell starting with = + - @ tab or carriage return gets a leading
// apostrophe so that a spreadsheet shows it instead of running it as a
// formula. JSON is an array of objects keyed by ExportColumns; day is null
// for an answer outside any session. A voice answer reads
// "[voice note, 42 s] path". Times are RFC 3339 in UTC.
//
// With opts.ChatID set and no such client, Export returns ErrNotFound.
func (tx *Tx) Export(w io.Writer, opts ExportOptions) error {
	var write func(exportRow) error
	var finish func() error
	bw := bufio.NewWriter(w)
	switch opts.Format {
	case "", "csv":
		if _, err := bw.WriteString("\ufeff"); err != nil {
			return err
		}
		cw := csv.NewWriter(bw)
		cw.UseCRLF = true
		if err := cw.Write(ExportColumns); err != nil {
			return err
		}
		write = func(r exportRow) error { return cw.Write(r.csv()) }
		finish = func() error { cw.Flush(); return cw.Error() }
	case "json":
		n := 0
		var row bytes.Buffer
		enc := json.NewEncoder(&row)
		enc.SetEscapeHTML(false) // answers are data, not HTML: keep < > & readable
		write = func(r exportRow) error {
			sep := ",\n"
			if n == 0 {
				sep = "[\n"
			}
			n++
			row.Reset()
			if err := enc.Encode(r); err != nil {
				return err
			}
			if _, err := bw.WriteString(sep); err != nil {
				return err
			}
			_, err := bw.Write(bytes.TrimSuffix(row.Bytes(), []byte("\n")))
			return err
		}
		finish = func() error {
			end := "\n]\n"
			if n == 0 {
				end = "[]\n"
			}
			_, err := bw.WriteString(end)
			return err
		}
	default:
		return fmt.Errorf("export: format %q: want csv or json", opts.Format)
	}

	prefixes := [][]byte{{}}
	switch {
	case opts.ChatID != 0:
		if _, err := tx.Client(opts.ChatID); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		prefixes = [][]byte{chatKey(opts.ChatID)}
	case opts.Coach != 0:
		prefixes = prefixes[:0]
		if err := tx.CoachClients(opts.Coach, func(c Client) error {
			prefixes = append(prefixes, chatKey(c.ChatID))
			return nil
		}); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	names := map[int64]string{}
	for _, prefix := range prefixes {
		if err := tx.exportRows(prefix, opts.Since, names, write); err != nil {
			return err
		}
	}
	if err := finish(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// exportRows writes the replies, then the alerts, whose keys start with
// prefix and that happened at or after since.
func (tx *Tx) exportRows(prefix []byte, since time.Time, names map[int64]string, write func(exportRow) error) error {
	err := prefixed(tx.b(bucketReplies), prefix, func(k, v []byte) error {
		var r Reply
		if err := decode(v, &r, "reply", k); err != nil {
			return err
		}
		if r.At.Before(since) {
			return nil
		}
		name, ok := names[r.ChatID]
		if !ok {
			c, err := tx.Client(r.ChatID)
			if err == nil {
				name = c.Name
			}
			names[r.ChatID] = name
		}
		return write(rowOf(r, name))
	})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	err = prefixed(tx.b(bucketAlerts), prefix, func(k, v []byte) error {
		var a Alert
		if err := decode(v, &a, "alert", k); err != nil {
			return err
		}
		if a.At.Before(since) {
			return nil
		}
		name, ok := names[a.ChatID]
		if !ok {
			c, err := tx.Client(a.ChatID)
			if err == nil {
				name = c.Name
			}
			names[a.ChatID] = name
		}
		return write(alertRow(a, name))
	})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

func rowOf(r Reply, name string) exportRow {
	row := exportRow{
		Client:      r.ChatID,
		ClientName:  name,
		SessionDate: r.SessionDate,
		QuestionID:  r.QuestionID,
		Question:    r.Question,
		Kind:        r.Kind,
		Answer:      r.Answer,
		AnsweredAt:  r.At.UTC().Format(time.RFC3339),
		Edited:      len(r.Edits) > 0,
		Flagged:     r.Flagged,
		Value:       r.Value,
		Score:       r.Score,
	}
	if r.SessionDate != "" {
		day := r.Day
		row.Day = &day
	}
	if r.Voice != nil {
		row.Answer = fmt.Sprintf("[voice note, %d s]", r.Voice.Duration)
		if r.Voice.Path != "" {
			row.Answer += " " + r.Voice.Path
		}
	}
	return row
}

// alertRow is an alert as an export row; the columns are those of answers
// so that an export stays one table.
func alertRow(a Alert, name string) exportRow {
	return exportRow{
		Client:     a.ChatID,
		ClientName: name,
		QuestionID: a.Rule,
		Question:   AlertSummary(a),
		Kind:       a.Tier,
		Answer:     a.Words,
		AnsweredAt: a.At.UTC().Format(time.RFC3339),
		Flagged:    a.Tier == TierAlert,
	}
}

// AlertSummary says in one line, in English, what became of an alert:
// its category, the check's answer, who was told, acknowledgement,
// escalation, resolution and the note.
func AlertSummary(a Alert) string {
	stamp := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	parts := []string{"safety " + a.Tier}
	if a.Category != "" {
		parts = append(parts, "category "+a.Category)
	}
	if a.Check != "" {
		parts = append(parts, "check "+a.Check)
	}
	for _, t := range a.Told {
		switch {
		case !t.At.IsZero():
			parts = append(parts, fmt.Sprintf("told %d at %s", t.Chat, stamp(t.At)))
		case t.Failed:
			parts = append(parts, fmt.Sprintf("could not reach %d", t.Chat))
		default:
			parts = append(parts, fmt.Sprintf("sending to %d", t.Chat))
		}
	}
	if !a.EscalatedAt.IsZero() {
		parts = append(parts, "escalated at "+stamp(a.EscalatedAt))
	}
	if !a.AckAt.IsZero() {
		parts = append(parts, fmt.Sprintf("acknowledged by %d at %s", a.AckBy, stamp(a.AckAt)))
	}
	if !a.ResolvedAt.IsZero() {
		parts = append(parts, fmt.Sprintf("resolved by %d at %s", a.ResolvedBy, stamp(a.ResolvedAt)))
	}
	if a.Note != "" {
		parts = append(parts, "note: "+a.Note)
	}
	return strings.Join(parts, "; ")
}

func (r exportRow) csv() []string {
	day := ""
	if r.Day != nil {
		day = strconv.Itoa(*r.Day)
	}
	return []string{
		strconv.FormatInt(r.Client, 10),
		cell(r.ClientName),
		cell(r.SessionDate),
		day,
		cell(r.QuestionID),
		cell(r.Question),
		cell(r.Kind),
		cell(r.Answer),
		r.AnsweredAt,
		yesNo(r.Edited),
		yesNo(r.Flagged),
		number(r.Value),
		number(r.Score),
	}
}

// number is a numeric cell, empty when there is no number.
func number(n *int) string {
	if n == nil {
		return ""
	}
	return strconv.Itoa(*n)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// lineBreaks turns every line break into "\n", which the CSV writer
// writes as CRLF (it would drop a lone CR).
var lineBreaks = strings.NewReplacer("\r\n", "\n", "\r", "\n")

// cell is a text cell of a CSV export.
func cell(s string) string { return lineBreaks.Replace(Neutralise(s)) }

// Neutralise returns a spreadsheet cell that cannot run as a formula: text
// starting with = + - @ tab or carriage return gets a leading apostrophe.
func Neutralise(cell string) string {
	if cell == "" {
		return cell
	}
	switch cell[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + cell
	}
	return cell
}
