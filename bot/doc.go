// Package bot is kindling's side of the Telegram conversation: it turns
// updates (from telegram.Poller or telegram.Webhook) into stored records
// and outgoing messages, and drains those messages through the one
// telegram.Sender. It reaches Telegram only through API, the handful of
// calls it declares; *telegram.API is the real one, and the conversation
// tests use a recording fake where HTTP is not the point.
//
// Make it with New: Options keep the dependencies (Deps: the store, the
// prompts, the planner, the API, the sender, the clock, the safety net,
// the callbacks to the rest of kindling) apart from the settings the
// configuration chooses (Settings); the rest is the bot's own state.
//
// Where things are: bot.go (New, Handle, the command menus), messages.go
// and commands.go (what a client writes), answers.go and questions.go
// (the day's questions), onboarding.go and sessions.go, coach.go and
// digest.go (the coach's commands and daily digest), alerts.go (the net's
// verdicts and safety checks), alerts_escalation.go (telling and
// escalating), alerts_coach.go (the coach's alert buttons and notes),
// mydata.go (a client's data), outbox.go (the drain) and outbox_send.go
// (one chat's rows and what Telegram's answers mean), poll.go and
// webhook.go (the update sources wired to Handle).
//
// Everything a client tells kindling is stored in the same transaction
// that records the update as handled, before Telegram is told the update
// was received. Messages to send are written to the store's outbox in
// that transaction too and sent afterwards, so a crash repeats at most
// the messages in flight and never loses one.
//
// Every button the bot sends is built and read in callback.go; the data of
// a button already in a chat is part of the protocol and must keep meaning
// the same thing.
//
// The bot must never answer a message that may be a cry for help with a
// routine acknowledgement, never write a client's words or the bot's token
// to a log line, and never call Telegram inside a store transaction: what
// a handler sends waits until the transaction has committed.
package bot
