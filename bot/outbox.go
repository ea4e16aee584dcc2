package bot

import (
	"context"
	"sync"
	"time"

	"kindling/store"
)

// drainBatch is how many outbox rows one pass reads.
const drainBatch = 512

// drainWorkers bounds the chats served at once; each chat's messages go
// out in order, one chat per worker.
const drainWorkers = 128

// workers is how many chats the drain serves at once: enough to keep the
// sender's rate busy while each send waits for Telegram and the disk,
// and few enough that the slots they reserve ahead stay short, so a
// button press answered in between waits a fraction of a second, not
// seconds, behind a broadcast.
func (b *Bot) workers() int {
	return min(max(int(b.sender.PerSecond()/4), 8), drainWorkers)
}

// Wake tells the drain loop that the outbox has new rows.
func (b *Bot) Wake() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// urgentRetryMax is the longest an urgent row waits between two rounds
// of tries when Telegram did not take it.
const urgentRetryMax = 30 * time.Second

// notFoundFor is how long Telegram must keep answering "chat not found"
// for a client before they are marked unreachable; their messages are
// tried again every NotFoundRetry meanwhile.
const notFoundFor = 24 * time.Hour

func (b *Bot) notFoundRetry() time.Duration {
	if b.cfg.NotFoundRetry > 0 {
		return b.cfg.NotFoundRetry
	}
	return time.Minute
}

// Drain sends the outbox until ctx ends. Each row is removed (and a
// question's message id recorded) only after Telegram accepted it.
//
// Rows are handed to workers one chat at a time, so a chat's messages go
// out in order while other chats carry on: a chat held back by the
// one-message-per-second limit, or by retries, never stalls the rest.
// Urgent rows (crisis replies, safety alerts) have a lane of their own:
// they are read and started on every pass, whatever the other workers are
// doing, go out through Sender.DoUrgent, and when Telegram does not take
// them they are tried again within urgentRetryMax.
func (b *Bot) Drain(ctx context.Context) {
	b.sweepDocuments()
	workers := b.workers()
	var (
		wg       sync.WaitGroup
		results  = make(chan drainResult, workers)
		busy     = map[int64]bool{} // chats with a worker
		inFlight = map[uint64]bool{}
		read     = &readRows{known: map[uint64]*knownRow{}}
		backoff  time.Duration
		urgent   = &urgentLane{busy: map[int64]bool{}, retry: map[int64]urgentRetry{}}
		cooling  = map[int64]time.Time{} // chats not found: not before then
	)
	defer wg.Wait()
	jobs := b.startWorkers(ctx, &wg, workers, results)
	defer close(jobs)
	for ctx.Err() == nil {
		if err := b.dispatchUrgent(ctx, &wg, results, urgent, inFlight); err != nil {
			b.logger().Error("read urgent outbox", "err", err)
		}
		// Read the outbox again only when half the workers are free:
		// each read decodes a batch of rows.
		started, pending := 0, true
		if len(busy) <= workers*3/4 {
			var err error
			started, pending, err = b.dispatch(jobs, busy, cooling, inFlight, read, workers)
			if err != nil {
				b.logger().Error("read outbox", "err", err)
			}
		}
		var wait time.Duration
		switch {
		case len(busy) > workers*3/4 || (started > 0 && len(busy) > 0):
			wait = time.Hour // a result wakes us
		case pending:
			backoff = min(max(backoff*2, 500*time.Millisecond), 30*time.Second)
			wait = backoff
		default:
			wait = time.Second // idle: look again now and then
		}
		if d, ok := urgent.nextRetry(); ok {
			wait = min(wait, max(d, 0))
		}
		for _, at := range cooling {
			if d := time.Until(at); d > 0 {
				wait = min(wait, d)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case r := <-results:
			b.settle(r, busy, cooling, urgent, inFlight, &backoff)
			// Take every result that is ready before reading again.
			for more := true; more; {
				select {
				case r := <-results:
					b.settle(r, busy, cooling, urgent, inFlight, &backoff)
				default:
					more = false
				}
			}
		case <-b.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// startWorkers starts the drain's workers on wg; closing the channel it
// returns ends them. They live as long as the drain: a chat is handed to
// a free one, whose stack has long grown to what a send needs, instead of
// to a goroutine of its own. Their number is the most chats dispatch
// starts at once, so handing one over never waits.
func (b *Bot) startWorkers(ctx context.Context, wg *sync.WaitGroup, workers int, results chan<- drainResult) chan<- drainJob {
	jobs := make(chan drainJob, workers)
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				b.work(ctx, j, results)
			}
		})
	}
	return jobs
}

