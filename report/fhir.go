package report

import (
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"kindling/store"
)

// A clinic's records take in scored check-ins as FHIR R4: FHIRBundle writes
// a Bundle of type collection with one Questionnaire per check-in (its
// items, the options with their scores, the total and the band) and one
// QuestionnaireResponse per check-in a client answered.

// FHIRCheckIn is a check-in as FHIRBundle describes it: the words and
// scores of one language (the clinic's default).
type FHIRCheckIn struct {
	ID, Title, Language string
	Items               []FHIRItem
	Bands               []FHIRBand
}

// FHIRItem is one item of a check-in.
type FHIRItem struct {
	ID, Text string
	Options  []FHIROption
}

// FHIROption is one answer of an item and its score.
type FHIROption struct {
	ID, Label string
	Score     int
}

// FHIRBand is a range of totals and its label.
type FHIRBand struct {
	Min, Max int
	Label    string
}

// FHIROptions are what FHIRBundle needs besides the answers.
type FHIROptions struct {
	// BaseURL, when set (web.base_url), makes the canonical URL of each
	// Questionnaire <BaseURL>/fhir/Questionnaire/<id> and the full URL of
	// each entry <BaseURL>/fhir/<type>/<id>. Empty: urn: names instead.
	BaseURL  string
	CheckIns []FHIRCheckIn
	Now      time.Time // the Bundle's timestamp
}

// FHIRBundle writes every check-in of checkIns whose definition is in
// opts.CheckIns (others are left out: their items are unknown), preceded by
// the Questionnaire of each definition answered. A response is
// "completed" when every item was answered, else "in-progress"; its
// subject is Patient/<chat id>; each answer carries the option as a
// valueCoding and its score as a valueInteger (a nested item
// "<item>-score"); a completed one also carries the total and its band.
func FHIRBundle(w io.Writer, checkIns []store.CheckIn, opts FHIROptions) error {
	defs := map[string]FHIRCheckIn{}
	for _, d := range opts.CheckIns {
		defs[d.ID] = d
	}
	bundle := fhirBundle{ResourceType: "Bundle", Type: "collection", Timestamp: fhirTime(opts.Now)}
	used := map[string]bool{}
	var responses []fhirEntry
	for _, ci := range checkIns {
		def, ok := defs[ci.Instrument]
		if !ok {
			continue
		}
		if !used[def.ID] {
			used[def.ID] = true
			q := questionnaire(def, opts.BaseURL)
			bundle.Entry = append(bundle.Entry, fhirEntry{FullURL: fullURL(opts.BaseURL, "Questionnaire", q.ID), Resource: q})
		}
		r := questionnaireResponse(def, ci, opts.BaseURL)
		responses = append(responses, fhirEntry{FullURL: fullURL(opts.BaseURL, "QuestionnaireResponse", r.ID), Resource: r})
	}
	bundle.Entry = append(bundle.Entry, responses...)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(bundle); err != nil {
		return fmt.Errorf("fhir export: %w", err)
	}
	return nil
}

type fhirBundle struct {
	ResourceType string      `json:"resourceType"`
	Type         string      `json:"type"`
	Timestamp    string      `json:"timestamp,omitempty"`
	Entry        []fhirEntry `json:"entry,omitempty"` // FHIR JSON has no empty arrays
}

type fhirEntry struct {
	FullURL  string `json:"fullUrl"`
	Resource any    `json:"resource"`
}

type fhirQuestionnaire struct {
	ResourceType string              `json:"resourceType"`
	ID           string              `json:"id"`
	URL          string              `json:"url"`
	Name         string              `json:"name"`
	Title        string              `json:"title"`
	Status       string              `json:"status"`
	Language     string              `json:"language,omitempty"`
	Item         []fhirQuestionnItem `json:"item"`
}

