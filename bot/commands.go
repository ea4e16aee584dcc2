package bot

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"

	"kindling/prompts"
	"kindling/store"
)

// command is one entry of the client's command menu.
// clientCommands are the client's commands in menu order. Each has its
// menu description in the messages, under "menu_" and its name.
var clientCommands = []string{
	"today", "session", "time", "timezone", "pause", "resume", "intention",
	"safetyplan", "progress", "sessions", "mydata", "stop", "forget", "help",
}

// coachCommands are the coach's commands in menu order, described under
// "menu_coach_" and their name; the coach's menu is set in their chat.
var coachCommands = []string{"invite", "clients", "session", "journal", "export", "alerts", "note", "reload", "web", "help"}

// onCommand handles a command in a private chat.
func (b *Bot) onCommand(tx *store.Tx, m *models.Message, name, args string, fx *effects) error {
	chatID := m.Chat.ID
	lang := ""
	if m.From != nil {
		lang = m.From.LanguageCode
	}
	if b.isCoach(m.From) {
		if handled, err := b.onCoachCommand(tx, m, name, args, fx); handled || err != nil {
			return err
		}
	}
	if name == "start" {
		return b.onStart(tx, m, args, fx)
	}
	c, err := tx.Client(chatID)
	if errors.Is(err, store.ErrNotFound) {
		return b.commandBeforeStart(tx, fx, m, name, lang)
	}
	if err != nil {
		return err
	}
	// A command ends any exchange in progress.
	if c.Flow != "" {
		c.Flow, c.FlowData = "", dropFlowKeys(c.FlowData)
		if err := tx.PutClient(c); err != nil {
			return err
		}
	}
	v := prompts.Vars{Name: c.Name, Time: c.SendTime, TimeZone: c.TimeZone}
	now := b.now()
	switch name {
	case "help":
		return b.say(tx, fx, chatID, b.text(c.Language, "help", v))
	case "today":
		return b.today(tx, fx, &c, v, now)
	case "session":
		if args == "" {
			return b.startFlow(tx, fx, &c, "session")
		}
		return b.onSetupInput(tx, &c, kindSessionDay, args, fx)
	case "time":
		if args == "" {
			return b.startFlow(tx, fx, &c, "time")
		}
		return b.onSetupInput(tx, &c, kindTime, args, fx)
	case "timezone":
		if args == "" {
			return b.startFlow(tx, fx, &c, "timezone")
		}
		return b.onSetupInput(tx, &c, kindZone, args, fx)
	case "pause":
		return b.pause(tx, fx, &c, args)
	case "resume":
		if c.Status == store.StatusStopped || c.Status == store.StatusPaused || c.Status == store.StatusUnreachable {
			c.Status, c.PausedUntil = store.StatusActive, time.Time{}
		}
		return b.setStatus(tx, fx, &c, v, now, "resumed")
	case "stop":
		c.Status, c.PausedUntil = store.StatusStopped, time.Time{}
		return b.setStatus(tx, fx, &c, v, now, "stopped")
	case "intention":
		return b.setIntention(tx, fx, &c, args)
	case "safetyplan":
		return b.startSafetyPlan(tx, fx, &c)
	case "sessions":
		return b.listSessions(tx, fx, &c)
	case "forget":
		return b.askForget(tx, fx, &c)
	case "mydata":
		return b.sendMyData(tx, fx, &c)
	case "progress":
		return b.sendProgress(tx, fx, &c)
	}
	return b.say(tx, fx, chatID, b.text(c.Language, "unknown_command", v))
}

// today answers /today: today's step now if there is one to give, or
// why not.
func (b *Bot) today(tx *store.Tx, fx *effects, c *store.Client, v prompts.Vars, now time.Time) error {
	chatID := c.ChatID
	if c.Setup != "" {
		return b.askSetup(tx, fx, c)
	}
	if c.Status == store.StatusStopped {
		return b.say(tx, fx, chatID, b.text(c.Language, "today_stopped", v))
	}
	started, err := b.planner.StartToday(tx, c, now)
	if err != nil {
		return err
	}
	if started {
		fx.sent = true
		return tx.PutClient(*c)
	}
	if _, open, err := openDelivery(tx, chatID); err != nil {
		return err
	} else if open {
		return b.say(tx, fx, chatID, b.text(c.Language, "today_open", v))
	}
	if at, later, err := b.laterToday(tx, c, now); err != nil {
		return err
	} else if later {
		v.Time = at
		return b.say(tx, fx, chatID, b.text(c.Language, "today_later", v))
	}
	given, err := b.givenToday(tx, c, now)
	if err != nil {
		return err
	}
	if given {
		return b.say(tx, fx, chatID, b.text(c.Language, "today_already", v))
	}
	return b.say(tx, fx, chatID, b.text(c.Language, "today_nothing", v))
}

// setStatus stores the client's new status, reschedules them and says
// the message of key.
func (b *Bot) setStatus(tx *store.Tx, fx *effects, c *store.Client, v prompts.Vars, now time.Time, key string) error {
	if err := b.planner.Reschedule(tx, c, now); err != nil {
		return err
	}
	if err := tx.PutClient(*c); err != nil {
		return err
	}
	return b.say(tx, fx, c.ChatID, b.text(c.Language, key, v))
}

