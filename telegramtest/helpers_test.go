package telegramtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"kindling/telegramtest"
)

// newBot returns a go-telegram/bot client of srv, the client kindling uses.
func newBot(t *testing.T, srv *telegramtest.Server) *bot.Bot {
	t.Helper()
	b, err := bot.New(srv.Token(), bot.WithServerURL(srv.URL()), bot.WithSkipGetMe())
	if err != nil {
		t.Fatalf("bot.New: %v", err)
	}
	return b
}

// bounded returns a context that ends the test instead of hanging it.
func bounded(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// rawResponse is Telegram's envelope, read without a client library.
type rawResponse struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// post sends body with contentType to a method and decodes the envelope.
func post(ctx context.Context, t *testing.T, url, contentType string, body []byte) (int, rawResponse) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("post %s: %v", url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	var r rawResponse
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("decode response %q: %v", data, err)
	}
	return resp.StatusCode, r
}

// postJSON calls a method with a JSON body, as kindling's poller does.
func postJSON(ctx context.Context, t *testing.T, srv *telegramtest.Server, method string, params any) (int, rawResponse) {
	t.Helper()
	body, err := json.Marshal(params)
	if err != nil {
		t.Fatalf("encode params: %v", err)
	}
	return post(ctx, t, srv.URL()+"/bot"+srv.Token()+"/"+method, "application/json", body)
}

type pollParams struct {
	Offset         int64    `json:"offset,omitempty"`
	Timeout        int      `json:"timeout,omitempty"`
	Limit          int      `json:"limit,omitempty"`
	AllowedUpdates []string `json:"allowed_updates,omitempty"`
}

// poll calls getUpdates with a JSON body and decodes the updates.
func poll(ctx context.Context, t *testing.T, srv *telegramtest.Server, p pollParams) []models.Update {
	t.Helper()
	status, r := postJSON(ctx, t, srv, "getUpdates", p)
	if status != http.StatusOK || !r.OK {
		t.Fatalf("getUpdates: %d %s", status, r.Description)
	}
	var ups []models.Update
	if err := json.Unmarshal(r.Result, &ups); err != nil {
		t.Fatalf("decode updates %s: %v", r.Result, err)
	}
	return ups
}

// only returns the single update of a poll, failing otherwise.
func only(t *testing.T, ups []models.Update) models.Update {
	t.Helper()
	if len(ups) != 1 {
		t.Fatalf("got %d updates, want 1: %+v", len(ups), ups)
	}
	return ups[0]
}

func keyboard(rows ...[]models.InlineKeyboardButton) *models.InlineKeyboardMarkup {
	return &models.InlineKeyboardMarkup{InlineKeyboard: rows}
}

func button(text, data string) models.InlineKeyboardButton {
	return models.InlineKeyboardButton{Text: text, CallbackData: data}
}

func describe(v any) string { return fmt.Sprintf("%+v", v) }
