package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"kindling/telegramtest"
)

// TestAppendJSONString: the strings of a message body read back as
// encoding/json reads what it writes itself, invalid UTF-8 included.
func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{
		"", "plain", `quote " and \ backslash`, "line\nbreak\r\ttab", "\x00\x01\x1f\x7f",
		"<b>bold</b> & co", "emoji 🌿 and ñ", "bad \xff\xfe utf-8", "cut \xe2\x82", "sep \u2028 \u2029",
	} {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		got := appendJSONString(nil, s)
		if !json.Valid(got) {
			t.Errorf("%q: %s is not JSON", s, got)
			continue
		}
		var a, b string
		if err := json.Unmarshal(got, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(want, &b); err != nil {
			t.Fatal(err)
		}
		if a != b {
			t.Errorf("%q reads back as %q, encoding/json's as %q", s, a, b)
		}
		if strings.ContainsAny(string(got), "<>&\u2028\u2029") {
			t.Errorf("%q: %s leaves a character unescaped that encoding/json escapes", s, got)
		}
	}
}

// jsonRig is a fake Telegram with one client, and the two ways kindling
// sends them a message: its own JSON path and go-telegram/bot.
type jsonRig struct {
	srv *telegramtest.Server
	api *API
	j   *jsonAPI
}

func newJSONRig(t *testing.T) *jsonRig {
	t.Helper()
	srv := telegramtest.New()
	t.Cleanup(srv.Close)
	srv.User(42, "Ana", "en")
	api, err := NewAPI(srv.Token(), srv.URL(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return &jsonRig{srv: srv, api: api, j: api.json}
}

// TestSendMessageJSON: a message with every field the outbox uses
// arrives as sent, and its id comes back.
func TestSendMessageJSON(t *testing.T) {
	r := newJSONRig(t)
	o := &Text{ChatID: 42, Text: "How was the <b>night</b>? \"Rest\" \\ 🌿\nnew line \xff", ParseMode: "HTML", Protect: true,
		Keyboard: [][]Button{{{Text: "1", Data: "s:1"}, {Text: "2 & \"two\"", Data: "s:2"}}, {{Text: "skip", Data: "k"}}}}
	id, err := r.j.sendMessage(o)
	if err != nil {
		t.Fatal(err)
	}
	calls := r.srv.Calls("sendMessage")
	if len(calls) != 1 || calls[0].Status != 200 {
		t.Fatalf("calls %+v, want one answered 200", calls)
	}
	p := calls[0].Params
	if want := strings.ToValidUTF8(o.Text, "\ufffd"); p["text"] != want || p["parse_mode"] != "HTML" || p["protect_content"] != "true" || p["chat_id"] != "42" {
		t.Errorf("params %q, want the text %q, HTML, protected, to chat 42", p, want)
	}
	var markup models.InlineKeyboardMarkup
	if err := json.Unmarshal([]byte(p["reply_markup"]), &markup); err != nil {
		t.Fatalf("reply_markup %s: %v", p["reply_markup"], err)
	}
	if len(markup.InlineKeyboard) != 2 || len(markup.InlineKeyboard[0]) != 2 || markup.InlineKeyboard[0][1].Text != "2 & \"two\"" ||
		markup.InlineKeyboard[0][1].CallbackData != "s:2" || markup.InlineKeyboard[1][0].CallbackData != "k" {
		t.Errorf("keyboard %+v, want the row's buttons", markup.InlineKeyboard)
	}
	msgs := r.srv.Messages(42)
	if len(msgs) != 1 || msgs[0].ID != id || id == 0 {
		t.Errorf("message id %d; the chat holds %+v", id, msgs)
	}
}

// classified is how the Sender reads an error.
func classified(err error) string {
	var tooMany *tgbot.TooManyRequestsError
	var server *ServerError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &tooMany):
		return fmt.Sprintf("429 retry_after %d", tooMany.RetryAfter)
	case errors.Is(err, tgbot.ErrorForbidden) && strings.Contains(strings.ToLower(err.Error()), "blocked by the user"):
		return "blocked"
	case errors.Is(err, tgbot.ErrorForbidden), isChatNotFound(err):
		return "chat not found"
	case errors.Is(err, tgbot.ErrorBadRequest):
		return "bad request"
	case errors.As(err, &server):
		return fmt.Sprintf("server %d", server.Status)
	}
	return "network"
}

// TestSendMessageJSONFaults: each failure telegramtest can answer is
// read from the JSON path as from go-telegram/bot's, so the Sender's
// classification holds for both; no error carries the token.
func TestSendMessageJSONFaults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault telegramtest.Fault
		want  string
	}{
		{"429 retry_after", telegramtest.TooMany(3), "429 retry_after 3"},
		{"500", telegramtest.ServerError(500), "server 500"},
		{"502", telegramtest.ServerError(502), "server 502"},
		{"403 blocked", telegramtest.Forbidden, "blocked"},
		{"403 other", telegramtest.APIError(403, "Forbidden: bot can't initiate conversation with a user"), "chat not found"},
		{"400 chat not found", telegramtest.ChatNotFound, "chat not found"},
		{"400 other", telegramtest.APIError(400, "Bad Request: message is too long"), "bad request"},
		{"dropped connection", telegramtest.Drop, "network"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newJSONRig(t)
			r.srv.Fail("sendMessage", 1, tc.fault)
			_, errJSON := r.j.sendMessage(&Text{ChatID: 42, Text: "hello"})
			r.srv.Fail("sendMessage", 1, tc.fault)
			_, errLib := r.api.lib.SendMessage(context.Background(), &tgbot.SendMessageParams{ChatID: int64(42), Text: "hello"})
			if got := classified(errJSON); got != tc.want {
				t.Errorf("JSON path: %v read as %q, want %q", errJSON, got, tc.want)
			}
			if got := classified(errLib); got != tc.want {
				t.Errorf("go-telegram/bot: %v read as %q, want %q (the test's reading is off)", errLib, got, tc.want)
			}
			if errJSON != nil && strings.Contains(errJSON.Error(), r.srv.Token()) {
				t.Errorf("the error carries the token: %v", errJSON)
			}
			if want, ok := map[string]error{"blocked": ErrUnreachable, "chat not found": ErrChatNotFound, "bad request": ErrRejected}[tc.want]; ok {
				r.srv.Fail("sendMessage", 1, tc.fault)
				s := &Sender{Rate: 1000, PerChat: -1, Attempts: 1}
				err := s.Do(context.Background(), 42, func(ctx context.Context) error {
					_, err := r.j.sendMessage(&Text{ChatID: 42, Text: "hello"})
					return err
				})
				if !errors.Is(err, want) {
					t.Errorf("through the Sender: %v, want %v", err, want)
				}
			}
			// The next call goes through.
			if _, err := r.j.sendMessage(&Text{ChatID: 42, Text: "again"}); err != nil {
				t.Errorf("after the fault: %v", err)
			}
		})
	}
}
