package bot_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"kindling/bot"
	"kindling/schedule"
	"kindling/store"
	"kindling/telegram"
)

// fakeAPI is a recording bot.API for the conversation tests where HTTP is
// not the point: every call succeeds at once, each message gets the next
// id, and what was sent is kept per chat.
type fakeAPI struct {
	mu      sync.Mutex
	nextID  int
	chats   map[int64][]fakeMessage
	answers []string // the texts of button presses answered
	menus   []telegram.Menu
	files   map[string][]byte // file id -> content
}

// fakeMessage is one message the bot sent: a text, a document or a photo.
type fakeMessage struct {
	ID       int
	Text     string // or a document's or photo's caption
	Keyboard [][]telegram.Button
	Document string // the file name of a document
	Photo    bool
	Protect  bool
}

var _ bot.API = (*fakeAPI)(nil)

func newFakeAPI() *fakeAPI {
	return &fakeAPI{chats: map[int64][]fakeMessage{}, files: map[string][]byte{}}
}

func (f *fakeAPI) add(chat int64, m fakeMessage) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	m.ID = f.nextID
	f.chats[chat] = append(f.chats[chat], m)
	return m.ID
}

func (f *fakeAPI) SendText(_ context.Context, m telegram.Text) (int, error) {
	return f.add(m.ChatID, fakeMessage{Text: m.Text, Keyboard: m.Keyboard, Protect: m.Protect}), nil
}

func (f *fakeAPI) SendDocument(_ context.Context, d telegram.Document) (int, error) {
	return f.add(d.ChatID, fakeMessage{Text: d.Caption, Document: d.Name, Protect: d.Protect}), nil
}

func (f *fakeAPI) SendPhoto(_ context.Context, p telegram.Photo) error {
	f.add(p.ChatID, fakeMessage{Text: p.Caption, Photo: true})
	return nil
}

func (f *fakeAPI) AnswerCallback(_ context.Context, _, text string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers = append(f.answers, text)
	return nil
}

// EditKeyboard replaces the keyboard of a message the bot sent.
func (f *fakeAPI) EditKeyboard(_ context.Context, chat int64, id int, markup *models.InlineKeyboardMarkup) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, m := range f.chats[chat] {
		if m.ID != id {
			continue
		}
		var rows [][]telegram.Button
		for _, row := range markup.InlineKeyboard {
			var r []telegram.Button
			for _, b := range row {
				r = append(r, telegram.Button{Text: b.Text, Data: b.CallbackData})
			}
			rows = append(rows, r)
		}
		f.chats[chat][i].Keyboard = rows
		return nil
	}
	return errors.New("fake: no such message to edit")
}

func (f *fakeAPI) SetCommands(_ context.Context, m telegram.Menu) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.menus = append(f.menus, m)
	return nil
}

func (f *fakeAPI) GetFile(_ context.Context, id string) (*models.File, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.files[id]; !ok {
		return nil, errors.New("fake: no such file")
	}
	return &models.File{FileID: id, FilePath: id}, nil
}

func (f *fakeAPI) Download(_ context.Context, file *models.File) (io.ReadCloser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return io.NopCloser(bytes.NewReader(f.files[file.FileID])), nil
}

// messages is what the bot sent to chat, in order.
func (f *fakeAPI) messages(chat int64) []fakeMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeMessage(nil), f.chats[chat]...)
}

// talk is the bot on the recording fake: updates go straight to Handle,
// the outbox drains into the fake. No HTTP, no poller.
type talk struct {
	t      *testing.T
	api    *fakeAPI
	db     *store.DB
	bot    *bot.Bot
	sched  *schedule.Scheduler
	clock  *fakeClock
	log    *lockedBuffer
	update int64
	msgID  int
}

