package telegramtest_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"kindling/telegramtest"
)

func TestProtocolErrors(t *testing.T) {
	srv := telegramtest.NewTB(t)
	ctx := bounded(t)
	srv.User(42, "Ana", "en")
	base := srv.URL() + "/bot" + srv.Token() + "/"

	tests := []struct {
		name        string
		url         string
		contentType string
		body        string
		wantStatus  int
		wantDesc    string
	}{
		{"unknown method", base + "sendTelepathy", "application/json", `{}`, 404, "Not Found"},
		{"wrong token", srv.URL() + "/bot1:wrong/getMe", "application/json", `{}`, 401, "Unauthorized"},
		{"no token", srv.URL() + "/getMe", "application/json", `{}`, 404, "Not Found"},
		{"malformed JSON", base + "sendMessage", "application/json", `{"chat_id":`, 400, "Bad Request: can't parse JSON object"},
		{"malformed multipart", base + "sendMessage", "multipart/form-data; boundary=xyz", "--xyz\r\nbroken", 400, "Bad Request: can't parse multipart/form-data body"},
		{"bad integer", base + "getUpdates", "application/json", `{"offset":"soon"}`, 400, "Bad Request: invalid offset specified"},
		{"bad keyboard", base + "sendMessage", "application/json", `{"chat_id":42,"text":"x","reply_markup":"{oops"}`, 400, "Bad Request: can't parse reply keyboard markup JSON object"},
		{"JSON body", base + "sendMessage", "application/json", `{"chat_id":42,"text":"json","reply_markup":{"inline_keyboard":[[{"text":"a","callback_data":"a"}]]}}`, 200, ""},
		{"url-encoded body", base + "sendMessage", "application/x-www-form-urlencoded", url.Values{"chat_id": {"42"}, "text": {"form"}}.Encode(), 200, ""},
		{"case-insensitive method", base + "SENDMESSAGE", "application/json", `{"chat_id":42,"text":"shout"}`, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, r := post(ctx, t, tt.url, tt.contentType, []byte(tt.body))
			if status != tt.wantStatus || r.ErrorCode != map[bool]int{true: 0, false: tt.wantStatus}[tt.wantStatus == 200] ||
				r.OK != (tt.wantStatus == 200) || r.Description != tt.wantDesc {
				t.Errorf("got %d %+v, want %d %q", status, r, tt.wantStatus, tt.wantDesc)
			}
		})
	}
	if msgs := srv.Messages(42); len(msgs) != 3 || msgs[0].Keyboard[0][0].CallbackData != "a" {
		t.Errorf("messages = %+v", msgs)
	}
	if got := srv.Calls("sendTelepathy"); len(got) != 1 || got[0].Status != 404 {
		t.Errorf("unknown method calls = %+v", got)
	}

	b, err := bot.New("1:wrong", bot.WithServerURL(srv.URL()), bot.WithSkipGetMe())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.GetMe(ctx); !errors.Is(err, bot.ErrorUnauthorized) {
		t.Errorf("wrong token through the client: err = %v, want unauthorized", err)
	}
}

func TestTooManyEnvelope(t *testing.T) {
	srv := telegramtest.NewTB(t)
	srv.Fail("getMe", 1, telegramtest.TooMany(3))
	status, r := postJSON(bounded(t), t, srv, "getMe", struct{}{})
	if status != 429 || r.ErrorCode != 429 || r.Description != "Too Many Requests: retry after 3" || r.Parameters.RetryAfter != 3 {
		t.Errorf("got %d %+v", status, r)
	}
}

func TestDocumentUploadAndDownload(t *testing.T) {
	srv := telegramtest.NewTB(t)
	b := newBot(t, srv)
	ctx := bounded(t)
	srv.User(42, "Ana", "en")
	data := []byte("date,answer\n2026-03-08,calm\n")

	msg, err := b.SendDocument(ctx, &bot.SendDocumentParams{
		ChatID:   42,
		Document: &models.InputFileUpload{Filename: "answers.csv", Data: bytes.NewReader(data)},
		Caption:  "Your answers",
	})
	if err != nil {
		t.Fatalf("SendDocument: %v", err)
	}
	d := msg.Document
	if d == nil || d.FileName != "answers.csv" || d.MimeType != "text/csv" || d.FileSize != int64(len(data)) || msg.Caption != "Your answers" {
		t.Fatalf("document message = %s", describe(msg))
	}
	m, _ := srv.Message(42, msg.ID)
	if m.Document == nil || !bytes.Equal(m.Document.Data, data) || m.Text != "Your answers" {
		t.Errorf("recorded = %+v", m)
	}
	if got := download(ctx, t, b, d.FileID); !bytes.Equal(got, data) {
		t.Errorf("downloaded %q", got)
	}

	again, err := b.SendDocument(ctx, &bot.SendDocumentParams{ChatID: 42, Document: &models.InputFileString{Data: d.FileID}})
	if err != nil || again.Document.FileID != d.FileID {
		t.Errorf("resend by file_id = %v, %v", again, err)
	}
	for name, input := range map[string]models.InputFile{
		"empty upload":    &models.InputFileUpload{Filename: "e.txt", Data: bytes.NewReader(nil)},
		"unknown file_id": &models.InputFileString{Data: "nope"},
		"URL":             &models.InputFileString{Data: "https://example.org/a.pdf"},
	} {
		if _, err := b.SendDocument(ctx, &bot.SendDocumentParams{ChatID: 42, Document: input}); !errors.Is(err, bot.ErrorBadRequest) {
			t.Errorf("%s: err = %v, want bad request", name, err)
		}
	}
}

