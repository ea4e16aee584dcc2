package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.etcd.io/bbolt"
)

// Tx is one transaction. It is valid only inside the function given to
// DB.Update, View, Batch or ApplyUpdate; every value it returns is a copy
// that may be kept afterwards. Write methods fail in a View.
type Tx struct {
	tx  *bbolt.Tx
	now func() time.Time

	dropped bool // outbox rows were removed unsent (see DB.OutboxDrops)
	// opened keeps the buckets a read-only transaction opened: bbolt keeps
	// them only for a writable one, and opens the bucket again, with a
	// search of the root, on every call otherwise (a coach's /clients
	// read each of 700 replies through a bucket opened for it).
	opened map[string]*bbolt.Bucket
}

func (tx *Tx) b(name []byte) *bbolt.Bucket {
	writable := tx.tx.Writable()
	if !writable {
		if b, ok := tx.opened[string(name)]; ok {
			return b
		}
	}
	b := tx.tx.Bucket(name)
	if b != nil {
		if fill := fillOf(name); fill != 0 {
			b.FillPercent = fill
		}
	}
	if !writable {
		if tx.opened == nil {
			tx.opened = make(map[string]*bbolt.Bucket, 4)
		}
		tx.opened[string(name)] = b
	}
	return b
}

// fillOf is how full the pages of bucket name are filled before bbolt
// splits them, when not its default of half. Half suits keys inserted
// anywhere; keys appended after every other would then leave each page
// half empty for good (the outbox took 41 MB for 20,000 rows that fit in
// 15). The outbox's ids increase within each class, and its rows are only
// added at the end of their class and deleted; applied update ids
// increase. A client's next due time is nearly always later than every
// other stored one (the next day's step), now and then not (a reminder):
// a tenth of each page is left for those.
func fillOf(name []byte) float64 {
	switch {
	case bytes.Equal(name, bucketOutbox), bytes.Equal(name, bucketUpdates):
		return 1
	case bytes.Equal(name, bucketDue):
		return 0.9
	}
	return 0
}

