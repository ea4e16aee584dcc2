package prompts_test

import (
	"testing"
	"time"

	"kindling/prompts"
)

// TestDatesInEachLanguage: the built-in messages write dates with each
// language's names and order, on every weekday and in every month.
func TestDatesInEachLanguage(t *testing.T) {
	en, es := prompts.Default().Messages("en"), prompts.Default().Messages("es")
	for _, tc := range []struct {
		date           string
		en, es         string
		enYear, esYear string
	}{
		{"2026-12-04", "Fri 4 Dec", "vie 4 dic", "Fri 4 Dec 2026", "vie 4 de dic de 2026"},
		{"2026-12-01", "Tue 1 Dec", "mar 1 dic", "Tue 1 Dec 2026", "mar 1 de dic de 2026"},
		{"2026-03-01", "Sun 1 Mar", "dom 1 mar", "Sun 1 Mar 2026", "dom 1 de mar de 2026"},
		{"2026-01-05", "Mon 5 Jan", "lun 5 ene", "Mon 5 Jan 2026", "lun 5 de ene de 2026"},
		{"2026-08-15", "Sat 15 Aug", "sáb 15 ago", "Sat 15 Aug 2026", "sáb 15 de ago de 2026"},
		{"2026-09-09", "Wed 9 Sep", "mié 9 sept", "Wed 9 Sep 2026", "mié 9 de sept de 2026"},
	} {
		d, err := time.Parse("2006-01-02", tc.date)
		if err != nil {
			t.Fatal(err)
		}
		if got := en.Date(d); got != tc.en {
			t.Errorf("en %s: %q, want %q", tc.date, got, tc.en)
		}
		if got := es.Date(d); got != tc.es {
			t.Errorf("es %s: %q, want %q", tc.date, got, tc.es)
		}
		if got := en.DateYear(d); got != tc.enYear {
			t.Errorf("en %s with year: %q, want %q", tc.date, got, tc.enYear)
		}
		if got := es.DateYear(d); got != tc.esYear {
			t.Errorf("es %s with year: %q, want %q", tc.date, got, tc.esYear)
		}
	}
	// Every day of a year in English reads as Go's own layout.
	for d := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() == 2026; d = d.AddDate(0, 0, 1) {
		if got, want := en.DateYear(d), d.Format("Mon 2 Jan 2006"); got != want {
			t.Fatalf("%s: %q, want %q", d.Format(time.DateOnly), got, want)
		}
	}
}