// commandBeforeStart answers a command from someone who has not started.
func (b *Bot) commandBeforeStart(tx *store.Tx, fx *effects, m *models.Message, name, lang string) error {
	switch {
	case name == "help":
		return b.say(tx, fx, m.Chat.ID, b.text(lang, "help", prompts.Vars{Name: firstName(m.From)}))
	case isKnown(name):
		return b.say(tx, fx, m.Chat.ID, b.text(lang, "not_started", prompts.Vars{Name: firstName(m.From)}))
	}
	return b.say(tx, fx, m.Chat.ID, b.text(lang, "unknown_command", prompts.Vars{}))
}

func isKnown(name string) bool {
	return slices.Contains(clientCommands, name)
}

// givenToday reports whether a step was given on the client's local date.
func (b *Bot) givenToday(tx *store.Tx, c *store.Client, now time.Time) (bool, error) {
	loc, err := loadZone(c.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	ds, err := tx.DeliveryOn(c.ChatID, now.In(loc).Format("2006-01-02"))
	return len(ds) > 0, err
}

// laterToday reports whether today's step is written for its own hour
// (day 0's evening) and that hour has not come, with the local time it
// comes at: /today does not send it early.
func (b *Bot) laterToday(tx *store.Tx, c *store.Client, now time.Time) (string, bool, error) {
	step, ok, err := b.planner.Today(tx, c, now)
	if err != nil || !ok || step.At.IsZero() || !now.Before(step.At) {
		return "", false, err
	}
	loc, err := loadZone(c.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	return step.At.In(loc).Format("15:04"), true, nil
}

// pause stops the questions for N days ("/pause 3", "/pause 3 days") or
// until /resume.
func (b *Bot) pause(tx *store.Tx, fx *effects, c *store.Client, args string) error {
	v := prompts.Vars{Name: c.Name}
	c.Status, c.PausedUntil = store.StatusPaused, time.Time{}
	if args != "" {
		f := strings.Fields(strings.ToLower(args))
		n, err := strconv.Atoi(f[0])
		if err != nil || n < 1 || n > 365 || len(f) > 2 {
			return b.say(tx, fx, c.ChatID, b.text(c.Language, "pause_invalid", v))
		}
		loc, err := loadZone(c.TimeZone)
		if err != nil {
			loc = time.UTC
		}
		// Until the start of the local day n days from now: that day's
		// questions come as usual.
		now := b.now().In(loc)
		c.PausedUntil = time.Date(now.Year(), now.Month(), now.Day()+n, 0, 0, 0, 0, loc)
		v.Until = b.formatDay(c.Language, c.PausedUntil)
	}
	if err := b.planner.Reschedule(tx, c, b.now()); err != nil {
		return err
	}
	if err := tx.PutClient(*c); err != nil {
		return err
	}
	if c.PausedUntil.IsZero() {
		return b.say(tx, fx, c.ChatID, b.text(c.Language, "paused", v))
	}
	return b.say(tx, fx, c.ChatID, b.text(c.Language, "paused_until", v))
}

// maxIntention is the longest intention kept, in characters.
const maxIntention = 1000

// setIntention records what the client hopes for from their latest
// session, or keeps it for the next one when none is logged.
func (b *Bot) setIntention(tx *store.Tx, fx *effects, c *store.Client, text string) error {
	v := prompts.Vars{Name: c.Name}
	text = strings.TrimSpace(text)
	if text == "" {
		return b.say(tx, fx, c.ChatID, b.text(c.Language, "intention_ask", v))
	}
	if len([]rune(text)) > maxIntention {
		return b.say(tx, fx, c.ChatID, b.text(c.Language, "intention_too_long", v))
	}
	s, err := tx.LatestSession(c.ChatID)
	if errors.Is(err, store.ErrNotFound) {
		if c.FlowData == nil {
			c.FlowData = map[string]string{}
		}
		c.FlowData["intention"] = text
		if err := tx.PutClient(*c); err != nil {
			return err
		}
		v.Intention = text
		return b.say(tx, fx, c.ChatID, b.text(c.Language, "intention_set", v))
	}
	if err != nil {
		return err
	}
	s.Intention = text
	if err := tx.AddSession(s); err != nil {
		return err
	}
	v.Intention, v.Date = text, b.formatDate(c.Language, s.Date)
	return b.say(tx, fx, c.ChatID, b.text(c.Language, "intention_set", v))
}

// startFlow asks a question whose answer the next message brings.
func (b *Bot) startFlow(tx *store.Tx, fx *effects, c *store.Client, flow string) error {
	c.Flow = flow
	if err := tx.PutClient(*c); err != nil {
		return err
	}
	return b.askFor(tx, fx, c, flow)
}

// onFlowInput routes a message to the exchange in progress.
func (b *Bot) onFlowInput(tx *store.Tx, c *store.Client, text string, fx *effects) error {
	switch {
	case c.Flow == "session":
		return b.onSetupInput(tx, c, kindSessionDay, text, fx)
	case c.Flow == "time":
		return b.onSetupInput(tx, c, kindTime, text, fx)
	case c.Flow == "timezone":
		return b.onSetupInput(tx, c, kindZone, text, fx)
	case strings.HasPrefix(c.Flow, "plan:"):
		return b.onSafetyPlanInput(tx, fx, c, text)
	}
	c.Flow = ""
	if err := tx.PutClient(*c); err != nil {
		return err
	}
	return b.onText(tx, c, &models.Message{Chat: models.Chat{ID: c.ChatID}, Text: text}, fx)
}

// dropFlowKeys forgets the scratch values of an exchange that ended.
func dropFlowKeys(m map[string]string) map[string]string {
	for k := range m {
		if strings.HasPrefix(k, "plan:") {
			delete(m, k)
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}
