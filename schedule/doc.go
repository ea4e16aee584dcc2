// Package schedule decides when each client hears from kindling: which step
// of their sequence belongs to a day, counted from their latest session in
// their own time zone, when that step is due, when one gentle reminder
// follows, and what is still worth sending after the bot was down.
//
// # Basics
//
// The Scheduler keeps every client's next due moment in the store's due
// index (Reschedule sets it). Tick, given the time, handles each client due
// by then: it starts the day's step or a reminder through the Conversation
// the bot provides, and moves the due time in the same transaction, so a
// crash between the two cannot make a step repeat or vanish. Run only
// triggers Tick on a cron beat; what is due is decided from the time Tick
// is handed, so tests pass fixed times. The clock helpers (ParseClock,
// LocalDate, DaysBetween, AddDays, At, Window) read "HH:MM" times and do
// civil-date arithmetic that stays right across daylight-saving changes.
// ParseClock is the one rule for a time of day written in a file or a
// record: the config validates its HH:MM keys with it.
//
// # Caveats
//
// The package must never send anything itself or know about Telegram: the
// bot writes each step and reminder. It must never decide what is due from
// the wall clock, never give a client the same day's step twice, never send
// a caught-up step older than CatchUp, and never send a reminder or a
// caught-up step in the client's quiet hours. It imports only store and
// prompts of kindling's packages.
package schedule
