package bot

import (
	"strconv"
	"strings"
	"testing"

	"kindling/prompts"
	"kindling/store"
)

// TestCallbackDataFits holds every kind of button, with its fields at
// their longest, to Telegram's limit, and reads each back to its kind.
func TestCallbackDataFits(t *testing.T) {
	longest := func(n int) string { return strings.Repeat("q", n) }
	// "a|<qid>|<value>" may be prompts.MaxButtonData bytes; the delivery
	// tag of day 46655 (three base-36 digits, 127 years) is the longest tag
	// the bot is ever expected to make.
	qid := longest(prompts.MaxButtonData - len("a|") - len("|10"))
	answer := answerData(&store.Delivery{LocalDate: "2026-12-31", Day: 46655}, qid, "10")
	// "ci|<check-in>|<item>|<option>" may be prompts.MaxButtonData bytes too.
	item := longest(prompts.MaxButtonData - len("ci|w|") - len("|most-days"))
	checkIn := checkInKeyboard(&store.Delivery{LocalDate: "2026-12-31", Day: 46655},
		prompts.Question{CheckIn: "w", Item: item, Choice: &prompts.Choice{Options: []prompts.Option{{ID: "most-days"}}}})[0][0].Data
	chat := strconv.FormatInt(-1001234567890123, 10)
	nanos := strconv.FormatInt(1<<63-1, 10)
	for _, tc := range []struct {
		kind callbackKind
		data string
	}{
		{kindAnswer, answer},
		{kindCheckIn, checkIn},
		{kindConsent, callbackData(kindConsent, "yes", longest(20))}, // a 15-byte invite code in base64
		{kindZone, callbackData(kindZone, "America/Argentina/ComodRivadavia")},
		{kindTime, callbackData(kindTime, "23:59")},
		{kindSessionDay, callbackData(kindSessionDay, "yesterday")},
		{kindForget, callbackData(kindForget, "yes", strconv.FormatInt(1<<63-1, 36))},
		{kindSessionRemove, callbackData(kindSessionRemove, "2026-12-31")},
		{kindSessionChoice, callbackData(kindSessionChoice, sessionCountFrom, "2026-12-31")},
		{kindMove, callbackData(kindMove, longest(20))},
		{kindCoachJournal, callbackData(kindCoachJournal, "3650", chat)},
		{kindCoachExport, callbackData(kindCoachExport, "", chat)},
		{kindAlert, callbackData(kindAlert, "r", chat, nanos)},
		{kindCheck, callbackData(kindCheck, "p", nanos)},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			if len(tc.data) > maxCallbackData {
				t.Fatalf("%q is %d bytes, Telegram allows %d", tc.data, len(tc.data), maxCallbackData)
			}
			if kind, _ := parseCallback(tc.data); kind != tc.kind {
				t.Fatalf("%q reads back as kind %q, want %q", tc.data, kind, tc.kind)
			}
		})
	}
}

func TestCallbackDataFormat(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{callbackData(kindForget, "no"), "f|no"},
		{callbackData(kindMove, ""), "m|"},
		{callbackData(kindCoachExport, "", "8002"), "ce||8002"},
		{callbackData(kindAlert, "k", "8002", "17"), "al|k|8002|17"},
		{callbackData(kindNoop), "noop"},
		{answerData(&store.Delivery{LocalDate: "2026-03-01", Day: 40}, "mood", "5"), "a|26030114|mood|5"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	kind, rest := parseCallback("sx|c|2026-01-05")
	if kind != kindSessionChoice || rest != "c|2026-01-05" {
		t.Errorf("parse: got %q, %q", kind, rest)
	}
}

// TestCallbackDataTooLong: data Telegram would refuse, with the whole
// message, becomes an inert button instead.
func TestCallbackDataTooLong(t *testing.T) {
	if got := callbackData(kindMove, strings.Repeat("x", maxCallbackData)); got != string(kindNoop) {
		t.Fatalf("got %q, want the inert %q", got, kindNoop)
	}
	if got := callbackData(kindMove, strings.Repeat("x", maxCallbackData-len("m|"))); len(got) != maxCallbackData {
		t.Fatalf("data of exactly %d bytes was changed to %q", maxCallbackData, got)
	}
}
