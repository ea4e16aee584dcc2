package telegramtest

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"
)

// chatState is one chat and every message in it, the bot's and people's,
// which share one message id sequence as in Telegram.
type chatState struct {
	wire     wireChat
	lastID   int
	byID     map[int]*messageRecord
	botSent  []*messageRecord
	blocked  bool
	instance string // chat_instance of callback queries from this chat
}

type messageRecord struct {
	wire    *wireMessage
	fromBot bool
	deleted bool
	view    *Message // the inspectable form, for the bot's messages
}

type userState struct {
	wire wireUser
}

type callbackRecord struct {
	chatID    int64
	messageID int
	answered  bool
	answer    Answer
}

type fileRecord struct {
	id       string
	uniqueID string
	path     string
	name     string
	mimeType string
	width    int
	height   int
	data     []byte
}

func (f *fileRecord) view() *File {
	return &File{
		ID: f.id, UniqueID: f.uniqueID, Path: f.path, Name: f.name,
		MimeType: f.mimeType, Width: f.width, Height: f.height, Data: f.data,
	}
}

type commandKey struct {
	scope    string
	language string
}

func (s *Server) chatLocked(id int64, typ string) *chatState {
	c := s.chats[id]
	if c == nil {
		c = &chatState{
			wire:     wireChat{ID: id, Type: typ},
			byID:     make(map[int]*messageRecord),
			instance: strconv.FormatInt(-(id*7919 + 104729), 10), // stable per chat, like Telegram's
		}
		s.chats[id] = c
	}
	return c
}

// addMessageLocked gives m the chat's next message id and the current date
// and stores it.
func (s *Server) addMessageLocked(c *chatState, m *wireMessage, fromBot bool) *messageRecord {
	c.lastID++
	m.MessageID = c.lastID
	m.Date = s.now().Unix()
	m.Chat = c.wire
	rec := &messageRecord{wire: m, fromBot: fromBot}
	c.byID[m.MessageID] = rec
	return rec
}

// addBotMessageLocked stores a message the bot sent and its inspectable view.
func (s *Server) addBotMessageLocked(c *chatState, m *wireMessage, content Content, doc, photo *File) *messageRecord {
	bot := s.bot
	m.From = &bot
	rec := s.addMessageLocked(c, m, true)
	rec.view = &Message{
		ChatID:   c.wire.ID,
		ID:       m.MessageID,
		Date:     time.Unix(m.Date, 0),
		Content:  content,
		Document: doc,
		Photo:    photo,
		History:  []Content{content},

		Protected: m.HasProtectedContent,
	}
	if m.ReplyToMessage != nil {
		rec.view.ReplyTo = m.ReplyToMessage.MessageID
	}
	c.botSent = append(c.botSent, rec)
	s.eventLocked(rec)
	return rec
}

func (s *Server) eventLocked(rec *messageRecord) {
	s.events = append(s.events, rec.view.clone())
	s.notifyLocked()
}

// fileKinds gives each kind of file Telegram's file_id prefix and folder.
var fileKinds = map[string]struct{ prefix, dir, ext string }{
	"document": {"BQACAgIAAxkBAAI", "documents", ""},
	"photo":    {"AgACAgIAAxkBAAI", "photos", ".jpg"},
	"voice":    {"AwACAgIAAxkBAAI", "voice", ".oga"},
	"sticker":  {"CAACAgIAAxkBAAI", "stickers", ".webp"},
}

func (s *Server) addFileLocked(kind, name, mimeType string, data []byte) *fileRecord {
	k := fileKinds[kind]
	s.nextFile++
	ext := k.ext
	if kind == "document" {
		ext = path.Ext(name)
	}
	f := &fileRecord{
		id:       fmt.Sprintf("%s%06dFake", k.prefix, s.nextFile),
		uniqueID: fmt.Sprintf("AgAD%06d", s.nextFile),
		path:     fmt.Sprintf("%s/file_%d%s", k.dir, s.nextFile, ext),
		name:     name,
		mimeType: mimeType,
		data:     data,
	}
	s.files[f.id] = f
	s.paths[f.path] = f
	return f
}

// documentTypes gives the MIME type Telegram reports for common extensions.
var documentTypes = map[string]string{
	".pdf": "application/pdf", ".txt": "text/plain", ".csv": "text/csv",
	".json": "application/json", ".zip": "application/zip", ".html": "text/html",
	".md": "text/markdown", ".yaml": "application/x-yaml", ".yml": "application/x-yaml",
	".ogg": "audio/ogg", ".oga": "audio/ogg", ".png": "image/png", ".jpg": "image/jpeg",
	".jpeg": "image/jpeg",
}

func documentType(name, declared string) string {
	if t, found := documentTypes[strings.ToLower(path.Ext(name))]; found {
		return t
	}
	if declared != "" && declared != "application/octet-stream" {
		return declared
	}
	return "application/octet-stream"
}

func wireKeyboardView(kb *wireKeyboard) [][]Button {
	if kb == nil {
		return nil
	}
	rows := make([][]Button, len(kb.InlineKeyboard))
	for i, row := range kb.InlineKeyboard {
		rows[i] = make([]Button, len(row))
		for j, b := range row {
			rows[i][j] = Button{Text: b.Text, URL: b.URL}
			if b.CallbackData != nil {
				rows[i][j].CallbackData = *b.CallbackData
			}
		}
	}
	return rows
}
