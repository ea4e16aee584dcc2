package report

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"kindling/internal/oneline"
	"kindling/store"
)

// LetterDays is how many days after a session a journal entry that names no
// session still belongs to that session's letter, unless the session has
// answers on later days.
const LetterDays = 30

// LetterFrame is the sequence author's framing of the letter. Empty fields
// get the package's default for the language. DayHeading may use {day}; every
// field may use {name} and {intention}. Render any other placeholder (such as
// {coach}) before calling Letter, leaving {day} in place.
type LetterFrame struct {
	Title, Opening, DayHeading, Closing string
	// Scales, by question id, lets scale answers read "7 / 10"; without
	// it a scale answer reads as its Answer text.
	Scales map[string]ScaleInfo
}

// Letter gathers the client's own words after session into a Markdown
// document: the title, the session date, the opening, their intention if the
// frame does not quote it, then every answer ordered by day, then time, under
// its day heading, each with the question as it was asked in italics and the
// answer verbatim in a blockquote, then the closing.
//
// Only replies of the session's client (ChatID) count: answers whose
// SessionDate is the session's, and journal entries (no question) that either
// name this session or name none and were written from the session date up
// to day LetterDays, or up to the session's last answered day if later.
// Answers with no words (no text, value or voice) are left out, and so are
// the answers to a scored check-in's items (a Score): buttons on a scale of
// how often, not the client's words.
func Letter(frame LetterFrame, lang, name string, session store.Session, replies []store.Reply) []byte {
	l := newLetter(frame, lang, name, session, replies)
	fill := strings.NewReplacer("{name}", escapeInline(oneline.Of(name)), "{intention}", escapeInline(oneline.Of(session.Intention)))

	var b bytes.Buffer
	writeHeading(&b, 1, fill.Replace(l.frame.Title))
	if l.dated != "" {
		b.WriteString("*" + l.dated + "*\n\n")
	}
	writeParagraph(&b, fill.Replace(l.frame.Opening))
	if l.intentionLabel != "" {
		writeItalic(&b, l.intentionLabel)
		writeQuote(&b, session.Intention)
	}
	for _, d := range l.days {
		writeHeading(&b, 2, fill.Replace(d.heading))
		for _, e := range d.entries {
			writeItalic(&b, e.asked)
			writeQuote(&b, e.answer)
		}
	}
	if closing := fill.Replace(l.frame.Closing); strings.TrimSpace(closing) != "" {
		b.WriteString("---\n\n")
		writeParagraph(&b, closing)
	}
	return append(bytes.TrimRight(b.Bytes(), "\n"), '\n')
}

// letter is what a letter says, before it is set as Markdown or as a PDF.
// The frame's texts keep their {name} and {intention} placeholders: each
// renderer fills them its own way (Markdown escapes them).
type letter struct {
	frame LetterFrame
	// dated is "After your session of 2 March 2025", empty when the
	// session's date does not parse.
	dated string
	// intentionLabel is set when the intention is shown on its own, that
	// is when no text of the frame quotes it already.
	intentionLabel string
	days           []letterDay
	// latest is when the newest reply in the letter was written.
	latest time.Time
}

type letterDay struct {
	heading string // the frame's DayHeading with {day} filled
	entries []letterEntry
}

type letterEntry struct {
	asked  string // the question as it was asked, or "From your journal"
	answer string // the client's words, verbatim
}

// newLetter picks the replies of session's letter and groups them by day,
// as Letter documents.
func newLetter(frame LetterFrame, lang, name string, session store.Session, replies []store.Reply) letter {
	w := wordsFor(lang)
	l := letter{frame: withDefaults(frame, w.letter)}
	if _, ok := parseDate(session.Date); ok {
		l.dated = fmt.Sprintf(w.afterSession, longDate(lang, session.Date))
	}
	if session.Intention != "" && !strings.Contains(l.frame.Title+l.frame.Opening+l.frame.Closing, "{intention}") {
		l.intentionLabel = w.intention
	}
	mine := letterReplies(session, replies)
	for i, lr := range mine {
		if i == 0 || lr.day != mine[i-1].day {
			l.days = append(l.days, letterDay{heading: strings.ReplaceAll(l.frame.DayHeading, "{day}", strconv.Itoa(lr.day))})
		}
		r := lr.reply
		asked := r.Question
		if r.QuestionID == "" && r.Question == "" {
			asked = w.journal
		}
		d := &l.days[len(l.days)-1]
		d.entries = append(d.entries, letterEntry{asked: asked, answer: answerText(w, frame.Scales, r)})
		if r.At.After(l.latest) {
			l.latest = r.At
		}
	}
	return l
}

func withDefaults(f, def LetterFrame) LetterFrame {
	if strings.TrimSpace(f.Title) == "" {
		f.Title = def.Title
	}
	if strings.TrimSpace(f.Opening) == "" {
		f.Opening = def.Opening
	}
	if strings.TrimSpace(f.DayHeading) == "" {
		f.DayHeading = def.DayHeading
	}
	if strings.TrimSpace(f.Closing) == "" {
		f.Closing = def.Closing
	}
	return f
}

type letterReply struct {
	day   int
	reply store.Reply
}

// letterReplies picks and orders the replies that belong to session's
// letter, as Letter documents.
func letterReplies(session store.Session, replies []store.Reply) []letterReply {
	start, dated := parseDate(session.Date)
	var picked []letterReply
	lastDay := LetterDays
	for _, r := range replies {
		if r.ChatID != session.ChatID || r.SessionDate != session.Date || !hasWords(r) || r.Score != nil {
			continue
		}
		picked = append(picked, letterReply{r.Day, r})
		lastDay = max(lastDay, r.Day)
	}
	if dated {
		for _, r := range replies {
			if r.ChatID != session.ChatID || r.SessionDate != "" || r.QuestionID != "" || !hasWords(r) {
				continue
			}
			day := daysBetween(start, replyDate(r))
			if day >= 0 && day <= lastDay {
				picked = append(picked, letterReply{day, r})
			}
		}
	}
	slices.SortStableFunc(picked, func(a, b letterReply) int {
		if c := cmp.Compare(a.day, b.day); c != 0 {
			return c
		}
		return replyCompare(a.reply, b.reply)
	})
	return picked
}

// replyDate is the client's local date of a reply: LocalDate when the store
// set it, else the UTC date of At.
func replyDate(r store.Reply) time.Time {
	if t, ok := parseDate(r.LocalDate); ok {
		return t
	}
	y, m, d := r.At.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func daysBetween(from, to time.Time) int {
	return int(to.Sub(from).Round(time.Hour).Hours() / 24)
}

func hasWords(r store.Reply) bool {
	return strings.TrimSpace(r.Answer) != "" || r.Value != nil || r.Voice != nil
}

// answerText is what the client gave as they gave it: their text, a scale
// value as "7 / 10" when the scale is known, a voice note as "(a voice note,
// 42 s)" followed by any caption.
func answerText(w words, scales map[string]ScaleInfo, r store.Reply) string {
	switch {
	case r.Voice != nil:
		s := fmt.Sprintf(w.voice, w.duration(r.Voice.Duration))
		if strings.TrimSpace(r.Answer) != "" {
			s += "\n\n" + r.Answer
		}
		return s
	case r.Value != nil:
		if info, ok := scales[r.QuestionID]; ok && info.Max > info.Min {
			return fmt.Sprintf(w.outOf, *r.Value, info.Max)
		}
		if strings.TrimSpace(r.Answer) != "" {
			return r.Answer
		}
		return strconv.Itoa(*r.Value)
	}
	return r.Answer
}
