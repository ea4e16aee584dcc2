package prompts

import (
	"fmt"
	"kindling/internal/langtag"
	"slices"
	"sort"
	"strings"
)

// checkInstruments reports instruments defined twice and languages of one
// instrument that disagree, then places each step's check-in: its items
// join the step's questions. A check-in the directory does not define is
// taken from kindling's built-in ones (builtin), as missing messages are,
// so that a directory holding only its sequences keeps working.
func (l *loader) checkInstruments(builtin *Set) {
	seen := map[[2]string]*Instrument{}
	kept := l.insts[:0:0]
	for _, in := range l.insts {
		key := [2]string{in.ID, in.Language}
		if prev, dup := seen[key]; dup {
			l.problems = append(l.problems, Problem{File: in.File, Line: in.Line, Field: "check_in",
				Message: fmt.Sprintf("check-in %q in %q is also defined in %s", in.ID, in.Language, prev.File)})
			continue
		}
		seen[key] = in
		kept = append(kept, in)
	}
	l.insts = kept

	byID := map[string]map[string]*Instrument{}
	for _, in := range l.insts {
		if byID[in.ID] == nil {
			byID[in.ID] = map[string]*Instrument{}
		}
		byID[in.ID][in.Language] = in
	}
	for _, langs := range byID {
		ref := referenceVersion(langs, l.opts.DefaultLanguage)
		for _, in := range langs {
			if in != ref {
				l.compareInstruments(ref, in)
			}
		}
	}

	if builtin != nil {
		own := map[string]bool{}
		for id := range byID {
			own[id] = true
		}
		for _, in := range builtin.insts {
			if own[in.ID] || !l.namesCheckIn(in.ID) {
				continue
			}
			if byID[in.ID] == nil {
				byID[in.ID] = map[string]*Instrument{}
			}
			byID[in.ID][in.Language] = in
			l.insts = append(l.insts, in)
		}
	}

	for _, seq := range l.seqs {
		for i := range seq.Days {
			l.placeCheckIn(seq, &seq.Days[i], byID)
		}
		if r := seq.Repeat; r != nil && r.Step.CheckIn != "" {
			with := r.Step
			with.Questions = slices.Clone(with.Questions)
			l.placeCheckIn(seq, &with, byID)
			if r.CheckInEvery > 0 {
				r.Step.CheckIn = ""
				r.CheckInStep = with
			} else {
				r.Step = with
			}
		}
	}
}

// namesCheckIn reports whether a step of a loaded sequence asks the
// check-in id.
func (l *loader) namesCheckIn(id string) bool {
	for _, seq := range l.seqs {
		for _, st := range seq.Days {
			if st.CheckIn == id {
				return true
			}
		}
		if seq.Repeat != nil && seq.Repeat.Step.CheckIn == id {
			return true
		}
	}
	return false
}

// referenceVersion is the version of an instrument the others are held
// to: the default language's, else the first language's.
func referenceVersion(langs map[string]*Instrument, def string) *Instrument {
	if in, ok := langs[def]; ok {
		return in
	}
	keys := make([]string, 0, len(langs))
	for k := range langs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return langs[keys[0]]
}

