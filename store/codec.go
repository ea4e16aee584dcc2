package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Outbox rows, deliveries, clients, sessions and replies are stored in a
// compact binary form of their own rather than as JSON (every other
// record is JSON). They are what a day's broadcast reads and writes for every
// client: the tick reads the client and its sessions and writes a
// delivery and an outbox row, the drain decodes the row, and recording
// the question sent decodes and rewrites the delivery. As JSON (with a
// first question and its keyboard of ten buttons) they took about 690,
// 310, 250 and 75 bytes, field names repeated in every record and every
// button; in this form 240, 135, 75 and 25. Their decoding was the
// largest part of kindling's own CPU per message, and their pages most
// of the memory of a large run, since bbolt's file is mapped.
//
// Records written as JSON by schema 7 and earlier (replies: 8 and
// earlier) are still read: a JSON record begins with '{', a compact one
// with its form's version byte. The migration to schema 8 rewrites the
// outbox; the other records take the compact form when they are next
// written.
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
//
// A reply (version replyCodec, since schema 9), a number that may be
// absent a byte (0: absent, 1: present) then, when present, the varint:
//
//	id uvarint, chat varint, at (time), local date, day varint,
//	session date, question id, question, kind, answer, value (maybe),
//	check-in, option, score (maybe), message id varint
//	voice: a byte (0: none, 1: one) then file id, path, duration varint,
//	       size varint
//	edits: count, then each at (time) and answer
//	flags byte: flagged 1
const (
	outboxCodec   = 1
	deliveryCodec = 2
	clientCodec   = 3
	sessionCodec  = 4
	replyCodec    = 5
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
	case *Reply:
		return true, readReply(v, x)
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
	case Reply:
		return encodeReply(&x), true
	case *Reply:
		return encodeReply(x), true
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
	// s, when set, is a copy of the whole of v as it began: the strings
	// read are slices of it, one allocation for the record instead of one
	// for each of its strings (a first question's row has about twenty).
	s string
}

// newOutReader reads the fields of v, a record in the compact form
// whose first byte is form; its strings share one copy of the record.
func newOutReader(v []byte, form byte) (*outReader, error) {
	if v[0] != form {
		return nil, fmt.Errorf("unknown record form %d", v[0])
	}
	return &outReader{v: v[1:], s: string(v[1:])}, nil
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

func (r *outReader) string() string {
	if r.s == "" {
		return string(r.bytes())
	}
	b := r.bytes()
	at := len(r.s) - len(r.v) - len(b) // where b begins in the record
	return r.s[at : at+len(b)]
}

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

// present reads the byte that says whether a field that may be absent
// follows: 0 no, 1 yes; any other is an error naming what.
func (r *outReader) present(what string) bool {
	switch r.byte() {
	case 0:
		return false
	case 1:
		return true
	}
	if r.err == nil {
		r.err = fmt.Errorf("bad %s marker", what)
	}
	return false
}

// flags reads a byte of flags, of which only the bits of known may be
// set.
func (r *outReader) flags(known byte) byte {
	f := r.byte()
	if r.err == nil && f&^known != 0 {
		r.err = fmt.Errorf("unknown flags %#x", f)
	}
	return f
}

func (r *outReader) time() time.Time {
	if !r.present("time") {
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
