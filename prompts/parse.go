package prompts

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"kindling/internal/yamlx"
)

// The keys each part of a file may have.
var (
	sequenceKeys = []string{"id", "language", "name", "days", "repeat", "letter_day", "letter"}
	stepKeys     = []string{"day", "at", "intro", "questions", "closing", "letter", "check_in"}
	repeatKeys   = []string{"every", "at", "intro", "questions", "closing", "check_in", "check_in_every"}
	questionKeys = []string{"id", "text", "label", "scale", "choice"}
	scaleKeys    = []string{"min", "max", "low", "high"}
	choiceKeys   = []string{"options", "multiple"}
	optionKeys   = []string{"id", "label"}
	letterKeys   = []string{"title", "opening", "day_heading", "closing"}
	messagesKeys = []string{"language", "messages"}
)

// defaultLetterDay is the letter_day of a sequence that does not say.
const defaultLetterDay = 30

func parseSequence(root *yaml.Node, fp *fileProblems) (*Sequence, *seqNodes) {
	seq := &Sequence{LetterDay: defaultLetterDay, Letter: DefaultLetter}
	nodes := &seqNodes{}
	var dayIndex []int // of each step of seq.Days in the days: list
	have := map[string]bool{}
	fields(root, "", fp, sequenceKeys, func(key string, k, v *yaml.Node) {
		have[key] = true
		switch key {
		case "id":
			nodes.id = k.Line
			if s, ok := str(v, key, fp); ok && checkID(v, key, s, fp) {
				seq.ID = s
			}
		case "language":
			seq.Language = parseLanguage(v, fp)
		case "name":
			if s, ok := str(v, key, fp); ok {
				if s == "" {
					fp.errorf(v, key, "is empty")
				}
				seq.Name = s
			}
		case "days":
			nodes.days = k.Line
			items, ok := list(v, key, fp)
			if !ok {
				return
			}
			if len(items) == 0 {
				fp.errorf(v, key, "is empty: a sequence needs at least one day")
			}
			for i, item := range items {
				if step, ok := parseStep(item, fmt.Sprintf("days[%d]", i), fp, nil); ok {
					seq.Days = append(seq.Days, step)
					dayIndex = append(dayIndex, i)
				}
			}
		case "repeat":
			nodes.repeat = k.Line
			seq.Repeat = parseRepeat(v, fp)
		case "letter_day":
			if d, ok := integer(v, key, fp); ok {
				if d < 0 {
					fp.errorf(v, key, "is %d: write a day since the session, or 0 for no letter", d)
				}
				seq.LetterDay = d
			}
		case "letter":
			parseLetter(v, key, &seq.Letter, fp)
		}
	})
	for _, key := range []string{"id", "language", "name", "days"} {
		if !have[key] {
			fp.errorf(root, key, "is missing")
		}
	}

	seq.Days = sortDays(seq.Days, dayIndex, fp)
	checkQuestionsAgree(seq, fp)
	if seq.LetterDay == 0 {
		for _, st := range seq.Days {
			if st.Letter {
				fp.add(Problem{Line: st.Line, Field: "letter", Message: "is true but letter_day is 0, so no letter is sent", Warning: true})
			}
		}
	}
	if seq.ID == "" || seq.Language == "" {
		return nil, nil
	}
	return seq, nodes
}

func parseLanguage(v *yaml.Node, fp *fileProblems) string {
	s, ok := str(v, "language", fp)
	if !ok {
		return ""
	}
	lang := strings.ToLower(strings.ReplaceAll(s, "_", "-"))
	if !langPattern.MatchString(lang) {
		fp.errorf(v, "language", "%q is not a language code such as en, es or pt-BR", clip(s, 40))
		return ""
	}
	return lang
}

// checkQuestionsAgree warns when one question id is asked as different kinds
// of question on different days: its answers could not be compared.
func checkQuestionsAgree(seq *Sequence, fp *fileProblems) {
	first := map[string]Question{}
	steps := seq.Days
	if seq.Repeat != nil {
		steps = append(slices.Clip(steps), seq.Repeat.Step)
	}
	for _, st := range steps {
		for _, q := range st.Questions {
			f, ok := first[q.ID]
			if !ok {
				first[q.ID] = q
				continue
			}
			if d := questionDiff(q, f); d != "" {
				fp.add(Problem{Line: q.Line, Field: "id", Warning: true,
					Message: fmt.Sprintf("question %q %s on line %d; answers stored under one id should be comparable", q.ID, d, f.Line)})
			}
		}
	}
}

