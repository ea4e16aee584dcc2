package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Outbox rows, deliveries, clients and sessions are stored in a compact
// binary form of their own rather than as JSON (every other record is
// JSON). They are what a day's broadcast reads and writes for every
// client: the tick reads the client and its sessions and writes a
// delivery and an outbox row, the drain decodes the row, and recording
// the question sent decodes and rewrites the delivery. As JSON (with a
// first question and its keyboard of ten buttons) they took about 690,
// 310, 250 and 75 bytes, field names repeated in every record and every
// button; in this form 240, 135, 75 and 25. Their decoding was the
// largest part of kindling's own CPU per message, and their pages most
// of the memory of a large run, since bbolt's file is mapped.
//
// Records written as JSON by schema 7 and earlier are still read: a JSON
// record begins with '{', a compact one with its form's version byte.
// The migration to schema 8 rewrites the outbox; the other records take
// the compact form when they are next written.
//
// After that byte, lengths and counts are uvarints, signed numbers
// zig-zag varints, a string or bytes its length then its bytes, and a
// time a byte (0: the zero time, 1: set) then, when set, Unix seconds
// (varint), nanoseconds (uvarint) and the zone's offset east of UTC in
// seconds (varint).
//
// An outbox row (version outboxCodec):
//
//	id uvarint, chat varint, text, parse mode
//	keyboard: rows uvarint; per row buttons uvarint; per button its
//	          text, the length of the prefix its callback data shares with
//	          the previous button's (uvarint), the rest of the data, URL
//	document name, document (bytes), document file
//	flags byte: protect 1, bulk 2, urgent 4
//	local date, day varint, question id, about varint
//	alert at, created at (time), attempts varint
//
// A delivery (version deliveryCodec):
//
//	chat varint, local date, day varint, session date, sequence, language
//	questions: count, then each id
//	next varint
//	messages: count, then question id and message id (varint), by id
//	asked: count, then question id and text, by id
//	state, flags byte: manual 1, reminded 2
//	created at, sent at (time)
//
// A client (version clientCodec), its chat-not-found time first so that
// ChatFound can tell from the second byte alone that there is none:
//
//	chat not found at (time), chat varint, user varint, name, username,
//	language, time zone, send time, sequence, status, paused until (time),
//	coach varint, consent at, created at, due (time), setup, flow,
//	flow data: count, then key and value, by key
//	safety plan: count, then key and value, by key
//
// A session (version sessionCodec):
//
//	chat varint, date, note, intention, created at (time)
const (
	outboxCodec   = 1
	deliveryCodec = 2
	clientCodec   = 3
	sessionCodec  = 4
)

const (
	outProtect = 1 << iota
	outBulk
	outUrgent
)

// encodeOutgoing is o in the outbox's compact form.
func encodeOutgoing(o *Outgoing) []byte {
	n := 64 + len(o.Text) + len(o.ParseMode) + len(o.DocumentName) + len(o.Document) + len(o.DocumentFile) +
		len(o.LocalDate) + len(o.QuestionID)
	for _, row := range o.Keyboard {
		for _, btn := range row {
			n += 6 + len(btn.Text) + len(btn.Data) + len(btn.URL)
		}
	}
	b := make([]byte, 0, n)
	b = append(b, outboxCodec)
	b = binary.AppendUvarint(b, o.ID)
	b = binary.AppendVarint(b, o.ChatID)
	b = appendString(b, o.Text)
	b = appendString(b, o.ParseMode)
	b = binary.AppendUvarint(b, uint64(len(o.Keyboard)))
	prev := ""
	for _, row := range o.Keyboard {
		b = binary.AppendUvarint(b, uint64(len(row)))
		for _, btn := range row {
			b = appendString(b, btn.Text)
			shared := commonPrefix(prev, btn.Data)
			b = binary.AppendUvarint(b, uint64(shared))
			b = appendString(b, btn.Data[shared:])
			b = appendString(b, btn.URL)
			prev = btn.Data
		}
	}
	b = appendString(b, o.DocumentName)
	b = binary.AppendUvarint(b, uint64(len(o.Document)))
	b = append(b, o.Document...)
	b = appendString(b, o.DocumentFile)
	var flags byte
	if o.Protect {
		flags |= outProtect
	}
	if o.Bulk {
		flags |= outBulk
	}
	if o.Urgent {
		flags |= outUrgent
	}
	b = append(b, flags)
	b = appendString(b, o.LocalDate)
	b = binary.AppendVarint(b, int64(o.Day))
	b = appendString(b, o.QuestionID)
	b = binary.AppendVarint(b, o.About)
	b = appendTime(b, o.AlertAt)
	b = appendTime(b, o.CreatedAt)
	return binary.AppendVarint(b, int64(o.Attempts))
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	_, off := t.Zone()
	b = append(b, 1)
	b = binary.AppendVarint(b, t.Unix())
	b = binary.AppendUvarint(b, uint64(t.Nanosecond()))
	return binary.AppendVarint(b, int64(off))
}