func TestPhotoUpload(t *testing.T) {
	srv := telegramtest.NewTB(t)
	b := newBot(t, srv)
	ctx := bounded(t)
	srv.User(42, "Ana", "en")
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	img.Set(1, 1, color.White)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}

	msg, err := b.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: 42, Photo: &models.InputFileUpload{Filename: "p.png", Data: bytes.NewReader(buf.Bytes())}})
	if err != nil {
		t.Fatalf("SendPhoto: %v", err)
	}
	if len(msg.Photo) != 1 || msg.Photo[0].Width != 4 || msg.Photo[0].Height != 3 {
		t.Errorf("photo = %+v", msg.Photo)
	}
	if m, _ := srv.Message(42, msg.ID); m.Photo == nil || !bytes.Equal(m.Photo.Data, buf.Bytes()) {
		t.Errorf("recorded photo = %+v", m.Photo)
	}
	_, err = b.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: 42, Photo: &models.InputFileUpload{Filename: "p.png", Data: strings.NewReader("not an image")}})
	if !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), "IMAGE_PROCESS_FAILED") {
		t.Errorf("non-image: err = %v", err)
	}
}

func TestVoiceDownload(t *testing.T) {
	srv := telegramtest.NewTB(t)
	b := newBot(t, srv)
	ctx := bounded(t)
	audio := []byte("OggS\x00\x02 pretend opus frames")
	srv.User(42, "Ana", "en").Voice(5, audio)

	up := only(t, poll(ctx, t, srv, pollParams{}))
	if got := download(ctx, t, b, up.Message.Voice.FileID); !bytes.Equal(got, audio) {
		t.Errorf("downloaded %q, want %q", got, audio)
	}
	if _, err := b.GetFile(ctx, &bot.GetFileParams{FileID: "nope"}); !errors.Is(err, bot.ErrorBadRequest) {
		t.Errorf("unknown file: err = %v", err)
	}
	resp, err := http.Get(srv.URL() + "/file/bot" + srv.Token() + "/voice/missing.oga")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("missing file: %d, want 404", resp.StatusCode)
	}
}

// download fetches a file the way kindling does: getFile, then the file URL.
func download(ctx context.Context, t *testing.T, b *bot.Bot, fileID string) []byte {
	t.Helper()
	f, err := b.GetFile(ctx, &bot.GetFileParams{FileID: fileID})
	if err != nil {
		t.Fatalf("GetFile: %v", err)
	}
	if f.FilePath == "" || f.FileSize == 0 {
		t.Errorf("file = %+v", f)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.FileDownloadLink(f), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("download: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("download status %d", resp.StatusCode)
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestMultipartFromAnotherClient(t *testing.T) {
	srv := telegramtest.NewTB(t)
	srv.User(42, "Ana", "en")
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range map[string]string{"chat_id": "42", "text": "*hi*", "parse_mode": "MarkdownV2"} {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	status, r := post(bounded(t), t, srv.URL()+"/bot"+srv.Token()+"/sendMessage", w.FormDataContentType(), body.Bytes())
	if status != 200 || !strings.Contains(string(r.Result), `"entities":[{"type":"bold","offset":0,"length":2}]`) {
		t.Errorf("got %d %s %s", status, r.Result, r.Description)
	}
}

func TestListenRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:80", "example.org:80"} {
		if srv, err := telegramtest.Listen(addr); err == nil {
			srv.Close()
			t.Errorf("Listen(%q) succeeded", addr)
		}
	}
	srv, err := telegramtest.Listen("localhost:0")
	if err != nil {
		t.Fatalf("Listen(localhost:0): %v", err)
	}
	srv.Close()
	srv.Close() // twice is harmless
}
