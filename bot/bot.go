package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-telegram/bot/models"

	"kindling/prompts"
	"kindling/schedule"
	"kindling/store"
	"kindling/telegram"
)

// Planner is what the bot needs from the schedule.
type Planner interface {
	// Reschedule sets c.Due to the client's next due moment after now.
	Reschedule(tx *store.Tx, c *store.Client, now time.Time) error
	// StartToday gives today's step now; false when there is none, it
	// was already given, or it is written for an hour still to come.
	StartToday(tx *store.Tx, c *store.Client, now time.Time) (bool, error)
	// Today reports today's step without starting it.
	Today(tx *store.Tx, c *store.Client, now time.Time) (schedule.Step, bool, error)
}

// Coach is a person who may use the coach commands.
type Coach struct {
	ID         int64
	Name       string
	TimeZone   string
	DigestTime string
}

// API is the handful of Telegram calls the conversation and the outbox
// drain make; *telegram.API is the real one. Every call goes through the
// Sender (rate, per chat, 429, retries), which reads the errors as
// telegram's.
type API interface {
	SendText(ctx context.Context, m telegram.Text) (int, error)
	SendDocument(ctx context.Context, d telegram.Document) (int, error)
	SendPhoto(ctx context.Context, p telegram.Photo) error
	AnswerCallback(ctx context.Context, queryID, text string) error
	EditKeyboard(ctx context.Context, chatID int64, messageID int, markup *models.InlineKeyboardMarkup) error
	SetCommands(ctx context.Context, m telegram.Menu) error
	GetFile(ctx context.Context, fileID string) (*models.File, error)
	Download(ctx context.Context, f *models.File) (io.ReadCloser, error)
}

// Deps are what the bot works with.
type Deps struct {
	DB      *store.DB
	Prompts func() *prompts.Set
	Planner Planner
	API     API
	// Sender paces every Telegram call (default: a Sender with its
	// defaults).
	Sender *telegram.Sender
	Logger *slog.Logger // default slog.Default()
	// Now is the clock (default time.Now); tests and the demo replace it.
	Now func() time.Time
	// Safety notices crisis language (nil: no safety net).
	Safety Classifier

	// Reload reloads the prompt files for /reload; it reports whether the
	// new set is active and, if not, every problem.
	Reload func() (bool, []string)
	// Forgetting is called inside the transaction that erases a client,
	// before their records are deleted, with the bot's time. An error
	// aborts the erasure and the update is handled again. kindling records
	// the erasure in its forget ledger here, so that the record is on disk
	// before the erasure is.
	Forgetting func(chatID int64, at time.Time) error
	// Forgotten is told when a client erased their data, so the running
	// bot can compact the database file at a quiet moment.
	Forgotten func(chatID int64)
}

// Settings are the choices the configuration makes for the conversation.
type Settings struct {
	DefaultSequence string
	DefaultLanguage string
	DefaultTime     string
	DefaultTimeZone string
	// DataDir is where voice notes are saved (a "voice" folder in it).
	DataDir string
	// Enrollment says who may start; anything but EnrollOpen needs an invite.
	Enrollment Enrollment
	InviteTTL  time.Duration
	Coaches    []Coach
	// Username is the bot's Telegram username, for invite links; see
	// also SetUsername.
	Username string
	// WebURL is the address of the coach's web workspace (web.base_url),
	// for the links of /web; empty when the workspace is off.
	WebURL string

	// CrisisMessage is said instead of the usual acknowledgement when the
	// safety net notices crisis language, by language.
	CrisisMessage map[string]string
	// LowestMoodTwice makes the lowest mood twice in a row an alert;
	// LowestMoodCheck makes the lowest mood once a safety check.
	LowestMoodTwice bool
	LowestMoodCheck bool
	// EscalateTo are chats told of an alert when the coach cannot be
	// reached or nobody acknowledged it within EscalateAfter (default
	// 15m). CheckTimeout (default 30m) is how long a safety check waits
	// for its answer before the coach is alerted.
	EscalateTo    []int64
	EscalateAfter time.Duration
	CheckTimeout  time.Duration
	// ForwardableCoachCopies lets coaches forward and save what they
	// receive about clients (alerts, /journal, /export, digests). Off, as
	// by default, those messages are sent with Telegram's protect_content.
	ForwardableCoachCopies bool
	// DocumentLimit is the largest file sent as one document (0: 49 MB,
	// under Telegram's 50 MB); a larger /mydata archive goes in parts.
	DocumentLimit int64
	// NotFoundRetry is how long the messages of a chat Telegram did not
	// find wait before they are tried again (default one minute).
	NotFoundRetry time.Duration
}

