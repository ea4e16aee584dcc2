package telegramtest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Message is a message the bot sent, as the fake holds it now.
type Message struct {
	ChatID   int64
	ID       int
	Date     time.Time
	EditDate time.Time // zero until the message is edited
	ReplyTo  int       // the message this one replies to, 0 if none
	Deleted  bool      // deleted with deleteMessage
	// Protected is set when the message was sent with protect_content:
	// its receiver cannot forward it or save what it holds.
	Protected bool

	// Content is the current text (or caption), parse mode and keyboard.
	Content

	Document *File // set for sendDocument
	Photo    *File // set for sendPhoto

	// History holds every version of the content in order: as sent first,
	// the current one last.
	History []Content
}

// Content is what a message says and offers at one moment.
type Content struct {
	// Text is the text (or caption) as a person sees it: parse_mode markup
	// parsed away, surrounding white space trimmed, as Telegram does.
	Text string
	// Source is the text exactly as the bot sent it.
	Source    string
	ParseMode string
	// Keyboard is the inline keyboard, row by row; nil when there is none.
	Keyboard [][]Button
}

// Button is one inline keyboard button.
type Button struct {
	Text         string
	CallbackData string
	URL          string
}

// File is a file the bot uploaded or a simulated person sent. Data is a copy
// that the caller may keep.
type File struct {
	ID       string
	UniqueID string
	Path     string // file_path for getFile and downloads
	Name     string
	MimeType string
	Width    int // photos only
	Height   int // photos only
	Data     []byte
}

// Call is one request the bot made.
type Call struct {
	Method string
	// Params holds each field as text: form values as sent, JSON strings
	// unquoted, other JSON values as JSON text.
	Params map[string]string
	// Files maps each uploaded form field to its file name.
	Files map[string]string
	// Status is the HTTP status answered, 0 if the connection was dropped
	// or the client left before the answer.
	Status int
	// Description is Telegram's error description, empty on success.
	Description string
	At          time.Time
}

// Command is one command set with setMyCommands.
type Command struct {
	Command     string `json:"command"`
	Description string `json:"description"`
}

// Webhook is the webhook set with setWebhook; its URL is empty when none is.
// The fake records it and never calls it.
type Webhook struct {
	URL            string
	SecretToken    string
	MaxConnections int
	AllowedUpdates []string
	IPAddress      string
}

// Answer is how the bot answered a callback query.
type Answer struct {
	Text      string
	ShowAlert bool
	URL       string
}

func (m *Message) clone() Message {
	c := *m
	c.Content = m.Content.clone()
	c.History = make([]Content, len(m.History))
	for i, h := range m.History {
		c.History[i] = h.clone()
	}
	if m.Document != nil {
		c.Document = m.Document.clone()
	}
	if m.Photo != nil {
		c.Photo = m.Photo.clone()
	}
	return c
}

func (c Content) clone() Content {
	if c.Keyboard != nil {
		kb := make([][]Button, len(c.Keyboard))
		for i, row := range c.Keyboard {
			kb[i] = slices.Clone(row)
		}
		c.Keyboard = kb
	}
	return c
}

func (f *File) clone() *File {
	c := *f
	c.Data = slices.Clone(f.Data)
	return &c
}

// Messages returns the messages the bot sent to a chat, oldest first, each
// as it is now (after edits; deleted ones flagged).
func (s *Server) Messages(chatID int64) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil {
		return nil
	}
	out := make([]Message, len(c.botSent))
	for i, rec := range c.botSent {
		out[i] = rec.view.clone()
	}
	return out
}

// Message returns one message the bot sent, by chat and message id.
func (s *Server) Message(chatID int64, messageID int) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil {
		return Message{}, false
	}
	rec := c.byID[messageID]
	if rec == nil || rec.view == nil {
		return Message{}, false
	}
	return rec.view.clone(), true
}

func (s *Server) sentCount(chatID int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.chats[chatID]; c != nil {
		return len(c.botSent)
	}
	return 0
}

// Calls returns the requests made for a method (case-insensitive), or all
// requests for "", in the order they were answered.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || strings.EqualFold(c.Method, method) {
			cp := *c
			cp.Params = cloneMap(c.Params)
			cp.Files = cloneMap(c.Files)
			out = append(out, cp)
		}
	}
	return out
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// Responses returns how many answers had the HTTP status code, counting
// every kind of request; Responses(429) counts every "Too Many Requests",
// from faults and from LimitRate alike.
func (s *Server) Responses(code int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.responses[code]
}

