package report

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

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
// Answers with no words (no text, value or voice) are left out.
func Letter(frame LetterFrame, lang, name string, session store.Session, replies []store.Reply) []byte {
	w := wordsFor(lang)
	frame = withDefaults(frame, w.letter)
	fill := strings.NewReplacer("{name}", escapeInline(oneLine(name)), "{intention}", escapeInline(oneLine(session.Intention)))

	mine := letterReplies(session, replies)

	var b bytes.Buffer
	writeHeading(&b, 1, fill.Replace(frame.Title))
	if _, ok := parseDate(session.Date); ok {
		b.WriteString("*" + fmt.Sprintf(w.afterSession, longDate(lang, session.Date)) + "*\n\n")
	}
	writeParagraph(&b, fill.Replace(frame.Opening))
	if session.Intention != "" && !strings.Contains(frame.Title+frame.Opening+frame.Closing, "{intention}") {
		writeItalic(&b, w.intention)
		writeQuote(&b, session.Intention)
	}

	for i, lr := range mine {
		if i == 0 || lr.day != mine[i-1].day {
			day := lr.day
			heading := strings.ReplaceAll(frame.DayHeading, "{day}", strconv.Itoa(day))
			writeHeading(&b, 2, fill.Replace(heading))
		}
		r := lr.reply
		if r.QuestionID == "" && r.Question == "" {
			writeItalic(&b, w.journal)
		} else {
			writeItalic(&b, r.Question)
		}
		writeQuote(&b, answerText(w, frame.Scales, r))
	}

	if closing := fill.Replace(frame.Closing); strings.TrimSpace(closing) != "" {
		b.WriteString("---\n\n")
		writeParagraph(&b, closing)
	}
	return append(bytes.TrimRight(b.Bytes(), "\n"), '\n')
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
		if r.ChatID != session.ChatID || r.SessionDate != session.Date || !hasWords(r) {
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
