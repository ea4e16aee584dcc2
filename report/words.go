package report

import (
	"fmt"
	"kindling/internal/langtag"
	"time"
)

// words are the package's own words in one language. Client text never
// passes through them.
type words struct {
	dayAxis    string // x axis of the chart
	chartTitle string // a chart's title when its question has no label
	sessionOf  string // legend entry, %s is a short date
	months     [12]string
	short      [12]string
	longDate   string // %d day, %s month, %d year

	letter       LetterFrame // the default frame
	afterSession string      // %s is a long date
	intention    string
	journal      string
	voice        string // %s is a duration
	letterFile   string // the letter's file name before "-<session date>.pdf"
	notShown     string // under an answer the PDF could not draw in full
	page         string // the letter's footer: %d is the page, %s the count

	// DataMarkdown
	dataTitle, exported, jsonNote              string
	settings, name, username, language, zone   string
	sendTime, sequence, status, pausedUntil    string
	coach, chatID, consent, joined, nextCheck  string
	setup, flow, safetyPlan                    string
	sessions, logged, note, answers, noSession string
	day, answered, edited, earlier, flagged    string
	deliveries, date, session, asked, state    string
	voiceFile, none, questionsOf, manual       string
	statuses                                   map[string]string
	planParts                                  map[string]string
	seconds, minutes, outOf, dayColumn         string
	alerts                                     string
}

