package telegramtest

import (
	_ "image/gif" // sendPhoto accepts GIF, JPEG and PNG
	_ "image/jpeg"
	_ "image/png"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Telegram's limits on files: uploads by bots, and getFile downloads.
const (
	maxUpload   = 50 << 20
	maxDownload = 20 << 20
)

func (s *Server) getMe(*request) reply {
	return ok(wireBotUser{wireUser: s.bot, CanJoinGroups: true})
}

// targetChatLocked resolves chat_id to a chat the bot may write to.
func (s *Server) targetChatLocked(p params) (*chatState, *reply) {
	raw := strings.TrimSpace(p.str("chat_id"))
	if raw == "" {
		rep := badRequest("chat_id is empty")
		return nil, &rep
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		// "@username" names a public chat; the fake has none.
		rep := badRequest("chat not found")
		return nil, &rep
	}
	c := s.chats[id]
	if c == nil {
		rep := badRequest("chat not found")
		return nil, &rep
	}
	if c.blocked {
		var rep reply
		switch c.wire.Type {
		case "private":
			rep = apiErr(http.StatusForbidden, "Forbidden: bot was blocked by the user")
		case "channel":
			rep = apiErr(http.StatusForbidden, "Forbidden: bot is not a member of the channel chat")
		case "supergroup":
			rep = apiErr(http.StatusForbidden, "Forbidden: bot was kicked from the supergroup chat")
		default:
			rep = apiErr(http.StatusForbidden, "Forbidden: bot was kicked from the group chat")
		}
		return nil, &rep
	}
	return c, nil
}

// replyTargetLocked reads reply_parameters or reply_to_message_id.
func (s *Server) replyTargetLocked(c *chatState, p params) (*wireMessage, *reply) {
	var rp struct {
		MessageID                int  `json:"message_id"`
		AllowSendingWithoutReply bool `json:"allow_sending_without_reply"`
	}
	if found, err := p.json("reply_parameters", &rp); found && err != nil {
		rep := badRequest("can't parse reply parameters JSON object")
		return nil, &rep
	}
	if rp.MessageID == 0 {
		id, rep := p.int64("reply_to_message_id")
		if rep != nil {
			return nil, rep
		}
		rp.MessageID = int(id)
		rp.AllowSendingWithoutReply = p.bool("allow_sending_without_reply")
	}
	if rp.MessageID == 0 {
		return nil, nil
	}
	target := c.byID[rp.MessageID]
	if target == nil || target.deleted {
		if rp.AllowSendingWithoutReply {
			return nil, nil
		}
		rep := badRequest("message to be replied not found")
		return nil, &rep
	}
	return target.wire.quoted(), nil
}

// sendsAllowedLocked applies LimitRate to a message about to be sent.
func (s *Server) sendsAllowedLocked(chatID int64) *reply {
	if retry, allowed := s.rate.allow(s.now(), chatID); !allowed {
		rep := tooMany(retry)
		return &rep
	}
	return nil
}

// sendPartsLocked reads what every send method shares, in the order
// Telegram checks it: the keyboard, the message replied to, then the
// rate limit.
func (s *Server) sendPartsLocked(c *chatState, p params) (*wireKeyboard, *wireMessage, *reply) {
	kb, _, rep := parseKeyboard(p)
	if rep != nil {
		return nil, nil, rep
	}
	replyTo, rep := s.replyTargetLocked(c, p)
	if rep != nil {
		return nil, nil, rep
	}
	if rep := s.sendsAllowedLocked(c.wire.ID); rep != nil {
		return nil, nil, rep
	}
	return kb, replyTo, nil
}

func (s *Server) sendMessage(req *request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := req.params
	c, rep := s.targetChatLocked(p)
	if rep != nil {
		return *rep
	}
	src := p.str("text")
	if strings.TrimSpace(src) == "" {
		return badRequest("message text is empty")
	}
	text, ents, rep := formatText(src, p.str("parse_mode"), p.str("entities"))
	if rep != nil {
		return *rep
	}
	if text == "" {
		return badRequest("message text is empty")
	}
	if utf8.RuneCountInString(text) > maxTextLen {
		return badRequest("message is too long")
	}
	kb, replyTo, rep := s.sendPartsLocked(c, p)
	if rep != nil {
		return *rep
	}
	m := &wireMessage{Text: text, Entities: ents, ReplyMarkup: kb, ReplyToMessage: replyTo, HasProtectedContent: p.bool("protect_content")}
	content := Content{Text: text, Source: src, ParseMode: p.str("parse_mode"), Keyboard: wireKeyboardView(kb)}
	rec := s.addBotMessageLocked(c, m, content, nil, nil)
	return ok(rec.wire)
}

// editTargetLocked finds the bot's message that an edit method names.
func (s *Server) editTargetLocked(p params) (*chatState, *messageRecord, *reply) {
	if p.str("inline_message_id") != "" {
		rep := badRequest("MESSAGE_ID_INVALID")
		return nil, nil, &rep
	}
	c, rep := s.targetChatLocked(p)
	if rep != nil {
		return nil, nil, rep
	}
	id, rep := p.int64("message_id")
	if rep != nil {
		return nil, nil, rep
	}
	rec := c.byID[int(id)]
	if rec == nil || rec.deleted {
		r := badRequest("message to edit not found")
		return nil, nil, &r
	}
	if !rec.fromBot {
		r := badRequest("message can't be edited")
		return nil, nil, &r
	}
	return c, rec, nil
}

func notModified() reply {
	return badRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
}

func (s *Server) editMessageText(req *request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := req.params
	_, rec, rep := s.editTargetLocked(p)
	if rep != nil {
		return *rep
	}
	src := p.str("text")
	if strings.TrimSpace(src) == "" {
		return badRequest("message text is empty")
	}
	if rec.wire.Text == "" {
		return badRequest("there is no text in the message to edit")
	}
	text, ents, rep := formatText(src, p.str("parse_mode"), p.str("entities"))
	if rep != nil {
		return *rep
	}
	if text == "" {
		return badRequest("message text is empty")
	}
	if utf8.RuneCountInString(text) > maxTextLen {
		return badRequest("message is too long")
	}
	// Without reply_markup an edit removes the inline keyboard, as in Telegram.
	kb, _, rep := parseKeyboard(p)
	if rep != nil {
		return *rep
	}
	old := rec.wire
	if old.Text == text && reflect.DeepEqual(old.Entities, ents) && reflect.DeepEqual(old.ReplyMarkup, kb) {
		return notModified()
	}
	m := *old
	m.Text, m.Entities, m.ReplyMarkup = text, ents, kb
	content := Content{Text: text, Source: src, ParseMode: p.str("parse_mode"), Keyboard: wireKeyboardView(kb)}
	s.editLocked(rec, &m, content)
	return ok(rec.wire)
}

func (s *Server) editMessageReplyMarkup(req *request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := req.params
	_, rec, rep := s.editTargetLocked(p)
	if rep != nil {
		return *rep
	}
	kb, _, rep := parseKeyboard(p)
	if rep != nil {
		return *rep
	}
	if reflect.DeepEqual(rec.wire.ReplyMarkup, kb) {
		return notModified()
	}
	m := *rec.wire
	m.ReplyMarkup = kb
	content := rec.view.Content.clone()
	content.Keyboard = wireKeyboardView(kb)
	s.editLocked(rec, &m, content)
	return ok(rec.wire)
}

// editLocked replaces a bot message's wire form and records the new version.
// Wire messages are replaced, never changed in place, so a snapshot taken
// earlier stays valid.
func (s *Server) editLocked(rec *messageRecord, m *wireMessage, content Content) {
	now := s.now()
	m.EditDate = now.Unix()
	rec.wire = m
	rec.view.Content = content
	rec.view.EditDate = time.Unix(m.EditDate, 0)
	rec.view.History = append(rec.view.History, content.clone())
	s.eventLocked(rec)
}

func (s *Server) deleteMessage(req *request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := req.params
	c, rep := s.targetChatLocked(p)
	if rep != nil {
		return *rep
	}
	id, rep := p.int64("message_id")
	if rep != nil {
		return *rep
	}
	rec := c.byID[int(id)]
	if rec == nil || rec.deleted {
		return badRequest("message to delete not found")
	}
	if s.now().Sub(time.Unix(rec.wire.Date, 0)) > 48*time.Hour {
		return badRequest("message can't be deleted")
	}
	rec.deleted = true
	if rec.view != nil {
		rec.view.Deleted = true
		s.eventLocked(rec)
	}
	s.notifyLocked()
	return ok(true)
}

func (s *Server) answerCallbackQuery(req *request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := req.params
	cb := s.callbacks[p.str("callback_query_id")]
	if cb == nil || cb.answered {
		return badRequest("query is too old and response timeout expired or query ID is invalid")
	}
	cb.answered = true
	cb.answer = Answer{Text: p.str("text"), ShowAlert: p.bool("show_alert"), URL: p.str("url")}
	s.notifyLocked()
	return ok(true)
}