func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// decodeOutgoing reads an outbox row of either form into o; key names the
// row in the error.
func decodeOutgoing(v []byte, o *Outgoing, key []byte) error {
	return decode(v, o, "outgoing", key)
}

// outgoingChat reads only the chat of a stored outbox row, of either
// form.
func outgoingChat(v, key []byte) (int64, error) {
	if len(v) > 0 && v[0] == outboxCodec {
		r := &outReader{v: v[1:]}
		r.uvarint() // the id
		chat := r.varint()
		if r.err != nil {
			return 0, fmt.Errorf("%w: decode outgoing %x: %v", ErrCorrupt, key, r.err)
		}
		return chat, nil
	}
	var o struct {
		ChatID int64 `json:"chat_id"`
	}
	err := decode(v, &o, "outgoing", key)
	return o.ChatID, err
}

// decodeCompact decodes v into into when v is in a compact form and
// into is a record that has one; ok is false otherwise.
func decodeCompact(v []byte, into any) (ok bool, err error) {
	if len(v) == 0 || v[0] == '{' {
		return false, nil
	}
	switch x := into.(type) {
	case *Outgoing:
		return true, readOutgoing(v, x)
	case *Delivery:
		return true, readDelivery(v, x)
	case *Client:
		return true, readClient(v, x)
	case *Session:
		return true, readSession(v, x)
	}
	return false, nil
}

// encodeCompact is v in its compact form, when it has one.
func encodeCompact(v any) ([]byte, bool) {
	switch x := v.(type) {
	case Outgoing:
		return encodeOutgoing(&x), true
	case *Outgoing:
		return encodeOutgoing(x), true
	case Delivery:
		return encodeDelivery(&x), true
	case *Delivery:
		return encodeDelivery(x), true
	case Client:
		return encodeClient(&x), true
	case *Client:
		return encodeClient(x), true
	case Session:
		return encodeSession(&x), true
	case *Session:
		return encodeSession(x), true
	}
	return nil, false
}

// errShort is a compact row that ends before its last field.
var errShort = errors.New("row ends early")

// outReader reads the fields of a compact row in turn; the first error
// sticks and later reads return zero values.
type outReader struct {
	v   []byte
	err error
}

func (r *outReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	x, n := binary.Uvarint(r.v)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.v = r.v[n:]
	return x
}

func (r *outReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	x, n := binary.Varint(r.v)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.v = r.v[n:]
	return x
}

func (r *outReader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.v)) {
		r.err = errShort
		return nil
	}
	b := r.v[:n:n]
	r.v = r.v[n:]
	return b
}

func (r *outReader) string() string { return string(r.bytes()) }

func (r *outReader) byte() byte {
	if r.err != nil {
		return 0
	}
	if len(r.v) == 0 {
		r.err = errShort
		return 0
	}
	c := r.v[0]
	r.v = r.v[1:]
	return c
}

// count reads a count of items that each take at least one byte, so that
// a damaged count cannot make the reader allocate more than the row holds.
func (r *outReader) count() int {
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.v)) {
		r.err = fmt.Errorf("count %d beyond the row's %d bytes left", n, len(r.v))
	}
	if r.err != nil {
		return 0
	}
	return int(n)
}

func (r *outReader) time() time.Time {
	switch r.byte() {
	case 0:
		return time.Time{}
	case 1:
	default:
		if r.err == nil {
			r.err = errors.New("bad time marker")
		}
		return time.Time{}
	}
	sec, nsec, off := r.varint(), r.uvarint(), r.varint()
	if r.err != nil {
		return time.Time{}
	}
	if nsec >= 1e9 || off <= -24*3600 || off >= 24*3600 {
		r.err = fmt.Errorf("bad time %d.%d%+d", sec, nsec, off)
		return time.Time{}
	}
	// The zone as encoding/json gives it back from RFC 3339: UTC for a
	// zero offset, Local when the offset is Local's at that moment, else a
	// fixed zone.
	t := time.Unix(sec, int64(nsec))
	if off == 0 {
		return t.UTC()
	}
	local := t.In(time.Local)
	if _, o := local.Zone(); int64(o) == off {
		return local
	}
	return t.In(time.FixedZone("", int(off)))
}