// Options are what New needs: the dependencies and the settings.
type Options struct {
	Deps
	Settings
}

// Bot is the conversation. Make one with New, then call Poll (or serve
// WebhookHandler) and Drain.
type Bot struct {
	db            *store.DB
	prompts       func() *prompts.Set
	planner       Planner
	api           API
	sender        *telegram.Sender
	log           *slog.Logger
	now           func() time.Time
	safety        Classifier
	reloadPrompts func() (bool, []string)
	forgetting    func(chatID int64, at time.Time) error
	forgotten     func(chatID int64)
	cfg           Settings

	wake       chan struct{}
	writeHeld  func(time.Duration) // told how long each update's write transaction ran; tests set it
	afterRead  func()              // called between the read and the write transaction of an update; tests set it
	handleMu   sync.Mutex
	background sync.WaitGroup
	stats      counters // see Stats
	// unfound holds the chats Telegram last answered "chat not found"
	// (or a 403 that is not a block), each with the time of its next try
	// (a time.Time): WaitIdle does not count rows that wait long for it.
	unfound sync.Map
	stuck   stuckSet // updates answered by crisisWhileStuck
	// sending counts the drain's workers at work: a row is gone from the
	// outbox a moment before its worker is done with it (its document
	// file removed), and WaitIdle waits for that too.
	sending atomic.Int64
}

// New makes the bot of o. The store, the prompts and the planner are
// required; so is the API for anything that reaches Telegram.
func New(o Options) *Bot {
	b := &Bot{
		db: o.DB, prompts: o.Prompts, planner: o.Planner, api: o.API,
		sender: o.Sender, log: o.Logger, now: o.Now, safety: o.Safety,
		reloadPrompts: o.Reload, forgetting: o.Forgetting, forgotten: o.Forgotten,
		cfg:  o.Settings,
		wake: make(chan struct{}, 1),
	}
	if b.sender == nil {
		b.sender = &telegram.Sender{}
	}
	if b.log == nil {
		b.log = slog.Default()
	}
	if b.now == nil {
		b.now = time.Now
	}
	b.cfg.Coaches = slices.Clone(b.cfg.Coaches)
	b.cfg.EscalateTo = slices.Clone(b.cfg.EscalateTo)
	return b
}

// SetUsername sets the bot's Telegram username, learned from getMe, for
// invite links. Call it before updates are read.
func (b *Bot) SetUsername(name string) { b.cfg.Username = name }

func (b *Bot) logger() *slog.Logger { return b.log }

// commandTries is how many times SetCommands calls setMyCommands for
// one menu.
const commandTries = 3

// SetCommands registers the command menus: the client's, in the default
// language for everyone and in each language kindling has words for (by
// the person's Telegram language), and the coach's in each coach's own
// chat, in each language too. Descriptions come from the messages.
//
// The menus are optional: the calls go around the Sender, so they neither
// wait for a 429's pause nor set one, and each is tried a few times
// (waiting as a 429 asks, up to MaxPause) before a failure is logged. Run
// it in the background once updates are being read.
func (b *Bot) SetCommands(ctx context.Context) {
	set := b.prompts()
	langs := []string{""} // the default: anyone whose language has no menu of its own
	for _, l := range append(set.Languages(), prompts.Default().Languages()...) {
		if !slices.Contains(langs, l) {
			langs = append(langs, l)
		}
	}
	for _, lang := range langs {
		words := set.Messages(cmp.Or(lang, b.cfg.DefaultLanguage))
		if !b.setMenu(ctx, telegram.Menu{Commands: menu(words, "menu_", clientCommands), Language: lang}) {
			return
		}
		for _, co := range b.cfg.Coaches {
			// A coach's private chat with the bot has their user id.
			cmds := menu(words, "menu_coach_", coachCommands)
			if !b.setMenu(ctx, telegram.Menu{Commands: cmds, ChatID: co.ID, Language: lang}) {
				return
			}
		}
	}
}

