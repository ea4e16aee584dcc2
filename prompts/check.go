package prompts

import (
	"errors"
	"fmt"
	"io"
	"kindling/internal/langtag"
	"strconv"
	"strings"
)

// Check prints what `kindling check` shows for the result of a load and
// reports whether it succeeded. When err is a *LoadError it prints every
// problem, one a line, then "N errors, M warnings"; another error is printed
// as it is. When set loaded it prints the warnings, then one line:
// "ok: N sequences, M languages, D days, Q questions" (D counts listed days in
// every language, Q their questions and the repeat steps' questions).
func Check(w io.Writer, set *Set, err error) (ok bool) {
	if err != nil {
		var le *LoadError
		if !errors.As(err, &le) {
			fmt.Fprintf(w, "error: %v\n", err)
			return false
		}
		nerr, nwarn := 0, 0
		for _, p := range le.Problems {
			fmt.Fprintln(w, p.String())
			if p.Warning {
				nwarn++
			} else {
				nerr++
			}
		}
		fmt.Fprintf(w, "%s", plural(nerr, "error", "errors"))
		if nwarn > 0 {
			fmt.Fprintf(w, ", %s", plural(nwarn, "warning", "warnings"))
		}
		fmt.Fprintln(w, "; nothing was loaded")
		return false
	}
	if set == nil {
		fmt.Fprintln(w, "error: no prompts loaded")
		return false
	}
	for _, p := range set.warnings {
		fmt.Fprintln(w, p.String())
	}
	days, questions := 0, 0
	for _, seq := range set.seqs {
		days += len(seq.Days)
		for _, st := range seq.Days {
			questions += len(st.Questions)
		}
		if seq.Repeat != nil {
			questions += len(seq.Repeat.Step.Questions)
		}
	}
	fmt.Fprintf(w, "ok: %s, %s, %s, %s",
		plural(len(set.byID), "sequence", "sequences"),
		plural(len(set.langs), "language", "languages"),
		plural(days, "day", "days"),
		plural(questions, "question", "questions"))
	if n := len(set.instByID); n > 0 {
		fmt.Fprintf(w, ", %s", plural(n, "check-in", "check-ins"))
	}
	if n := len(set.warnings); n > 0 {
		fmt.Fprintf(w, " (%s)", plural(n, "warning", "warnings"))
	}
	fmt.Fprintln(w)
	return true
}

// PreviewOptions choose what Preview shows.
type PreviewOptions struct {
	Sequence string // sequence id; "" picks the only one
	Language string // "" is the set's default language
	From, To int    // days since the session, inclusive
	Vars     Vars   // placeholder values (see SampleVars); Day is set for each day
}

// SampleVars are example placeholder values for a preview.
var SampleVars = Vars{Name: "Alex", Coach: "Sam", Intention: "to be gentler with myself"}

// maxPreviewDays bounds a preview: a longer one is a typo, not a read.
const maxPreviewDays = 3660

// ParseDays reads a range of days since the session as a preview takes
// it: "0-30", "7", or "-1-30" from the day before a session planned ahead.
func ParseDays(s string) (int, int, error) {
	// "-1-30" starts on day -1, the day before a session planned ahead.
	neg := strings.HasPrefix(strings.TrimSpace(s), "-")
	a, b, found := strings.Cut(strings.TrimPrefix(strings.TrimSpace(s), "-"), "-")
	if neg {
		a = "-" + a
	}
	from, err1 := strconv.Atoi(strings.TrimSpace(a))
	to := from
	var err2 error
	if found {
		to, err2 = strconv.Atoi(strings.TrimSpace(b))
	}
	if err1 != nil || err2 != nil || from < MinDay || to < from || to > 3650 {
		return 0, 0, fmt.Errorf("want N or FROM-TO with %d <= FROM <= TO, got %q", MinDay, s)
	}
	return from, to, nil
}

