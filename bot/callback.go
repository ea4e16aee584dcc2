package bot

import (
	"strings"

	"kindling/prompts"
)

// Every button the bot sends carries callback data "<kind>|<field>|…":
// the kind says which handler a press goes to, the fields are that
// kind's own. This file is the only place that knows the format; a
// message that is already in a chat keeps its buttons, so a kind's
// letters and its fields' order never change once released.

// callbackKind is the first field of a button's callback data.
type callbackKind string

const (
	// kindAnswer answers a question: "a|<delivery tag>|<question id>|<value>".
	// prompts checks that question ids and answers leave room for the tag.
	kindAnswer callbackKind = prompts.AnswerButtonKind
	// kindConsent is the consent at the start: "c|yes[|<invite code>]" or "c|no".
	kindConsent callbackKind = "c"
	// kindZone chooses a time zone: "tz|<IANA zone>".
	kindZone callbackKind = "tz"
	// kindTime chooses the daily time: "t|<HH:MM>".
	kindTime callbackKind = "t"
	// kindSessionDay logs a session at onboarding: "s|today" or "s|yesterday".
	kindSessionDay callbackKind = "s"
	// kindForget answers /forget: "f|yes|<stamp>" erases every record of the
	// client, "f|no" keeps them. The stamp makes an old confirmation expire.
	kindForget callbackKind = "f"
	// kindSessionRemove asks to remove a logged session: "x|<date>".
	kindSessionRemove callbackKind = "x"
	// kindSessionChoice confirms a choice about sessions: "sx|<choice>|<date>".
	kindSessionChoice callbackKind = "sx"
	// kindMove answers an invite from another coach: "m|<code>" moves, "m|" stays.
	kindMove callbackKind = "m"
	// kindCoachJournal picks a client for /journal: "cj|<days>|<chat id>".
	kindCoachJournal callbackKind = "cj"
	// kindCoachExport picks a client for /export: "ce||<chat id>".
	kindCoachExport callbackKind = "ce"
	// kindCoachSession picks a client for /session <client> <date>:
	// "cs|<date>|<chat id>".
	kindCoachSession callbackKind = "cs"
	// kindAlert acts on a safety alert: "al|k|<chat id>|<alert time>" (on
	// it) or "al|r|<chat id>|<alert time>" (resolved), the time in Unix
	// nanoseconds. It is the only kind acted on in a group chat.
	kindAlert callbackKind = "al"
	// kindCheck answers the safety check question:
	// "ck|<y, n or p>|<time of the check, Unix nanoseconds>".
	kindCheck callbackKind = "ck"
	// kindCheckIn answers an item of a scored check-in:
	// "ci|<delivery tag>|<check-in id>|<item id>|<option id>". prompts
	// checks that the ids leave room for the tag.
	kindCheckIn callbackKind = prompts.CheckInButtonKind
	// kindNoop is an inert button, such as one that shows what was chosen.
	kindNoop callbackKind = "noop"
)

// maxCallbackData is Telegram's limit on a button's callback data, in bytes.
const maxCallbackData = 64

// callbackData builds the callback data of a button of kind. Telegram
// refuses a whole message when one button's data is longer than
// maxCallbackData, so such a button is made inert instead: the person
// still gets the message. Every field is bounded where it is made
// (prompts checks question ids and answers; the rest are dates, numbers
// and fixed words), and a test holds each kind to the limit.
func callbackData(kind callbackKind, fields ...string) string {
	if kind == kindNoop {
		return string(kindNoop)
	}
	data := string(kind) + "|" + strings.Join(fields, "|")
	if len(data) > maxCallbackData {
		return string(kindNoop)
	}
	return data
}

// parseCallback splits callback data into its kind and the fields after
// it, still joined by "|": each handler reads its own fields.
func parseCallback(data string) (kind callbackKind, rest string) {
	k, rest, _ := strings.Cut(data, "|")
	return callbackKind(k), rest
}