// menu is the command menu of names, described by the messages under
// prefix and each name.
func menu(words prompts.Messages, prefix string, names []string) []models.BotCommand {
	cmds := make([]models.BotCommand, 0, len(names))
	for _, name := range names {
		about := words.Text(prefix+name, prompts.Vars{})
		if about == "" || about == prefix+name {
			continue // Telegram refuses a command without a description
		}
		cmds = append(cmds, models.BotCommand{Command: name, Description: clipRunes(about, 256)})
	}
	return cmds
}

// setMenu makes one setMyCommands call, tried as SetCommands says. It
// reports false when the other menus should not be tried: ctx ended, or
// the call kept failing in a way that is not about this menu (a refused
// menu, a 400, is logged and the others are still set).
func (b *Bot) setMenu(ctx context.Context, m telegram.Menu) bool {
	wait := b.sender.Backoff
	if wait <= 0 {
		wait = time.Second
	}
	for try := 1; ; try++ {
		err := b.api.SetCommands(ctx, m)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		rejected := telegram.IsBadRequest(err) || telegram.IsForbidden(err)
		if try == commandTries || rejected || telegram.IsUnauthorized(err) {
			b.logger().Warn("register command menu", "language", m.Language, "coach_menu", m.ChatID != 0, "tries", try, "err", err)
			return telegram.IsBadRequest(err)
		}
		d := wait
		if retryAfter, ok := telegram.RetryAfter(err); ok {
			d = b.sender.PauseFor(retryAfter, "setMyCommands")
		}
		if !sleep(ctx, d) {
			return false
		}
		wait *= 2
	}
}

// effects collects what to do once an update's transaction committed:
// calls that change nothing stored, such as answering a button press.
type effects struct {
	after    []func(ctx context.Context)
	sent     bool // something was enqueued
	answers  int  // answers and journal entries stored
	checkIns int  // scored check-ins completed
	bulk     bool // what is enqueued belongs to a broadcast (see store.Outgoing.Bulk)

	raised, checks, escalated int             // alerts raised, checks asked, alerts escalated
	acked                     []time.Duration // time to acknowledge, per alert acknowledged

	// reading is set while a handler runs in a read transaction (see
	// readFirst): what it would enqueue is kept in queue instead, for the
	// update's write transaction to enqueue.
	reading bool
	queue   []store.Outgoing
}

func (e *effects) then(f func(ctx context.Context)) { e.after = append(e.after, f) }

// Handle stores the effect of one update and confirms it. It returns an
// error only when the effect could not be stored; the update must then be
// handled again. A read-only command does its reading in a read
// transaction first (see readFirst), so that the write transaction, which
// records the update and enqueues the reply, stays short.
func (b *Bot) Handle(ctx context.Context, u *models.Update) error {
	b.handleMu.Lock()
	defer b.handleMu.Unlock()
	var fx effects
	read := b.readFirst(u)
	if b.afterRead != nil {
		b.afterRead()
	}
	applied, err := b.db.ApplyUpdate(u.ID, func(tx *store.Tx) error {
		start := time.Now()
		defer b.wrote(start)
		fx = effects{}
		if read != nil {
			if done, err := b.applyRead(tx, read, &fx); done || err != nil {
				return err
			}
		}
		return b.apply(tx, u, &fx)
	})
	if err != nil {
		b.stats.failed.Add(1)
		return fmt.Errorf("update %d: %w", u.ID, err)
	}
	if !applied {
		return nil
	}
	b.stats.updates.Add(1)
	b.stats.answers.Add(int64(fx.answers))
	b.stats.checkIns.Add(int64(fx.checkIns))
	b.committed(&fx)
	for _, f := range fx.after {
		f(ctx)
	}
	return nil
}

