package prompts

import (
	"slices"
	"strings"
)

// An Instrument is a scored check-in: a short questionnaire asked one item
// at a time with buttons, whose answers add up to a total that falls in a
// band. It is defined once per language in its own file (a top-level
// `check_in:` key) and placed on days of a sequence with `check_in: <id>`.
//
// Every language of one instrument has the same items, options, scores,
// bands and rules; only the words differ. The load checks it.
type Instrument struct {
	ID, Language, Name string
	File               string // file name inside the loaded directory
	// Intro is shown above the first item (the stem of the questionnaire,
	// such as "Over the last two weeks ..."); may be empty.
	Intro string
	Items []Item
	Bands []Band // sorted, covering MinTotal..MaxTotal with no gap or overlap
	// Safety, when set, names the item whose score at or above AtLeast
	// starts the safety net's check at once.
	Safety   *SafetyItem
	Baseline Baseline
	// Response and Remission are reached when the total has fallen enough
	// from the baseline, or below a bound; nil when not defined.
	Response  *Response
	Remission *Remission
	Line      int // line of the check_in: key
}

// Item is one question of an instrument, answered with one of its options.
// Each option carries the item's score for that answer.
type Item struct {
	ID      string
	Text    string
	Options []Option // every Option has Score set
	Line    int
}

// Band is a range of totals, both ends included, with a label and a
// severity.
type Band struct {
	Min, Max int
	Label    string
	Severity Severity
	Line     int
}

// Severity grades a band, from none to severe.
type Severity string

// The severities a band may have, mildest first.
const (
	SeverityNone             Severity = "none"
	SeverityMild             Severity = "mild"
	SeverityModerate         Severity = "moderate"
	SeverityModeratelySevere Severity = "moderately-severe"
	SeveritySevere           Severity = "severe"
)

// Severities lists the severities, mildest first.
var Severities = []Severity{SeverityNone, SeverityMild, SeverityModerate, SeverityModeratelySevere, SeveritySevere}

// Rank is the position of s among Severities (0 for none), or -1.
func (s Severity) Rank() int { return slices.Index(Severities, s) }

// SafetyItem is the item of an instrument that starts the safety check.
type SafetyItem struct {
	Item    string
	AtLeast int
}

// Baseline says which total later ones are compared with.
type Baseline string

// The baseline rules.
const (
	// BaselineBeforeSession is the last complete total taken before the
	// client's first session (a negative day), else the first complete
	// total after it. It is the default.
	BaselineBeforeSession Baseline = "before-session"
	// BaselineFirst is the first complete total, whenever it was taken.
	BaselineFirst Baseline = "first"
)

// Response is reached when the total has dropped by at least DropPercent
// percent of the baseline.
type Response struct {
	DropPercent int
}

// Remission is reached when the total is below Below.
type Remission struct {
	Below int
}

// MinTotal is the lowest total: every item at its lowest score.
func (in *Instrument) MinTotal() int {
	n := 0
	for _, it := range in.Items {
		lo, _ := it.scoreRange()
		n += lo
	}
	return n
}

// MaxTotal is the highest total: every item at its highest score.
func (in *Instrument) MaxTotal() int {
	n := 0
	for _, it := range in.Items {
		_, hi := it.scoreRange()
		n += hi
	}
	return n
}

func (it Item) scoreRange() (lo, hi int) {
	for i, o := range it.Options {
		if i == 0 || o.Score < lo {
			lo = o.Score
		}
		if i == 0 || o.Score > hi {
			hi = o.Score
		}
	}
	return lo, hi
}

// Item returns the item with that id.
func (in *Instrument) Item(id string) (Item, bool) {
	for _, it := range in.Items {
		if it.ID == id {
			return it, true
		}
	}
	return Item{}, false
}

// BandOf returns the band of a total; false when the total is outside
// MinTotal..MaxTotal.
func (in *Instrument) BandOf(total int) (Band, bool) {
	for _, b := range in.Bands {
		if total >= b.Min && total <= b.Max {
			return b, true
		}
	}
	return Band{}, false
}