// Preview prints, day by day from opts.From to opts.To, what a client
// receives: the intro, each question (its id in parentheses) with its buttons,
// the closing line (the step_done message when the step has none), the send
// time when a step overrides it, and the letter. Runs of days when nothing is
// sent are shown as one line.
func Preview(w io.Writer, set *Set, opts PreviewOptions) error {
	if set == nil {
		return errors.New("preview: no prompts loaded")
	}
	id := opts.Sequence
	if id == "" {
		ids := set.IDs()
		if len(ids) != 1 {
			return fmt.Errorf("preview: choose a sequence: %s", strings.Join(ids, ", "))
		}
		id = ids[0]
	}
	lang := opts.Language
	if lang == "" {
		lang = set.defaultLang
	}
	seq, ok := set.Sequence(id, lang)
	if !ok {
		return fmt.Errorf("preview: no sequence %q (there are: %s)", id, strings.Join(set.IDs(), ", "))
	}
	if opts.From < MinDay || opts.To < opts.From {
		return fmt.Errorf("preview: days %d-%d: write a range such as 0-30", opts.From, opts.To)
	}
	if opts.To-opts.From >= maxPreviewDays {
		return fmt.Errorf("preview: days %d-%d: at most %d days at once", opts.From, opts.To, maxPreviewDays)
	}
	msgs := set.Messages(seq.Language)

	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s\n", seq.ID, seq.Language, seq.Name)
	if want := fallbackLangs(lang, "")[0]; langtag.Base(want) != langtag.Base(seq.Language) {
		fmt.Fprintf(&b, "There is no %q version; this is the one a client with language %q receives.\n", want, want)
	}
	v := opts.Vars
	if v.Name == "" && v.Coach == "" && v.Intention == "" {
		fmt.Fprintf(&b, "Days %d-%d, with no name, coach or intention.\n", opts.From, opts.To)
	} else {
		fmt.Fprintf(&b, "Days %d-%d, for name %q, coach %q, intention %q.\n", opts.From, opts.To, v.Name, v.Coach, v.Intention)
	}

	quietFrom := -1
	flushQuiet := func(to int) {
		if quietFrom < 0 {
			return
		}
		if quietFrom == to {
			fmt.Fprintf(&b, "\nDay %d: nothing sent\n", to)
		} else {
			fmt.Fprintf(&b, "\nDays %d-%d: nothing sent\n", quietFrom, to)
		}
		quietFrom = -1
	}
	for day := opts.From; day <= opts.To; day++ {
		st, ok := seq.StepFor(day)
		if !ok {
			if quietFrom < 0 {
				quietFrom = day
			}
			continue
		}
		flushQuiet(day - 1)
		v.Day = day
		previewStep(&b, seq, st, msgs, v)
	}
	flushQuiet(opts.To)
	_, err := io.WriteString(w, b.String())
	return err
}

func previewStep(b *strings.Builder, seq *Sequence, st Step, msgs Messages, v Vars) {
	fmt.Fprintf(b, "\n== Day %d", st.Day)
	if st.At != "" {
		fmt.Fprintf(b, ", sent at %s", st.At)
	}
	if seq.IsRepeat(st.Day) {
		fmt.Fprintf(b, " (repeats every %d days)", seq.Repeat.Every)
	}
	b.WriteString(" ==\n")
	if st.Intro != "" {
		writeIndented(b, "", Render(st.Intro, v))
	}
	for i, q := range st.Questions {
		b.WriteString("\n")
		num := strconv.Itoa(i+1) + ". "
		writeIndented(b, num, Render(q.Text, v)+"  ("+q.ID+")")
		pad := strings.Repeat(" ", len(num))
		switch q.Kind {
		case KindScale:
			var row []string
			for n := q.Scale.Min; n <= q.Scale.Max; n++ {
				row = append(row, "["+strconv.Itoa(n)+"]")
			}
			fmt.Fprintf(b, "%s%s\n", pad, strings.Join(row, " "))
			if q.Scale.Low != "" || q.Scale.High != "" {
				fmt.Fprintf(b, "%s%d = %s, %d = %s\n", pad, q.Scale.Min, Render(q.Scale.Low, v), q.Scale.Max, Render(q.Scale.High, v))
			}
		case KindChoice:
			var row []string
			for _, o := range q.Choice.Options {
				if q.CheckIn != "" {
					row = append(row, "["+Render(o.Label, v)+" = "+strconv.Itoa(o.Score)+"]")
					continue
				}
				row = append(row, "["+Render(o.Label, v)+"]")
			}
			fmt.Fprintf(b, "%s%s\n", pad, strings.Join(row, " "))
			if q.Choice.Multiple {
				fmt.Fprintf(b, "%s(several can be chosen)\n", pad)
			}
		default:
			fmt.Fprintf(b, "%s(answered in their own words)\n", pad)
		}
	}
	b.WriteString("\n")
	if st.Closing != "" {
		writeIndented(b, "", Render(st.Closing, v))
	} else {
		writeIndented(b, "", msgs.Text("step_done", v))
	}
	if st.Letter && seq.LetterDay > 0 {
		fmt.Fprintf(b, "\nThen the letter with their answers: %q\n", Render(seq.Letter.Title, v))
	}
}

// writeIndented writes text after prefix, indenting its further lines to match.
func writeIndented(b *strings.Builder, prefix, text string) {
	pad := strings.Repeat(" ", len(prefix))
	for i, line := range strings.Split(text, "\n") {
		if i == 0 {
			b.WriteString(prefix)
		} else if line != "" {
			b.WriteString(pad)
		}
		b.WriteString(line)
		b.WriteString("\n")
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
