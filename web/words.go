package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"kindling/internal/langtag"
	"kindling/prompts"
)

// words are the workspace's own words in a coach's language: English as
// the code and the templates write it, and for another language a
// translation by the English text (one missing falls back to English).
// Dates are written as the bot writes them, from the prompts' messages.
type words struct {
	Lang string
	tr   map[string]string
	msgs prompts.Messages
}

// translations are the languages the pages are written in besides
// English, by the English text.
var translations = map[string]map[string]string{"es": spanish}

// words are the words of lang (a Telegram language code; "" or one with
// no translation: English).
func (s *Server) words(lang string) words {
	lang = langtag.Base(lang)
	tr, ok := translations[lang]
	if !ok {
		lang = "en"
	}
	return words{Lang: lang, tr: tr, msgs: s.opts.Prompts().Messages(lang)}
}

// browserWords are the words of the browser's first language, for the
// pages shown before anyone has signed in.
func (s *Server) browserWords(r *http.Request) words {
	first, _, _ := strings.Cut(r.Header.Get("Accept-Language"), ",")
	first, _, _ = strings.Cut(first, ";")
	return s.words(strings.TrimSpace(first))
}

// T is text in the coach's language.
func (w words) T(text string) string {
	if t, ok := w.tr[text]; ok {
		return t
	}
	return text
}

// F is fmt.Sprintf of format in the coach's language.
func (w words) F(format string, args ...any) string { return fmt.Sprintf(w.T(format), args...) }

// N is one or many, by n, in the coach's language, with n written in it
// where the text has %d.
func (w words) N(n int, one, many string) string {
	if n == 1 {
		return w.F(one, n)
	}
	return w.F(many, n)
}

// Date writes t's civil date with its weekday and year, as the bot does.
func (w words) Date(t time.Time) string { return w.msgs.DateYear(t) }

// DateOf writes a date of the store (2006-01-02) as Date does; as it is
// when it cannot be read.
func (w words) DateOf(s string) string {
	t, err := parseDate(s)
	if err != nil {
		return s
	}
	return w.Date(t)
}

// When writes a moment in loc: its date, then the time of day.
func (w words) When(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	return w.msgs.Date(t) + ", " + t.Format("15:04")
}

