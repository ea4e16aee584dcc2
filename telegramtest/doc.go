// Package telegramtest is a faithful fake of the Telegram Bot API, served over
// HTTP on a loopback listener, for kindling's tests and for `kindling demo`.
//
// # Basics
//
// New starts a server; point a client at URL() with Token(). The fake speaks
// the wire protocol the real API speaks: POST (or GET) to /bot<token>/<method>
// with a multipart/form-data, application/json or url-encoded body, answered
// with the {"ok":...} envelope and the HTTP status equal to error_code. Files
// are downloaded from /file/bot<token>/<file_path>.
//
// Simulated people act through User (private chats), GroupMessage and
// ChannelPost; each action enqueues the update Telegram would send, shaped as
// Telegram shapes it. An update stays queued until a getUpdates call with a
// higher offset confirms it, exactly like the real queue, and getUpdates long
// polls.
//
// Tests inspect what the bot did with Messages, Calls, Commands, Webhook and
// Pending, and wait for it without sleeping with WaitMessages, WaitConfirmed,
// WaitIdle or the general Wait. Subscribe streams every message the bot sends
// or edits, for the demo.
//
// Faults are injected with Fail (429 with retry_after, 5xx, 403, chat not
// found, dropped connections, latency), Block, and LimitRate, which enforces a
// global and a per-chat message rate by answering 429 as Telegram does.
//
// # Caveats
//
// The fake never reaches a network beyond its own loopback listener: it does
// not deliver webhooks, does not fetch files by URL, and Listen refuses a
// non-loopback address. It holds everything in memory and forgets it on
// Close. It answers only the methods kindling uses (listed on
// Server.ServeHTTP); any other method answers 404 like an unknown method.
// Where a detail of Telegram is not faked (webhook delivery, group privacy
// mode, message age limits on edits), the fake is the permissive one.
//
// The package must stay free of the "testing" package and of kindling's own
// packages, so that the production binary can embed it for the demo.
package telegramtest