// Commands returns the commands set for the default scope and no language.
func (s *Server) Commands() []Command {
	return s.CommandsFor("default", "")
}

// CommandsFor returns the commands set for a scope and language code. The
// scope is its type ("default", "all_private_chats", ...), followed for
// chat scopes by ":" and the chat_id, and ":" and the user_id for
// chat_member, as in "chat:42" or "chat_member:42:7".
func (s *Server) CommandsFor(scope, languageCode string) []Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.commands[commandKey{scope: scope, language: languageCode}])
}

// Webhook returns the webhook currently set.
func (s *Server) Webhook() Webhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.webhook
	w.AllowedUpdates = slices.Clone(w.AllowedUpdates)
	return w
}

// CallbackAnswer returns how the bot answered a callback query, and whether
// it did.
func (s *Server) CallbackAnswer(queryID string) (Answer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cb := s.callbacks[queryID]
	if cb == nil || !cb.answered {
		return Answer{}, false
	}
	return cb.answer, true
}

// Pending returns the number of updates not yet confirmed by getUpdates,
// whether or not they were delivered.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// Changed returns a channel closed at the next change of the server's state:
// a request answered, a message sent, an update queued or confirmed.
func (s *Server) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// Wait blocks until cond returns true, re-checking it after every change of
// the server's state. cond may call the server's methods. Wait returns
// ctx.Err() or ErrClosed if either comes first.
func (s *Server) Wait(ctx context.Context, cond func() bool) error {
	for {
		wake := s.Changed()
		if cond() {
			return nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.closed:
			if cond() {
				return nil
			}
			return ErrClosed
		}
	}
}

// WaitMessages waits until the bot has sent at least n messages to a chat
// and returns them all.
func (s *Server) WaitMessages(ctx context.Context, chatID int64, n int) ([]Message, error) {
	err := s.Wait(ctx, func() bool { return s.sentCount(chatID) >= n })
	msgs := s.Messages(chatID)
	if err != nil {
		return msgs, fmt.Errorf("wait for %d messages in chat %d, have %d: %w", n, chatID, len(msgs), err)
	}
	return msgs, nil
}

// WaitConfirmed waits until getUpdates has confirmed every queued update.
func (s *Server) WaitConfirmed(ctx context.Context) error {
	if err := s.Wait(ctx, func() bool { return s.Pending() == 0 }); err != nil {
		return fmt.Errorf("wait for updates to be confirmed, %d pending: %w", s.Pending(), err)
	}
	return nil
}

// WaitIdle waits until every update is confirmed, no request other than
// getUpdates is being handled, and the bot is parked in a long poll: it has
// done all it will do until something new happens. A bot that is not
// polling never becomes idle.
func (s *Server) WaitIdle(ctx context.Context) error {
	idle := func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.queue) == 0 && s.inflight == 0 && s.polling > 0
	}
	if err := s.Wait(ctx, idle); err != nil {
		s.mu.Lock()
		pending, inflight, polling := len(s.queue), s.inflight, s.polling
		s.mu.Unlock()
		return fmt.Errorf("wait for idle (pending %d, in flight %d, polling %d): %w", pending, inflight, polling, err)
	}
	return nil
}

// Subscribe streams every message the bot sends, edits or deletes from now
// on, each as it was at that moment, in order. The channel closes when ctx
// ends or the server closes; the caller must keep reading or end ctx.
func (s *Server) Subscribe(ctx context.Context) <-chan Message {
	ch := make(chan Message)
	s.mu.Lock()
	next := len(s.events)
	s.mu.Unlock()
	go func() {
		defer close(ch)
		for {
			s.mu.Lock()
			batch := s.events[next:len(s.events):len(s.events)]
			wake := s.changed
			s.mu.Unlock()
			next += len(batch)
			for _, m := range batch {
				select {
				case ch <- m.clone():
				case <-ctx.Done():
					return
				case <-s.closed:
					return
				}
			}
			if len(batch) > 0 {
				continue
			}
			select {
			case <-wake:
			case <-ctx.Done():
				return
			case <-s.closed:
				return
			}
		}
	}()
	return ch
}