// drainJob is one chat's rows handed to a worker, with the store's
// OutboxDrops from before they were read (see sendOutgoing).
type drainJob struct {
	msgs   []store.Outgoing
	ids    []uint64
	drops  uint64
	urgent bool
}

// work sends one chat's rows and reports the result to the drain. Once
// ctx has ended the drain reads no more results, so none is waited on.
func (b *Bot) work(ctx context.Context, j drainJob, results chan<- drainResult) {
	n, notFound := b.sendChat(ctx, j.msgs, j.drops)
	b.sending.Add(-1)
	r := drainResult{chat: j.msgs[0].ChatID, ids: j.ids, progress: n > 0, urgent: j.urgent, notFound: notFound}
	select {
	case results <- r:
	case <-ctx.Done():
	}
}

// drainResult is what a worker reports when it is done with a chat.
type drainResult struct {
	chat     int64
	ids      []uint64
	progress bool // at least one row was settled
	urgent   bool // the worker of the urgent lane
	notFound bool // Telegram did not find the chat: try it again later
}

func (b *Bot) settle(r drainResult, busy map[int64]bool, cooling map[int64]time.Time, urgent *urgentLane, inFlight map[uint64]bool, backoff *time.Duration) {
	for _, id := range r.ids {
		delete(inFlight, id)
	}
	if r.progress && !r.notFound {
		b.unfound.Delete(r.chat)
	}
	if r.urgent {
		delete(urgent.busy, r.chat)
		if r.progress {
			delete(urgent.retry, r.chat)
		} else {
			urgent.failed(r.chat, time.Now())
		}
		if r.notFound {
			b.unfound.Store(r.chat, urgent.retry[r.chat].at)
		}
		return
	}
	delete(busy, r.chat)
	if r.notFound {
		cooling[r.chat] = time.Now().Add(b.notFoundRetry())
		b.unfound.Store(r.chat, cooling[r.chat])
	}
	if r.progress {
		*backoff = 0
	}
}

// urgentLane is the drain's state for urgent rows: the chats with an
// urgent worker, and when a chat whose urgent rows Telegram did not take
// may be tried again.
type urgentLane struct {
	busy  map[int64]bool
	retry map[int64]urgentRetry
}

type urgentRetry struct {
	at   time.Time
	wait time.Duration
}

// failed puts off the chat's next try: one second, doubling up to
// urgentRetryMax, so that a call failing at once does not loop hot.
func (l *urgentLane) failed(chat int64, now time.Time) {
	r := l.retry[chat]
	r.wait = min(max(2*r.wait, time.Second), urgentRetryMax)
	r.at = now.Add(r.wait)
	l.retry[chat] = r
}

// nextRetry is how long until the first put-off chat may be tried again
// (only chats without a worker, put off until later than now).
func (l *urgentLane) nextRetry() (time.Duration, bool) {
	now := time.Now()
	var first time.Time
	for chat, r := range l.retry {
		if l.busy[chat] || !r.at.After(now) {
			continue
		}
		if first.IsZero() || r.at.Before(first) {
			first = r.at
		}
	}
	return first.Sub(now), !first.IsZero()
}

