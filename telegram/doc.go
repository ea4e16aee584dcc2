// Package telegram is kindling's transport to the Telegram Bot API: what
// wraps go-telegram/bot, and what kindling does instead of it where the
// library falls short.
//
// # Basics
//
// A Client is the HTTP client under every call. A call in flight is not
// cut off when its caller's context ends (a message Telegram may already
// have received is waited for, not sent twice after a restart); after
// Stop it refuses new calls, and Abort cuts off the ones in flight.
// Client.API makes the API on it: text messages go as JSON of known
// length (sendjson.go), documents, photos, buttons, command menus and
// files through the library, each method taking plain values.
//
// The Sender is the one way a call is paced: a global rate, one message
// per second per chat, a 429's retry_after honoured by every call (up to
// MaxPause), retries with backoff for 5xx and network errors, and the
// errors ErrUnreachable, ErrChatNotFound and ErrRejected for what trying
// again would not fix. Urgent calls (crisis replies, safety alerts) go
// ahead of the rate.
//
// Updates come in through a Poller (getUpdates) or a Webhook. Both hand
// each update to a Handler, which stores its effect.
//
// # Caveats
//
// The package must never confirm an update that was not stored: the
// Poller asks for update N+1 only once the Handler returned nil for N,
// and the Webhook answers 200 only then (500 otherwise, so Telegram
// delivers it again). The library's own loop and webhook handler confirm
// first, which is why neither is used.
//
// It must never log or return the token (it is in every URL: errors are
// stripped of it) and never log a client's words (a refused webhook body
// is counted in bytes, not shown). It knows nothing of the store, the
// conversation or the configuration: callers pass plain values.
package telegram