// apply turns one update into stored records and outgoing messages.
func (b *Bot) apply(tx *store.Tx, u *models.Update, fx *effects) error {
	if chat, ok := privateSender(u); ok {
		if err := b.reachable(tx, chat); err != nil {
			return err
		}
	}
	switch {
	case u.Message != nil:
		return b.onMessage(tx, u.Message, fx)
	case u.EditedMessage != nil:
		return b.onEdit(tx, u.EditedMessage, fx)
	case u.CallbackQuery != nil:
		return b.onPress(tx, u.CallbackQuery, fx)
	case u.MyChatMember != nil:
		return b.onMembership(tx, u.MyChatMember)
	}
	return nil // a kind of update kindling does not use: confirmed, skipped
}

// privateSender is the private chat a client wrote or pressed a button
// in, if the update is one.
func privateSender(u *models.Update) (int64, bool) {
	var m *models.Message
	switch {
	case u.Message != nil:
		m = u.Message
	case u.EditedMessage != nil:
		m = u.EditedMessage
	case u.CallbackQuery != nil && u.CallbackQuery.Message.Message != nil:
		m = u.CallbackQuery.Message.Message
	}
	if m == nil || m.Chat.Type != models.ChatTypePrivate {
		return 0, false
	}
	return m.Chat.ID, true
}

