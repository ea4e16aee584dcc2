package telegram

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// API is kindling's Telegram client: go-telegram/bot for documents,
// photos, buttons, files and the calls made at start, and the JSON path
// of sendjson.go for text messages, both on one Client. Its methods take
// plain values; callers never see the library's client.
type API struct {
	lib  *tgbot.Bot
	json *jsonAPI
}

// NewAPI makes the Telegram client kindling uses, on a new Client.
func NewAPI(token, serverURL string, timeout time.Duration) (*API, error) {
	return NewClient(timeout).API(token, serverURL)
}

// Button is one inline keyboard button: its label and its callback data,
// or the address it opens when URL is set.
type Button struct {
	Text string
	Data string
	URL  string
}

// Text is a text message as the outbox sends it.
type Text struct {
	ChatID    int64
	Text      string
	ParseMode string
	// Protect sets protect_content: the message cannot be forwarded or saved.
	Protect  bool
	Keyboard [][]Button
}

// Document is a file sent as a document, with a caption.
type Document struct {
	ChatID  int64
	Name    string
	Data    []byte
	Caption string
	Protect bool
}

// Photo is a picture sent with a caption.
type Photo struct {
	ChatID  int64
	Name    string
	Data    []byte
	Caption string
}

// Menu is one command menu: for everyone (ChatID 0) or for one private
// chat, in a language ("" for everyone whose language has no menu).
type Menu struct {
	Commands []models.BotCommand
	ChatID   int64
	Language string
}

// SendText sends a text message and returns the id Telegram gave it. The
// call is not cut off when ctx ends (see Client), only by Abort.
func (a *API) SendText(ctx context.Context, m Text) (int, error) {
	return a.json.sendMessage(&m)
}

// SendDocument sends a document and returns the id of its message.
func (a *API) SendDocument(ctx context.Context, d Document) (int, error) {
	m, err := a.lib.SendDocument(ctx, &tgbot.SendDocumentParams{
		ChatID:   d.ChatID,
		Document: &models.InputFileUpload{Filename: d.Name, Data: bytes.NewReader(d.Data)},
		Caption:  d.Caption, ProtectContent: d.Protect,
	})
	if err != nil || m == nil {
		return 0, err
	}
	return m.ID, nil
}

// SendPhoto sends a picture.
func (a *API) SendPhoto(ctx context.Context, p Photo) error {
	_, err := a.lib.SendPhoto(ctx, &tgbot.SendPhotoParams{
		ChatID: p.ChatID, Caption: p.Caption,
		Photo: &models.InputFileUpload{Filename: p.Name, Data: bytes.NewReader(p.Data)},
	})
	return err
}

// AnswerCallback answers a button press, with a short notice (or none).
func (a *API) AnswerCallback(ctx context.Context, queryID, text string) error {
	_, err := a.lib.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{CallbackQueryID: queryID, Text: text})
	return err
}

// EditKeyboard replaces the inline keyboard of a message.
func (a *API) EditKeyboard(ctx context.Context, chatID int64, messageID int, markup *models.InlineKeyboardMarkup) error {
	_, err := a.lib.EditMessageReplyMarkup(ctx, &tgbot.EditMessageReplyMarkupParams{
		ChatID: chatID, MessageID: messageID, ReplyMarkup: markup,
	})
	return err
}

// SetCommands sets one command menu.
func (a *API) SetCommands(ctx context.Context, m Menu) error {
	p := &tgbot.SetMyCommandsParams{Commands: m.Commands, LanguageCode: m.Language}
	if m.ChatID != 0 {
		p.Scope = &models.BotCommandScopeChat{ChatID: m.ChatID}
	}
	_, err := a.lib.SetMyCommands(ctx, p)
	return err
}

// GetFile asks Telegram where a file it keeps can be downloaded.
func (a *API) GetFile(ctx context.Context, fileID string) (*models.File, error) {
	return a.lib.GetFile(ctx, &tgbot.GetFileParams{FileID: fileID})
}

// fileTimeout bounds one file's download.
const fileTimeout = 2 * time.Minute

// files downloads files; unlike http.DefaultClient it gives up.
var files = &http.Client{Timeout: fileTimeout}

// Download opens a file GetFile found; the caller closes it. Its errors
// never carry the link, which holds the token.
func (a *API) Download(ctx context.Context, f *models.File) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.lib.FileDownloadLink(f), nil)
	if err != nil {
		return nil, errors.New("bad file link")
	}
	resp, err := files.Do(req)
	if err != nil {
		return nil, errors.New("request failed")
	}
	if resp.StatusCode != http.StatusOK {
		_ = resp.Body.Close()
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	return resp.Body, nil
}

// GetMe checks the token and tells who the bot is.
func (a *API) GetMe(ctx context.Context) (*models.User, error) {
	return a.lib.GetMe(ctx)
}

// SetWebhook points Telegram at url, with the secret it must send, for
// the kinds of update kindling handles, over at most maxConnections.
func (a *API) SetWebhook(ctx context.Context, url, secret string, maxConnections int) error {
	_, err := a.lib.SetWebhook(ctx, &tgbot.SetWebhookParams{
		URL: url, SecretToken: secret, AllowedUpdates: AllowedUpdates(), MaxConnections: maxConnections,
	})
	return err
}

// DeleteWebhook turns the webhook off, so that getUpdates may be used.
func (a *API) DeleteWebhook(ctx context.Context) error {
	_, err := a.lib.DeleteWebhook(ctx, &tgbot.DeleteWebhookParams{})
	return err
}