// dispatchUrgent starts a worker for each chat with urgent rows that has
// none yet and is not put off. The reading is cheap: urgent rows come
// first in the outbox, and only they are read; those being sent are
// skipped by their key.
func (b *Bot) dispatchUrgent(ctx context.Context, wg *sync.WaitGroup, results chan<- drainResult, lane *urgentLane, inFlight map[uint64]bool) error {
	var rows []store.Outgoing
	seen := 0
	drops := b.db.OutboxDrops() // before the read: see sendOutgoing
	err := b.db.View(func(tx *store.Tx) error {
		return tx.OutboxEach(true, func(r store.OutboxRow) (bool, error) {
			seen++
			if !inFlight[r.ID] {
				o, err := r.Decode()
				if err != nil {
					return false, err
				}
				rows = append(rows, o)
			}
			return seen < drainBatch, nil
		})
	})
	if err != nil {
		return err
	}
	now := time.Now()
	byChat := map[int64][]store.Outgoing{}
	var order []int64
	waiting := map[int64]bool{}
	for _, o := range rows {
		waiting[o.ChatID] = true
		if lane.busy[o.ChatID] {
			continue
		}
		if r, ok := lane.retry[o.ChatID]; ok && now.Before(r.at) {
			continue
		}
		if _, ok := byChat[o.ChatID]; !ok {
			order = append(order, o.ChatID)
		}
		byChat[o.ChatID] = append(byChat[o.ChatID], o)
	}
	if seen < drainBatch { // every urgent row was looked at
		for chat := range lane.retry {
			if !waiting[chat] && !lane.busy[chat] {
				delete(lane.retry, chat) // sent or dropped meanwhile
			}
		}
	}
	for _, chat := range order {
		msgs := byChat[chat]
		lane.busy[chat] = true
		ids := make([]uint64, len(msgs))
		for i, o := range msgs {
			inFlight[o.ID] = true
			ids[i] = o.ID
		}
		wg.Add(1)
		b.sending.Add(1)
		go func() {
			defer wg.Done()
			b.work(ctx, drainJob{msgs: msgs, ids: ids, drops: drops, urgent: true}, results)
		}()
	}
	return nil
}

// readRows is what the drain keeps of the outbox between two passes:
// the rows it decoded and has not started yet, and the slice a pass
// reads them into.
type readRows struct {
	known map[uint64]*knownRow
	scan  []*knownRow
	pass  uint64
	drops uint64 // the store's OutboxDrops before the last pass read
}

type knownRow struct {
	o    store.Outgoing
	pass uint64 // the last pass that met the row
}

// readOutbox reads the next rows to send into read.scan, the first
// drainBatch not in flight, decoding only rows it has not seen before,
// and forgets the rows it no longer sees.
func (b *Bot) readOutbox(read *readRows, inFlight map[uint64]bool) error {
	read.pass++
	read.scan = read.scan[:0]
	read.drops = b.db.OutboxDrops()
	err := b.db.View(func(tx *store.Tx) error {
		return tx.OutboxEach(false, func(r store.OutboxRow) (bool, error) {
			if inFlight[r.ID] {
				return true, nil
			}
			k := read.known[r.ID]
			if k == nil {
				o, err := r.Decode()
				if err != nil {
					return false, err
				}
				k = &knownRow{o: o}
				read.known[r.ID] = k
			}
			k.pass = read.pass
			read.scan = append(read.scan, k)
			return len(read.scan) < drainBatch, nil
		})
	})
	if err != nil {
		return err
	}
	if len(read.known) > len(read.scan) {
		for id, k := range read.known {
			if k.pass != read.pass {
				delete(read.known, id)
			}
		}
	}
	return nil
}

// dispatch reads the outbox and hands each chat that has rows and no
// worker yet to a free worker, up to workers at once. It reports how
// many chats it handed over and whether rows are waiting.
//
// Each row is decoded once: rows being sent are skipped by their key,
// and rows read on an earlier pass but not started yet are kept in read
// (a row dropped since is found gone before it is sent: see
// sendOutgoing). Rows no pass meets any more are forgotten.
func (b *Bot) dispatch(jobs chan<- drainJob, busy map[int64]bool, cooling map[int64]time.Time, inFlight map[uint64]bool, read *readRows, workers int) (int, bool, error) {
	if len(busy) >= workers {
		return 0, true, nil
	}
	if err := b.readOutbox(read, inFlight); err != nil {
		return 0, false, err
	}
	now := time.Now()
	for chat, at := range cooling {
		if !now.Before(at) {
			delete(cooling, chat)
		}
	}
	// Gather the rows of as many chats as there are free workers, in the
	// order of their first row.
	free := workers - len(busy)
	group := make(map[int64]int, free)
	var groups [][]store.Outgoing
	pending := false
	for _, k := range read.scan {
		o := &k.o
		pending = true
		if busy[o.ChatID] || !cooling[o.ChatID].IsZero() {
			continue
		}
		g, ok := group[o.ChatID]
		if !ok {
			if len(groups) == free {
				continue
			}
			g = len(groups)
			group[o.ChatID] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], *o)
	}
	drops := read.drops
	for _, msgs := range groups {
		chat := msgs[0].ChatID
		busy[chat] = true
		ids := make([]uint64, len(msgs))
		for i, o := range msgs {
			inFlight[o.ID] = true
			delete(read.known, o.ID)
			ids[i] = o.ID
		}
		b.sending.Add(1)
		jobs <- drainJob{msgs: msgs, ids: ids, drops: drops}
	}
	return len(groups), pending, nil
}