// questionDiff describes how q is asked differently from ref, or returns "".
func questionDiff(q, ref Question) string {
	if q.Kind != ref.Kind {
		return fmt.Sprintf("is a %s question here but a %s question", q.Kind, ref.Kind)
	}
	switch q.Kind {
	case KindScale:
		if q.Scale.Min != ref.Scale.Min || q.Scale.Max != ref.Scale.Max {
			return fmt.Sprintf("is a scale %d..%d here but %d..%d", q.Scale.Min, q.Scale.Max, ref.Scale.Min, ref.Scale.Max)
		}
	case KindChoice:
		if !slices.Equal(optionIDs(q), optionIDs(ref)) {
			return fmt.Sprintf("has options %s here but %s", strings.Join(optionIDs(q), ", "), strings.Join(optionIDs(ref), ", "))
		}
	}
	return ""
}

func optionIDs(q Question) []string {
	if q.Choice == nil {
		return nil
	}
	ids := make([]string, len(q.Choice.Options))
	for i, o := range q.Choice.Options {
		ids[i] = o.ID
	}
	sort.Strings(ids)
	return ids
}

func parseRepeat(n *yaml.Node, fp *fileProblems) *Repeat {
	r := &Repeat{}
	haveEvery := false
	var everyNode, checkInEveryNode *yaml.Node
	step, ok := parseStep(n, "repeat", fp, func(key string, k, v *yaml.Node) {
		if key == "check_in_every" {
			checkInEveryNode = v
			if e, ok := integer(v, "repeat.check_in_every", fp); ok {
				if e < 1 {
					fp.errorf(v, "repeat.check_in_every", "is %d: write how many days apart the check-in comes, 1 or more", e)
				}
				r.CheckInEvery = e
			}
			return
		}
		if key != "every" {
			return
		}
		everyNode = v
		haveEvery = true
		if e, ok := integer(v, "repeat.every", fp); ok {
			if e < 1 {
				fp.errorf(v, "repeat.every", "is %d: write how many days apart, 1 or more", e)
			}
			r.Every = e
		}
	})
	if !ok {
		return nil
	}
	if !haveEvery {
		fp.errorf(n, "repeat.every", "is missing: how many days apart the repeat comes, e.g. 7")
	}
	if checkInEveryNode != nil {
		switch {
		case step.CheckIn == "":
			fp.errorf(checkInEveryNode, "repeat.check_in_every", "is set but the repeat has no check_in")
		case everyNode != nil && r.Every > 0 && r.CheckInEvery > 0 && r.CheckInEvery%r.Every != 0:
			fp.errorf(checkInEveryNode, "repeat.check_in_every", "is %d, not a multiple of every (%d): the check-in would fall on days the repeat does not come", r.CheckInEvery, r.Every)
		}
	}
	r.Step = step
	return r
}

func parseQuestion(n *yaml.Node, field string, fp *fileProblems) (Question, bool) {
	q := Question{Kind: KindText, Line: n.Line}
	var idNode, scaleNode, choiceNode *yaml.Node
	have := map[string]bool{}
	ok := fields(n, field, fp, questionKeys, func(key string, k, v *yaml.Node) {
		have[key] = true
		f := yamlx.Join(field, key)
		switch key {
		case "id":
			idNode = v
			if s, ok := str(v, f, fp); ok && checkID(v, f, s, fp) {
				q.ID = s
			}
		case "text":
			if s, ok := str(v, f, fp); ok {
				checkText(v, f, s, sequenceVars, fp)
				q.Text = s
			}
		case "label":
			if s, ok := str(v, f, fp); ok {
				checkLabel(v, f, s, fp)
				q.Label = s
			}
		case "scale":
			scaleNode = v
			q.Kind, q.Scale = KindScale, parseScale(v, f, fp)
		case "choice":
			choiceNode = v
			q.Kind, q.Choice = KindChoice, parseChoice(v, f, fp)
		}
	})
	if !ok {
		return q, false
	}
	for _, key := range []string{"id", "text"} {
		if !have[key] {
			fp.errorf(n, yamlx.Join(field, key), "is missing")
		}
	}
	if scaleNode != nil && choiceNode != nil {
		fp.errorf(choiceNode, yamlx.Join(field, "choice"), "a question has a scale or a choice, not both")
		return q, false
	}
	if q.ID == "" {
		return q, true
	}
	switch {
	case q.Scale != nil:
		checkButtonData(idNode, yamlx.Join(field, "id"), q.ID, strconv.Itoa(q.Scale.Min), fp)
		if len(strconv.Itoa(q.Scale.Max)) > len(strconv.Itoa(q.Scale.Min)) {
			checkButtonData(idNode, yamlx.Join(field, "id"), q.ID, strconv.Itoa(q.Scale.Max), fp)
		}
	case q.Choice != nil:
		longest := ""
		for _, o := range q.Choice.Options {
			if len(o.ID) > len(longest) {
				longest = o.ID
			}
		}
		checkButtonData(idNode, yamlx.Join(field, "id"), q.ID, longest, fp)
	}
	return q, true
}

