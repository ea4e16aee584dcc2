package safety_test

import (
	"strings"
	"testing"
	"unicode/utf16"

	"kindling/safety"
)

func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

func TestDefaultCrisisMessage(t *testing.T) {
	for _, lang := range []string{"en", "es"} {
		msg := safety.DefaultCrisisMessage[lang]
		for _, want := range []string{"988", "116 123", "Samaritans", "findahelpline.com"} {
			if !strings.Contains(msg, want) {
				t.Errorf("DefaultCrisisMessage[%q] does not mention %q", lang, want)
			}
		}
		// Whether a coach was told depends on what happened: the bot says
		// it, in its own line, only once it is true.
		if strings.Contains(strings.ToLower(msg), "coach") {
			t.Errorf("DefaultCrisisMessage[%q] speaks of a coach: %q", lang, msg)
		}
		if strings.ContainsAny(msg, "!¡") {
			t.Errorf("DefaultCrisisMessage[%q] has an exclamation mark", lang)
		}
		if n := utf16Len(msg); n > 700 {
			t.Errorf("DefaultCrisisMessage[%q] is %d long, keep it short", lang, n)
		}
	}
}

func TestPlanParts(t *testing.T) {
	wantKeys := []string{"warning_signs", "coping", "people_places", "contacts"}
	if len(safety.PlanParts) != len(wantKeys) {
		t.Fatalf("PlanParts has %d parts, want %d", len(safety.PlanParts), len(wantKeys))
	}
	for i, p := range safety.PlanParts {
		if p.Key != wantKeys[i] {
			t.Errorf("PlanParts[%d].Key = %q, want %q", i, p.Key, wantKeys[i])
		}
		for _, lang := range []string{"en", "es"} {
			if p.Prompt[lang] == "" || p.Heading[lang] == "" {
				t.Errorf("PlanParts[%d] (%s) lacks a %s prompt or heading", i, p.Key, lang)
			}
			if strings.ContainsAny(p.Prompt[lang]+p.Heading[lang], "!¡") {
				t.Errorf("PlanParts[%d] (%s) has an exclamation mark in %s", i, p.Key, lang)
			}
		}
	}
}

func TestCrisisReply(t *testing.T) {
	const msg = "HOTLINES: 988, 116 123, findahelpline.com"
	full := map[string]string{
		"contacts":      "Ana 555 0101",
		"warning_signs": "I stop eating",
		"coping":        "walk the dog",
		"people_places": "the library",
	}
	tests := []struct {
		name string
		plan map[string]string
		lang string
		want string
	}{
		{"no plan", nil, "en", msg},
		{"empty plan", map[string]string{}, "en", msg},
		{"only blank answers", map[string]string{"coping": "  \n ", "contacts": ""}, "en", msg},
		{"full plan, in order", full, "en",
			"Your warning signs\nI stop eating\n\n" +
				"What helps you\nwalk the dog\n\n" +
				"People and places that help\nthe library\n\n" +
				"Who you can call\nAna 555 0101\n\n" + msg},
		{"Spanish headings", map[string]string{"coping": "caminar", "contacts": "Ana"}, "es-MX",
			"Lo que te ayuda\ncaminar\n\nA quién puedes llamar\nAna\n\n" + msg},
		{"unknown language falls back to English", map[string]string{"coping": "marcher"}, "fr",
			"What helps you\nmarcher\n\n" + msg},
		{"answers trimmed, empty skipped, unknown keys ignored",
			map[string]string{"warning_signs": "  racing thoughts \n", "coping": "", "favourite_colour": "blue"}, "en",
			"Your warning signs\nracing thoughts\n\n" + msg},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := safety.CrisisReply(msg, tt.plan, tt.lang); got != tt.want {
				t.Errorf("CrisisReply() =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestCrisisReplyFitsTelegram(t *testing.T) {
	msg := safety.DefaultCrisisMessage["en"]
	long := strings.Repeat("I pace and 🌧 cannot sleep ", 400) // ~10,000 UTF-16 units, emoji count two
	tests := []struct {
		name string
		plan map[string]string
	}{
		{"one long part", map[string]string{"warning_signs": long, "contacts": "Ana 555 0101"}},
		{"every part long", map[string]string{"warning_signs": long, "coping": long, "people_places": long, "contacts": long}},
		{"one word with no spaces", map[string]string{"coping": strings.Repeat("x", 9000)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := safety.CrisisReply(msg, tt.plan, "en")
			if n := utf16Len(got); n > safety.MaxMessageLength {
				t.Fatalf("reply is %d UTF-16 units, want at most %d", n, safety.MaxMessageLength)
			}
			if !strings.HasSuffix(got, "\n\n"+msg) {
				t.Error("the crisis message is not whole at the end of the reply")
			}
			for _, p := range safety.PlanParts {
				if tt.plan[p.Key] == "" {
					continue
				}
				if !strings.Contains(got, p.Heading["en"]+"\n") {
					t.Errorf("heading %q is missing", p.Heading["en"])
				}
			}
			if !strings.Contains(got, "…") {
				t.Error("shortened plan has no ellipsis")
			}
			if tt.plan["contacts"] == "Ana 555 0101" && !strings.Contains(got, "Ana 555 0101") {
				t.Error("a short part was cut to make room for a long one")
			}
		})
	}
}

func TestCrisisReplyUsesTheRoom(t *testing.T) {
	msg := safety.DefaultCrisisMessage["es"]
	long := strings.Repeat("palabra ", 2000)
	got := safety.CrisisReply(msg, map[string]string{"warning_signs": long, "coping": long}, "es")
	if n := utf16Len(got); n > safety.MaxMessageLength || n < safety.MaxMessageLength-100 {
		t.Errorf("reply is %d UTF-16 units, want close to but at most %d", n, safety.MaxMessageLength)
	}
	if !strings.HasPrefix(got, "Tus señales de alerta\npalabra palabra") {
		t.Errorf("reply does not start with the plan: %.60q", got)
	}
}

func TestCrisisReplyNeverCutsTheMessage(t *testing.T) {
	msg := strings.Repeat("call 988. ", 409) // 4090 units: no room for a plan
	got := safety.CrisisReply(msg, map[string]string{"coping": "walk the dog"}, "en")
	if got != msg {
		t.Errorf("CrisisReply with a message that fills Telegram's limit = %d units, want the message alone", utf16Len(got))
	}
}
