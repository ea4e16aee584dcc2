package bot

import (
	"net/http"

	"kindling/telegram"
)

// WebhookHandler serves Telegram's webhook requests for b, as
// telegram.Webhook says: an update is answered 200 only once b stored
// it; one b could not store is answered 500 and its crisis words, if
// any, are still answered (see crisisWhileStuck).
func WebhookHandler(b *Bot, secret string) http.Handler {
	return &telegram.Webhook{
		Secret:  secret,
		Handle:  b.Handle,
		Failed:  b.crisisWhileStuck,
		Refused: func() { b.stats.refused.Add(1) },
		Logger:  b.logger(),
	}
}
