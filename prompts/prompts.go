package prompts

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Kind is what a question asks for and how it is answered.
type Kind string

// The question kinds. A question with a `scale:` is a scale, one with a
// `choice:` is a choice, any other is free text.
const (
	KindText   Kind = "text"   // answered in the client's own words (or a voice note)
	KindScale  Kind = "scale"  // answered with one inline button from Min to Max
	KindChoice Kind = "choice" // answered with one (or several) option buttons
)

// Telegram's limits, and the budget the bot's callback data leaves for ours.
const (
	// MaxTextLen is Telegram's limit on a message text, in UTF-16 code units.
	MaxTextLen = 4096
	// AnswerButtonKind is the first field of an answer button's callback
	// data, "a|<delivery tag>|<question id>|<option id or number>". The bot
	// builds its answer buttons with it; it is here so that the check below
	// and the bot cannot disagree.
	AnswerButtonKind = "a"
	// MaxButtonData is how many bytes of "a|<question id>|<option id or number>"
	// fit in Telegram's 64-byte callback data once the bot appends its
	// 10-byte delivery tag.
	MaxButtonData = 64 - 10
	// MaxScaleButtons is the most buttons a scale may have (0..10 is 11).
	MaxScaleButtons = 11
	// MaxOptions is the most options a choice may have: more will not fit a
	// phone screen.
	MaxOptions = 20
	// MaxLabelLen is the longest button label (option label, scale end label),
	// in characters; longer labels are cut off on phones.
	MaxLabelLen = 64
)

// Question is one question of a step.
type Question struct {
	ID   string
	Text string
	// Label is a short name for what the question measures ("Mood"),
	// used where the full wording would not fit or would not read well
	// out of its day, such as a chart's title. Empty when not given.
	Label  string
	Kind   Kind
	Scale  *Scale  // set when Kind is KindScale
	Choice *Choice // set when Kind is KindChoice
	Line   int     // line of the question in its file
	// CheckIn and Item are set on the questions a step's `check_in:` adds:
	// the instrument's id and the item's. Their options carry scores.
	CheckIn, Item string
}

// Scale is answered with one button for each whole number from Min to Max.
// Low and High label the two ends and may be empty.
type Scale struct {
	Min, Max  int
	Low, High string
}

// Buttons is the number of buttons of the scale.
func (s Scale) Buttons() int { return s.Max - s.Min + 1 }

// Choice is answered with option buttons; with Multiple, several options can be
// chosen before the client confirms.
type Choice struct {
	Options  []Option
	Multiple bool
}

// Option is one button of a choice. ID is stored with the answer; Label is
// shown. Score is the option's score in an instrument (zero elsewhere).
type Option struct {
	ID, Label string
	Score     int
}

// MinDay is the earliest day a step may have: a step with a negative day
// goes out that many days before a session planned ahead.
const MinDay = -30

// Step is what a client is asked on one day since their session.
type Step struct {
	Day       int    // days since the session; 0 is the session day itself, -1 the day before
	At        string // "" (the client's usual time) or a send-time override "HH:MM"
	Intro     string // optional line sent before the first question
	Closing   string // optional line after the last answer; "" means the step_done message
	Questions []Question
	Letter    bool // send the letter (see Sequence.Letter) after this step
	Line      int  // line of the step in its file
	// CheckIn is the id of the instrument the step asks after its own
	// questions; its items are among Questions once loaded.
	CheckIn string
}

// Sequence is one sequence of steps in one language.
type Sequence struct {
	ID, Language, Name string
	File               string // file name inside the loaded directory
	Days               []Step // sorted by Day, no duplicates
	Repeat             *Repeat
	LetterDay          int // YAML `letter_day`; 30 when absent, 0 = no letter
	Letter             LetterTemplate
}

// Repeat is the step used after the last listed day, on days last+Every,
// last+2*Every, and so on. Step.Day is 0 here; StepFor fills it in.
type Repeat struct {
	Every int
	Step  Step
	// CheckInEvery, when set, asks the step's check-in only on the repeat
	// days that fall every CheckInEvery days after the last listed day (a
	// multiple of Every); Step is then the step without it and
	// CheckInStep the step with it.
	CheckInEvery int
	CheckInStep  Step
}

// LetterTemplate frames the letter that gathers a client's answers. DayHeading
// may use {day}; all may use {name}, {coach} and {intention}.
type LetterTemplate struct {
	Title, Opening, DayHeading, Closing string
}

// DefaultLetter is used for the fields a sequence's `letter:` leaves out.
var DefaultLetter = LetterTemplate{
	Title:      "Your month, in your own words",
	Opening:    "These are the answers you gave over the past weeks, gathered in one place. Read them slowly, if you like.",
	DayHeading: "Day {day}",
	Closing:    "Whatever you take from this, it is yours. Thank you for the care you put into these weeks.",
}