var english = words{
	dayAxis:    "Day since session",
	chartTitle: "Your answers on this scale",
	sessionOf:  "Session of %s",
	months: [12]string{"January", "February", "March", "April", "May", "June",
		"July", "August", "September", "October", "November", "December"},
	short:    [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
	longDate: "%d %s %d",
	letter: LetterFrame{
		Title:      "Your words from these weeks",
		Opening:    "Here is what you wrote after your session, day by day, exactly as you wrote it.",
		DayHeading: "Day {day}",
		Closing:    "These words are yours to keep and come back to.",
	},
	afterSession: "After your session of %s",
	intention:    "What you hoped for from this session:",
	journal:      "From your journal",
	voice:        "(a voice note, %s)",
	letterFile:   "your-month",
	page:         "Page %d of %s",
	notShown:     "Some characters here cannot be drawn in this PDF. Your words are kept exactly as you wrote them in your data (/mydata).",

	dataTitle:   "Your data in kindling",
	exported:    "Exported %s.",
	jsonNote:    "This file is for reading. kindling-mydata.json beside it holds the same records, complete and machine-readable.",
	settings:    "Settings",
	name:        "Name",
	username:    "Username",
	language:    "Language",
	zone:        "Time zone",
	sendTime:    "Daily time",
	sequence:    "Sequence",
	status:      "Status",
	pausedUntil: "paused until %s",
	coach:       "Coach (Telegram user id)",
	chatID:      "Chat id",
	consent:     "Consent given",
	joined:      "Joined",
	nextCheck:   "Next scheduled check",
	setup:       "Setup step still open",
	flow:        "Unfinished exchange",
	safetyPlan:  "Your safety plan",
	sessions:    "Sessions",
	logged:      "Logged",
	note:        "Note",
	answers:     "Answers",
	noSession:   "Without a session",
	day:         "Day %d",
	dayColumn:   "Day",
	answered:    "answered %s",
	edited:      "edited",
	earlier:     "Earlier version, %s:",
	flagged:     "flagged for a safety check",
	deliveries:  "Days kindling wrote to you",
	alerts:      "Times the safety net fired",
	date:        "Date",
	session:     "Session",
	asked:       "Questions",
	state:       "State",
	voiceFile:   "saved as %s",
	none:        "None.",
	questionsOf: "%d of %d answered",
	manual:      "asked with /today",
	statuses: map[string]string{
		"active": "active", "paused": "paused", "stopped": "stopped",
		"unreachable": "unreachable (Telegram could not deliver)",
	},
	planParts: map[string]string{
		"warning_signs": "Warning signs", "coping": "What helps me cope",
		"people_places": "People and places", "contacts": "Who to contact",
	},
	seconds: "%d s",
	minutes: "%d min %d s",
	outOf:   "%d / %d",
}

var spanish = words{
	dayAxis:    "Días desde la sesión",
	chartTitle: "Tus respuestas en esta escala",
	sessionOf:  "Sesión del %s",
	months: [12]string{"enero", "febrero", "marzo", "abril", "mayo", "junio",
		"julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"},
	short:    [12]string{"ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"},
	longDate: "%d de %s de %d",
	letter: LetterFrame{
		Title:      "Tus palabras de estas semanas",
		Opening:    "Aquí está lo que escribiste después de tu sesión, día a día, tal como lo escribiste.",
		DayHeading: "Día {day}",
		Closing:    "Estas palabras son tuyas, para guardarlas y volver a ellas.",
	},
	afterSession: "Después de tu sesión del %s",
	intention:    "Lo que esperabas de esta sesión:",
	journal:      "De tu diario",
	voice:        "(una nota de voz, %s)",
	letterFile:   "tu-mes",
	page:         "Página %d de %s",
	notShown:     "Algunos caracteres no se pueden mostrar en este PDF. Tus palabras se guardan tal como las escribiste en tus datos (/mydata).",

	dataTitle:   "Tus datos en kindling",
	exported:    "Exportado el %s.",
	jsonNote:    "Este archivo es para leer. kindling-mydata.json, a su lado, contiene los mismos registros, completos y legibles por máquina.",
	settings:    "Ajustes",
	name:        "Nombre",
	username:    "Usuario",
	language:    "Idioma",
	zone:        "Zona horaria",
	sendTime:    "Hora diaria",
	sequence:    "Secuencia",
	status:      "Estado",
	pausedUntil: "en pausa hasta %s",
	coach:       "Acompañante (id de usuario de Telegram)",
	chatID:      "Id del chat",
	consent:     "Consentimiento dado",
	joined:      "Alta",
	nextCheck:   "Próxima revisión programada",
	setup:       "Paso de configuración pendiente",
	flow:        "Conversación sin terminar",
	safetyPlan:  "Tu plan de seguridad",
	sessions:    "Sesiones",
	logged:      "Registrada",
	note:        "Nota",
	answers:     "Respuestas",
	noSession:   "Sin sesión",
	day:         "Día %d",
	dayColumn:   "Día",
	answered:    "respondida %s",
	edited:      "editada",
	earlier:     "Versión anterior, %s:",
	flagged:     "marcada para una revisión de seguridad",
	deliveries:  "Días en que kindling te escribió",
	alerts:      "Veces que se activó la red de seguridad",
	date:        "Fecha",
	session:     "Sesión",
	asked:       "Preguntas",
	state:       "Estado",
	voiceFile:   "guardada como %s",
	none:        "Ninguna.",
	questionsOf: "%d de %d respondidas",
	manual:      "pedido con /today",
	statuses: map[string]string{
		"active": "activo", "paused": "en pausa", "stopped": "detenido",
		"unreachable": "inalcanzable (Telegram no pudo entregar)",
	},
	planParts: map[string]string{
		"warning_signs": "Señales de alerta", "coping": "Lo que me ayuda",
		"people_places": "Personas y lugares", "contacts": "A quién contactar",
	},
	seconds: "%d s",
	minutes: "%d min %d s",
	outOf:   "%d / %d",
}

// wordsFor picks Spanish for "es" and its regional forms ("es-MX"), English
// for anything else.
func wordsFor(lang string) words {
	if langtag.Base(lang) == "es" {
		return spanish
	}
	return english
}

const dateLayout = "2006-01-02"

func parseDate(s string) (time.Time, bool) {
	t, err := time.Parse(dateLayout, s)
	return t, err == nil
}

// longDate writes "2 March 2025" or "2 de marzo de 2025"; a date that does
// not parse is returned as it is.
func longDate(lang, s string) string {
	t, ok := parseDate(s)
	if !ok {
		return s
	}
	w := wordsFor(lang)
	return fmt.Sprintf(w.longDate, t.Day(), w.months[t.Month()-1], t.Year())
}

// shortDate writes "2 Mar" or "2 mar".
func shortDate(lang string, t time.Time) string {
	return fmt.Sprintf("%d %s", t.Day(), wordsFor(lang).short[t.Month()-1])
}

// duration writes seconds as "42 s" or "2 min 5 s".
func (w words) duration(seconds int) string {
	if seconds < 60 {
		return fmt.Sprintf(w.seconds, seconds)
	}
	return fmt.Sprintf(w.minutes, seconds/60, seconds%60)
}