// spanish is the workspace in Spanish, by its English text.
var spanish = map[string]string{
	// the layout
	"Skip to the content": "Saltar al contenido",
	"Workspace":           "Espacio de trabajo",
	"Clients":             "Clientes",
	"Alerts":              "Alertas",
	"Prompts":             "Preguntas",
	"Export":              "Exportar",
	"Sign out":            "Cerrar sesión",

	// signing in and out
	"Sign in":                      "Entrar",
	"Please sign in from Telegram": "Entra desde Telegram",
	"This workspace opens only with a link from the bot. Send /web to the bot in your Telegram chat with it: it answers with a button that signs you in. The link works once, for ten minutes.": "Este espacio solo se abre con un enlace del bot. Envía /web al bot en tu chat de Telegram: te responde con un botón que te deja entrar. El enlace funciona una vez, durante diez minutos.",
	"If you signed in before, your session may have ended, or you signed out with /web logout.":                                                                                                 "Si ya habías entrado, puede que tu sesión haya terminado o que la cerraras con /web logout.",
	"Open your workspace": "Abre tu espacio de trabajo",
	"Open the workspace":  "Abrir el espacio de trabajo",
	"This link from Telegram opens your kindling workspace in this browser. It works once; afterwards this browser stays signed in until you sign out or the session ends.": "Este enlace de Telegram abre tu espacio de kindling en este navegador. Funciona una vez; después este navegador sigue dentro hasta que cierres la sesión o esta termine.",
	"This link does not open anything": "Este enlace no abre nada",
	"It may have been copied only in part. Send /web to the bot in Telegram and it sends you a new one.": "Puede que se copiara solo en parte. Envía /web al bot en Telegram y te manda uno nuevo.",
	"Send /web to the bot in Telegram and it sends you a new one.":                                       "Envía /web al bot en Telegram y te manda uno nuevo.",
	"This link was already used": "Este enlace ya se usó",
	"Each link opens the workspace once. Send /web to the bot in Telegram for a new one; it comes at once.": "Cada enlace abre el espacio una sola vez. Envía /web al bot en Telegram para tener otro; llega enseguida.",
	"This link has expired": "Este enlace ha caducado",
	"Links work for 10 minutes after you ask for them. Send /web to the bot in Telegram for a new one; it comes at once.": "Los enlaces funcionan 10 minutos desde que los pides. Envía /web al bot en Telegram para tener otro; llega enseguida.",
	"Too many attempts": "Demasiados intentos",
	"This browser tried to sign in many times in a short while. Please wait ten minutes, then send /web to the bot for a new link.": "Este navegador intentó entrar muchas veces en poco tiempo. Espera diez minutos y envía /web al bot para tener un enlace nuevo.",
	"Please open the link again": "Abre el enlace otra vez",
	"The sign-in form had expired or came from somewhere else. Open the link from Telegram again, or send /web for a new one.": "El formulario para entrar había caducado o venía de otro sitio. Abre de nuevo el enlace de Telegram, o envía /web para tener otro.",
	"Signed out":         "Sesión cerrada",
	"You are signed out": "Has cerrado la sesión",
	"This browser no longer opens your workspace. Send /web to the bot in Telegram when you want to come back.": "Este navegador ya no abre tu espacio. Envía /web al bot en Telegram cuando quieras volver.",

	// errors
	"Please try again":      "Inténtalo de nuevo",
	"That form had expired": "Ese formulario había caducado",
	"The page was open for a long time, or came from somewhere else. Go back, reload the page and send it again.": "La página llevaba mucho tiempo abierta o venía de otro sitio. Vuelve atrás, recarga la página y envíalo de nuevo.",
	"Something went wrong": "Algo salió mal",
	"kindling could not show this page. Nothing was changed. The log of the server says more; please try again in a moment.": "kindling no pudo mostrar esta página. No se cambió nada. El registro del servidor dice más; inténtalo de nuevo en un momento.",
	"Not found":             "No encontrado",
	"There is nothing here": "Aquí no hay nada",
	"This page does not exist, or is not yours to see.": "Esta página no existe, o no te corresponde verla.",
	"Back to your clients":                              "Volver a tus clientes",

	// clients
	"Your clients": "Tus clientes",
	"You have no clients yet. Send /invite to the bot to make an invitation link for a client.":                                "Aún no tienes clientes. Envía /invite al bot para crear un enlace de invitación.",
	"%d client; those with an open safety alert come first.":                                                                   "%d cliente; primero los que tienen una alerta de seguridad abierta.",
	"%d clients; those with an open safety alert come first.":                                                                  "%d clientes; primero los que tienen una alerta de seguridad abierta.",
	"Your clients, with the days since their last session, their last answer, their mood over 30 days, open alerts and status": "Tus clientes, con los días desde su última sesión, su última respuesta, su ánimo en 30 días, alertas abiertas y estado",
	"Client":                     "Cliente",
	"Day":                        "Día",
	"Last answer":                "Última respuesta",
	"Mood, 30 days":              "Ánimo, 30 días",
	"Check-in":                   "Cuestionario",
	"Status":                     "Estado",
	"day %d":                     "día %d",
	"no session yet":             "aún sin sesión",
	"next session %s":            "próxima sesión %s",
	"none yet":                   "ninguna aún",
	"%d open alert":              "%d alerta abierta",
	"%d open alerts":             "%d alertas abiertas",
	"none open":                  "ninguna abierta",
	"today":                      "hoy",
	"yesterday":                  "ayer",
	"%d days ago":                "hace %d días",
	"setting up":                 "configurando",
	"paused until %s":            "en pausa hasta el %s",
	"paused":                     "en pausa",
	"stopped":                    "detenido",
	"unreachable":                "inalcanzable",
	"active":                     "activo",
	"no mood answers in 30 days": "sin respuestas de ánimo en 30 días",
	"%d mood answer in 30 days, from %d to %d; latest %d (scale %d to %d)":  "%d respuesta de ánimo en 30 días, de %d a %d; la última %d (escala de %d a %d)",
	"%d mood answers in 30 days, from %d to %d; latest %d (scale %d to %d)": "%d respuestas de ánimo en 30 días, de %d a %d; la última %d (escala de %d a %d)",

	// months
	"January": "enero", "February": "febrero", "March": "marzo", "April": "abril", "May": "mayo", "June": "junio",
	"July": "julio", "August": "agosto", "September": "septiembre", "October": "octubre", "November": "noviembre", "December": "diciembre",

	// a client
	"Questions":                         "Preguntas",
	"day %d since the session of %s":    "día %d desde la sesión del %s",
	"no session logged yet":             "aún no hay ninguna sesión anotada",
	"%s (%s), at %s %s":                 "%s (%s), a las %s %s",
	"Safety alerts":                     "Alertas de seguridad",
	"Open":                              "Abierta",
	"Closed":                            "Cerrada",
	"Note: %s":                          "Nota: %s",
	"Act on alerts":                     "Atender las alertas",
	"Months":                            "Meses",
	"← Earlier month":                   "← Mes anterior",
	"Later month →":                     "Mes siguiente →",
	"%d answer this month":              "%d respuesta este mes",
	"%d answers this month":             "%d respuestas este mes",
	", %d question left unanswered":     ", %d pregunta sin responder",
	", %d questions left unanswered":    ", %d preguntas sin responder",
	"Days of the month":                 "Días del mes",
	", answered":                        ", respondido",
	", session":                         ", sesión",
	"answered":                          "respondido",
	"session day":                       "día de sesión",
	"Sessions":                          "Sesiones",
	" — intention: “%s”":                " — intención: «%s»",
	"(logged ahead)":                    "(anotada por adelantado)",
	"Charts":                            "Gráficas",
	"The values as a table":             "Los valores en una tabla",
	"Session":                           "Sesión",
	"Answers":                           "Respuestas",
	"Day by day":                        "Día a día",
	"Nothing in this month.":            "Nada en este mes.",
	"%s · day %d":                       "%s · día %d",
	"Journal":                           "Diario",
	"no answer":                         "sin respuesta",
	"voice note, %s":                    "nota de voz, %s",
	"flagged by the safety net":         "señalado por la red de seguridad",
	"Edited %d time: earlier versions":  "Editado %d vez: versiones anteriores",
	"Edited %d times: earlier versions": "Editado %d veces: versiones anteriores",
	"Export %s's answers":               "Exportar las respuestas de %s",
	"session of %s":                     "sesión del %s",
	"Answers on a scale":                "Respuestas en una escala",
	"days since the session":            "días desde la sesión",
	"%s: %d session, days 0 to %d, scale %d to %d; the values are in the table below":  "%s: %d sesión, días 0 a %d, escala de %d a %d; los valores están en la tabla de abajo",
	"%s: %d sessions, days 0 to %d, scale %d to %d; the values are in the table below": "%s: %d sesiones, días 0 a %d, escala de %d a %d; los valores están en la tabla de abajo",
	"day %d: %s": "día %d: %s",

	// alerts
	"The same alerts as in Telegram: what you do here is what the buttons there do, and the others who got the alert are told.": "Las mismas alertas que en Telegram: lo que hagas aquí es lo que hacen los botones de allí, y se avisa a los demás que recibieron la alerta.",
	"Open (%d)":                            "Abiertas (%d)",
	"No open alerts.":                      "No hay alertas abiertas.",
	"I'm on it":                            "Me ocupo yo",
	"Note (what you did, who you reached)": "Nota (qué hiciste, con quién hablaste)",
	"Resolve":                              "Resolver",
	"None yet.":                            "Ninguna aún.",
	"resolved by %s, %s":                   "resuelta por %s, %s",
	"%s is on it (since %s)":               "%s se ocupa (desde %s)",
	"the client was asked directly; no answer yet":           "se preguntó directamente al cliente; aún sin respuesta",
	"the client answered the check: %s":                      "el cliente respondió a la pregunta: %s",
	"open, escalated to the other coaches and on-call chats": "abierta, escalada a los demás acompañantes y a los chats de guardia",
	"open: nobody has said they are on it":                   "abierta: nadie ha dicho que se ocupa",

	// export
	"Every answer and safety alert, one row each: the same file as kindling export and /export in Telegram. Each export is recorded.": "Cada respuesta y alerta de seguridad, una fila cada una: el mismo archivo que kindling export y /export en Telegram. Cada exportación queda registrada.",
	"Whose answers":      "De quién",
	"All my clients":     "Todos mis clientes",
	"Format":             "Formato",
	"CSV (spreadsheets)": "CSV (hojas de cálculo)",
	"FHIR R4 (the scored check-ins, for clinical records)": "FHIR R4 (los cuestionarios puntuados, para la historia clínica)",
	"Download": "Descargar",

	// prompts
	"Files in %s": "Archivos en %s",
	"Edit a file here with the same checks as kindling check. It is saved only when it has no errors, and the bot uses it at once.": "Edita aquí un archivo con las mismas comprobaciones que kindling check. Solo se guarda si no tiene errores, y el bot lo usa al momento.",
	"These are the built-in prompts": "Estas son las preguntas integradas",
	"kindling uses the questions built into it, which cannot be edited here. To write your own, copy the files of prompts/sequences from kindling's source into a folder, set prompts.dir in config.yaml (or KINDLING_PROMPTS_DIR) to that folder, and restart kindling. Each file can then be edited on this page.": "kindling usa las preguntas que trae integradas, que no se pueden editar aquí. Para escribir las tuyas, copia los archivos de prompts/sequences del código de kindling a una carpeta, pon esa carpeta en prompts.dir de config.yaml (o en KINDLING_PROMPTS_DIR) y reinicia kindling. Entonces cada archivo se puede editar en esta página.",
	"Saved here":                  "Guardado aquí",
	"%s — %s saved %s (%d bytes)": "%s — %s guardó %s (%d bytes)",
	"The sequences, day by day":   "Las secuencias, día a día",
	"Days 0 to 30 after a session, each language beside the others.": "Los días 0 a 30 tras una sesión, cada idioma junto a los demás.",
	"%s: what is asked each day, by language":                        "%s: lo que se pregunta cada día, por idioma",
	"Day %d":                   "Día %d",
	"nothing this day":         "nada este día",
	"repeating step":           "paso que se repite",
	"at %s":                    "a las %s",
	"in their own words":       "con sus propias palabras",
	"%d to %d":                 "de %d a %d",
	" (several may be chosen)": " (se pueden elegir varias)",
	"Edit %s":                  "Editar %s",
	"Saved.":                   "Guardado.",
	"The file is saved, but the prompts did not reload:":                                    "El archivo está guardado, pero las preguntas no se recargaron:",
	"The prompts were reloaded: the bot uses the new text from now on.":                     "Las preguntas se recargaron: el bot usa el texto nuevo desde ahora.",
	"No errors, and nothing changed.":                                                       "Sin errores, y sin cambios.",
	"No errors. Look over the change below, then save.":                                     "Sin errores. Revisa el cambio de abajo y guarda.",
	"No errors (%d warning, shown at their lines). Look over the change below, then save.":  "Sin errores (%d aviso, en su línea). Revisa el cambio de abajo y guarda.",
	"No errors (%d warnings, shown at their lines). Look over the change below, then save.": "Sin errores (%d avisos, en sus líneas). Revisa el cambio de abajo y guarda.",
	"%d error; nothing was saved.":                                                          "%d error; no se guardó nada.",
	"%d errors; nothing was saved.":                                                         "%d errores; no se guardó nada.",
	"Each one is shown at its line below":                                                   "Cada uno aparece en su línea, abajo",
	"go to the first, at line %d":                                                           "ir al primero, en la línea %d",
	"There are problems in other files too:":                                                "También hay problemas en otros archivos:",
	"The change":                                                                            "El cambio",
	"Lines removed are marked minus, lines added plus":                                      "Las líneas quitadas llevan un menos, las añadidas un más",
	"… %d unchanged line …":                                                                 "… %d línea sin cambios …",
	"… %d unchanged lines …":                                                                "… %d líneas sin cambios …",
	"The file":                                                                              "El archivo",
	"Check and show the change":                                                             "Comprobar y mostrar el cambio",
	"Save %s":                                                                               "Guardar %s",
	"The file, line by line":                                                                "El archivo, línea a línea",
	"file":                                                                                  "archivo",
	"Error":                                                                                 "Error",
	"Warning":                                                                               "Aviso",
	" at line %d":                                                                           " en la línea %d",
	"The built-in prompts cannot be edited here":                                            "Las preguntas integradas no se pueden editar aquí",
	"Set prompts.dir in config.yaml (or KINDLING_PROMPTS_DIR) to a folder of prompt files, for example a copy of prompts/sequences from kindling's source, and restart kindling. Then each file can be edited on this page.": "Pon en prompts.dir de config.yaml (o en KINDLING_PROMPTS_DIR) una carpeta de archivos de preguntas, por ejemplo una copia de prompts/sequences del código de kindling, y reinicia kindling. Entonces cada archivo se puede editar en esta página.",
	"Back to the prompts": "Volver a las preguntas",
	"This file changed on the server since you opened it (someone else saved it, or it was edited there). The change below is against the file as it is now; check it, then save again.": "Este archivo cambió en el servidor desde que lo abriste (alguien lo guardó, o se editó allí). El cambio de abajo es respecto al archivo tal como está ahora; compruébalo y guarda de nuevo.",
	"The text changed after its check: here is the change as it is now. Save again to keep it.":                                                                                          "El texto cambió después de comprobarlo: este es el cambio tal como está ahora. Guarda de nuevo para conservarlo.",
	"Saved, but the record of this save could not be written to the database.":                                                                                                           "Guardado, pero el registro de este guardado no se pudo escribir en la base de datos.",
	"The file could not be written: %s. Nothing was changed. The folder may be read-only for kindling; the person who runs it can check.":                                                "No se pudo escribir el archivo: %s. No se cambió nada. Puede que la carpeta sea de solo lectura para kindling; quien lo administra puede comprobarlo.",
}