func newTalk(t *testing.T, opts ...option) *talk {
	t.Helper()
	cfg := defaultConfig(opts)
	k := &talk{t: t, api: newFakeAPI(), clock: &fakeClock{now: cfg.start}, log: &lockedBuffer{}}
	// Durability is not the point here: the end-to-end tests sync.
	db, err := store.Open(filepath.Join(t.TempDir(), "kindling.db"), store.Options{Timeout: time.Second, Now: k.clock.Now, NoSync: true, BatchDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	k.db = db
	k.bot, k.sched = newTestBot(t, cfg, db, k.api, testSender(cfg, k.log), k.clock, k.log)
	_, stop := runBot(k.bot, nil, k.log)
	t.Cleanup(func() {
		stop()
		closeStore(t, db)
		if t.Failed() {
			t.Logf("bot log:\n%s", k.log.String())
		}
	})
	return k
}

// handle hands the bot one update and waits until its outbox is sent.
func (k *talk) handle(u *models.Update) {
	k.t.Helper()
	k.update++
	u.ID = k.update
	if err := k.bot.Handle(context.Background(), u); err != nil {
		k.t.Fatalf("update %d: %v", u.ID, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := k.bot.WaitIdle(ctx); err != nil {
		k.t.Fatalf("outbox not drained: %v", err)
	}
}

func privateChat(chat int64, name string) (models.Chat, *models.User) {
	return models.Chat{ID: chat, Type: models.ChatTypePrivate, FirstName: name},
		&models.User{ID: chat, FirstName: name, LanguageCode: "en"}
}

// send is a text message from the person of private chat chat.
func (k *talk) send(chat int64, name, text string) {
	k.t.Helper()
	c, from := privateChat(chat, name)
	k.msgID++
	m := &models.Message{ID: k.msgID, Chat: c, From: from, Date: int(k.clock.Now().Unix()), Text: text}
	if len(text) > 0 && text[0] == '/' {
		end := len(text)
		for i, r := range text {
			if r == ' ' {
				end = i
				break
			}
		}
		m.Entities = []models.MessageEntity{{Type: models.MessageEntityTypeBotCommand, Offset: 0, Length: end}}
	}
	k.handle(&models.Update{Message: m})
}

// press presses the button with data on the newest message showing it.
func (k *talk) press(chat int64, name, data string) {
	k.t.Helper()
	msgs := k.api.messages(chat)
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, row := range msgs[i].Keyboard {
			for _, b := range row {
				if b.Data != data {
					continue
				}
				c, from := privateChat(chat, name)
				k.handle(&models.Update{CallbackQuery: &models.CallbackQuery{
					ID: "q" + data, From: *from, Data: data,
					Message: models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage,
						Message: &models.Message{ID: msgs[i].ID, Chat: c, Text: msgs[i].Text}},
				}})
				return
			}
		}
	}
	k.t.Fatalf("no button %q in chat %d; last message: %q", data, chat, k.lastText(chat))
}

func (k *talk) lastText(chat int64) string {
	msgs := k.api.messages(chat)
	if len(msgs) == 0 {
		return ""
	}
	return msgs[len(msgs)-1].Text
}

func (k *talk) client(chat int64) store.Client {
	k.t.Helper()
	var c store.Client
	if err := k.db.View(func(tx *store.Tx) error {
		var err error
		c, err = tx.Client(chat)
		return err
	}); err != nil {
		k.t.Fatal(err)
	}
	return c
}

// onboard drives /start, consent, time zone, time and session date, with
// the buttons when they show the value, typed otherwise.
func (k *talk) onboard(chat int64, name, zone, clock, session string) {
	k.t.Helper()
	k.send(chat, name, "/start")
	k.press(chat, name, "c|yes")
	for _, step := range []struct{ prefix, value string }{{"tz|", zone}, {"t|", clock}} {
		if k.hasButton(chat, step.prefix+step.value) {
			k.press(chat, name, step.prefix+step.value)
		} else {
			k.send(chat, name, step.value)
		}
	}
	k.send(chat, name, session)
	if c := k.client(chat); c.Setup != "" || c.TimeZone != zone || c.SendTime != clock || c.Status != store.StatusActive {
		k.t.Fatalf("after onboarding: setup %q, zone %q, time %q, status %q", c.Setup, c.TimeZone, c.SendTime, c.Status)
	}
}

func (k *talk) hasButton(chat int64, data string) bool {
	for _, m := range k.api.messages(chat) {
		for _, row := range m.Keyboard {
			for _, b := range row {
				if b.Data == data {
					return true
				}
			}
		}
	}
	return false
}

// tick moves the clock to now and runs one schedule tick.
func (k *talk) tick(now time.Time) schedule.Stats {
	k.t.Helper()
	k.clock.Set(now)
	st, err := k.sched.Tick(context.Background(), now)
	if err != nil {
		k.t.Fatalf("tick at %s: %v", now, err)
	}
	k.bot.Wake()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := k.bot.WaitIdle(ctx); err != nil {
		k.t.Fatalf("outbox not drained: %v", err)
	}
	return st
}

func (k *talk) sessions(chat int64) []store.Session {
	k.t.Helper()
	var s []store.Session
	if err := k.db.View(func(tx *store.Tx) error {
		var err error
		s, err = tx.Sessions(chat)
		return err
	}); err != nil {
		k.t.Fatal(err)
	}
	return s
}

func (k *talk) deliveries(chat int64) []store.Delivery {
	k.t.Helper()
	var ds []store.Delivery
	if err := k.db.View(func(tx *store.Tx) error {
		var err error
		ds, err = tx.Deliveries(chat)
		return err
	}); err != nil {
		k.t.Fatal(err)
	}
	return ds
}
