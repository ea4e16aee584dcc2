package prompts

import (
	"fmt"

	"gopkg.in/yaml.v3"

	"kindling/internal/yamlx"
)

// parseStep parses a day (repeat == nil) or the repeat step, whose own key
// "every" goes to repeat.
func parseStep(n *yaml.Node, field string, fp *fileProblems, repeat func(key string, k, v *yaml.Node)) (Step, bool) {
	st := Step{Line: n.Line}
	known, isDay := stepKeys, repeat == nil
	if !isDay {
		known = repeatKeys
	}
	have := map[string]bool{}
	dayOK := !isDay
	ok := fields(n, field, fp, known, func(key string, k, v *yaml.Node) {
		have[key] = true
		f := yamlx.Join(field, key)
		switch key {
		case "day":
			if d, ok := integer(v, f, fp); ok {
				if d < MinDay {
					fp.errorf(v, f, "is %d: days count from the session (day 0); a step may come at most %d days before it (day %d)", d, -MinDay, MinDay)
				}
				st.Day, dayOK = d, true
			}
		case "at":
			if s, ok := str(v, f, fp); ok {
				if !atPattern.MatchString(s) {
					fp.errorf(v, f, "%q is not a time as \"HH:MM\" (24-hour, e.g. \"19:00\")", clip(s, 40))
				}
				st.At = s
			}
		case "intro":
			if s, ok := str(v, f, fp); ok {
				checkText(v, f, s, sequenceVars, fp)
				st.Intro = s
			}
		case "closing":
			if s, ok := str(v, f, fp); ok {
				checkText(v, f, s, sequenceVars, fp)
				st.Closing = s
			}
		case "letter":
			if b, ok := boolean(v, f, fp); ok {
				st.Letter = b
			}
		case "check_in":
			if s, ok := str(v, f, fp); ok && checkID(v, f, s, fp) {
				st.CheckIn = s
			}
		case "questions":
			st.Questions = append(st.Questions, parseStepQuestions(v, f, fp)...)
		default:
			repeat(key, k, v)
		}
	})
	if !ok {
		return st, false
	}
	checkMessageLen(n, field, st, fp)
	checkStepKeys(n, field, st, isDay, have, fp)
	return st, dayOK
}

// parseStepQuestions parses a step's list of questions, reporting a
// question id asked twice on the same day and leaving out every question
// that is not well formed.
func parseStepQuestions(v *yaml.Node, f string, fp *fileProblems) []Question {
	items, ok := list(v, f, fp)
	if !ok {
		return nil
	}
	var qs []Question
	seen := map[string]int{}
	for i, item := range items {
		q, ok := parseQuestion(item, fmt.Sprintf("%s[%d]", f, i), fp)
		if !ok {
			continue
		}
		if prev, dup := seen[q.ID]; dup && q.ID != "" {
			fp.errorf(item, fmt.Sprintf("%s[%d].id", f, i), "question %q is asked twice on this day (also on line %d)", q.ID, prev)
			continue
		}
		seen[q.ID] = q.Line
		qs = append(qs, q)
	}
	return qs
}

// checkStepKeys reports what a step lacks once its keys are read: a day
// without "day", a step with neither questions nor a check-in, or an
// empty list of questions.
func checkStepKeys(n *yaml.Node, field string, st Step, isDay bool, have map[string]bool, fp *fileProblems) {
	if isDay && !have["day"] {
		fp.errorf(n, yamlx.Join(field, "day"), "is missing")
	}
	if !have["questions"] {
		if !have["check_in"] {
			fp.errorf(n, yamlx.Join(field, "questions"), "is missing: a day needs at least one question")
		}
	} else if len(st.Questions) == 0 && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if v := n.Content[i+1]; n.Content[i].Value == "questions" && v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
				fp.errorf(v, yamlx.Join(field, "questions"), "is empty: a day needs at least one question")
			}
		}
	}
}

// checkMessageLen reports a question that fits Telegram on its own but not
// as the bot sends it: after the step's intro (first question only) and
// followed by its scale's end labels, all in one message.
func checkMessageLen(n *yaml.Node, field string, st Step, fp *fileProblems) {
	for i, q := range st.Questions {
		textLen := worstCaseLen(q.Text)
		if textLen > MaxTextLen {
			continue // reported already
		}
		total, parts := textLen, "the question"
		if i == 0 && st.Intro != "" && worstCaseLen(st.Intro) <= MaxTextLen {
			total += worstCaseLen(st.Intro) + len("\n\n")
			parts = "the intro and the first question"
		}
		if q.Scale != nil && (q.Scale.Low != "" || q.Scale.High != "") {
			total += worstCaseLen(fmt.Sprintf("\n\n%d = %s · %d = %s", q.Scale.Min, q.Scale.Low, q.Scale.Max, q.Scale.High))
			parts += " with its scale labels"
		}
		if total > MaxTextLen {
			fp.add(Problem{Line: q.Line, Field: fmt.Sprintf("%s.questions[%d].text", field, i),
				Message: fmt.Sprintf("%s, sent as one message, are up to %d characters; Telegram allows %d", parts, total, MaxTextLen)})
		}
	}
}
