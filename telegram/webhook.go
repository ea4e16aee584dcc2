package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"

	"github.com/go-telegram/bot/models"
)

// SecretHeader is the header in which Telegram sends a webhook's secret token.
const SecretHeader = "X-Telegram-Bot-Api-Secret-Token"

// MaxWebhookBody is the largest webhook request body read. An update is a
// few kilobytes; anything near this is not from Telegram.
const MaxWebhookBody = 1 << 20

// AllowedUpdates returns the kinds of update kindling handles, as given to
// getUpdates and setWebhook.
func AllowedUpdates() []string { return slices.Clone(allowedUpdates) }

// Webhook serves Telegram's webhook requests. Unlike the Telegram
// library's handler, which answers 200 before processing (and also when
// the secret is wrong), it answers only once the update's effect is
// stored:
//
//   - anything but POST: 405;
//   - a missing or wrong X-Telegram-Bot-Api-Secret-Token (compared in
//     constant time): 401, logged without reading the body; an empty
//     secret refuses every request;
//   - a body over MaxWebhookBody: 413; a body that is not an update: 400
//     (Telegram does not resend after a 4xx, which is right for garbage);
//   - otherwise Handle stores the update, then 200; when storing failed,
//     500, so that Telegram delivers the update again.
//
// Webhook requests may arrive concurrently, so kindling asks Telegram for
// one connection at a time (setWebhook's max_connections) to keep each
// chat's updates in order; Handle must serialise updates all the same.
type Webhook struct {
	Secret string
	Handle Handler
	// Failed is told of an update Handle could not store, after the
	// failure is logged (nil: nothing).
	Failed func(ctx context.Context, u *models.Update)
	// Refused is told of every request refused (nil: nothing).
	Refused func()
	Logger  *slog.Logger
}

func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := h.Logger
	if log == nil {
		log = slog.Default()
	}
	refuse := func(status int, msg string, args ...any) {
		if h.Refused != nil {
			h.Refused()
		}
		log.Warn(msg, append([]any{"remote", r.RemoteAddr, "status", status}, args...)...)
		http.Error(w, http.StatusText(status), status)
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		refuse(http.StatusMethodNotAllowed, "webhook: refused a request that is not a POST", "method", r.Method)
		return
	}
	got := r.Header.Get(SecretHeader)
	if h.Secret == "" || subtle.ConstantTimeCompare([]byte(got), []byte(h.Secret)) != 1 {
		refuse(http.StatusUnauthorized, "webhook: refused a request with a wrong secret token", "header_present", got != "")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		refuse(http.StatusRequestEntityTooLarge, "webhook: refused a body over the limit", "limit", MaxWebhookBody)
		return
	case err != nil:
		refuse(http.StatusBadRequest, "webhook: could not read the body", "err", err)
		return
	}
	var u models.Update
	if err := json.Unmarshal(body, &u); err != nil || u.ID <= 0 {
		// The body is not logged: it may be a client's words.
		refuse(http.StatusBadRequest, "webhook: refused a body that is not an update", "bytes", len(body))
		return
	}
	if err := h.Handle(r.Context(), &u); err != nil {
		if h.Failed != nil {
			h.Failed(r.Context(), &u)
		}
		log.Error("webhook: could not store the update; Telegram will deliver it again", "update", u.ID, "err", err)
		http.Error(w, "could not store the update", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}
