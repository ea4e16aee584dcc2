package prompts

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// checkSet reports the problems that span files: duplicates, missing
// messages, and languages of one sequence that disagree.
func (l *loader) checkSet(builtin *Set) {
	def := l.opts.DefaultLanguage

	if len(l.seqs) == 0 && !l.hasFileErrors() {
		l.problems = append(l.problems, Problem{Message: "no sequences: the directory needs at least one *.yaml file with a sequence (id, language, name, days)"})
	}

	seen := map[[2]string]*Sequence{}
	kept := l.seqs[:0:0]
	for _, seq := range l.seqs {
		key := [2]string{seq.ID, seq.Language}
		if prev, dup := seen[key]; dup {
			l.problems = append(l.problems, Problem{File: seq.File, Line: l.seqNodes[seq].id, Field: "id",
				Message: fmt.Sprintf("sequence %q in %q is also defined in %s", seq.ID, seq.Language, prev.File)})
			continue
		}
		seen[key] = seq
		kept = append(kept, seq)
	}
	l.seqs = kept

	byLang := map[string]*messagesFile{}
	for _, mf := range l.messages {
		if prev, dup := byLang[mf.language]; dup {
			l.problems = append(l.problems, Problem{File: mf.file, Line: mf.langLine, Field: "language",
				Message: fmt.Sprintf("messages in %q are also defined in %s; keep one file per language", mf.language, prev.file)})
			continue
		}
		byLang[mf.language] = mf
		var missing []string
		for _, k := range MessageKeys {
			if _, ok := mf.messages[k]; !ok {
				missing = append(missing, k)
			}
		}
		if len(missing) == 0 {
			continue
		}
		switch {
		case mf.language == def && builtin == nil:
			l.problems = append(l.problems, Problem{File: mf.file, Line: mf.line, Field: "messages",
				Message: fmt.Sprintf("%s: the default language %q needs every message", keyList(missing, len(mf.messages)), def)})
		case mf.language == def:
			// A practice's own file written for an older kindling lacks the
			// keys added since: an upgrade must not stop the bot, so
			// kindling's built-in text stands in, and the coach is told.
			l.problems = append(l.problems, Problem{File: mf.file, Line: mf.line, Field: "messages", Warning: true,
				Message: fmt.Sprintf("%s: kindling's built-in text is used for these until you add them", keyList(missing, len(mf.messages)))})
		default:
			l.problems = append(l.problems, Problem{File: mf.file, Line: mf.line, Field: "messages", Warning: true,
				Message: fmt.Sprintf("%s: kindling's built-in text or the default language is used instead", keyList(missing, len(mf.messages)))})
		}
	}
	if _, ok := byLang[def]; !ok {
		if builtin != nil {
			l.problems = append(l.problems, Problem{Warning: true,
				Message: fmt.Sprintf("no messages file for the default language %q: kindling's built-in messages are used", def)})
		} else {
			l.problems = append(l.problems, Problem{
				Message: fmt.Sprintf("no messages file for the default language %q: add one with `language: %s` and `messages:`", def, def)})
		}
	}

	l.checkLanguagesAgree()
	l.checkInstruments(builtin)
}

// keyList names the missing message keys of a file with present keys, the
// first few in full: a file that misses dozens is a start, not a slip.
func keyList(missing []string, present int) string {
	const show = 6
	if len(missing) <= show {
		return "missing " + strings.Join(missing, ", ")
	}
	return fmt.Sprintf("only %s here; missing %s and the rest", plural(present, "message", "messages"), strings.Join(missing[:show], ", "))
}

func (l *loader) hasFileErrors() bool {
	for _, p := range l.problems {
		if !p.Warning {
			return true
		}
	}
	return false
}

// checkLanguagesAgree warns about days and questions present in one language
// of a sequence and missing in another. The version in the default language
// (else the first language) is the reference.
func (l *loader) checkLanguagesAgree() {
	byID := map[string][]*Sequence{}
	for _, seq := range l.seqs {
		byID[seq.ID] = append(byID[seq.ID], seq)
	}
	for _, versions := range byID {
		if len(versions) < 2 {
			continue
		}
		sort.Slice(versions, func(i, j int) bool { return versions[i].Language < versions[j].Language })
		ref := versions[0]
		for _, v := range versions {
			if v.Language == l.opts.DefaultLanguage {
				ref = v
			}
		}
		for _, v := range versions {
			if v != ref {
				l.compareVersions(ref, v)
			}
		}
	}
}

