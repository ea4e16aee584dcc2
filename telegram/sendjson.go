package telegram

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	tgbot "github.com/go-telegram/bot"
)

// Text messages are sent here, as JSON of known length,
// instead of through go-telegram/bot: the library streams every request
// as multipart through an io.Pipe filled by a goroutine of its own, and
// decodes every answer into a whole models.Message, which made a message
// cost three to four times a plain POST. The request goes through the
// same Client (so Stop, Abort, the timeout and ServerError hold), its
// body has the fields of the library's SendMessageParams the outbox
// uses, and a failure is
// answered with the library's error values, wrapped as it wraps them, so
// the Sender classifies both paths alike. Documents, photos and every
// other call still go through the library.

// jsonAPI makes Telegram calls with JSON bodies on a Client.
type jsonAPI struct {
	client *Client
	base   string // server URL + "/bot" + token + "/"
	token  string // to keep it out of an error's URL
}

// apiAnswer is the Bot API envelope, with only what a sent message's
// answer needs from the result.
type apiAnswer struct {
	OK     bool `json:"ok"`
	Result struct {
		MessageID int `json:"message_id"`
	} `json:"result"`
	Description string `json:"description"`
	ErrorCode   int    `json:"error_code"`
	Parameters  struct {
		RetryAfter      int `json:"retry_after"`
		MigrateToChatID int `json:"migrate_to_chat_id"`
	} `json:"parameters"`
}

// maxAPIAnswer bounds the answer read for one call.
const maxAPIAnswer = 1 << 20

// answers holds the buffers answers are read into.
var answers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// sendMessage sends the text message o and returns the id Telegram gave
// it.
func (j *jsonAPI) sendMessage(o *Text) (int, error) {
	const method = "sendMessage"
	req, err := j.client.newRequest(j.base+method, messageJSON(o))
	if err != nil {
		return 0, fmt.Errorf("error create request for method %s, %w", method, j.redact(err))
	}
	req.Header["Content-Type"] = jsonContentType
	resp, err := j.client.send(req)
	if err != nil {
		return 0, fmt.Errorf("error do request for method %s, %w", method, j.redact(err))
	}
	defer func() { _ = resp.Body.Close() }()
	buf := answers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 64<<10 {
			buf.Reset()
			answers.Put(buf)
		}
	}()
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, maxAPIAnswer)); err != nil {
		return 0, fmt.Errorf("error read response body for method %s, %w", method, j.redact(err))
	}
	var a apiAnswer
	if err := decodeAnswer(buf.Bytes(), &a); err != nil {
		return 0, fmt.Errorf("error decode response body for method %s, %d bytes: %w", method, buf.Len(), err)
	}
	if !a.OK {
		return 0, answerError(method, &a)
	}
	return a.Result.MessageID, nil
}

var jsonContentType = []string{"application/json"}

// messageJSON is the body of sendMessage for o: the fields of the
// library's SendMessageParams that the outbox uses, under the same names.
func messageJSON(o *Text) []byte {
	n := 64 + len(o.Text)
	for _, row := range o.Keyboard {
		for _, btn := range row {
			n += 40 + len(btn.Text) + len(btn.Data) + len(btn.URL)
		}
	}
	b := make([]byte, 0, n)
	b = append(b, `{"chat_id":`...)
	b = strconv.AppendInt(b, o.ChatID, 10)
	b = append(b, `,"text":`...)
	b = appendJSONString(b, o.Text)
	if o.ParseMode != "" {
		b = append(b, `,"parse_mode":`...)
		b = appendJSONString(b, o.ParseMode)
	}
	if o.Protect {
		b = append(b, `,"protect_content":true`...)
	}
	if len(o.Keyboard) > 0 {
		b = append(b, `,"reply_markup":{"inline_keyboard":[`...)
		for i, row := range o.Keyboard {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			for k, btn := range row {
				if k > 0 {
					b = append(b, ',')
				}
				b = append(b, `{"text":`...)
				b = appendJSONString(b, btn.Text)
				if btn.URL != "" {
					b = append(b, `,"url":`...)
					b = appendJSONString(b, btn.URL)
				} else {
					b = append(b, `,"callback_data":`...)
					b = appendJSONString(b, btn.Data)
				}
				b = append(b, '}')
			}
			b = append(b, ']')
		}
		b = append(b, "]}"...)
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string, as encoding/json writes
// it: invalid UTF-8 becomes U+FFFD, and <, >, &, U+2028 and U+2029 are
// escaped.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// redact takes the token out of the URL of a failed request's error.
func (j *jsonAPI) redact(err error) error {
	var u *url.Error
	if errors.As(err, &u) && j.token != "" {
		u.URL = strings.ReplaceAll(u.URL, j.token, "***")
	}
	return err
}

// answerError is the error go-telegram/bot returns for an answer of
// "ok": false, so that errors.Is and errors.As find the same values.
func answerError(method string, a *apiAnswer) error {
	switch a.ErrorCode {
	case http.StatusForbidden:
		return fmt.Errorf("%w, %s", tgbot.ErrorForbidden, a.Description)
	case http.StatusBadRequest:
		if a.Parameters.MigrateToChatID != 0 {
			return &tgbot.MigrateError{
				Message:         fmt.Sprintf("%s: %s", tgbot.ErrorBadRequest, a.Description),
				MigrateToChatID: a.Parameters.MigrateToChatID,
			}
		}
		return fmt.Errorf("%w, %s", tgbot.ErrorBadRequest, a.Description)
	case http.StatusUnauthorized:
		return fmt.Errorf("%w, %s", tgbot.ErrorUnauthorized, a.Description)
	case http.StatusNotFound:
		return fmt.Errorf("%w, %s", tgbot.ErrorNotFound, a.Description)
	case http.StatusConflict:
		return fmt.Errorf("%w, %s", tgbot.ErrorConflict, a.Description)
	case http.StatusTooManyRequests:
		return &tgbot.TooManyRequestsError{
			Message:    fmt.Sprintf("%s, %s", tgbot.ErrorTooManyRequests, a.Description),
			RetryAfter: a.Parameters.RetryAfter,
		}
	}
	return fmt.Errorf("error response from telegram for method %s, %d %s", method, a.ErrorCode, a.Description)
}
