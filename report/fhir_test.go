package report_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"kindling/internal/fhircheck"
	"kindling/report"
	"kindling/store"
)

var fhirDef = report.FHIRCheckIn{
	ID: "wellbeing", Title: "How the past week has been", Language: "en",
	Items: []report.FHIRItem{
		{ID: "heavy", Text: "My mood felt low or heavy.", Options: []report.FHIROption{{"not-at-all", "Not at all", 0}, {"often", "Often", 2}}},
		{ID: "harm", Text: "I had thoughts of hurting myself.", Options: []report.FHIROption{{"not-at-all", "Not at all", 0}, {"often", "Often", 2}}},
	},
	Bands: []report.FHIRBand{{0, 1, "settled"}, {2, 4, "a hard time"}},
}

func fhirCheckIns() []store.CheckIn {
	at := time.Date(2026, 3, 8, 9, 5, 0, 0, time.UTC)
	done := store.CheckIn{ChatID: 8001, Instrument: "wellbeing", LocalDate: "2026-03-08", Day: 7, SessionDate: "2026-03-01", Language: "es", Items: 2}
	done.Add(store.CheckInAnswer{Item: "harm", Option: "not-at-all", Answer: "Nada", Score: 0, At: at})
	done.Add(store.CheckInAnswer{Item: "heavy", Option: "often", Answer: "A menudo", Score: 2, At: at.Add(time.Minute)})
	half := store.CheckIn{ChatID: 8001, Instrument: "wellbeing", LocalDate: "2026-02-28", Day: -1, SessionDate: "2026-03-01", Language: "en", Items: 2}
	half.Add(store.CheckInAnswer{Item: "heavy", Option: "often", Answer: "Often", Score: 2, At: at.AddDate(0, 0, -8)})
	unknown := store.CheckIn{ChatID: 8002, Instrument: "gone", LocalDate: "2026-03-08", Items: 1}
	return []store.CheckIn{half, done, unknown}
}

// TestFHIRBundle: the export is a collection of one Questionnaire and a
// QuestionnaireResponse per check-in, each answer with its coding and
// score, and passes the npm fhir package's R4 validator.
func TestFHIRBundle(t *testing.T) {
	for _, base := range []string{"", "https://care.example.org/"} {
		t.Run("base "+base, func(t *testing.T) {
			var out bytes.Buffer
			err := report.FHIRBundle(&out, fhirCheckIns(), report.FHIROptions{BaseURL: base, CheckIns: []report.FHIRCheckIn{fhirDef}, Now: time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)})
			if err != nil {
				t.Fatal(err)
			}
			var b struct {
				ResourceType, Type string
				Entry              []struct {
					FullURL  string `json:"fullUrl"`
					Resource map[string]any
				}
			}
			if err := json.Unmarshal(out.Bytes(), &b); err != nil {
				t.Fatal(err)
			}
			if b.ResourceType != "Bundle" || b.Type != "collection" || len(b.Entry) != 3 {
				t.Fatalf("bundle %s %s with %d entries, want a collection of 3", b.ResourceType, b.Type, len(b.Entry))
			}
			q, half, done := b.Entry[0].Resource, b.Entry[1].Resource, b.Entry[2].Resource
			wantURL := "urn:kindling:check-in:wellbeing"
			if base != "" {
				wantURL = "https://care.example.org/fhir/Questionnaire/checkin-wellbeing"
				if b.Entry[0].FullURL != wantURL {
					t.Errorf("fullUrl %s, want %s", b.Entry[0].FullURL, wantURL)
				}
			} else if !strings.HasPrefix(b.Entry[1].FullURL, "urn:uuid:") {
				t.Errorf("fullUrl %s, want a urn:uuid", b.Entry[1].FullURL)
			}
			if q["resourceType"] != "Questionnaire" || q["url"] != wantURL || done["questionnaire"] != wantURL {
				t.Errorf("questionnaire %v at %v; response points to %v", q["resourceType"], q["url"], done["questionnaire"])
			}
			if half["status"] != "in-progress" || done["status"] != "completed" || done["subject"].(map[string]any)["reference"] != "Patient/8001" {
				t.Errorf("statuses %v, %v; subject %v", half["status"], done["status"], done["subject"])
			}
			items, _ := json.Marshal(done["item"])
			for _, want := range []string{ // keys as encoding/json sorts them
				`{"answer":[{"item":[{"answer":[{"valueInteger":2}],"linkId":"heavy-score","text":"Score"}],"valueCoding":{"code":"often","display":"A menudo","system":"`,
				`{"answer":[{"valueInteger":2}],"linkId":"total","text":"Total"}`,
				`{"answer":[{"valueString":"a hard time"}],"linkId":"band","text":"Band"}`,
			} {
				if !strings.Contains(string(items), want) {
					t.Errorf("completed response items lack %s:\n%s", want, items)
				}
			}
			if items, _ := json.Marshal(half["item"]); strings.Contains(string(items), `"total"`) {
				t.Errorf("a check-in left half done carries a total: %s", items)
			}
			fhircheck.Validate(t, out.Bytes())
		})
	}
}

// TestFHIRValidatorRejects: the validator is not a formality: a response
// with a status FHIR does not know is refused.
func TestFHIRValidatorRejects(t *testing.T) {
	var out bytes.Buffer
	if err := report.FHIRBundle(&out, fhirCheckIns(), report.FHIROptions{CheckIns: []report.FHIRCheckIn{fhirDef}}); err != nil {
		t.Fatal(err)
	}
	bad := bytes.Replace(out.Bytes(), []byte(`"status": "completed"`), []byte(`"status": "finished"`), 1)
	if bytes.Equal(bad, out.Bytes()) {
		t.Fatal("no completed status to break")
	}
	if msg, ok := fhircheck.Check(t, bad); ok {
		t.Fatalf("the validator took a bundle with status \"finished\":\n%s", msg)
	}
}
