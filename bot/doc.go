// Package bot is kindling's side of the Telegram conversation: it reads
// updates, turns commands, answers and button presses into stored records
// and outgoing messages, and sends those messages through one Sender.
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
