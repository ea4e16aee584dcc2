package telegramtest

import (
	"context"
	"fmt"
)

// User is a simulated person who talks to the bot in a private chat whose id
// is the person's id. Every action queues the update Telegram would send and
// returns at once.
type User struct {
	s  *Server
	id int64
}

// User returns the person with this id, creating them and their private
// chat with the bot, as if they had opened it. Calling it again with the
// same id returns the same person with the names given.
func (s *Server) User(id int64, firstName, languageCode string) *User {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[id]
	if u == nil {
		u = &userState{}
		s.users[id] = u
	}
	u.wire = wireUser{ID: id, FirstName: firstName, LanguageCode: languageCode}
	c := s.chatLocked(id, "private")
	c.wire.FirstName = firstName
	s.notifyLocked()
	return &User{s: s, id: id}
}

// ID returns the person's user id, which is also their chat id.
func (u *User) ID() int64 { return u.id }

func (s *Server) fromLocked(id int64) *wireUser {
	w := s.users[id].wire
	return &w
}

// send stores a message from the person and queues it as an update.
func (u *User) send(fill func(m *wireMessage)) int {
	s := u.s
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[u.id]
	m := &wireMessage{From: s.fromLocked(u.id)}
	fill(m)
	rec := s.addMessageLocked(c, m, false)
	s.enqueueLocked("message", rec.wire)
	return rec.wire.MessageID
}

// Send sends a text message and returns its message id. Commands such as
// "/start" get a bot_command entity, as Telegram gives them.
func (u *User) Send(text string) int {
	return u.send(func(m *wireMessage) {
		m.Text, m.Entities = text, commandEntities(text)
	})
}

// Reply sends a text message replying to message to, which must exist in
// the chat, and returns the new message's id.
func (u *User) Reply(to int, text string) (int, error) {
	s := u.s
	s.mu.Lock()
	target := s.chats[u.id].byID[to]
	var quoted *wireMessage
	if target != nil && !target.deleted {
		quoted = target.wire.quoted()
	}
	s.mu.Unlock()
	if quoted == nil {
		return 0, fmt.Errorf("reply to message %d in chat %d: %w", to, u.id, ErrNoMessage)
	}
	return u.send(func(m *wireMessage) {
		m.Text, m.Entities, m.ReplyToMessage = text, commandEntities(text), quoted
	}), nil
}

// Edit changes the text of one of the person's own text messages and queues
// an edited_message update.
func (u *User) Edit(messageID int, text string) error {
	s := u.s
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.chats[u.id].byID[messageID]
	if rec == nil || rec.deleted || rec.fromBot || rec.wire.Text == "" {
		return fmt.Errorf("edit message %d in chat %d: %w", messageID, u.id, ErrNoMessage)
	}
	m := *rec.wire
	m.Text, m.Entities, m.EditDate = text, commandEntities(text), s.now().Unix()
	rec.wire = &m
	s.enqueueLocked("edited_message", rec.wire)
	return nil
}

// Press presses the inline button with callbackData on one of the bot's
// messages and returns the callback query id. The button must be on the
// message now, as a person can only press what they see.
func (u *User) Press(messageID int, callbackData string) (string, error) {
	s := u.s
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[u.id]
	rec := c.byID[messageID]
	if rec == nil || rec.deleted || !rec.fromBot {
		return "", fmt.Errorf("press %q on message %d in chat %d: %w", callbackData, messageID, u.id, ErrNoMessage)
	}
	found := false
	if kb := rec.wire.ReplyMarkup; kb != nil {
		for _, row := range kb.InlineKeyboard {
			for _, b := range row {
				if b.CallbackData != nil && *b.CallbackData == callbackData {
					found = true
				}
			}
		}
	}
	if !found {
		return "", fmt.Errorf("press %q on message %d in chat %d: %w", callbackData, messageID, u.id, ErrNoButton)
	}
	s.nextQuery++
	id := fmt.Sprintf("%d%07d", u.id, s.nextQuery)
	s.callbacks[id] = &callbackRecord{chatID: u.id, messageID: messageID}
	msg := *rec.wire
	s.enqueueLocked("callback_query", wireCallbackQuery{
		ID:           id,
		From:         *s.fromLocked(u.id),
		Message:      &msg,
		ChatInstance: c.instance,
		Data:         callbackData,
	})
	return id, nil
}

