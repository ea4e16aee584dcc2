package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Outbox rows are stored in a compact binary form of their own rather
// than as JSON: every message sent is decoded by the drain, and the
// rows of a morning's broadcast fill the file while they wait. As JSON,
// a first question with its keyboard of ten buttons took about 690 bytes
// (field names repeated for every button) and its decoding was the
// largest part of kindling's own CPU per message; in this form it takes
// about 200. Rows written as JSON by schema 7 and earlier are still read
// (the migration to schema 8 rewrites them, and Salvage may meet them in
// an older file): a JSON row begins with '{', a compact one with
// outboxCodec.
//
// The layout, after the version byte, with uvarints for lengths and
// counts and zig-zag varints for signed numbers:
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
// A string or bytes is its length then its bytes; a time is a byte (0:
// the zero time, 1: set) then, when set, Unix seconds (varint),
// nanoseconds (uvarint) and the zone's offset east of UTC in seconds
// (varint).
const outboxCodec = 1

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
	if len(v) > 0 && v[0] == '{' {
		return decode(v, o, "outgoing", key)
	}
	if err := readOutgoing(v, o); err != nil {
		return fmt.Errorf("%w: decode outgoing %x: %v", ErrCorrupt, key, err)
	}
	return nil
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
	t := time.Unix(sec, int64(nsec))
	if off == 0 {
		return t.UTC()
	}
	return t.In(time.FixedZone("", int(off)))
}

// readOutgoing decodes a compact row.
func readOutgoing(v []byte, o *Outgoing) error {
	if len(v) == 0 || v[0] != outboxCodec {
		if len(v) == 0 {
			return errors.New("empty row")
		}
		return fmt.Errorf("unknown row form %d", v[0])
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

// putOutgoing writes o under its id in the outbox bucket of tx.
func (tx *Tx) putOutgoing(o *Outgoing) error {
	return tx.b(bucketOutbox).Put(u64(o.ID), encodeOutgoing(o))
}