// readOutgoing decodes a compact row.
func readOutgoing(v []byte, o *Outgoing) error {
	if v[0] != outboxCodec {
		return fmt.Errorf("unknown record form %d", v[0])
	}
	r := &outReader{v: v[1:]}
	*o = Outgoing{ID: r.uvarint(), ChatID: r.varint(), Text: r.string(), ParseMode: r.string()}
	if rows := r.count(); rows > 0 {
		o.Keyboard = make([][]Button, rows)
		prev := ""
		for i := range o.Keyboard {
			row := make([]Button, r.count())
			for j := range row {
				text := r.string()
				shared := r.uvarint()
				rest := r.bytes()
				if shared > uint64(len(prev)) && r.err == nil {
					r.err = fmt.Errorf("button data shares %d bytes of %d", shared, len(prev))
				}
				if r.err != nil {
					return r.err
				}
				data := prev[:shared] + string(rest)
				row[j] = Button{Text: text, Data: data, URL: r.string()}
				prev = data
			}
			o.Keyboard[i] = row
		}
	}
	o.DocumentName = r.string()
	if doc := r.bytes(); len(doc) > 0 {
		o.Document = append([]byte(nil), doc...)
	}
	o.DocumentFile = r.string()
	flags := r.byte()
	o.Protect, o.Bulk, o.Urgent = flags&outProtect != 0, flags&outBulk != 0, flags&outUrgent != 0
	o.LocalDate = r.string()
	o.Day = int(r.varint())
	o.QuestionID = r.string()
	o.About = r.varint()
	o.AlertAt = r.time()
	o.CreatedAt = r.time()
	o.Attempts = int(r.varint())
	switch {
	case r.err != nil:
		return r.err
	case flags&^(outProtect|outBulk|outUrgent) != 0:
		return fmt.Errorf("unknown flags %#x", flags)
	case len(r.v) != 0:
		return fmt.Errorf("%d bytes after the last field", len(r.v))
	}
	return nil
}

// encodeDelivery is d in its compact form.
func encodeDelivery(d *Delivery) []byte {
	n := 48 + len(d.LocalDate) + len(d.SessionDate) + len(d.Sequence) + len(d.Language) + len(d.State)
	for _, q := range d.Questions {
		n += 1 + len(q)
	}
	for q, text := range d.Asked {
		n += 2 + len(q) + len(text)
	}
	n += 8 * len(d.Messages)
	b := make([]byte, 0, n)
	b = append(b, deliveryCodec)
	b = binary.AppendVarint(b, d.ChatID)
	b = appendString(b, d.LocalDate)
	b = binary.AppendVarint(b, int64(d.Day))
	b = appendString(b, d.SessionDate)
	b = appendString(b, d.Sequence)
	b = appendString(b, d.Language)
	b = binary.AppendUvarint(b, uint64(len(d.Questions)))
	for _, q := range d.Questions {
		b = appendString(b, q)
	}
	b = binary.AppendVarint(b, int64(d.Next))
	b = binary.AppendUvarint(b, uint64(len(d.Messages)))
	for _, q := range slices.Sorted(maps.Keys(d.Messages)) {
		b = appendString(b, q)
		b = binary.AppendVarint(b, int64(d.Messages[q]))
	}
	b = binary.AppendUvarint(b, uint64(len(d.Asked)))
	for _, q := range slices.Sorted(maps.Keys(d.Asked)) {
		b = appendString(b, q)
		b = appendString(b, d.Asked[q])
	}
	b = appendString(b, string(d.State))
	var flags byte
	if d.Manual {
		flags |= delManual
	}
	if d.Reminded {
		flags |= delReminded
	}
	b = append(b, flags)
	b = appendTime(b, d.CreatedAt)
	return appendTime(b, d.SentAt)
}

const (
	delManual = 1 << iota
	delReminded
)

// readDelivery decodes a compact delivery.
func readDelivery(v []byte, d *Delivery) error {
	if v[0] != deliveryCodec {
		return fmt.Errorf("unknown record form %d", v[0])
	}
	r := &outReader{v: v[1:]}
	*d = Delivery{ChatID: r.varint(), LocalDate: r.string(), Day: int(r.varint()), SessionDate: r.string(),
		Sequence: r.string(), Language: r.string()}
	if n := r.count(); n > 0 {
		d.Questions = make([]string, n)
		for i := range d.Questions {
			d.Questions[i] = r.string()
		}
	}
	d.Next = int(r.varint())
	if n := r.count(); n > 0 {
		d.Messages = make(map[string]int, n)
		for range n {
			q := r.string()
			d.Messages[q] = int(r.varint())
		}
	}
	if n := r.count(); n > 0 {
		d.Asked = make(map[string]string, n)
		for range n {
			q := r.string()
			d.Asked[q] = r.string()
		}
	}
	d.State = DeliveryState(r.string())
	flags := r.byte()
	d.Manual, d.Reminded = flags&delManual != 0, flags&delReminded != 0
	d.CreatedAt = r.time()
	d.SentAt = r.time()
	switch {
	case r.err != nil:
		return r.err
	case flags&^(delManual|delReminded) != 0:
		return fmt.Errorf("unknown flags %#x", flags)
	case len(r.v) != 0:
		return fmt.Errorf("%d bytes after the last field", len(r.v))
	}
	return nil
}