func parseScale(n *yaml.Node, field string, fp *fileProblems) *Scale {
	sc := &Scale{}
	have := map[string]bool{}
	ok := fields(n, field, fp, scaleKeys, func(key string, k, v *yaml.Node) {
		have[key] = true
		f := yamlx.Join(field, key)
		switch key {
		case "min":
			sc.Min, have[key] = integer(v, f, fp)
		case "max":
			sc.Max, have[key] = integer(v, f, fp)
		case "low", "high":
			s, ok := str(v, f, fp)
			if !ok {
				return
			}
			checkLabel(v, f, s, fp)
			if key == "low" {
				sc.Low = s
			} else {
				sc.High = s
			}
		}
	})
	if !ok {
		return &Scale{Min: 1, Max: 1}
	}
	if !have["min"] || !have["max"] {
		for _, key := range []string{"min", "max"} {
			if _, seen := have[key]; !seen {
				fp.errorf(n, yamlx.Join(field, key), "is missing")
			}
		}
		return sc
	}
	switch {
	case sc.Min >= sc.Max:
		fp.errorf(n, yamlx.Join(field, "max"), "is %d, not above min %d", sc.Max, sc.Min)
	case sc.Buttons() > MaxScaleButtons:
		fp.errorf(n, yamlx.Join(field, "max"), "%d..%d is %d buttons; a scale may have at most %d", sc.Min, sc.Max, sc.Buttons(), MaxScaleButtons)
	}
	return sc
}

func parseChoice(n *yaml.Node, field string, fp *fileProblems) *Choice {
	ch := &Choice{}
	have := false
	fields(n, field, fp, choiceKeys, func(key string, k, v *yaml.Node) {
		f := yamlx.Join(field, key)
		switch key {
		case "multiple":
			ch.Multiple, _ = boolean(v, f, fp)
		case "options":
			have = true
			items, ok := list(v, f, fp)
			if !ok {
				return
			}
			if len(items) < 2 {
				fp.errorf(v, f, "has %d option(s); a choice needs at least 2", len(items))
			}
			if len(items) > MaxOptions {
				fp.errorf(v, f, "has %d options; a choice may have at most %d", len(items), MaxOptions)
			}
			seen := map[string]int{}
			for i, item := range items {
				o, ok := parseOption(item, fmt.Sprintf("%s[%d]", f, i), fp)
				if !ok {
					continue
				}
				if prev, dup := seen[o.ID]; dup && o.ID != "" {
					fp.errorf(item, fmt.Sprintf("%s[%d].id", f, i), "option %q is listed twice (also on line %d)", o.ID, prev)
					continue
				}
				seen[o.ID] = item.Line
				ch.Options = append(ch.Options, o)
			}
		}
	})
	if !have && n.Kind == yaml.MappingNode {
		fp.errorf(n, yamlx.Join(field, "options"), "is missing")
	}
	return ch
}

func parseOption(n *yaml.Node, field string, fp *fileProblems) (Option, bool) {
	var o Option
	have := map[string]bool{}
	ok := fields(n, field, fp, optionKeys, func(key string, k, v *yaml.Node) {
		have[key] = true
		f := yamlx.Join(field, key)
		s, ok := str(v, f, fp)
		if !ok {
			return
		}
		switch key {
		case "id":
			if checkID(v, f, s, fp) {
				o.ID = s
			}
		case "label":
			checkLabel(v, f, s, fp)
			o.Label = s
		}
	})
	if !ok {
		return o, false
	}
	for _, key := range optionKeys {
		if !have[key] {
			fp.errorf(n, yamlx.Join(field, key), "is missing")
		}
	}
	return o, true
}