// StartsCheck reports whether score on item starts the safety check.
func (in *Instrument) StartsCheck(item string, score int) bool {
	return in.Safety != nil && in.Safety.Item == item && score >= in.Safety.AtLeast
}

// CheckInQuestionID is the question id under which an item's answer is
// stored: "<instrument>.<item>". A question written in a sequence cannot
// have a dot in its id, so the two never collide.
func CheckInQuestionID(instrument, item string) string { return instrument + "." + item }

// SplitCheckInQuestionID reads a question id made by CheckInQuestionID.
func SplitCheckInQuestionID(qid string) (instrument, item string, ok bool) {
	return strings.Cut(qid, ".")
}

// CheckInButtonKind is the first field of a check-in item's button:
// "ci|<delivery tag>|<instrument>|<item>|<option id>". The bot builds the
// buttons with it; it is here so that validation and the bot agree.
const CheckInButtonKind = "ci"

// question is an item as the question a step asks.
func (in *Instrument) question(i int) Question {
	it := in.Items[i]
	text := it.Text
	if i == 0 && in.Intro != "" {
		text = in.Intro + "\n\n" + text
	}
	return Question{
		ID:      CheckInQuestionID(in.ID, it.ID),
		Text:    text,
		Label:   in.Name,
		Kind:    KindChoice,
		Choice:  &Choice{Options: slices.Clone(it.Options)},
		CheckIn: in.ID,
		Item:    it.ID,
		Line:    it.Line,
	}
}

// Instruments returns every instrument in every language, sorted by id,
// then language.
func (s *Set) Instruments() []*Instrument { return slices.Clone(s.insts) }

// Instrument returns the instrument id in the language closest to lang,
// as Sequence does.
func (s *Set) Instrument(id, lang string) (*Instrument, bool) {
	byLang, ok := s.instByID[id]
	if !ok {
		return nil, false
	}
	for _, l := range fallbackLangs(lang, s.defaultLang) {
		if in, ok := byLang[l]; ok {
			return in, true
		}
	}
	for _, in := range s.insts {
		if in.ID == id {
			return in, true
		}
	}
	return nil, false
}

// Score is the total of one complete check-in, for Progress.
type Score struct {
	LocalDate string // "2006-01-02", when it was taken
	Total     int
}

// Progress is where a client stands on an instrument: the latest total,
// its band, and how it compares with the baseline.
type Progress struct {
	Latest   Score
	Band     Band
	Baseline Score
	// HasBaseline is false while the latest total is the baseline itself
	// (or no baseline can be chosen): there is nothing to compare yet.
	HasBaseline bool
	Change      int // Latest.Total - Baseline.Total
	// Response and Remission say whether the instrument's rules are met
	// by the latest total; always false without a baseline.
	Response, Remission bool
}

// Progress compares the latest of scores (complete check-ins, oldest
// first) with the baseline chosen by the instrument's rule. firstSession
// is the date of the client's first session, "" when none is logged. It
// returns false when scores is empty.
func (in *Instrument) Progress(scores []Score, firstSession string) (Progress, bool) {
	if len(scores) == 0 {
		return Progress{}, false
	}
	last := len(scores) - 1
	p := Progress{Latest: scores[last]}
	p.Band, _ = in.BandOf(p.Latest.Total)
	base := 0
	if in.Baseline != BaselineFirst && firstSession != "" {
		base = -1
		for i, s := range scores {
			if s.LocalDate < firstSession {
				base = i // the last one before the session
			}
		}
		if base < 0 {
			base = 0 // none before: the first after
		}
	}
	if base == last {
		return p, true
	}
	p.Baseline, p.HasBaseline = scores[base], true
	p.Change = p.Latest.Total - p.Baseline.Total
	if r := in.Response; r != nil && p.Baseline.Total > 0 {
		p.Response = (p.Baseline.Total-p.Latest.Total)*100 >= r.DropPercent*p.Baseline.Total
	}
	if r := in.Remission; r != nil {
		p.Remission = p.Latest.Total < r.Below
	}
	return p, true
}