// compareInstruments reports every way in which in is scored differently
// from ref. Unlike a sequence's languages, which may differ a little,
// these are errors: totals in two languages must mean the same.
func (l *loader) compareInstruments(ref, in *Instrument) {
	nodes := l.instNode[in]
	bad := func(line int, field, format string, args ...any) {
		l.problems = append(l.problems, Problem{File: in.File, Line: line, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	where := fmt.Sprintf("%s (%q)", ref.File, ref.Language)
	for _, it := range in.Items {
		r, ok := ref.Item(it.ID)
		if !ok {
			bad(it.Line, "items", "item %q is not in %s", it.ID, where)
			continue
		}
		if d := scoringDiff(it.Options, r.Options); d != "" {
			bad(it.Line, "items", "item %q %s in %s", it.ID, d, where)
		}
	}
	for _, r := range ref.Items {
		if _, ok := in.Item(r.ID); !ok {
			bad(nodes.items, "items", "item %q is in %s but missing here: every language needs every item", r.ID, where)
		}
	}
	if !slices.EqualFunc(itemIDs(in), itemIDs(ref), func(a, b string) bool { return a == b }) && len(in.Items) == len(ref.Items) {
		bad(nodes.items, "items", "the items are in a different order from %s: %s", where, strings.Join(itemIDs(ref), ", "))
	}
	if in.Bands != nil && ref.Bands != nil && bandsDiffer(in.Bands, ref.Bands) {
		bad(nodes.bands, "bands", "differ from %s: %s", where, bandList(ref.Bands))
	}
	if fmt.Sprint(in.Safety) != fmt.Sprint(ref.Safety) || in.Baseline != ref.Baseline ||
		fmt.Sprint(in.Response) != fmt.Sprint(ref.Response) || fmt.Sprint(in.Remission) != fmt.Sprint(ref.Remission) {
		bad(in.Line, "check_in", "safety, baseline, response or remission differ from %s: keep them the same in every language", where)
	}
}

func itemIDs(in *Instrument) []string {
	ids := make([]string, len(in.Items))
	for i, it := range in.Items {
		ids[i] = it.ID
	}
	return ids
}

// scoringDiff describes how options differ in ids or scores, or is "".
func scoringDiff(opts, ref []Option) string {
	desc := func(os []Option) string {
		parts := make([]string, len(os))
		for i, o := range os {
			parts[i] = fmt.Sprintf("%s=%d", o.ID, o.Score)
		}
		return strings.Join(parts, ", ")
	}
	if a, b := desc(opts), desc(ref); a != b {
		return fmt.Sprintf("has options %s here but %s", a, b)
	}
	return ""
}

func bandsDiffer(a, b []Band) bool {
	return !slices.EqualFunc(a, b, func(x, y Band) bool {
		return x.Min == y.Min && x.Max == y.Max && x.Severity == y.Severity
	})
}

func bandList(bands []Band) string {
	parts := make([]string, len(bands))
	for i, b := range bands {
		parts[i] = fmt.Sprintf("%d-%d %s", b.Min, b.Max, b.Severity)
	}
	return strings.Join(parts, ", ")
}

// placeCheckIn adds the items of a step's check-in to its questions, in
// the sequence's language (or the closest one there is, with a warning).
func (l *loader) placeCheckIn(seq *Sequence, st *Step, byID map[string]map[string]*Instrument) {
	if st.CheckIn == "" {
		return
	}
	langs, ok := byID[st.CheckIn]
	if !ok {
		var ids []string
		for id := range byID {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		msg := fmt.Sprintf("no check-in %q is defined", st.CheckIn)
		if len(ids) > 0 {
			msg += " (there are: " + strings.Join(ids, ", ") + ")"
		} else {
			msg += ": add a file with `check_in: " + st.CheckIn + "` (see docs/check-ins.md)"
		}
		l.problems = append(l.problems, Problem{File: seq.File, Line: st.Line, Field: "check_in", Message: msg})
		return
	}
	var in *Instrument
	for _, lang := range fallbackLangs(seq.Language, l.opts.DefaultLanguage) {
		if v, ok := langs[lang]; ok {
			in = v
			break
		}
	}
	if in == nil {
		in = referenceVersion(langs, l.opts.DefaultLanguage)
	}
	if langtag.Base(in.Language) != langtag.Base(seq.Language) {
		l.problems = append(l.problems, Problem{File: seq.File, Line: st.Line, Field: "check_in", Warning: true,
			Message: fmt.Sprintf("check-in %q has no %q version: clients of this sequence are asked it in %q", in.ID, seq.Language, in.Language)})
	}
	for i := range in.Items {
		q := in.question(i)
		if i == 0 && len(st.Questions) == 0 && st.Intro != "" && worstCaseLen(st.Intro)+len("\n\n")+textLen(q.Text) > MaxTextLen {
			l.problems = append(l.problems, Problem{File: seq.File, Line: st.Line, Field: "intro",
				Message: fmt.Sprintf("the intro and the first item of check-in %q, sent as one message, are longer than Telegram allows (%d)", in.ID, MaxTextLen)})
		}
		st.Questions = append(st.Questions, q)
	}
}

// addInstruments keeps the loaded instruments in s.
func (s *Set) addInstruments(insts []*Instrument) {
	s.instByID = map[string]map[string]*Instrument{}
	for _, in := range insts {
		s.insts = append(s.insts, in)
		if s.instByID[in.ID] == nil {
			s.instByID[in.ID] = map[string]*Instrument{}
		}
		s.instByID[in.ID][in.Language] = in
	}
	sort.Slice(s.insts, func(i, j int) bool {
		a, b := s.insts[i], s.insts[j]
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		return a.Language < b.Language
	})
}