// Vars are the values of placeholders. Sequences may use {name}, {day},
// {coach} and {intention}; the bot's messages may also use {date}, {time},
// {timezone} and {until}.
type Vars struct {
	Name      string // the client's first name
	Coach     string // the coach's name
	Intention string // the intention the client set, often empty
	Day       int    // days since the session
	Date      string // messages only: a date, as the bot formats it
	Time      string // messages only: a time of day, e.g. "09:00"
	TimeZone  string // messages only: an IANA time zone, e.g. "Europe/Madrid"
	Until     string // messages only: the end of a pause, as the bot formats it
	Latest    string // messages only: the date of the session the days count from
}

// MaxVarLen is the longest each placeholder renders, in characters: Render
// clips longer values (with "…") so that validated texts always fit Telegram.
var MaxVarLen = map[string]int{
	"name":      64,
	"coach":     64,
	"intention": 300,
	"day":       6,
	"date":      40,
	"time":      16,
	"timezone":  64,
	"until":     40,
	"latest":    40,
}

// sequenceVars are the placeholders a sequence text may use; messageVars those
// of the bot's messages.
var (
	sequenceVars = []string{"name", "day", "coach", "intention"}
	messageVars  = []string{"name", "day", "coach", "intention", "date", "time", "timezone", "until", "latest"}
)

func (v Vars) value(name string) (string, bool) {
	var s string
	switch name {
	case "name":
		s = v.Name
	case "coach":
		s = v.Coach
	case "intention":
		s = v.Intention
	case "day":
		s = strconv.Itoa(v.Day)
	case "date":
		s = v.Date
	case "time":
		s = v.Time
	case "timezone":
		s = v.TimeZone
	case "until":
		s = v.Until
	case "latest":
		s = v.Latest
	default:
		return "", false
	}
	return clip(strings.TrimSpace(s), MaxVarLen[name]), true
}

// clip shortens s to at most n characters, ending in "…" when cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// Render replaces the placeholders {name}, {day}, {coach}, {intention}, {date},
// {time}, {timezone} and {until} in text with the values of v, each clipped to
// MaxVarLen. A line with a placeholder whose value is empty is left out, so
// "Your intention: {intention}" on a line of its own disappears when there is
// none (unless every line would go: then the empty values render as nothing).
// Anything else in braces is left as it is; validation reports unknown
// placeholders before a text is used.
func Render(text string, v Vars) string {
	if !strings.Contains(text, "{") {
		return text
	}
	lines := strings.Split(text, "\n")
	kept := lines[:0:0]
	for _, line := range lines {
		if !hasEmptyVar(line, v) {
			kept = append(kept, line)
		}
	}
	if len(kept) == 0 {
		kept = lines
	}
	var b strings.Builder
	b.Grow(len(text))
	for i, line := range kept {
		if i > 0 {
			b.WriteByte('\n')
		}
		renderLine(&b, line, v)
	}
	return b.String()
}

func hasEmptyVar(line string, v Vars) bool {
	for _, name := range placeholders(line) {
		if val, ok := v.value(name); ok && val == "" {
			return true
		}
	}
	return false
}

func renderLine(b *strings.Builder, text string, v Vars) {
	for {
		i, j, name := nextPlaceholder(text)
		if i < 0 {
			b.WriteString(text)
			return
		}
		b.WriteString(text[:i])
		if val, ok := v.value(name); ok {
			b.WriteString(val)
		} else {
			b.WriteString(text[i:j])
		}
		text = text[j:]
	}
}

// nextPlaceholder finds the first {word} in s: its start, its end (after the
// closing brace) and the word. A word starts with a letter or underscore and
// goes on with letters, digits and underscores; other braces are plain text.
func nextPlaceholder(s string) (start, end int, name string) {
	off := 0
	for {
		i := strings.IndexByte(s[off:], '{')
		if i < 0 {
			return -1, -1, ""
		}
		i += off
		j := i + 1
		for j < len(s) && isWordByte(s[j], j == i+1) {
			j++
		}
		if j > i+1 && j < len(s) && s[j] == '}' {
			return i, j + 1, s[i+1 : j]
		}
		off = i + 1
	}
}

func isWordByte(c byte, first bool) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		return true
	case c >= '0' && c <= '9':
		return !first
	}
	return false
}

// placeholders lists the placeholder names used in s, in order.
func placeholders(s string) []string {
	var names []string
	for {
		i, j, name := nextPlaceholder(s)
		if i < 0 {
			return names
		}
		names = append(names, name)
		s = s[j:]
	}
}

// textLen is the length of s as Telegram counts it: UTF-16 code units.
func textLen(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// worstCaseLen is the length of text, in UTF-16 code units, with every known
// placeholder rendered at its longest (MaxVarLen characters, each counted as
// two code units in case they are all outside the Basic Multilingual Plane).
func worstCaseLen(text string) int {
	n := textLen(text)
	for _, name := range placeholders(text) {
		if max, ok := MaxVarLen[name]; ok {
			n += 2*max - (len(name) + 2)
		}
	}
	return n
}
