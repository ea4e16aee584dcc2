package langtag_test

import (
	"testing"

	"kindling/internal/langtag"
)

func TestBase(t *testing.T) {
	for in, want := range map[string]string{
		"es": "es", "es-MX": "es", "ES_mx": "es", " es ": "es", "pt-br": "pt", "zh-Hant-TW": "zh", "": "", "-x": "",
	} {
		if got := langtag.Base(in); got != want {
			t.Errorf("Base(%q) = %q, want %q", in, got, want)
		}
	}
}