// appendMap appends m's entries in key order.
func appendMap(b []byte, m map[string]string) []byte {
	b = binary.AppendUvarint(b, uint64(len(m)))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		b = appendString(b, k)
		b = appendString(b, m[k])
	}
	return b
}

// stringMap reads what appendMap wrote; nil when empty.
func (r *outReader) stringMap() map[string]string {
	n := r.count()
	if n == 0 {
		return nil
	}
	m := make(map[string]string, n)
	for range n {
		k := r.string()
		m[k] = r.string()
	}
	return m
}

// encodeClient is c in its compact form.
func encodeClient(c *Client) []byte {
	n := 64 + len(c.Name) + len(c.Username) + len(c.Language) + len(c.TimeZone) + len(c.SendTime) +
		len(c.Sequence) + len(c.Status) + len(c.Setup) + len(c.Flow)
	for k, v := range c.FlowData {
		n += 2 + len(k) + len(v)
	}
	for k, v := range c.SafetyPlan {
		n += 2 + len(k) + len(v)
	}
	b := make([]byte, 0, n)
	b = append(b, clientCodec)
	b = appendTime(b, c.ChatNotFoundAt)
	b = binary.AppendVarint(b, c.ChatID)
	b = binary.AppendVarint(b, c.UserID)
	b = appendString(b, c.Name)
	b = appendString(b, c.Username)
	b = appendString(b, c.Language)
	b = appendString(b, c.TimeZone)
	b = appendString(b, c.SendTime)
	b = appendString(b, c.Sequence)
	b = appendString(b, string(c.Status))
	b = appendTime(b, c.PausedUntil)
	b = binary.AppendVarint(b, c.Coach)
	b = appendTime(b, c.ConsentAt)
	b = appendTime(b, c.CreatedAt)
	b = appendTime(b, c.Due)
	b = appendString(b, c.Setup)
	b = appendString(b, c.Flow)
	b = appendMap(b, c.FlowData)
	return appendMap(b, c.SafetyPlan)
}

// readClient decodes a compact client.
func readClient(v []byte, c *Client) error {
	if v[0] != clientCodec {
		return fmt.Errorf("unknown record form %d", v[0])
	}
	r := &outReader{v: v[1:]}
	*c = Client{ChatNotFoundAt: r.time(), ChatID: r.varint(), UserID: r.varint(), Name: r.string(), Username: r.string(),
		Language: r.string(), TimeZone: r.string(), SendTime: r.string(), Sequence: r.string(), Status: Status(r.string()),
		PausedUntil: r.time(), Coach: r.varint(), ConsentAt: r.time(), CreatedAt: r.time(), Due: r.time(),
		Setup: r.string(), Flow: r.string()}
	c.FlowData = r.stringMap()
	c.SafetyPlan = r.stringMap()
	return r.end()
}

// clientNoteOfNotFound reports whether the stored client v may carry a
// ChatNotFoundAt: false only when it certainly carries none.
func clientNoteOfNotFound(v []byte) bool {
	if len(v) >= 2 && v[0] == clientCodec {
		return v[1] != 0 // the time's marker: 0 is the zero time
	}
	return bytes.Contains(v, chatNotFoundKey)
}

// chatNotFoundKey is how Client.ChatNotFoundAt is named in a client
// stored as JSON (see its json tag); a zero time is never encoded.
var chatNotFoundKey = []byte(`"chat_not_found_at"`)

// encodeSession is s in its compact form.
func encodeSession(s *Session) []byte {
	b := make([]byte, 0, 32+len(s.Date)+len(s.Note)+len(s.Intention))
	b = append(b, sessionCodec)
	b = binary.AppendVarint(b, s.ChatID)
	b = appendString(b, s.Date)
	b = appendString(b, s.Note)
	b = appendString(b, s.Intention)
	return appendTime(b, s.CreatedAt)
}

// readSession decodes a compact session.
func readSession(v []byte, s *Session) error {
	if v[0] != sessionCodec {
		return fmt.Errorf("unknown record form %d", v[0])
	}
	r := &outReader{v: v[1:]}
	*s = Session{ChatID: r.varint(), Date: r.string(), Note: r.string(), Intention: r.string(), CreatedAt: r.time()}
	return r.end()
}

// end is the reader's error, or one for bytes left after the last field.
func (r *outReader) end() error {
	if r.err == nil && len(r.v) != 0 {
		return fmt.Errorf("%d bytes after the last field", len(r.v))
	}
	return r.err
}

// putOutgoing writes o under its id in the outbox bucket of tx.
func (tx *Tx) putOutgoing(o *Outgoing) error {
	return tx.b(bucketOutbox).Put(u64(o.ID), encodeOutgoing(o))
}
