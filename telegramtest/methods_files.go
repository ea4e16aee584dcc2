package telegramtest

import (
	"bytes"
	"image"
	_ "image/gif" // sendPhoto accepts GIF, JPEG and PNG
	_ "image/jpeg"
	_ "image/png"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

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
	kb, replyTo, rep := s.sendPartsLocked(c, p)
	if rep != nil {
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
	kb, replyTo, rep := s.sendPartsLocked(c, p)
	if rep != nil {
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