type fhirQuestionnItem struct {
	LinkID       string              `json:"linkId"`
	Text         string              `json:"text,omitempty"`
	Type         string              `json:"type"`
	Required     bool                `json:"required,omitempty"`
	ReadOnly     bool                `json:"readOnly,omitempty"`
	AnswerOption []fhirAnswerOption  `json:"answerOption,omitempty"`
	Item         []fhirQuestionnItem `json:"item,omitempty"`
}

type fhirAnswerOption struct {
	Extension   []fhirExtension `json:"extension,omitempty"`
	ValueCoding fhirCoding      `json:"valueCoding"`
}

type fhirExtension struct {
	URL          string `json:"url"`
	ValueDecimal int    `json:"valueDecimal"`
}

type fhirCoding struct {
	System  string `json:"system"`
	Code    string `json:"code"`
	Display string `json:"display,omitempty"`
}

type fhirResponse struct {
	ResourceType  string             `json:"resourceType"`
	ID            string             `json:"id"`
	Questionnaire string             `json:"questionnaire"`
	Status        string             `json:"status"`
	Subject       fhirReference      `json:"subject"`
	Authored      string             `json:"authored,omitempty"`
	Item          []fhirResponseItem `json:"item,omitempty"`
}

type fhirReference struct {
	Reference string `json:"reference"`
}

type fhirResponseItem struct {
	LinkID string       `json:"linkId"`
	Text   string       `json:"text,omitempty"`
	Answer []fhirAnswer `json:"answer,omitempty"`
}

type fhirAnswer struct {
	ValueCoding  *fhirCoding        `json:"valueCoding,omitempty"`
	ValueInteger *int               `json:"valueInteger,omitempty"`
	ValueString  string             `json:"valueString,omitempty"`
	Item         []fhirResponseItem `json:"item,omitempty"`
}

// ordinalValue is FHIR's extension for the score of an answer option.
const ordinalValue = "http://hl7.org/fhir/StructureDefinition/ordinalValue"

// The link ids of the total and the band; an item id is lowercase
// letters, digits, - and _, so neither can clash with one.
const (
	totalLinkID = "total"
	bandLinkID  = "band"
)

func questionnaire(def FHIRCheckIn, base string) fhirQuestionnaire {
	q := fhirQuestionnaire{
		ResourceType: "Questionnaire",
		ID:           fhirID("checkin-" + def.ID),
		URL:          canonical(base, def.ID),
		Name:         fhirName(def.ID),
		Title:        def.Title,
		Status:       "active",
		Language:     def.Language,
	}
	system := optionSystem(base, def.ID)
	for _, it := range def.Items {
		item := fhirQuestionnItem{LinkID: it.ID, Text: it.Text, Type: "choice", Required: true,
			Item: []fhirQuestionnItem{{LinkID: scoreLinkID(it.ID), Text: "Score", Type: "integer", ReadOnly: true}}}
		for _, o := range it.Options {
			item.AnswerOption = append(item.AnswerOption, fhirAnswerOption{
				Extension:   []fhirExtension{{URL: ordinalValue, ValueDecimal: o.Score}},
				ValueCoding: fhirCoding{System: system, Code: o.ID, Display: o.Label},
			})
		}
		q.Item = append(q.Item, item)
	}
	q.Item = append(q.Item, fhirQuestionnItem{LinkID: totalLinkID, Text: "Total", Type: "integer", ReadOnly: true})
	if len(def.Bands) > 0 {
		q.Item = append(q.Item, fhirQuestionnItem{LinkID: bandLinkID, Text: "Band", Type: "string", ReadOnly: true})
	}
	return q
}

