package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
)

// The compact forms of each kind of record (see codec.go for the format).

// readOutgoing decodes a compact row.
func readOutgoing(v []byte, o *Outgoing) error {
	r, err := newOutReader(v, outboxCodec)
	if err != nil {
		return err
	}
	*o = Outgoing{ID: r.uvarint(), ChatID: r.varint(), Text: r.string(), ParseMode: r.string()}
	if err := r.keyboard(o); err != nil {
		return err
	}
	o.DocumentName = r.string()
	if doc := r.bytes(); len(doc) > 0 {
		o.Document = append([]byte(nil), doc...)
	}
	o.DocumentFile = r.string()
	flags := r.flags(outProtect | outBulk | outUrgent)
	o.Protect, o.Bulk, o.Urgent = flags&outProtect != 0, flags&outBulk != 0, flags&outUrgent != 0
	o.LocalDate = r.string()
	o.Day = int(r.varint())
	o.QuestionID = r.string()
	o.About = r.varint()
	o.AlertAt = r.time()
	o.CreatedAt = r.time()
	o.Attempts = int(r.varint())
	return r.end()
}

// keyboard reads the buttons of an outbox row into o. Each button's data
// is stored as the bytes it shares with the one before and the rest;
// they are put together in one buffer, made a string once, and each
// button's data is a slice of it.
func (r *outReader) keyboard(o *Outgoing) error {
	rows := r.count()
	if rows == 0 {
		return r.err
	}
	o.Keyboard = make([][]Button, rows)
	var (
		data        = make([]byte, 0, 512)
		spanBuf     [16][2]int
		spans       = spanBuf[:0] // each button's data in data
		prev, prevN int           // the last button's data in data
	)
	for i := range o.Keyboard {
		row := make([]Button, r.count())
		for j := range row {
			text := r.string()
			shared := r.uvarint()
			rest := r.bytes()
			if shared > uint64(prevN) && r.err == nil {
				r.err = fmt.Errorf("button data shares %d bytes of %d", shared, prevN)
			}
			if r.err != nil {
				return r.err
			}
			start := len(data)
			data = append(data, data[prev:prev+int(shared)]...)
			data = append(data, rest...)
			prev, prevN = start, len(data)-start
			spans = append(spans, [2]int{start, len(data)})
			row[j] = Button{Text: text, URL: r.string()}
		}
		o.Keyboard[i] = row
	}
	all := string(data)
	k := 0
	for _, row := range o.Keyboard {
		for j := range row {
			row[j].Data = all[spans[k][0]:spans[k][1]]
			k++
		}
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
	var keys [8]string
	for _, q := range sortedKeys(d.Messages, keys[:0]) {
		b = appendString(b, q)
		b = binary.AppendVarint(b, int64(d.Messages[q]))
	}
	b = binary.AppendUvarint(b, uint64(len(d.Asked)))
	for _, q := range sortedKeys(d.Asked, keys[:0]) {
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

// sortedKeys appends m's keys to buf in order: with a buf on the
// caller's stack, the few keys of a record take no allocation.
func sortedKeys[V any](m map[string]V, buf []string) []string {
	for k := range m {
		buf = append(buf, k)
	}
	slices.Sort(buf)
	return buf
}

// readDelivery decodes a compact delivery.
func readDelivery(v []byte, d *Delivery) error {
	r, err := newOutReader(v, deliveryCodec)
	if err != nil {
		return err
	}
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
	flags := r.flags(delManual | delReminded)
	d.Manual, d.Reminded = flags&delManual != 0, flags&delReminded != 0
	d.CreatedAt = r.time()
	d.SentAt = r.time()
	return r.end()
}

// appendMap appends m's entries in key order.
func appendMap(b []byte, m map[string]string) []byte {
	b = binary.AppendUvarint(b, uint64(len(m)))
	var keys [8]string
	for _, k := range sortedKeys(m, keys[:0]) {
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
	r, err := newOutReader(v, clientCodec)
	if err != nil {
		return err
	}
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
	r, err := newOutReader(v, sessionCodec)
	if err != nil {
		return err
	}
	*s = Session{ChatID: r.varint(), Date: r.string(), Note: r.string(), Intention: r.string(), CreatedAt: r.time()}
	return r.end()
}

// encodeReply is r in its compact form.
func encodeReply(r *Reply) []byte {
	n := 64 + len(r.LocalDate) + len(r.SessionDate) + len(r.QuestionID) + len(r.Question) + len(r.Kind) +
		len(r.Answer) + len(r.CheckIn) + len(r.Option)
	if r.Voice != nil {
		n += 24 + len(r.Voice.FileID) + len(r.Voice.Path)
	}
	for _, e := range r.Edits {
		n += 24 + len(e.Answer)
	}
	b := make([]byte, 0, n)
	b = append(b, replyCodec)
	b = binary.AppendUvarint(b, r.ID)
	b = binary.AppendVarint(b, r.ChatID)
	b = appendTime(b, r.At)
	b = appendString(b, r.LocalDate)
	b = binary.AppendVarint(b, int64(r.Day))
	b = appendString(b, r.SessionDate)
	b = appendString(b, r.QuestionID)
	b = appendString(b, r.Question)
	b = appendString(b, r.Kind)
	b = appendString(b, r.Answer)
	b = appendMaybe(b, r.Value)
	b = appendString(b, r.CheckIn)
	b = appendString(b, r.Option)
	b = appendMaybe(b, r.Score)
	b = binary.AppendVarint(b, int64(r.MessageID))
	if v := r.Voice; v != nil {
		b = append(b, 1)
		b = appendString(b, v.FileID)
		b = appendString(b, v.Path)
		b = binary.AppendVarint(b, int64(v.Duration))
		b = binary.AppendVarint(b, v.Size)
	} else {
		b = append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(r.Edits)))
	for _, e := range r.Edits {
		b = appendTime(b, e.At)
		b = appendString(b, e.Answer)
	}
	var flags byte
	if r.Flagged {
		flags |= replyFlagged
	}
	return append(b, flags)
}

const replyFlagged = 1

// appendMaybe appends a number that may be absent.
func appendMaybe(b []byte, n *int) []byte {
	if n == nil {
		return append(b, 0)
	}
	return binary.AppendVarint(append(b, 1), int64(*n))
}

// maybe reads what appendMaybe wrote.
func (r *outReader) maybe() *int {
	if !r.present("number") {
		return nil
	}
	n := int(r.varint())
	return &n
}

// readReply decodes a compact reply.
func readReply(v []byte, out *Reply) error {
	r, err := newOutReader(v, replyCodec)
	if err != nil {
		return err
	}
	*out = Reply{ID: r.uvarint(), ChatID: r.varint(), At: r.time(), LocalDate: r.string(), Day: int(r.varint()),
		SessionDate: r.string(), QuestionID: r.string(), Question: r.string(), Kind: r.string(), Answer: r.string(),
		Value: r.maybe(), CheckIn: r.string(), Option: r.string(), Score: r.maybe(), MessageID: int(r.varint())}
	if r.present("voice") {
		out.Voice = &Voice{FileID: r.string(), Path: r.string(), Duration: int(r.varint()), Size: r.varint()}
	}
	if n := r.count(); n > 0 {
		out.Edits = make([]Edit, n)
		for i := range out.Edits {
			out.Edits[i] = Edit{At: r.time(), Answer: r.string()}
		}
	}
	out.Flagged = r.flags(replyFlagged)&replyFlagged != 0
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