func (l *loader) compareVersions(ref, v *Sequence) {
	warn := func(line int, field, format string, args ...any) {
		l.problems = append(l.problems, Problem{File: v.File, Line: line, Field: field, Warning: true, Message: fmt.Sprintf(format, args...)})
	}
	nodes := l.seqNodes[v]
	refDays := map[int]Step{}
	for _, st := range ref.Days {
		refDays[st.Day] = st
	}
	vDays := map[int]bool{}
	for _, st := range v.Days {
		vDays[st.Day] = true
		r, ok := refDays[st.Day]
		if !ok {
			warn(st.Line, "day", "day %d is not in %s (%q)", st.Day, ref.File, ref.Language)
			continue
		}
		l.compareSteps(fmt.Sprintf("day %d", st.Day), ref, r, st, warn)
	}
	for _, st := range ref.Days {
		if !vDays[st.Day] {
			warn(nodes.days, "days", "day %d is in %s (%q) but missing here", st.Day, ref.File, ref.Language)
		}
	}
	switch {
	case ref.Repeat != nil && v.Repeat == nil:
		warn(1, "repeat", "%s (%q) repeats every %d days, but this version does not repeat", ref.File, ref.Language, ref.Repeat.Every)
	case ref.Repeat == nil && v.Repeat != nil:
		warn(nodes.repeat, "repeat", "%s (%q) does not repeat", ref.File, ref.Language)
	case ref.Repeat != nil:
		if ref.Repeat.Every != v.Repeat.Every {
			warn(nodes.repeat, "repeat.every", "is %d here but %d in %s (%q)", v.Repeat.Every, ref.Repeat.Every, ref.File, ref.Language)
		}
		l.compareSteps("the repeat", ref, ref.Repeat.Step, v.Repeat.Step, warn)
	}
	if ref.LetterDay != v.LetterDay {
		warn(1, "letter_day", "is %d here but %d in %s (%q)", v.LetterDay, ref.LetterDay, ref.File, ref.Language)
	}
}

func (l *loader) compareSteps(what string, ref *Sequence, r, st Step, warn func(int, string, string, ...any)) {
	refQs := map[string]Question{}
	for _, q := range r.Questions {
		refQs[q.ID] = q
	}
	for _, q := range st.Questions {
		rq, ok := refQs[q.ID]
		if !ok {
			warn(q.Line, "id", "question %q of %s is not in %s (%q)", q.ID, what, ref.File, ref.Language)
			continue
		}
		if d := questionDiff(q, rq); d != "" {
			warn(q.Line, "id", "question %q %s in %s (%q)", q.ID, d, ref.File, ref.Language)
		}
	}
	for _, rq := range r.Questions {
		if !slices.ContainsFunc(st.Questions, func(q Question) bool { return q.ID == rq.ID }) {
			warn(st.Line, "questions", "question %q of %s is in %s (%q) but missing here", rq.ID, what, ref.File, ref.Language)
		}
	}
	if r.Letter != st.Letter {
		warn(st.Line, "letter", "is %t here but %t in %s (%q)", st.Letter, r.Letter, ref.File, ref.Language)
	}
}

// set builds the Set from a load without errors.
func (l *loader) set(builtin *Set, warnings []Problem) *Set {
	s := &Set{
		defaultLang: l.opts.DefaultLanguage,
		byID:        map[string]map[string]*Sequence{},
		messages:    map[string]Messages{},
		builtin:     builtin,
		warnings:    warnings,
		files:       l.files,
	}
	langs := map[string]bool{}
	for _, seq := range l.seqs {
		s.seqs = append(s.seqs, seq)
		if s.byID[seq.ID] == nil {
			s.byID[seq.ID] = map[string]*Sequence{}
		}
		s.byID[seq.ID][seq.Language] = seq
		langs[seq.Language] = true
	}
	sort.Slice(s.seqs, func(i, j int) bool {
		a, b := s.seqs[i], s.seqs[j]
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		return a.Language < b.Language
	})
	for _, mf := range l.messages {
		s.messages[mf.language] = mf.messages
		langs[mf.language] = true
	}
	for lang := range langs {
		s.langs = append(s.langs, lang)
	}
	sort.Strings(s.langs)
	s.addInstruments(l.insts)
	return s
}
