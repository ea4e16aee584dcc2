package bot

import "time"

// SetWriteHeld makes b tell f how long each update's write transaction
// ran, from the start of its function to its end (the commit excluded).
func SetWriteHeld(b *Bot, f func(time.Duration)) { b.writeHeld = f }

// SetAfterRead makes b call f after the read transaction of a read-only
// update and before its write transaction.
func SetAfterRead(b *Bot, f func()) { b.afterRead = f }
