package telegram

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"kindling/telegramtest"
)

// fakeAnswer is telegramtest's answer to sendMessage of o, as it comes
// over the wire.
func fakeAnswer(t testing.TB, srv *telegramtest.Server, o *Text) []byte {
	t.Helper()
	resp, err := http.Post(srv.URL()+"/bot"+srv.Token()+"/sendMessage", "application/json", bytes.NewReader(messageJSON(o)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// answerSeeds are answers of every shape kindling meets, and some that
// scanAnswer must leave to encoding/json.
var answerSeeds = []string{
	`{"ok":true,"result":{"message_id":12,"from":{"id":1,"is_bot":true},"chat":{"id":42,"type":"private"},"date":1,"text":"hi \"you\" \u00f1","reply_markup":{"inline_keyboard":[[{"text":"1","callback_data":"a|1"}]]}}}`,
	`{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3","parameters":{"retry_after":3}}`,
	`{"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded","parameters":{"migrate_to_chat_id":-1001}}`,
	`{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`,
	` { "ok" : true , "result" : { "message_id" : 7 } } `,
	`{"ok":true,"result":true}`, `{"ok":true,"result":null}`, `null`, `[]`, ``, `{}`, `{"ok":null}`,
	`{"OK":true,"result":{"Message_ID":3}}`, `{"o\u006b":true}`, `{"ok":true,"result":{"message_id":1e2}}`,
	`{"ok":true,"result":{"message_id":1.0}}`, `{"ok":true,"result":{"message_id":99999999999999999999}}`,
	`{"ok":true,"result":{"message_id":012}}`, `{"ok":true,"result":{"message_id":-0}}`,
	`{"ok":true,"result":{"message_id":5}}x`, `{"ok":true,"result":{"message_id":5}`, `{"ok":tru}`,
	`{"ok":false,"description":"bad \ud83c"}`, "{\"ok\":false,\"description\":\"bad \xff\"}",
	`{"ok":true,"result":{"message_id":5,"reply_to_message":{"message_id":4}}}`,
	`{"ok":true,"result":{"message_id":5},"result":{"text":"x"}}`, `{"ok":true,"result":{"message_id":5},"ok":false}`,
	`{"ok":true,"x":[1,-2.5e+3,"s\n",{"a":[[]]},true,false,null],"result":{"message_id":6}}`,
	`{"ok":true,"x":01}`, `{"ok":true,"x":"\x01"}`, `{"ok":true,"x":[1,]}`, `{"ok":true,"x":{"a":1,}}`,
	`{"ok":true,"x":"\q"}`, `{"ok":true,"x":"\u12"}`, `{"ok":true,"ſesult":{"message_id":1}}`,
	`{"ok":true,"error_code":"400"}`, `{"ok":true,"parameters":[]}`,
	`{"ok":true,"x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `,"result":{"message_id":8}}`,
}

// checkAnswer fails when decodeAnswer reads body otherwise than
// encoding/json, or when scanAnswer takes a body that encoding/json would
// read otherwise.
func checkAnswer(t *testing.T, body []byte) {
	var got, want apiAnswer
	gotErr := decodeAnswer(body, &got)
	wantErr := json.Unmarshal(body, &want)
	if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
		t.Fatalf("%q: error %v, encoding/json's %v", body, gotErr, wantErr)
	}
	if gotErr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: read as %+v, encoding/json reads %+v", body, got, want)
	}
	var scanned apiAnswer
	if scanAnswer(body, &scanned) && (wantErr != nil || !reflect.DeepEqual(scanned, want)) {
		t.Fatalf("%q: scanAnswer took it as %+v, encoding/json reads %+v (%v)", body, scanned, want, wantErr)
	}
}

// TestDecodeAnswer: every answer is read as encoding/json reads it.
func TestDecodeAnswer(t *testing.T) {
	for _, s := range answerSeeds {
		checkAnswer(t, []byte(s))
	}
}

// TestFakeAnswerScanned: telegramtest's answer to a question with its
// keyboard, the body of every message of a broadcast, is read by
// scanAnswer itself, not left to encoding/json.
func TestFakeAnswerScanned(t *testing.T) {
	srv := telegramtest.New()
	defer srv.Close()
	srv.User(42, "Ana", "en")
	row := []Button{{Text: "1", Data: "a|2603101|mood|1"}, {Text: "2", Data: "a|2603101|mood|2"}}
	body := fakeAnswer(t, srv, &Text{ChatID: 42, Text: "How are you \"today\"?\n1 = low · 10 = good", Keyboard: [][]Button{row, row}})
	var a apiAnswer
	if !scanAnswer(body, &a) || !a.OK || a.Result.MessageID == 0 {
		t.Fatalf("scanAnswer(%s) = %+v, not taken", body, a)
	}
	checkAnswer(t, body)
}

// FuzzDecodeAnswer: any body is read as encoding/json reads it.
func FuzzDecodeAnswer(f *testing.F) {
	for _, s := range answerSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkAnswer(t, body) })
}
