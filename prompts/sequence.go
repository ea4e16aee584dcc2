package prompts

import (
	"slices"
	"sort"
)

// StepFor returns the step for day days since the session: a listed day, or
// the repeat step on days last+Every, last+2*Every, ... (with Day set to day).
// It returns false on days when nothing is sent.
func (seq *Sequence) StepFor(day int) (Step, bool) {
	i := sort.Search(len(seq.Days), func(i int) bool { return seq.Days[i].Day >= day })
	if i < len(seq.Days) && seq.Days[i].Day == day {
		return seq.Days[i], true
	}
	if seq.Repeat == nil || seq.Repeat.Every < 1 || len(seq.Days) == 0 {
		return Step{}, false
	}
	last := seq.Days[len(seq.Days)-1].Day
	if day <= last || (day-last)%seq.Repeat.Every != 0 {
		return Step{}, false
	}
	st := seq.Repeat.Step
	if e := seq.Repeat.CheckInEvery; e > 0 && (day-last)%e == 0 {
		st = seq.Repeat.CheckInStep
	}
	st.Day = day
	return st, true
}

// IsRepeat reports whether day falls on the repeat step rather than a listed day.
func (seq *Sequence) IsRepeat(day int) bool {
	if seq.Repeat == nil || len(seq.Days) == 0 {
		return false
	}
	_, ok := seq.StepFor(day)
	return ok && day > seq.Days[len(seq.Days)-1].Day
}

// Question returns the question with that id, from the first listed day that
// asks it, else from the repeat step.
func (seq *Sequence) Question(id string) (Question, bool) {
	for _, st := range seq.Days {
		for _, q := range st.Questions {
			if q.ID == id {
				return q, true
			}
		}
	}
	if seq.Repeat != nil {
		for _, q := range slices.Concat(seq.Repeat.Step.Questions, seq.Repeat.CheckInStep.Questions) {
			if q.ID == id {
				return q, true
			}
		}
	}
	return Question{}, false
}
