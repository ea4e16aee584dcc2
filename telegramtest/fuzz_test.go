package telegramtest_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"kindling/telegramtest"
)

// FuzzSendMessage feeds arbitrary text, parse modes and keyboards to
// sendMessage: the fake must answer every one with a well-formed envelope,
// 200 or 400, and never panic.
func FuzzSendMessage(f *testing.F) {
	for _, seed := range []struct{ text, mode, markup string }{
		{"<b>hi</b> &amp; <a href='x'>y</a>", "HTML", ""},
		{"I <3 you", "HTML", ""},
		{"<pre><code class=\"language-go\">x</code></pre>", "HTML", ""},
		{"*b* _i_ __u__ ~s~ ||sp|| `c` ```go\nx``` [l](http://a) \\. >q", "MarkdownV2", ""},
		{"*unclosed [x](y", "Markdown", ""},
		{"/start", "", `{"inline_keyboard":[[{"text":"a","callback_data":"a"}]]}`},
		{"x", "", `{"inline_keyboard":[[{"text":"a"}]],"keyboard":[]}`},
		{"x", "", `[]`},
	} {
		f.Add(seed.text, seed.mode, seed.markup)
	}
	// A fresh server every few hundred inputs keeps the recorded messages,
	// which the fake never forgets, from filling memory.
	var (
		srv  *telegramtest.Server
		runs int
	)
	f.Cleanup(func() {
		if srv != nil {
			srv.Close()
		}
	})
	f.Fuzz(func(t *testing.T, text, mode, markup string) {
		if runs%500 == 0 {
			if srv != nil {
				srv.Close()
			}
			srv = telegramtest.New()
			srv.User(42, "Ana", "en")
		}
		runs++
		url := srv.URL() + "/bot" + srv.Token() + "/sendMessage"
		params := map[string]any{"chat_id": 42, "text": text, "parse_mode": mode}
		if markup != "" {
			params["reply_markup"] = markup
		}
		body, err := json.Marshal(params)
		if err != nil {
			t.Skip() // invalid UTF-8 cannot be sent as JSON
		}
		req := httptest.NewRequest(http.MethodPost, url, strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		var r rawResponse
		if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
			t.Fatalf("answer %q is not JSON: %v", rec.Body.String(), err)
		}
		if rec.Code != 200 && rec.Code != 400 || r.OK != (rec.Code == 200) {
			t.Fatalf("answer %d %+v", rec.Code, r)
		}
	})
}

// FuzzRequest feeds arbitrary bodies to every method: each answer must be a
// well-formed envelope, whatever arrives.
func FuzzRequest(f *testing.F) {
	for _, seed := range []struct{ method, contentType, body string }{
		{"sendMessage", "application/json", `{"chat_id":42,"text":"hi","reply_parameters":{"message_id":1}}`},
		{"editMessageText", "application/json", `{"chat_id":42,"message_id":1,"text":"x"}`},
		{"editMessageReplyMarkup", "application/x-www-form-urlencoded", "chat_id=42&message_id=1"},
		{"getUpdates", "application/json", `{"offset":-1,"limit":-5,"allowed_updates":"x"}`},
		{"sendDocument", "multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n42\r\n--b\r\nContent-Disposition: form-data; name=\"document\"; filename=\"a.txt\"\r\n\r\nabc\r\n--b--\r\n"},
		{"sendPhoto", "application/json", `{"chat_id":42,"photo":"attach://p"}`},
		{"setMyCommands", "application/json", `{"commands":[{"command":"a","description":"b"}],"scope":{"type":"chat","chat_id":42}}`},
		{"setWebhook", "application/json", `{"url":"https://x","max_connections":"many"}`},
		{"answerCallbackQuery", "text/plain", "x"},
		{"deleteMessage", "application/json", `[1,2]`},
		{"getFile", "application/json", `{"file_id":null}`},
		{"sendChatAction", "", ""},
	} {
		f.Add(seed.method, seed.contentType, seed.body)
	}
	var (
		srv  *telegramtest.Server
		runs int
	)
	f.Cleanup(func() {
		if srv != nil {
			srv.Close()
		}
	})
	f.Fuzz(func(t *testing.T, method, contentType, body string) {
		if runs%500 == 0 {
			if srv != nil {
				srv.Close()
			}
			srv = telegramtest.New()
			u := srv.User(42, "Ana", "en")
			u.Send("hi")
		}
		runs++
		req := httptest.NewRequest(http.MethodPost, "/bot"+srv.Token()+"/x", strings.NewReader(body))
		req.URL.Path = "/bot" + srv.Token() + "/" + method
		req.Header.Set("Content-Type", contentType)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		var r rawResponse
		if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
			t.Fatalf("answer %q is not JSON: %v", rec.Body.String(), err)
		}
		if r.OK != (rec.Code == 200) || (!r.OK && r.ErrorCode != rec.Code) {
			t.Fatalf("answer %d %+v", rec.Code, r)
		}
	})
}