// reachable notes that a client's chat exists, since they wrote in it:
// a client marked unreachable is active again, their schedule resumes,
// and a "chat not found" seen before is forgotten.
func (b *Bot) reachable(tx *store.Tx, chatID int64) error {
	c, err := tx.Client(chatID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if c.Status != store.StatusUnreachable && c.ChatNotFoundAt.IsZero() {
		return nil
	}
	c.ChatNotFoundAt = time.Time{}
	if c.Status == store.StatusUnreachable {
		c.Status = store.StatusActive
		if err := b.planner.Reschedule(tx, &c, b.now()); err != nil {
			return err
		}
	}
	return tx.PutClient(c)
}

// say enqueues a plain message to a chat.
func (b *Bot) say(tx *store.Tx, fx *effects, chatID int64, text string) error {
	return b.enqueue(tx, fx, &store.Outgoing{ChatID: chatID, Text: text})
}

func (b *Bot) enqueue(tx *store.Tx, fx *effects, o *store.Outgoing) error {
	o.Text = fitMessage(o.Text)
	o.Bulk = fx.bulk
	if o.About != 0 {
		o.Protect = b.protectCoachCopies() // a message about a client goes to someone else
	}
	if fx.reading {
		fx.queue = append(fx.queue, *o)
		fx.sent = true
		return nil
	}
	if err := tx.Enqueue(o); err != nil {
		return err
	}
	fx.sent = true
	return nil
}

// maxMessage is Telegram's limit on a message's text, in characters.
const maxMessage = 4096

// fitMessage cuts text to Telegram's limit; validated prompts never need
// it, but a client's own words quoted back might.
func fitMessage(s string) string {
	if len([]rune(s)) <= maxMessage {
		return s
	}
	r := []rune(s)
	return string(r[:maxMessage-1]) + "…"
}

// words returns the bot's messages in a language.
func (b *Bot) words(lang string) prompts.Messages {
	return b.prompts().Messages(lang)
}

func (b *Bot) text(lang, key string, v prompts.Vars) string {
	return b.words(lang).Text(key, v)
}

// onMembership notices a client blocking or unblocking the bot.
func (b *Bot) onMembership(tx *store.Tx, m *models.ChatMemberUpdated) error {
	if m.Chat.Type != models.ChatTypePrivate {
		return nil
	}
	c, err := tx.Client(m.Chat.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	switch m.NewChatMember.Type {
	case models.ChatMemberTypeBanned, models.ChatMemberTypeLeft:
		c.Status = store.StatusUnreachable
	case models.ChatMemberTypeMember:
		if c.Status != store.StatusUnreachable && c.ChatNotFoundAt.IsZero() {
			return nil
		}
		c.ChatNotFoundAt = time.Time{}
		if c.Status != store.StatusUnreachable {
			return tx.PutClient(c)
		}
		c.Status = store.StatusActive
	default:
		return nil
	}
	if err := b.planner.Reschedule(tx, &c, b.now()); err != nil {
		return err
	}
	return tx.PutClient(c)
}

// voiceDir is where voice notes are kept, below the data folder.
func (b *Bot) voiceDir() string {
	return filepath.Join(b.cfg.DataDir, "voice")
}

// firstName is how kindling addresses a person.
func firstName(u *models.User) string {
	if u == nil {
		return ""
	}
	return strings.TrimSpace(u.FirstName)
}

// StartStep writes the delivery of a step and enqueues its first question.
// It is called by the schedule inside the transaction that moves the
// client's due time.
func (b *Bot) StartStep(tx *store.Tx, c *store.Client, s schedule.Step) error {
	d := store.Delivery{
		ChatID:      c.ChatID,
		LocalDate:   s.LocalDate,
		Day:         s.Day,
		SessionDate: s.SessionDate,
		Sequence:    s.Sequence.ID,
		Language:    s.Sequence.Language,
		State:       store.DeliveryOpen,
		Manual:      s.Manual,
		CreatedAt:   s.Now,
		SentAt:      s.Now,
		Messages:    map[string]int{},
		Asked:       map[string]string{},
	}
	for _, q := range s.Step.Questions {
		d.Questions = append(d.Questions, q.ID)
	}
	if len(d.Questions) == 0 {
		d.State = store.DeliveryDone
	}
	// A scheduled step is part of the day's broadcast; /today is a
	// conversation.
	fx := effects{bulk: !s.Manual}
	// A letter day left unanswered (or closed by the safety net) still
	// gives the client their letter: it comes before the next step.
	if prev, err := tx.LatestDelivery(c.ChatID); err == nil && prev.State == store.DeliveryClosed {
		if _, st, ok := b.stepOf(&prev); ok && st.Letter {
			if err := b.sendLetter(tx, &fx, c, &prev); err != nil {
				return err
			}
		}
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	vars, err := b.vars(tx, c, s.Day)
	if err != nil {
		return err
	}
	if err := b.askNext(tx, &fx, c, &d, s.Step, vars, s.Step.Intro); err != nil {
		return err
	}
	if err := tx.PutDelivery(d); err != nil {
		return err
	}
	b.Wake()
	return nil
}

// Remind enqueues the one gentle reminder of an open step.
func (b *Bot) Remind(tx *store.Tx, c *store.Client, d *store.Delivery, now time.Time) error {
	fx := effects{bulk: true}
	vars, err := b.vars(tx, c, d.Day)
	if err != nil {
		return err
	}
	if err := b.say(tx, &fx, c.ChatID, b.text(c.Language, "reminder", vars)); err != nil {
		return err
	}
	b.Wake()
	return nil
}

// vars are the placeholder values for a client on a day.
func (b *Bot) vars(tx *store.Tx, c *store.Client, day int) (prompts.Vars, error) {
	v := prompts.Vars{Name: c.Name, Day: day, TimeZone: c.TimeZone, Time: c.SendTime}
	for _, co := range b.cfg.Coaches {
		if co.ID == c.Coach {
			v.Coach = co.Name
		}
	}
	s, ok, err := b.sessionOfDay(tx, c, day)
	if err != nil {
		return v, err
	}
	if ok {
		v.Intention = s.Intention
		v.Date = b.formatDate(c.Language, s.Date)
	}
	return v, nil
}
