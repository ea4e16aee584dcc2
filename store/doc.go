/*
Package store keeps kindling's data in one bbolt file: clients, their
therapy sessions, the due index the schedule reads, deliveries (a day's
step), replies, the outbox of messages to send, invites, small bot state,
and the last stored Telegram update id. Replies are health data: the store
never logs them, and Forget plus compaction removes them from the file.

It must never expose bbolt: callers see DB, Tx and plain values, never a
bucket, a bbolt transaction or a byte slice that outlives one.

# Basics

Open the file once per process; a second process gets ErrLocked within
Options.Timeout (one second by default) instead of hanging:

	db, err := store.Open("data/kindling.db", store.Options{})
	defer db.Close()

All reads and writes happen inside a transaction callback. The *Tx is valid
only inside it; values it returns are copies:

	err := db.Update(func(tx *store.Tx) error {
		c, err := tx.Client(chatID)
		if err != nil {
			return err
		}
		c.Due = next
		return tx.PutClient(c) // moves the due index entry too
	})

Concurrent writers (many clients answering at once) use Batch or
ApplyUpdate, which share one commit and one fsync among many callers.
ApplyUpdate stores an update's effect and marks the update id applied in the
same transaction, so a replayed update is recognised and skipped:

	applied, err := db.ApplyUpdate(u.ID, func(tx *store.Tx) error {
		return tx.AddReply(&store.Reply{ChatID: chatID, Answer: text})
	})

Backup, BackupFile and Export work while other transactions run. Compact
works on a file no process holds; CompactInPlace on the open DB.

# Files beside the database

The store also owns the files it writes next to the database, and writes
each of them the one way: WriteFileAtomic (a temporary file, 0600, synced,
renamed, the folder synced), and for a copy of a database WriteBackup,
which verifies the copy as well. BackupFile, the backup a running kindling
streams to the CLI and the forget ledger all go through it.

Backups makes the automatic backups, on a cron schedule (Run) or one at a
time (Once): named
kindling-<UTC time>.db, encrypted with age to .db.age when it has
recipients (the plain copy is made and verified beside the database, never
in Dir), the oldest beyond Keep removed, and only files so named: an
operator's own copies in the same folder are never touched.

The forget ledger (ForgetLedger, at ForgetLedgerPath) outlives every copy
of the database: it records only when a keyed hash of a chat id erased
their data, and EraseForgottenAgain erases such clients from a restored
backup at start.

# Layout

Keys are big-endian; values are JSON (a `bbolt` CLI dump stays readable and
schema changes stay easy), except clients, sessions, deliveries and outbox
rows, which a day's broadcast reads and writes for every client: they have a
compact binary form each (codec.go), and are still read as JSON when an
older kindling wrote them so. Chat ids are 8 bytes.

	meta        "schema", "offset", "update_floor" -> decimal
	clients     chat id -> Client
	due         unix seconds (8, sign bit flipped) + nanoseconds (4) + chat id -> empty
	sessions    chat id + "2006-01-02" -> Session
	deliveries  chat id + local date + day (4, sign bit flipped) -> Delivery
	replies     chat id + reply id (8) -> Reply; ids from the bucket sequence
	reply_msgs  chat id + Telegram message id (8) -> reply id
	outbox      outgoing id (8) -> Outgoing; ids from the bucket sequence, with
	            a class bit: none (Urgent), 1<<61 (the conversation), 1<<62 (Bulk)
	invites     code -> Invite
	kv          namespace + 0x00 + key -> raw bytes; the web workspace's
	            sessions, sign-in links, page views and prompt saves are
	            namespaces of it (see web.go)
	updates     update id (8) -> empty: applied ids above update_floor
	alerts      chat id + time (12, as in due) -> Alert
	alert_due   due time (12) + alert key (20) -> empty: the alerts' timers
	checkins    chat id + local date + day (4) + check-in id -> CheckIn: a scored
	            check-in's answers and total (schema 7)
	coach_clients  coach user id (8) + chat id -> empty: a coach's clients
	reply_times    chat id + At (12, as in due) + reply id (8) -> empty
	reply_steps    chat id + local date + day (4) + question id + 0x00 + reply id (8)
	               -> empty: the replies to a delivery (only replies with a local date)
	delivery_msgs  chat id + Telegram message id (8) -> local date + day (4) + question id:
	               the delivery and question a bot message asked
	step_briefs    as deliveries -> questions (4) + next (4) + state: a delivery
	               in brief, for summaries that must not decode every step

Every write of a client, a reply or a delivery keeps these indexes in the
same transaction; Check verifies them both ways and Salvage rebuilds them.

The schema version in meta is SchemaVersion; Open migrates older files in
one transaction (see migrations in migrate.go) and refuses newer ones.

# Caveats

Batch and ApplyUpdate may run their function more than once (bbolt retries
a batch without the call that failed): it must be idempotent, and anything
it does outside the Tx must wait until the call returns. Assigned ids
(Reply.ID, Outgoing.ID) are those of the run that committed.

A transaction callback must not call methods of the DB: a nested
transaction can deadlock with a waiting writer.

A long read transaction (Backup, Export of a large file) makes a writer
that must grow the file wait for it.

Deleted records stay in freed pages of the file until those pages are
reused. After Forget, run CompactInPlace (the running bot) or Compact (while
stopped) to remove them; CompactInPlace briefly releases the file lock and
overwrites the old file with zeros, which does not reach old blocks on
copy-on-write file systems. Backups made before the forget still hold the
data until one is restored: then EraseForgottenAgain removes it.

kv entries are opaque to the store. Forget removes those whose key is the
chat id in decimal or starts with it and ':'; keep client state to that
convention.

Chat ids are ordered as unsigned numbers: a negative id (a group, never a
client) sorts after all positive ones.

A damaged page (a disk fault, a bad copy) makes bbolt panic when a
transaction reads it. View, Update and Batch turn that panic into ErrCorrupt
naming the page, its bucket and the range of keys it held, after the
transaction was rolled back; records on other pages stay readable and
writable. After the first damaged page, Batch runs each call alone (bbolt
commits batches in a goroutine of its own, where a panic cannot be caught).
Damage lists every damaged page without bbolt's help; Backup, Check and the
compactions refuse a damaged file; Salvage copies every readable record of
one into a new file. A panic from the caller's own code inside a
transaction is not hidden: it goes on as a panic.

ApplyUpdate remembers the last 10,000 applied update ids individually, so
updates applied concurrently are never mistaken for replays of each other.
The bot should confirm an update to Telegram only after its ApplyUpdate
returned; after a crash, poll without skipping below the last confirmed
offset (Telegram resends unconfirmed updates; the store skips those already
applied).
*/
package store
