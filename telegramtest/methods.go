package telegramtest

import (
	"bytes"
	"encoding/json"
	"image"
	_ "image/gif" // sendPhoto accepts GIF, JPEG and PNG
	_ "image/jpeg"
	_ "image/png"
	"net/http"
	"reflect"
	"regexp"
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
	kb, _, rep := parseKeyboard(p)
	if rep != nil {
		return *rep
	}
	replyTo, rep := s.replyTargetLocked(c, p)
	if rep != nil {
		return *rep
	}
	if rep := s.sendsAllowedLocked(c.wire.ID); rep != nil {
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

var commandName = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

// commandScope reads the scope field into the key CommandsFor takes.
func commandScope(p params) (string, *reply) {
	var scope struct {
		Type   string          `json:"type"`
		ChatID json.RawMessage `json:"chat_id"`
		UserID json.RawMessage `json:"user_id"`
	}
	found, err := p.json("scope", &scope)
	if !found {
		return "default", nil
	}
	if err != nil || scope.Type == "" {
		rep := badRequest("can't parse BotCommandScope JSON object")
		return "", &rep
	}
	key := scope.Type
	if len(scope.ChatID) > 0 {
		key += ":" + strings.Trim(string(scope.ChatID), `"`)
	}
	if len(scope.UserID) > 0 {
		key += ":" + string(scope.UserID)
	}
	return key, nil
}

func (s *Server) setMyCommands(req *request) reply {
	p := req.params
	var cmds []Command
	if found, err := p.json("commands", &cmds); !found || err != nil {
		return badRequest("can't parse commands JSON object")
	}
	for _, c := range cmds {
		if !commandName.MatchString(c.Command) {
			return badRequest("BOT_COMMAND_INVALID")
		}
	}
	scope, rep := commandScope(p)
	if rep != nil {
		return *rep
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := commandKey{scope: scope, language: p.str("language_code")}
	if len(cmds) == 0 {
		delete(s.commands, key)
	} else {
		s.commands[key] = cmds
	}
	s.notifyLocked()
	return ok(true)
}

func (s *Server) getMyCommands(req *request) reply {
	scope, rep := commandScope(req.params)
	if rep != nil {
		return *rep
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cmds := s.commands[commandKey{scope: scope, language: req.params.str("language_code")}]
	if cmds == nil {
		cmds = []Command{}
	}
	return ok(cmds)
}

func (s *Server) deleteMyCommands(req *request) reply {
	scope, rep := commandScope(req.params)
	if rep != nil {
		return *rep
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.commands, commandKey{scope: scope, language: req.params.str("language_code")})
	s.notifyLocked()
	return ok(true)
}

func (s *Server) setWebhook(req *request) reply {
	p := req.params
	url := strings.TrimSpace(p.str("url"))
	if url != "" && !strings.HasPrefix(strings.ToLower(url), "https://") {
		return badRequest("bad webhook: An HTTPS URL must be provided for webhook")
	}
	maxConn, rep := p.int64("max_connections")
	if rep != nil {
		return *rep
	}
	var allowed []string
	if found, err := p.json("allowed_updates", &allowed); found && err != nil {
		return badRequest("can't parse allowed updates")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.bool("drop_pending_updates") {
		s.queue = nil
	}
	if url == "" {
		was := s.webhook.URL
		s.webhook = Webhook{}
		s.notifyLocked()
		if was == "" {
			return reply{status: http.StatusOK, result: true, description: "Webhook is already deleted"}
		}
		return reply{status: http.StatusOK, result: true, description: "Webhook was deleted"}
	}
	if maxConn == 0 {
		maxConn = 40
	}
	s.webhook = Webhook{
		URL: url, SecretToken: p.str("secret_token"), MaxConnections: int(maxConn),
		AllowedUpdates: allowed, IPAddress: p.str("ip_address"),
	}
	if allowed != nil {
		s.setAllowedLocked(allowed)
	}
	s.notifyLocked()
	return reply{status: http.StatusOK, result: true, description: "Webhook was set"}
}

func (s *Server) deleteWebhook(req *request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	if req.params.bool("drop_pending_updates") {
		s.queue = nil
	}
	was := s.webhook.URL
	s.webhook = Webhook{}
	s.notifyLocked()
	if was == "" {
		return reply{status: http.StatusOK, result: true, description: "Webhook is already deleted"}
	}
	return reply{status: http.StatusOK, result: true, description: "Webhook was deleted"}
}

func (s *Server) getWebhookInfo(*request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	info := wireWebhookInfo{URL: s.webhook.URL, PendingUpdateCount: len(s.queue)}
	if info.URL != "" {
		info.MaxConnections = s.webhook.MaxConnections
		info.AllowedUpdates = s.webhook.AllowedUpdates
		info.IPAddress = s.webhook.IPAddress
	}
	return ok(info)
}

// inputFile finds the file a send method names in field: an upload, an
// "attach://" reference to one, or the file_id of a file Telegram has.
// A new upload is returned as upload, to be stored once the call succeeds.
func (s *Server) inputFileLocked(p params, field string) (known *fileRecord, up *upload, rep *reply) {
	if u, found := p.files[field]; found {
		return nil, &u, nil
	}
	v := strings.TrimSpace(p.str(field))
	if v == "" {
		r := badRequest("there is no %s in the request", field)
		return nil, nil, &r
	}
	if name, found := strings.CutPrefix(v, "attach://"); found {
		if u, found := p.files[name]; found {
			return nil, &u, nil
		}
		r := badRequest("there is no %s in the request", field)
		return nil, nil, &r
	}
	if strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://") {
		// The fake never leaves the machine to fetch a URL.
		r := badRequest("failed to get HTTP URL content")
		return nil, nil, &r
	}
	if f := s.files[v]; f != nil {
		return f, nil, nil
	}
	r := badRequest("wrong file identifier/HTTP URL specified")
	return nil, nil, &r
}

// caption parses a send method's caption.
func caption(p params) (string, []wireEntity, *reply) {
	src := p.str("caption")
	if src == "" {
		return "", nil, nil
	}
	text, ents, rep := formatText(src, p.str("parse_mode"), p.str("caption_entities"))
	if rep != nil {
		return "", nil, rep
	}
	if utf8.RuneCountInString(text) > maxCaptionLen {
		r := badRequest("message caption is too long")
		return "", nil, &r
	}
	return text, ents, nil
}

func (s *Server) sendDocument(req *request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := req.params
	c, rep := s.targetChatLocked(p)
	if rep != nil {
		return *rep
	}
	known, up, rep := s.inputFileLocked(p, "document")
	if rep != nil {
		return *rep
	}
	if up != nil && len(up.data) == 0 {
		return badRequest("file must be non-empty")
	}
	if up != nil && len(up.data) > maxUpload {
		return apiErr(http.StatusRequestEntityTooLarge, "Request Entity Too Large")
	}
	text, ents, rep := caption(p)
	if rep != nil {
		return *rep
	}
	kb, _, rep := parseKeyboard(p)
	if rep != nil {
		return *rep
	}
	replyTo, rep := s.replyTargetLocked(c, p)
	if rep != nil {
		return *rep
	}
	if rep := s.sendsAllowedLocked(c.wire.ID); rep != nil {
		return *rep
	}
	f := known
	if f == nil {
		f = s.addFileLocked("document", up.name, documentType(up.name, up.contentType), up.data)
	}
	m := &wireMessage{
		Document: &wireDocument{
			FileID: f.id, FileUniqueID: f.uniqueID, FileName: f.name,
			MimeType: f.mimeType, FileSize: len(f.data),
		},
		Caption: text, CaptionEntities: ents, ReplyMarkup: kb, ReplyToMessage: replyTo,
		HasProtectedContent: p.bool("protect_content"),
	}
	content := Content{Text: text, Source: p.str("caption"), ParseMode: p.str("parse_mode"), Keyboard: wireKeyboardView(kb)}
	rec := s.addBotMessageLocked(c, m, content, f.view(), nil)
	return ok(rec.wire)
}

func (s *Server) sendPhoto(req *request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := req.params
	c, rep := s.targetChatLocked(p)
	if rep != nil {
		return *rep
	}
	known, up, rep := s.inputFileLocked(p, "photo")
	if rep != nil {
		return *rep
	}
	var cfg image.Config
	if up != nil {
		if len(up.data) == 0 {
			return badRequest("file must be non-empty")
		}
		var err error
		cfg, _, err = image.DecodeConfig(bytes.NewReader(up.data))
		if err != nil {
			return badRequest("IMAGE_PROCESS_FAILED")
		}
	}
	text, ents, rep := caption(p)
	if rep != nil {
		return *rep
	}
	kb, _, rep := parseKeyboard(p)
	if rep != nil {
		return *rep
	}
	replyTo, rep := s.replyTargetLocked(c, p)
	if rep != nil {
		return *rep
	}
	if rep := s.sendsAllowedLocked(c.wire.ID); rep != nil {
		return *rep
	}
	f := known
	if f == nil {
		f = s.addFileLocked("photo", up.name, "image/jpeg", up.data)
		f.width, f.height = cfg.Width, cfg.Height
	}
	m := &wireMessage{
		Photo: []wirePhotoSize{{
			FileID: f.id, FileUniqueID: f.uniqueID, Width: f.width, Height: f.height, FileSize: len(f.data),
		}},
		Caption: text, CaptionEntities: ents, ReplyMarkup: kb, ReplyToMessage: replyTo,
		HasProtectedContent: p.bool("protect_content"),
	}
	content := Content{Text: text, Source: p.str("caption"), ParseMode: p.str("parse_mode"), Keyboard: wireKeyboardView(kb)}
	rec := s.addBotMessageLocked(c, m, content, nil, f.view())
	return ok(rec.wire)
}

func (s *Server) getFile(req *request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.files[strings.TrimSpace(req.params.str("file_id"))]
	if f == nil {
		return badRequest("invalid file_id")
	}
	if len(f.data) > maxDownload {
		return badRequest("file is too big")
	}
	return ok(wireFile{FileID: f.id, FileUniqueID: f.uniqueID, FileSize: len(f.data), FilePath: f.path})
}

var chatActions = map[string]bool{
	"typing": true, "upload_photo": true, "record_video": true, "upload_video": true,
	"record_voice": true, "upload_voice": true, "upload_document": true,
	"choose_sticker": true, "find_location": true, "record_video_note": true,
	"upload_video_note": true,
}

func (s *Server) sendChatAction(req *request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, rep := s.targetChatLocked(req.params); rep != nil {
		return *rep
	}
	if !chatActions[req.params.str("action")] {
		return badRequest("wrong parameter action in request")
	}
	return ok(true)
}

// serveFile answers a download from /file/bot<token>/<file_path>.
func (s *Server) serveFile(w http.ResponseWriter, rest string) {
	token, filePath, _ := strings.Cut(rest, "/")
	if token != s.token {
		s.count(w, apiErr(http.StatusUnauthorized, "Unauthorized"))
		return
	}
	s.mu.Lock()
	f := s.paths[filePath]
	if f == nil {
		s.responses[http.StatusNotFound]++
		s.notifyLocked()
		s.mu.Unlock()
		writeReply(w, apiErr(http.StatusNotFound, "Not Found"))
		return
	}
	data := f.data // never changed after upload, safe to write unlocked
	s.responses[http.StatusOK]++
	s.notifyLocked()
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	_, _ = w.Write(data) // the client may be gone; there is no one left to tell
}