func parseMessages(root *yaml.Node, fp *fileProblems) *messagesFile {
	mf := &messagesFile{messages: Messages{}}
	haveLang, valid := false, true
	fields(root, "", fp, messagesKeys, func(key string, k, v *yaml.Node) {
		switch key {
		case "language":
			haveLang = true
			mf.langLine = k.Line
			mf.language = parseLanguage(v, fp)
		case "messages":
			mf.line = k.Line
			if v.Kind != yaml.MappingNode {
				fp.errorf(v, key, "expected the messages, one \"key: text\" a line, found %s", describe(v))
				valid = false
				return
			}
			for i := 0; i+1 < len(v.Content); i += 2 {
				mk, mv := v.Content[i], v.Content[i+1]
				f := yamlx.Join(key, mk.Value)
				if mk.Kind != yaml.ScalarNode {
					fp.errorf(mk, key, "a key must be a plain word, found %s", describe(mk))
					continue
				}
				if _, dup := mf.messages[mk.Value]; dup {
					fp.errorf(mk, f, "is written twice")
					continue
				}
				if list, isList := dateLists[mk.Value]; isList {
					if names, ok := nameList(mv, f, list.count, list.what, fp); ok {
						mf.messages[mk.Value] = names
					}
					continue
				}
				s, ok := str(mv, f, fp)
				if !ok {
					continue
				}
				if mk.Value == dateShort || mk.Value == dateLong {
					checkText(mv, f, s, dateVars, fp)
					mf.messages[mk.Value] = s
					continue
				}
				if !slices.Contains(MessageKeys, mk.Value) {
					msg := "is not a message the bot uses"
					if s := yamlx.Suggest(mk.Value, MessageKeys); s != "" {
						msg += fmt.Sprintf(" (did you mean %q?)", s)
					}
					fp.warnf(mk, f, "%s", msg)
				}
				checkText(mv, f, s, messageVars, fp)
				mf.messages[mk.Value] = s
			}
		}
	})
	if !haveLang {
		fp.errorf(root, "language", "is missing")
	}
	if mf.language == "" || !valid {
		return nil
	}
	return mf
}

// nameList reads a list of exactly count names (the weekdays or months of
// a language), joined by listSep.
func nameList(n *yaml.Node, field string, count int, what string, fp *fileProblems) (string, bool) {
	if n.Kind != yaml.SequenceNode {
		fp.errorf(n, field, "expected a list of %d %s, like [a, b, ...], found %s", count, what, describe(n))
		return "", false
	}
	if len(n.Content) != count {
		fp.errorf(n, field, "has %d names; it needs %d %s", len(n.Content), count, what)
		return "", false
	}
	names := make([]string, 0, count)
	for _, item := range n.Content {
		s, ok := str(item, field, fp)
		if !ok {
			return "", false
		}
		s = strings.TrimSpace(s)
		if s == "" || strings.Contains(s, listSep) || utf8.RuneCountInString(s) > 20 {
			fp.errorf(item, field, "%q: each name is one line of at most 20 characters", clip(s, 40))
			return "", false
		}
		names = append(names, s)
	}
	return strings.Join(names, listSep), true
}

// parseLetter reads the letter: mapping at key into letter.
func parseLetter(v *yaml.Node, key string, letter *LetterTemplate, fp *fileProblems) {
	fields(v, key, fp, letterKeys, func(lk string, _, lv *yaml.Node) {
		field := yamlx.Join(key, lk)
		s, ok := str(lv, field, fp)
		if !ok {
			return
		}
		checkText(lv, field, s, sequenceVars, fp)
		switch lk {
		case "title":
			letter.Title = s
		case "opening":
			letter.Opening = s
		case "day_heading":
			letter.DayHeading = s
		case "closing":
			letter.Closing = s
		}
	})
}

// sortDays returns days in order of their day, reporting a day listed
// twice; dayIndex is the position of each step in the days: list.
func sortDays(days []Step, dayIndex []int, fp *fileProblems) []Step {
	order := make([]int, len(days))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return days[order[i]].Day < days[order[j]].Day })
	sorted := make([]Step, len(days))
	for i, o := range order {
		sorted[i] = days[o]
		if i > 0 && sorted[i-1].Day == sorted[i].Day {
			fp.add(Problem{Line: sorted[i].Line, Field: fmt.Sprintf("days[%d].day", dayIndex[o]),
				Message: fmt.Sprintf("day %d is listed twice (also on line %d)", sorted[i].Day, sorted[i-1].Line)})
		}
	}
	return sorted
}
