package bot

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"

	"kindling/internal/langtag"
	"kindling/prompts"
	"kindling/store"
)

// Enrollment says who may start a conversation with the bot.
type Enrollment string

const (
	EnrollInvite Enrollment = "invite" // only someone holding a coach's invite link
	EnrollOpen   Enrollment = "open"   // anyone who finds the bot
)

// commonZones are offered as buttons; any IANA name can be typed.
var commonZones = []string{
	"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
	"America/Mexico_City", "America/Bogota", "Europe/London", "Europe/Madrid",
	"Europe/Berlin", "Asia/Kolkata", "Australia/Sydney", "UTC",
}

// commonTimes are offered as buttons; any HH:MM can be typed.
var commonTimes = []string{"08:00", "09:00", "12:00", "18:00", "20:00", "21:00"}

// onStart greets a person and asks for their consent. Nothing about them
// is stored until they give it; in invite mode a valid invite is needed.
func (b *Bot) onStart(tx *store.Tx, m *models.Message, code string, fx *effects) error {
	chatID := m.Chat.ID
	lang := ""
	if m.From != nil {
		lang = m.From.LanguageCode
	}
	v := prompts.Vars{Name: firstName(m.From)}
	c, err := tx.Client(chatID)
	switch {
	case err == nil:
		if code != "" {
			return b.onInviteWhileEnrolled(tx, fx, &c, code)
		}
		if c.Setup != "" {
			return b.askSetup(tx, fx, &c)
		}
		return b.say(tx, fx, chatID, b.text(c.Language, "welcome_back", prompts.Vars{Name: c.Name}))
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	if b.cfg.Enrollment != EnrollOpen || code != "" {
		if refusal, err := b.checkInvite(tx, code, lang); err != nil {
			return err
		} else if refusal != "" {
			return b.say(tx, fx, chatID, refusal)
		}
	}
	w := b.words(lang)
	if err := b.say(tx, fx, chatID, w.Text("welcome", v)); err != nil {
		return err
	}
	yes := callbackData(kindConsent, "yes")
	if code != "" {
		yes = callbackData(kindConsent, "yes", code)
	}
	return b.enqueue(tx, fx, &store.Outgoing{
		ChatID: chatID,
		Text:   w.Text("consent_ask", v),
		Keyboard: [][]store.Button{{
			{Text: w.Text("consent_yes_button", v), Data: yes},
			{Text: w.Text("consent_no_button", v), Data: callbackData(kindConsent, "no")},
		}},
	})
}

// checkInvite returns a kind refusal when code cannot enrol anyone.
func (b *Bot) checkInvite(tx *store.Tx, code, lang string) (string, error) {
	if code == "" {
		return b.text(lang, "invite_needed", prompts.Vars{}), nil
	}
	inv, err := tx.Invite(code)
	if errors.Is(err, store.ErrNotFound) {
		return b.text(lang, "invite_invalid", prompts.Vars{}), nil
	}
	if err != nil {
		return "", err
	}
	if inv.UsedBy != 0 {
		return b.text(lang, "invite_used", prompts.Vars{}), nil
	}
	if !inv.ExpiresAt.IsZero() && !b.now().Before(inv.ExpiresAt) {
		return b.text(lang, "invite_expired", prompts.Vars{}), nil
	}
	return "", nil
}

// onConsent handles the consent buttons.
func (b *Bot) onConsent(tx *store.Tx, q *models.CallbackQuery, chatID int64, messageID int, data string, fx *effects) error {
	lang := q.From.LanguageCode
	answer, code, _ := strings.Cut(data, "|")
	b.answerPress(fx, q.ID, "")
	b.showChosen(fx, chatID, messageID, pressedLabel(q))
	if _, err := tx.Client(chatID); err == nil {
		return nil // pressed twice: already enrolled
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if answer != "yes" {
		return b.say(tx, fx, chatID, b.text(lang, "consent_declined", prompts.Vars{Name: q.From.FirstName}))
	}
	var coach int64
	if b.cfg.Enrollment != EnrollOpen || code != "" {
		refusal, err := b.checkInvite(tx, code, lang)
		if err != nil {
			return err
		}
		if refusal != "" {
			return b.say(tx, fx, chatID, refusal)
		}
		inv, err := tx.Invite(code)
		if err != nil {
			return err
		}
		inv.UsedBy, inv.UsedAt = chatID, b.now()
		if err := tx.PutInvite(inv); err != nil {
			return err
		}
		coach = inv.Coach
	}
	now := b.now()
	if lang == "" {
		lang = b.cfg.DefaultLanguage
	}
	c := store.Client{
		ChatID: chatID, UserID: q.From.ID, Name: strings.TrimSpace(q.From.FirstName), Username: q.From.Username,
		Language: langtag.Base(lang), TimeZone: b.cfg.DefaultTimeZone, SendTime: b.cfg.DefaultTime,
		Sequence: b.cfg.DefaultSequence, Status: store.StatusActive, Coach: coach,
		ConsentAt: now, CreatedAt: now, Setup: "timezone",
	}
	if err := tx.PutClient(c); err != nil {
		return err
	}
	return b.askSetup(tx, fx, &c)
}

// askSetup asks the onboarding question the client is at.
func (b *Bot) askSetup(tx *store.Tx, fx *effects, c *store.Client) error {
	return b.askFor(tx, fx, c, c.Setup)
}

// askFor asks for a time zone, a time or a session date, with buttons.
func (b *Bot) askFor(tx *store.Tx, fx *effects, c *store.Client, what string) error {
	w := b.words(c.Language)
	v := prompts.Vars{Name: c.Name, TimeZone: c.TimeZone, Time: c.SendTime}
	o := store.Outgoing{ChatID: c.ChatID}
	switch what {
	case "timezone":
		o.Text = w.Text("ask_timezone", v)
		o.Keyboard = buttonGrid(commonZones, kindZone, 2, func(z string) string { return strings.ReplaceAll(z, "_", " ") })
	case "time":
		o.Text = w.Text("ask_time", v)
		o.Keyboard = buttonGrid(commonTimes, kindTime, 3, nil)
	case "session":
		o.Text = w.Text("ask_session", v)
		o.Keyboard = [][]store.Button{{
			{Text: w.Text("today_button", v), Data: callbackData(kindSessionDay, "today")},
			{Text: w.Text("yesterday_button", v), Data: callbackData(kindSessionDay, "yesterday")},
		}}
	default:
		return fmt.Errorf("ask for %q: no such question", what)
	}
	return b.enqueue(tx, fx, &o)
}

func buttonGrid(values []string, kind callbackKind, perRow int, label func(string) string) [][]store.Button {
	var rows [][]store.Button
	for i := 0; i < len(values); i += perRow {
		var row []store.Button
		for _, v := range values[i:min(i+perRow, len(values))] {
			text := v
			if label != nil {
				text = label(v)
			}
			row = append(row, store.Button{Text: text, Data: callbackData(kind, v)})
		}
		rows = append(rows, row)
	}
	return rows
}

// setupKind is the button kind that answers the onboarding question
// step (store.Client.Setup), so that a typed answer and a pressed one take
// the same way.
func setupKind(step string) callbackKind {
	switch step {
	case "timezone":
		return kindZone
	case "time":
		return kindTime
	case "session":
		return kindSessionDay
	}
	return ""
}

// setSessionDay records the session date the client typed (or chose),
// keeping an intention given before it. It reports true, with the
// reply enqueued, when the date was refused.
func (b *Bot) setSessionDay(tx *store.Tx, fx *effects, c *store.Client, input string, v *prompts.Vars, now time.Time) (bool, error) {
	loc, err := loadZone(c.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	if date, problem, planned := plannedDate(input, now.In(loc)); planned {
		if problem != "" {
			return true, b.say(tx, fx, c.ChatID, b.text(c.Language, problem, *v))
		}
		if err := b.planSession(tx, c, date); err != nil {
			return false, err
		}
		v.Date = b.formatDate(c.Language, date)
		if c.Setup != "" {
			c.Setup = "" // enrolled before the session: setup_done says so
			return false, nil
		}
		return false, b.say(tx, fx, c.ChatID, b.text(c.Language, "session_planned", *v))
	}
	date, problem := parseSessionDate(input, now.In(loc))
	if problem != "" {
		return true, b.say(tx, fx, c.ChatID, b.text(c.Language, problem, *v))
	}
	s := store.Session{ChatID: c.ChatID, Date: date, CreatedAt: now}
	latest, hadLatest, err := countingSession(tx, c.ChatID, now.In(loc).Format("2006-01-02"))
	if err != nil {
		return false, err
	}
	if old, found, err := sessionOn(tx, c.ChatID, date); err != nil {
		return false, err
	} else if found {
		s = old
	}
	if intention := c.FlowData["intention"]; intention != "" && s.Intention == "" {
		s.Intention = intention
		delete(c.FlowData, "intention")
	}
	if err := tx.AddSession(s); err != nil {
		return false, err
	}
	v.Date = b.formatDate(c.Language, date)
	if c.Setup != "" {
		c.Setup = ""
	} else if err := b.sessionLogged(tx, fx, c, date, latest, hadLatest); err != nil {
		return false, err
	}
	return false, nil
}

// onSetupInput takes a time zone (kindZone), a time (kindTime) or a
// session date (kindSessionDay), typed or pressed, during onboarding or later.
func (b *Bot) onSetupInput(tx *store.Tx, c *store.Client, kind callbackKind, input string, fx *effects) error {
	input = strings.TrimSpace(input)
	v := prompts.Vars{Name: c.Name}
	now := b.now()
	onboarding := c.Setup != ""
	switch kind {
	case kindZone:
		zone, ok := parseZone(input)
		if !ok {
			return b.say(tx, fx, c.ChatID, b.text(c.Language, "timezone_invalid", prompts.Vars{Name: c.Name, TimeZone: clipRunes(input, 64)}))
		}
		c.TimeZone = zone
		v.TimeZone = zone
		if c.Setup == "timezone" {
			c.Setup = "time"
		}
		if !onboarding {
			if err := b.say(tx, fx, c.ChatID, b.text(c.Language, "timezone_set", v)); err != nil {
				return err
			}
		}
	case kindTime:
		h, m, err := parseClock(input)
		if err != nil {
			return b.say(tx, fx, c.ChatID, b.text(c.Language, "time_invalid", v))
		}
		c.SendTime = fmt.Sprintf("%02d:%02d", h, m)
		v.Time = c.SendTime
		if c.Setup == "time" || c.Setup == "timezone" {
			c.Setup = "session"
		}
		if !onboarding {
			if err := b.say(tx, fx, c.ChatID, b.text(c.Language, "time_set", v)); err != nil {
				return err
			}
		}
	case kindSessionDay:
		if stop, err := b.setSessionDay(tx, fx, c, input, &v, now); stop || err != nil {
			return err
		}
	}
	c.Flow = ""
	if err := b.planner.Reschedule(tx, c, now); err != nil {
		return err
	}
	if err := tx.PutClient(*c); err != nil {
		return err
	}
	if c.Setup != "" {
		return b.askSetup(tx, fx, c)
	}
	if onboarding {
		v = prompts.Vars{Name: c.Name, Time: c.SendTime, TimeZone: c.TimeZone}
		key := "setup_done"
		if s, err := tx.LatestSession(c.ChatID); err == nil {
			v.Date = b.formatDate(c.Language, s.Date)
			if loc, err := loadZone(c.TimeZone); err == nil && s.Date > now.In(loc).Format("2006-01-02") {
				key = "setup_done_planned"
			}
		}
		return b.say(tx, fx, c.ChatID, b.text(c.Language, key, v))
	}
	return nil
}

// parseZone checks a typed IANA zone name, forgiving case and spaces.
func parseZone(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 || strings.EqualFold(s, "local") || strings.Contains(s, "..") {
		return "", false
	}
	s = strings.ReplaceAll(s, " ", "_")
	if strings.EqualFold(s, "utc") {
		return "UTC", true
	}
	if _, err := time.LoadLocation(s); err == nil && strings.Contains(s, "/") {
		return s, true
	}
	// "europe/berlin" -> "Europe/Berlin"
	parts := strings.Split(s, "/")
	for i, p := range parts {
		words := strings.Split(p, "_")
		for j, w := range words {
			if w != "" {
				words[j] = strings.ToUpper(w[:1]) + strings.ToLower(w[1:])
			}
		}
		parts[i] = strings.Join(words, "_")
	}
	name := strings.Join(parts, "/")
	if _, err := time.LoadLocation(name); err == nil && strings.Contains(name, "/") {
		return name, true
	}
	// A city alone: "Berlin", "new york", "Buenos Aires".
	if len(parts) == 1 {
		for _, area := range zoneAreas {
			if _, err := time.LoadLocation(area + "/" + name); err == nil {
				return area + "/" + name, true
			}
		}
	}
	return "", false
}

// zoneAreas are the first parts of IANA names, tried in turn for a city
// typed on its own.
var zoneAreas = []string{
	"Europe", "America", "Asia", "Africa", "Australia", "Pacific", "Atlantic",
	"Indian", "America/Argentina", "America/Indiana", "America/Kentucky", "Antarctica",
}

// zones keeps the zones loaded so far, by name: time.LoadLocation reads
// and parses the zone file on every call, and /clients needs one per
// client. A Location never changes once loaded.
var zones sync.Map // string -> *time.Location

// loadZone loads a client's zone; the empty name is UTC.
func loadZone(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, loc)
	return loc, nil
}

// parseClock reads "HH:MM", also "9", "9:30", "0930" and "9.30".
func parseClock(s string) (int, int, error) {
	s = strings.ReplaceAll(strings.TrimSpace(strings.ToLower(s)), ".", ":")
	if !strings.Contains(s, ":") {
		switch len(s) {
		case 1, 2:
			s += ":00"
		case 3, 4:
			s = s[:len(s)-2] + ":" + s[len(s)-2:]
		}
	}
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 || len(m) != 2 {
		return 0, 0, fmt.Errorf("time %q: want HH:MM", s)
	}
	return hh, mm, nil
}