// roomSeconds is how many seconds of sending at the sender's rate the
// outbox may hold in broadcast rows before the schedule ticks again
// within one beat (see Room); at least roomMin rows.
const (
	roomSeconds = 15
	roomMin     = 200
)

// roomPoll is how often Room counts the broadcast rows again (each count
// reads their keys: a few milliseconds for tens of thousands).
const roomPoll = time.Second

// roomStall is how long Room waits for the broadcast rows to become
// fewer before it stops holding the schedule back: rows that do not go
// out (chats Telegram does not find, tried again for a day) must not
// keep every other client's day waiting.
const roomStall = time.Minute

// Room returns once the outbox holds fewer broadcast rows than about
// roomSeconds of sending (the schedule's questions and reminders; a
// client's conversation, crisis replies and alerts never count), or with
// ctx's error. The schedule waits for it before ticking again for more of
// a large day: 100,000 clients due in one minute then wait as due clients,
// a tick of 20,000 at a time, and not as 100,000 rows written at once into
// the outbox, whose pages the file would hold while they go out over
// minutes. A store that cannot be read does not hold the schedule back,
// nor rows that have not become fewer for roomStall.
func (b *Bot) Room(ctx context.Context) error {
	limit := max(int(b.sender.PerSecond()*roomSeconds), roomMin)
	last, fell := -1, time.Now()
	for {
		n := 0
		if err := b.db.View(func(tx *store.Tx) error { n = tx.BulkWaiting(0); return nil }); err != nil || n < limit {
			return ctx.Err()
		}
		if last < 0 || n < last {
			fell = time.Now()
		} else if time.Since(fell) >= roomStall {
			b.logger().Warn("broadcast messages are not going out; the schedule ticks on", "waiting", n, "none_out_for", roomStall)
			return ctx.Err()
		}
		last = n
		b.Wake()
		if !sleep(ctx, roomPoll) {
			return ctx.Err()
		}
	}
}

// idleScan is how many outbox rows WaitIdle looks at.
const idleScan = 256

// WaitIdle waits until the outbox holds nothing to send now (everything
// enqueued so far was sent or given up, or waits more than a second for
// another try at a chat Telegram did not find) or ctx ends. The demo, the stop and
// tests use it to let the conversation settle before moving on.
func (b *Bot) WaitIdle(ctx context.Context) error {
	for {
		var n int
		// Rows are decoded only to learn their chat, and only when some
		// chat is waiting for another try.
		unfound := false
		b.unfound.Range(func(any, any) bool { unfound = true; return false })
		later := time.Now().Add(time.Second)
		seen := 0
		look := func(r store.OutboxRow) (bool, error) {
			seen++
			if !unfound {
				n++
				return false, nil
			}
			o, err := r.Decode()
			if err != nil {
				return false, err
			}
			if next, ok := b.unfound.Load(o.ChatID); !ok || !next.(time.Time).After(later) {
				n++
			}
			return n == 0 && seen < idleScan, nil
		}
		err := b.db.View(func(tx *store.Tx) error {
			if err := tx.OutboxEach(true, look); err != nil || n > 0 || seen >= idleScan {
				return err
			}
			return tx.OutboxEach(false, look)
		})
		if seen >= idleScan && n == 0 {
			n = 1 // more rows than were looked at: not known to be idle
		}
		if n == 0 && b.sending.Load() > 0 {
			n = 1 // a worker is still settling a row it sent
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		b.Wake()
		if !sleep(ctx, 5*time.Millisecond) {
			return ctx.Err()
		}
	}
}

// sleep waits for d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
