package safety

import (
	"kindling/internal/langtag"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxMessageLength is Telegram's limit on a text message. CrisisReply counts
// it in UTF-16 code units, as Telegram does, which is never fewer than the
// characters a person sees.
const MaxMessageLength = 4096

// DefaultCrisisMessage is what the bot says at once, instead of the usual
// acknowledgement, when the net fires and config.yaml has no message of its
// own. It is plain text for Telegram, keyed by base language. It says
// nothing of a coach: the bot adds that line, and only what is true.
var DefaultCrisisMessage = map[string]string{
	"en": `What you just wrote matters.

This chat is not watched around the clock. If you are in danger now, please call your local emergency number.

You can talk to someone right now:
US and Canada: call or text 988, day and night
UK and Ireland: Samaritans, 116 123, day and night
Anywhere else: findahelpline.com

You do not have to carry this alone.`,
	"es": `Lo que acabas de escribir importa.

Este chat no se lee a todas horas. Si estás en peligro ahora, llama al número de emergencias de tu país.

Puedes hablar con alguien ahora mismo:
Estados Unidos y Canadá: llama o escribe al 988, a cualquier hora (marca 2 para español)
Reino Unido e Irlanda: Samaritans, 116 123, a cualquier hora
En otros países: findahelpline.com

No tienes que cargar con esto a solas.`,
}

// Keys of a client's safety plan, in the order CrisisReply shows them.
const (
	PlanWarningSigns = "warning_signs"
	PlanCoping       = "coping"
	PlanPeople       = "people_places"
	PlanContacts     = "contacts"
)

// PlanPart is one section of a client's safety plan: the question the bot asks
// while the client writes it, and the heading their answer is shown under.
// Prompt and Heading are keyed by base language.
type PlanPart struct {
	Key     string
	Prompt  map[string]string
	Heading map[string]string
}

// PlanParts are the sections of a safety plan, in order. They follow the
// co-created safety plans clients actually reach for in a crisis: their own
// warning signs, what helps them cope, people and places, and who to call.
var PlanParts = []PlanPart{
	{
		Key: PlanWarningSigns,
		Prompt: map[string]string{
			"en": "What are the signs, in you, that a hard moment is building? Thoughts, feelings, things you start to do. Your own words are best.",
			"es": "¿Qué señales notas en ti cuando se acerca un momento difícil? Pensamientos, sentimientos, cosas que empiezas a hacer. Con tus propias palabras.",
		},
		Heading: map[string]string{"en": "Your warning signs", "es": "Tus señales de alerta"},
	},
	{
		Key: PlanCoping,
		Prompt: map[string]string{
			"en": "When you notice those signs, what helps you get through, even a little? Things you can do on your own.",
			"es": "Cuando notas esas señales, ¿qué te ayuda a atravesarlo, aunque sea un poco? Cosas que puedes hacer por tu cuenta.",
		},
		Heading: map[string]string{"en": "What helps you", "es": "Lo que te ayuda"},
	},
	{
		Key: PlanPeople,
		Prompt: map[string]string{
			"en": "Which people and places help take your mind off things, or make you feel a bit safer?",
			"es": "¿Qué personas y lugares te ayudan a despejarte o a sentirte un poco más a salvo?",
		},
		Heading: map[string]string{"en": "People and places that help", "es": "Personas y lugares que te ayudan"},
	},
	{
		Key: PlanContacts,
		Prompt: map[string]string{
			"en": "Who can you call or message when things get hard? Add their numbers if you like.",
			"es": "¿A quién puedes llamar o escribir cuando las cosas se ponen difíciles? Si quieres, añade sus números.",
		},
		Heading: map[string]string{"en": "Who you can call", "es": "A quién puedes llamar"},
	},
}

// minPartRoom is the fewest UTF-16 units of a plan answer worth showing; below
// it the plan is left out rather than shown as fragments.
const minPartRoom = 24

// CrisisReply is the text sent when the net fires: the client's own safety
// plan first, each non-empty part of PlanParts under its heading in the
// client's language (English when there is none), then message, the crisis
// message with its hotlines.
//
// The reply fits in MaxMessageLength. When the plan is too long, its answers
// are shortened at a word, with "…", sharing the room fairly so a long list of
// warning signs never pushes out who to call. message itself is never cut: if
// it leaves no room for the plan, the reply is message alone. With no plan,
// the reply is message.
func CrisisReply(message string, plan map[string]string, lang string) string {
	lang = langtag.Base(lang)
	type part struct{ heading, text string }
	var parts []part
	for _, p := range PlanParts {
		text := strings.TrimSpace(plan[p.Key])
		if text == "" {
			continue
		}
		h, ok := p.Heading[lang]
		if !ok {
			h = p.Heading["en"]
		}
		parts = append(parts, part{h, text})
	}
	if len(parts) == 0 {
		return message
	}

	// Each part costs "heading\ntext\n\n" before the message.
	room := MaxMessageLength - utf16Len(message)
	want := make([]int, len(parts))
	for i, p := range parts {
		room -= utf16Len(p.heading) + 3
		want[i] = utf16Len(p.text)
	}
	if room < len(parts)*minPartRoom {
		return message
	}
	give := share(want, room)

	var b strings.Builder
	for i, p := range parts {
		b.WriteString(p.heading)
		b.WriteByte('\n')
		b.WriteString(shorten(p.text, give[i]))
		b.WriteString("\n\n")
	}
	b.WriteString(message)
	return b.String()
}

// share divides room between parts that want want[i] each: parts that need
// less than an equal share get what they need, and the rest is split evenly
// among the longer ones.
func share(want []int, room int) []int {
	give := make([]int, len(want))
	left := len(want)
	done := make([]bool, len(want))
	for left > 0 {
		each := room / left
		settled := false
		for i, w := range want {
			if !done[i] && w <= each {
				give[i], done[i] = w, true
				room -= w
				left--
				settled = true
			}
		}
		if !settled {
			for i := range want {
				if !done[i] {
					give[i] = each
				}
			}
			break
		}
	}
	return give
}

// shorten returns s if it fits in limit UTF-16 units, or else its beginning,
// cut at a word where one is near, and "…".
func shorten(s string, limit int) string {
	if utf16Len(s) <= limit {
		return s
	}
	limit-- // for "…"
	cut, used := 0, 0
	for cut < len(s) {
		r, size := utf8.DecodeRuneInString(s[cut:])
		if used+utf16RuneLen(r) > limit {
			break
		}
		used += utf16RuneLen(r)
		cut += size
	}
	head := s[:cut]
	// Back up to a space if one is in the last fifth, so no word is split.
	if i := strings.LastIndexFunc(head, unicode.IsSpace); i > 0 && i >= len(head)*4/5 {
		head = head[:i]
	}
	return strings.TrimRightFunc(head, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r)
	}) + "…"
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16RuneLen(r)
	}
	return n
}

func utf16RuneLen(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}
