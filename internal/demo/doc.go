// Package demo is the scripted client of `kindling demo`: one person,
// Maya, who starts with the bot, logs a session and then answers what
// kindling asks, hour by hour through a month on a fast clock, against
// the built-in fake Telegram (telegramtest).
//
// The main package builds kindling as it runs for real and hands this
// package only the fake server, the clock, the store and two functions:
// Tick (the schedule's tick) and Idle (wait until the bot has nothing
// left to do). This package must never reach a real Telegram, never
// sleep for wall time to wait for the schedule (the clock is moved
// instead), and never write to the store: it only reads back what the
// month left there.
package demo