// put stores v under key: as JSON, or in its compact form for the
// records that have one (see codec.go).
func put(b *bbolt.Bucket, key []byte, v any) error {
	if data, ok := encodeCompact(v); ok {
		return b.Put(key, data)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

func get(b *bbolt.Bucket, key []byte, into any, what string) error {
	v := b.Get(key)
	if v == nil {
		return ErrNotFound
	}
	return decode(v, into, what, key)
}

// prefixed calls fn for each key of b starting with prefix, in key order.
func prefixed(b *bbolt.Bucket, prefix []byte, fn func(k, v []byte) error) error {
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// has reports whether b holds key. (Get cannot tell an empty value from
// a missing key.)
func has(b *bbolt.Bucket, key []byte) bool {
	k, _ := b.Cursor().Seek(key)
	return bytes.Equal(k, key)
}

// deletePrefix deletes every key of b starting with prefix.
func deletePrefix(b *bbolt.Bucket, prefix []byte) error {
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

// ---- update offset ----

// updateWindow is how many update ids below the offset are remembered one
// by one (see DB.ApplyUpdate).
const updateWindow = 10000

// Offset returns the highest Telegram update id stored.
func (tx *Tx) Offset() int64 {
	n, _ := metaInt(tx.b(bucketMeta), metaOffset)
	return n
}

// SetOffset records update id as applied and raises the stored offset to
// it; a lower id never lowers the offset. Use it for updates kindling
// handles without ApplyUpdate, such as ones it ignores.
func (tx *Tx) SetOffset(id int64) error {
	meta := tx.b(bucketMeta)
	off, err := metaInt(meta, metaOffset)
	if err != nil {
		return err
	}
	if id > off {
		off = id
		if err := meta.Put(metaOffset, []byte(strconv.FormatInt(id, 10))); err != nil {
			return fmt.Errorf("set offset %d: %w", id, err)
		}
	}
	floor, err := metaInt(meta, metaUpdateFloor)
	if err != nil {
		return err
	}
	if id <= floor {
		return nil
	}
	ups := tx.b(bucketUpdates)
	if err := ups.Put(u64(uint64(id)), nil); err != nil {
		return fmt.Errorf("set offset %d: %w", id, err)
	}
	// Forget ids far below the offset; the floor says they were applied.
	newFloor := floor
	c := ups.Cursor()
	for k, _ := c.First(); k != nil && int64(binary.BigEndian.Uint64(k)) < off-updateWindow; k, _ = c.First() {
		newFloor = int64(binary.BigEndian.Uint64(k))
		if err := c.Delete(); err != nil {
			return err
		}
	}
	if newFloor != floor {
		return meta.Put(metaUpdateFloor, []byte(strconv.FormatInt(newFloor, 10)))
	}
	return nil
}

// applied reports whether update id was already stored.
func (tx *Tx) applied(id int64) bool {
	meta := tx.b(bucketMeta)
	floor, _ := metaInt(meta, metaUpdateFloor)
	off, _ := metaInt(meta, metaOffset)
	return id <= floor || id < off-updateWindow || has(tx.b(bucketUpdates), u64(uint64(id)))
}

// ---- clients and the due index ----

// Client returns the client of chatID, or ErrNotFound.
func (tx *Tx) Client(chatID int64) (Client, error) {
	var c Client
	if err := get(tx.b(bucketClients), chatKey(chatID), &c, "client"); err != nil {
		return Client{}, fmt.Errorf("client %d: %w", chatID, err)
	}
	return c, nil
}

// PutClient creates or replaces a client and moves its entry in the due
// index to c.Due (none when c.Due is zero), in this transaction.
func (tx *Tx) PutClient(c Client) error {
	if c.ChatID == 0 {
		return fmt.Errorf("put client: chat id is zero")
	}
	clients, due := tx.b(bucketClients), tx.b(bucketDue)
	key := chatKey(c.ChatID)
	var old *Client
	if v := clients.Get(key); v != nil {
		old = new(Client)
		if err := decode(v, old, "client", key); err != nil {
			return err
		}
		if !old.Due.IsZero() {
			if err := due.Delete(dueKey(old.Due, c.ChatID)); err != nil {
				return fmt.Errorf("put client %d: %w", c.ChatID, err)
			}
		}
	}
	if err := tx.indexClient(old, c); err != nil {
		return fmt.Errorf("put client %d: %w", c.ChatID, err)
	}
	if !c.Due.IsZero() {
		if err := due.Put(dueKey(c.Due, c.ChatID), nil); err != nil {
			return fmt.Errorf("put client %d: %w", c.ChatID, err)
		}
	}
	if err := put(clients, key, c); err != nil {
		return fmt.Errorf("put client %d: %w", c.ChatID, err)
	}
	return nil
}

// ChatFound clears the client's ChatNotFoundAt, now that a message
// reached their chat. The client is decoded and written only when it has
// one: the stored bytes tell without decoding (see clientNoteOfNotFound).
// A chat that is no client's is not an error.
func (tx *Tx) ChatFound(chatID int64) error {
	v := tx.b(bucketClients).Get(chatKey(chatID))
	if v == nil || !clientNoteOfNotFound(v) {
		return nil
	}
	c, err := tx.Client(chatID)
	if err != nil || c.ChatNotFoundAt.IsZero() {
		return err
	}
	c.ChatNotFoundAt = time.Time{}
	return tx.PutClient(c)
}

// Clients calls fn for every client in chat id order; an error from fn
// stops the walk and is returned.
func (tx *Tx) Clients(fn func(Client) error) error {
	return tx.b(bucketClients).ForEach(func(k, v []byte) error {
		var c Client
		if err := decode(v, &c, "client", k); err != nil {
			return err
		}
		return fn(c)
	})
}

// Due returns the chat ids of clients whose Due is at or before at, in due
// order, at most limit (limit <= 0: all). It reads only the due entries it
// returns, plus one.
func (tx *Tx) Due(at time.Time, limit int) ([]int64, error) {
	end := dueTimeKey(at)
	var ids []int64
	c := tx.b(bucketDue).Cursor()
	for k, _ := c.First(); k != nil && (limit <= 0 || len(ids) < limit); k, _ = c.Next() {
		if len(k) != dueKeyLen {
			return ids, fmt.Errorf("%w: due key %x", ErrCorrupt, k)
		}
		if bytes.Compare(k[:12], end) > 0 {
			break
		}
		ids = append(ids, int64(binary.BigEndian.Uint64(k[12:])))
	}
	return ids, nil
}

// ---- sessions ----

// AddSession stores a session, replacing one of the same client and date.
func (tx *Tx) AddSession(s Session) error {
	if err := checkDate("add session: date", s.Date); err != nil {
		return err
	}
	if err := put(tx.b(bucketSessions), sessionKey(s.ChatID, s.Date), s); err != nil {
		return fmt.Errorf("add session %d %s: %w", s.ChatID, s.Date, err)
	}
	return nil
}

// DeleteSession deletes the client's session of date, or returns ErrNotFound.
func (tx *Tx) DeleteSession(chatID int64, date string) error {
	b, key := tx.b(bucketSessions), sessionKey(chatID, date)
	if b.Get(key) == nil {
		return fmt.Errorf("session %d %s: %w", chatID, date, ErrNotFound)
	}
	return b.Delete(key)
}

// Sessions returns the client's sessions in date order.
func (tx *Tx) Sessions(chatID int64) ([]Session, error) {
	var out []Session
	err := prefixed(tx.b(bucketSessions), chatKey(chatID), func(k, v []byte) error {
		var s Session
		if err := decode(v, &s, "session", k); err != nil {
			return err
		}
		out = append(out, s)
		return nil
	})
	return out, err
}

// LatestSession returns the client's session of the latest date, or
// ErrNotFound.
func (tx *Tx) LatestSession(chatID int64) (Session, error) {
	k, v := last(tx.b(bucketSessions), chatKey(chatID))
	if k == nil {
		return Session{}, fmt.Errorf("latest session %d: %w", chatID, ErrNotFound)
	}
	var s Session
	err := decode(v, &s, "session", k)
	return s, err
}

// last returns the last key of b with prefix (8 bytes, a chat id).
func last(b *bbolt.Bucket, prefix []byte) (k, v []byte) {
	c := b.Cursor()
	next := u64(binary.BigEndian.Uint64(prefix) + 1)
	if binary.BigEndian.Uint64(prefix) == ^uint64(0) {
		k, v = c.Last()
	} else if k, v = c.Seek(next); k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	if k == nil || !bytes.HasPrefix(k, prefix) {
		return nil, nil
	}
	return k, v
}

// ---- deliveries ----

// Delivery returns the client's delivery of step day on localDate, or
// ErrNotFound.
func (tx *Tx) Delivery(chatID int64, localDate string, day int) (Delivery, error) {
	var d Delivery
	if err := get(tx.b(bucketDeliveries), deliveryKey(chatID, localDate, day), &d, "delivery"); err != nil {
		return Delivery{}, fmt.Errorf("delivery %d %s day %d: %w", chatID, localDate, day, err)
	}
	return d, nil
}

// PutDelivery creates or replaces a delivery, keyed by (ChatID, LocalDate, Day).
func (tx *Tx) PutDelivery(d Delivery) error {
	if err := checkDate("put delivery: local date", d.LocalDate); err != nil {
		return err
	}
	if err := tx.indexDelivery(d); err != nil {
		return fmt.Errorf("put delivery %d %s day %d: %w", d.ChatID, d.LocalDate, d.Day, err)
	}
	if err := put(tx.b(bucketDeliveries), deliveryKey(d.ChatID, d.LocalDate, d.Day), d); err != nil {
		return fmt.Errorf("put delivery %d %s day %d: %w", d.ChatID, d.LocalDate, d.Day, err)
	}
	return nil
}

// DeliveryOn returns the client's deliveries of localDate, in day order.
func (tx *Tx) DeliveryOn(chatID int64, localDate string) ([]Delivery, error) {
	return tx.deliveries(cat(chatKey(chatID), []byte(localDate)))
}

// Deliveries returns all of the client's deliveries in (local date, day) order.
func (tx *Tx) Deliveries(chatID int64) ([]Delivery, error) {
	return tx.deliveries(chatKey(chatID))
}

func (tx *Tx) deliveries(prefix []byte) ([]Delivery, error) {
	var out []Delivery
	err := prefixed(tx.b(bucketDeliveries), prefix, func(k, v []byte) error {
		var d Delivery
		if err := decode(v, &d, "delivery", k); err != nil {
			return err
		}
		out = append(out, d)
		return nil
	})
	return out, err
}

// LatestDelivery returns the client's delivery of the latest local date,
// the last created when that date has several; or ErrNotFound.
func (tx *Tx) LatestDelivery(chatID int64) (Delivery, error) {
	prefix := chatKey(chatID)
	k, _ := last(tx.b(bucketDeliveries), prefix)
	if k == nil {
		return Delivery{}, fmt.Errorf("latest delivery %d: %w", chatID, ErrNotFound)
	}
	ds, err := tx.deliveries(k[:8+len(dateLayout)])
	if err != nil {
		return Delivery{}, err
	}
	best := ds[0]
	for _, d := range ds[1:] {
		if !d.CreatedAt.Before(best.CreatedAt) {
			best = d
		}
	}
	return best, nil
}

// ---- invites ----

// PutInvite creates or replaces an invite, keyed by Code.
func (tx *Tx) PutInvite(inv Invite) error {
	if inv.Code == "" {
		return fmt.Errorf("put invite: empty code")
	}
	if err := put(tx.b(bucketInvites), []byte(inv.Code), inv); err != nil {
		return fmt.Errorf("put invite: %w", err)
	}
	return nil
}

// Invite returns the invite of code, or ErrNotFound.
func (tx *Tx) Invite(code string) (Invite, error) {
	var inv Invite
	if code == "" {
		return inv, fmt.Errorf("invite: %w", ErrNotFound)
	}
	if err := get(tx.b(bucketInvites), []byte(code), &inv, "invite"); err != nil {
		return Invite{}, fmt.Errorf("invite: %w", err) // the code is a secret: not in errors
	}
	return inv, nil
}

// ---- forget ----

// Forget removes every record of the client: the client and its due
// entry, sessions, deliveries, replies and their message index, alerts and
// their timers, outbox rows (theirs and those about them), the invites the
// client used (deleted, since a coach's note on an invite often names the
// person), and kv entries whose key is the chat id in decimal or starts
// with it followed by ':'. Forgetting an unknown client is not an error.
func (tx *Tx) Forget(chatID int64) error {
	if err := tx.forget(chatID); err != nil {
		return fmt.Errorf("forget %d: %w", chatID, err)
	}
	return nil
}

func (tx *Tx) forget(chatID int64) error {
	tx.dropped = true
	key := chatKey(chatID)
	var known *Client
	if c, err := tx.Client(chatID); err == nil {
		known = &c
		if !c.Due.IsZero() {
			if err := tx.b(bucketDue).Delete(dueKey(c.Due, chatID)); err != nil {
				return err
			}
		}
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	if err := tx.forgetIndexes(chatID, known); err != nil {
		return err
	}
	if err := tx.b(bucketClients).Delete(key); err != nil {
		return err
	}
	for _, name := range [][]byte{bucketSessions, bucketDeliveries, bucketDeliveryMsgs, bucketReplies, bucketReplyMsgs, bucketCheckIns} {
		if err := deletePrefix(tx.b(name), key); err != nil {
			return err
		}
	}
	if err := tx.forgetAlerts(chatID); err != nil {
		return err
	}
	if err := deleteWhere(tx.b(bucketOutbox), func(k, v []byte) (bool, error) {
		var o Outgoing
		err := decodeOutgoing(v, &o, k)
		return o.ChatID == chatID || o.About == chatID, err
	}); err != nil {
		return err
	}
	if err := deleteWhere(tx.b(bucketInvites), func(k, v []byte) (bool, error) {
		var inv Invite
		err := decode(v, &inv, "invite", k)
		return inv.UsedBy == chatID, err
	}); err != nil {
		return err
	}
	id := strconv.FormatInt(chatID, 10)
	return deleteWhere(tx.b(bucketKV), func(k, _ []byte) (bool, error) {
		_, key, _ := bytes.Cut(k, []byte{0})
		return string(key) == id || strings.HasPrefix(string(key), id+":"), nil
	})
}

// deleteWhere deletes every entry of b for which match is true.
func deleteWhere(b *bbolt.Bucket, match func(k, v []byte) (bool, error)) error {
	var doomed [][]byte
	if err := b.ForEach(func(k, v []byte) error {
		ok, err := match(k, v)
		if ok {
			doomed = append(doomed, bytes.Clone(k))
		}
		return err
	}); err != nil {
		return err
	}
	for _, k := range doomed {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// ---- small key/value state ----

// Get returns a copy of the value of key in namespace ns of the kv bucket.
func (tx *Tx) Get(ns, key string) ([]byte, bool) {
	want := kvKey(ns, key)
	k, v := tx.b(bucketKV).Cursor().Seek(want)
	if !bytes.Equal(k, want) {
		return nil, false
	}
	return append([]byte{}, v...), true
}

// Put stores value under key in namespace ns of the kv bucket. Client
// state must use the chat id in decimal as key, or as key prefix followed
// by ':', so that Forget finds it.
func (tx *Tx) Put(ns, key string, value []byte) error {
	if ns == "" || strings.IndexByte(ns, 0) >= 0 || key == "" {
		return fmt.Errorf("put %q/%q: namespace and key must be non-empty, namespace without NUL", ns, key)
	}
	if value == nil {
		value = []byte{}
	}
	if err := tx.b(bucketKV).Put(kvKey(ns, key), value); err != nil {
		return fmt.Errorf("put %s/%s: %w", ns, key, err)
	}
	return nil
}

// Delete removes key from namespace ns of the kv bucket. A missing key is
// not an error.
func (tx *Tx) Delete(ns, key string) error {
	if err := tx.b(bucketKV).Delete(kvKey(ns, key)); err != nil {
		return fmt.Errorf("delete %s/%s: %w", ns, key, err)
	}
	return nil
}