// Voice sends a voice message of audio (OGG/Opus in Telegram) lasting
// seconds and returns its message id. The bot can fetch the audio with
// getFile and the file URL.
func (u *User) Voice(seconds int, audio []byte) int {
	return u.send(func(m *wireMessage) {
		f := u.s.addFileLocked("voice", "", "audio/ogg", append([]byte(nil), audio...))
		m.Voice = &wireVoice{
			FileID: f.id, FileUniqueID: f.uniqueID, Duration: seconds,
			MimeType: f.mimeType, FileSize: len(f.data),
		}
	})
}

// Sticker sends a sticker and returns its message id.
func (u *User) Sticker() int {
	return u.send(func(m *wireMessage) {
		f := u.s.addFileLocked("sticker", "", "image/webp", []byte("RIFF\x00\x00\x00\x00WEBPVP8 "))
		m.Sticker = &wireSticker{
			FileID: f.id, FileUniqueID: f.uniqueID, Type: "regular", Width: 512, Height: 512,
			Emoji: "🙂", FileSize: len(f.data),
		}
	})
}

// tinyPNG is a 1x1 PNG, the bytes behind a simulated photo.
var tinyPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\b\x00\x00\x00\x00:~\x9bU\x00\x00\x00\x0eIDATx\x9cbb\x00\x04\x00\x00\xff\xff\x00\x06\x00\x03\xfa\xd0Y\xae\x00\x00\x00\x00IEND\xaeB`\x82")

// Photo sends a photo, in the two sizes Telegram would list, and returns its
// message id.
func (u *User) Photo() int {
	return u.send(func(m *wireMessage) {
		for _, size := range [][2]int{{90, 90}, {800, 800}} {
			f := u.s.addFileLocked("photo", "", "image/png", tinyPNG)
			f.width, f.height = size[0], size[1]
			m.Photo = append(m.Photo, wirePhotoSize{
				FileID: f.id, FileUniqueID: f.uniqueID, Width: size[0], Height: size[1], FileSize: len(f.data),
			})
		}
	})
}

// Messages returns the messages the bot sent to this person, as
// Server.Messages.
func (u *User) Messages() []Message { return u.s.Messages(u.id) }

// WaitMessages waits until the bot has sent this person at least n
// messages, as Server.WaitMessages.
func (u *User) WaitMessages(ctx context.Context, n int) ([]Message, error) {
	return u.s.WaitMessages(ctx, u.id, n)
}

// GroupMessage sends text from a person to a group the bot is in and
// returns its message id. chatID must be negative, as group ids are; ids
// below -1000000000000 are supergroups. The group is created on first use.
func (s *Server) GroupMessage(chatID int64, from *User, text string) (int, error) {
	if chatID >= 0 {
		return 0, fmt.Errorf("group message to chat %d: group ids are negative", chatID)
	}
	if from == nil || from.s != s {
		return 0, fmt.Errorf("group message to chat %d: sender is not a user of this server", chatID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	typ := "group"
	if chatID < -1000000000000 {
		typ = "supergroup"
	}
	c := s.chatLocked(chatID, typ)
	if c.wire.Type == "channel" {
		return 0, fmt.Errorf("group message to chat %d: it is a channel", chatID)
	}
	if c.wire.Title == "" {
		c.wire.Title = fmt.Sprintf("Group %d", -chatID)
	}
	m := &wireMessage{From: s.fromLocked(from.id), Text: text, Entities: commandEntities(text)}
	rec := s.addMessageLocked(c, m, false)
	s.enqueueLocked("message", rec.wire)
	return rec.wire.MessageID, nil
}

// ChannelPost posts text in a channel the bot is in and returns its message
// id. chatID must be negative; the channel is created on first use.
func (s *Server) ChannelPost(chatID int64, text string) (int, error) {
	if chatID >= 0 {
		return 0, fmt.Errorf("channel post to chat %d: channel ids are negative", chatID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chatLocked(chatID, "channel")
	if c.wire.Type != "channel" {
		return 0, fmt.Errorf("channel post to chat %d: it is a %s", chatID, c.wire.Type)
	}
	if c.wire.Title == "" {
		c.wire.Title = fmt.Sprintf("Channel %d", -chatID)
	}
	sender := c.wire
	m := &wireMessage{SenderChat: &sender, Text: text, Entities: commandEntities(text)}
	rec := s.addMessageLocked(c, m, false)
	s.enqueueLocked("channel_post", rec.wire)
	return rec.wire.MessageID, nil
}