func questionnaireResponse(def FHIRCheckIn, ci store.CheckIn, base string) fhirResponse {
	r := fhirResponse{
		ResourceType:  "QuestionnaireResponse",
		ID:            responseID(ci),
		Questionnaire: canonical(base, def.ID),
		Status:        "in-progress",
		Subject:       fhirReference{Reference: "Patient/" + strconv.FormatInt(ci.ChatID, 10)},
		Authored:      fhirTime(ci.UpdatedAt),
	}
	if ci.Complete {
		r.Status = "completed"
	}
	system := optionSystem(base, def.ID)
	answers := map[string]store.CheckInAnswer{}
	for _, a := range ci.Answers {
		answers[a.Item] = a
	}
	for _, it := range def.Items { // in the questionnaire's order
		a, ok := answers[it.ID]
		if !ok {
			continue
		}
		score := a.Score
		r.Item = append(r.Item, fhirResponseItem{LinkID: it.ID, Text: it.Text, Answer: []fhirAnswer{{
			ValueCoding: &fhirCoding{System: system, Code: a.Option, Display: a.Answer},
			Item:        []fhirResponseItem{{LinkID: scoreLinkID(it.ID), Text: "Score", Answer: []fhirAnswer{{ValueInteger: &score}}}},
		}}})
	}
	if ci.Complete {
		total := ci.Total
		r.Item = append(r.Item, fhirResponseItem{LinkID: totalLinkID, Text: "Total", Answer: []fhirAnswer{{ValueInteger: &total}}})
		for _, b := range def.Bands {
			if total >= b.Min && total <= b.Max {
				r.Item = append(r.Item, fhirResponseItem{LinkID: bandLinkID, Text: "Band", Answer: []fhirAnswer{{ValueString: b.Label}}})
			}
		}
	}
	return r
}

func scoreLinkID(item string) string { return item + "-score" }

// canonical is the canonical URL of a check-in's Questionnaire.
func canonical(base, id string) string {
	if base == "" {
		return "urn:kindling:check-in:" + id
	}
	return strings.TrimRight(base, "/") + "/fhir/Questionnaire/" + fhirID("checkin-"+id)
}

// optionSystem names the code system of a check-in's answer options.
func optionSystem(base, id string) string {
	if base == "" {
		return "urn:kindling:check-in:" + id + ":options"
	}
	return canonical(base, id) + "/options"
}

// fullURL is an entry's full URL: under the base URL, or a urn:uuid made
// from the resource's type and id, the same on every export.
func fullURL(base, typ, id string) string {
	if base != "" {
		return strings.TrimRight(base, "/") + "/fhir/" + typ + "/" + id
	}
	h := sha1.Sum([]byte("kindling " + typ + "/" + id))
	h[6] = h[6]&0x0f | 0x50 // version 5: name-based, SHA-1
	h[8] = h[8]&0x3f | 0x80 // the RFC 4122 variant
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// responseID names a check-in: client, date, day and check-in id. A FHIR
// id is at most 64 letters, digits, - and .; a longer one is shortened
// with a hash so that two never meet.
func responseID(ci store.CheckIn) string {
	day := strconv.Itoa(ci.Day)
	if ci.Day < 0 {
		day = "m" + strconv.Itoa(-ci.Day)
	}
	return fhirID(fmt.Sprintf("%d.%s.d%s.%s", ci.ChatID, strings.ReplaceAll(ci.LocalDate, "-", ""), day, ci.Instrument))
}

var notIDChars = regexp.MustCompile(`[^A-Za-z0-9.-]`)

func fhirID(s string) string {
	s = notIDChars.ReplaceAllString(s, "-")
	if len(s) <= 64 {
		return s
	}
	h := sha1.Sum([]byte(s))
	return s[:47] + "." + fmt.Sprintf("%x", h[:8])
}

// fhirName is a check-in id as a Questionnaire's computer-friendly name:
// "after-week_2" is "AfterWeek_2".
func fhirName(id string) string {
	var b strings.Builder
	up := true
	for _, r := range id {
		switch {
		case r == '-':
			up = true
		case up && r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
			up = false
		default:
			b.WriteRune(r)
			up = false
		}
	}
	name := b.String()
	if name == "" || name[0] < 'A' || name[0] > 'Z' {
		name = "CheckIn" + name
	}
	return name
}

func fhirTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
