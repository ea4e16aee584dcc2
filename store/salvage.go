package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// SalvageReport is what Salvage copied and what it could not.
type SalvageReport struct {
	// Copied is the number of records in the copy, by bucket (top-level
	// buckets only; their nested buckets count as records).
	Copied map[string]int
	// Lost are the pages that could not be read: every record on them is
	// missing from the copy.
	Lost []Damage
	// Dropped are records that were read but could not be decoded, one line
	// each (bucket, key, why); they are not in the copy.
	Dropped []string
	// Repairs are what Salvage changed so that the copy is a whole kindling
	// database: indexes rebuilt from the records kept, and so on.
	Repairs []string
}

// Records is the number of records copied in all.
func (r SalvageReport) Records() int {
	n := 0
	for _, c := range r.Copied {
		n += c
	}
	return n
}

// salvageChunk is how many records go into one transaction of the copy.
const salvageChunk = 10000

// Salvage copies every record of the database file src that can still be
// read into a new database dst, which must not exist, and reports what it
// could not read. It reads src's pages itself, checking every offset, so a
// damaged page loses only the records on it (and, for a damaged branch
// page, those on the pages below it); the key range each lost page held is
// reported. The copy then gets the store's indexes rebuilt from the
// records kept, records that do not decode dropped, and is verified (Open,
// then Check) before it is moved to dst. src is only read; a running
// kindling that holds it gives ErrLocked.
func Salvage(src, dst string) (SalvageReport, error) {
	rep := SalvageReport{Copied: map[string]int{}}
	if _, err := os.Lstat(dst); err == nil {
		return rep, fmt.Errorf("salvage: %s already exists", dst)
	}
	if abs(src) == abs(dst) {
		return rep, fmt.Errorf("salvage: the copy cannot be the damaged file itself")
	}
	// bbolt's shared lock keeps a running kindling from writing meanwhile;
	// bbolt only reads the meta pages to open read-only.
	var lock *bbolt.DB
	err := protect(func() error {
		var err error
		lock, err = bbolt.Open(src, 0o600, &bbolt.Options{ReadOnly: true, Timeout: DefaultTimeout})
		return err
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return rep, fmt.Errorf("salvage %s: %w", src, ErrLocked)
	}
	if lock != nil {
		defer lock.Close()
	}
	f, err := os.Open(src)
	if err != nil {
		return rep, fmt.Errorf("salvage: %w", err)
	}
	defer f.Close()
	pf, err := openPages(f, 0)
	if err != nil {
		return rep, fmt.Errorf("salvage %s: %w", src, err)
	}

	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return rep, fmt.Errorf("salvage: %w", err)
	}
	tmp := dst + ".salvage"
	_ = os.Remove(tmp)
	defer os.Remove(tmp)
	if err := copyPages(pf, tmp, &rep); err != nil {
		return rep, fmt.Errorf("salvage %s: write %s: %w", src, tmp, err)
	}
	if rep.Records() == 0 {
		return rep, fmt.Errorf("salvage %s: %w: no record could be read", src, ErrCorrupt)
	}
	if err := verifySalvaged(tmp); err != nil {
		return rep, fmt.Errorf("salvage %s: the copy does not verify: %w", src, err)
	}
	if err := os.Link(tmp, dst); err != nil {
		return rep, fmt.Errorf("salvage: %w", err)
	}
	if err := syncDir(filepath.Dir(dst)); err != nil {
		return rep, fmt.Errorf("salvage: %w", err)
	}
	return rep, nil
}

// copyPages writes every readable bucket and record of pf into a new
// bbolt file at path, then repairs it (see repair).
func copyPages(pf *pageFile, path string, rep *SalvageReport) error {
	out, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: DefaultTimeout, FreelistType: bbolt.FreelistMapType})
	if err != nil {
		return err
	}
	type op struct {
		path   []string
		bucket bool
		seq    uint64
		k, v   []byte
	}
	var ops []op
	flush := func() error {
		if len(ops) == 0 {
			return nil
		}
		err := out.Update(func(tx *bbolt.Tx) error {
			for _, o := range ops {
				b, err := bucketPath(tx, o.path)
				if err != nil {
					return err
				}
				if o.bucket {
					if err := b.SetSequence(o.seq); err != nil {
						return err
					}
					continue
				}
				if err := b.Put(o.k, o.v); err != nil {
					return err
				}
			}
			return nil
		})
		ops = ops[:0]
		return err
	}
	var werr error
	w := &pageWalk{pf: pf,
		bucket: func(path []string, seq uint64) {
			ops = append(ops, op{path: path, bucket: true, seq: seq})
		},
		record: func(path []string, k, v []byte) {
			if werr != nil {
				return
			}
			ops = append(ops, op{path: path, k: k, v: v})
			rep.Copied[strings.Join(path, "/")]++
			if len(ops) >= salvageChunk {
				werr = flush()
			}
		},
		lost: func(l lostPage) { rep.Lost = append(rep.Lost, damageOf(l)) },
	}
	w.walk()
	if werr == nil {
		werr = flush()
	}
	if werr == nil {
		werr = out.Update(func(tx *bbolt.Tx) error { return repair(tx, rep) })
	}
	if err := out.Close(); werr == nil {
		werr = err
	}
	return werr
}

// bucketPath opens (creating) the nested bucket path.
func bucketPath(tx *bbolt.Tx, path []string) (*bbolt.Bucket, error) {
	b, err := tx.CreateBucketIfNotExists([]byte(path[0]))
	for _, name := range path[1:] {
		if err != nil {
			return nil, err
		}
		b, err = b.CreateBucketIfNotExists([]byte(name))
	}
	return b, err
}

// repair makes the copy a whole kindling database: every bucket exists,
// records that do not decode are dropped, the due, coach and reply
// indexes are rebuilt from the clients and replies kept, and the id
// sequences are above every id kept.
func repair(tx *bbolt.Tx, rep *SalvageReport) error {
	if tx.Bucket(bucketMeta) == nil && rep.Records() == 0 {
		return nil
	}
	if err := ensureBuckets(tx, rep); err != nil {
		return err
	}
	for _, kind := range salvageKinds {
		if err := dropUndecodable(tx, kind.bucket, kind.what, kind.fresh, rep); err != nil {
			return err
		}
	}
	if err := rebuildDue(tx); err != nil {
		return err
	}
	if err := rebuildAlertDue(tx); err != nil {
		return err
	}
	maxReply, err := rebuildReplyMsgs(tx)
	if err != nil {
		return err
	}
	// The coach index and the reply time and step indexes, from the
	// clients and replies kept.
	if err := buildIndexes(tx); err != nil {
		return err
	}
	rep.Repairs = append(rep.Repairs, "rebuilt the due and coach indexes from the clients, the alert timers from the alerts and the reply message, time and step indexes from the replies")
	if err := continueSequences(tx, maxReply, rep); err != nil {
		return err
	}
	// What the copy holds now, indexes rebuilt and records dropped.
	return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
		n := 0
		c := b.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			n++
		}
		rep.Copied[string(name)] = n
		return nil
	})
}

// salvageKinds are the buckets of records that salvage decodes one by
// one, dropping those that do not decode.
var salvageKinds = []struct {
	bucket []byte
	what   string
	fresh  func() any
}{
	{bucketClients, "client", func() any { return new(Client) }},
	{bucketSessions, "session", func() any { return new(Session) }},
	{bucketDeliveries, "delivery", func() any { return new(Delivery) }},
	{bucketReplies, "reply", func() any { return new(Reply) }},
	{bucketOutbox, "outgoing", func() any { return new(Outgoing) }},
	{bucketInvites, "invite", func() any { return new(Invite) }},
	{bucketAlerts, "alert", func() any { return new(Alert) }},
	{bucketCheckIns, "check-in", func() any { return new(CheckIn) }},
}

// ensureBuckets makes every bucket that could not be read at all, and the
// schema version if it was lost.
func ensureBuckets(tx *bbolt.Tx, rep *SalvageReport) error {
	for _, name := range allBuckets {
		if tx.Bucket(name) == nil {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
			rep.Repairs = append(rep.Repairs, fmt.Sprintf("bucket %s could not be read at all: made it empty", name))
		}
	}
	if tx.Bucket(bucketMeta).Get(metaSchema) == nil {
		if err := tx.Bucket(bucketMeta).Put(metaSchema, []byte(fmt.Sprint(SchemaVersion))); err != nil {
			return err
		}
		rep.Repairs = append(rep.Repairs, fmt.Sprintf("the schema version was lost: set it to %d, this kindling's", SchemaVersion))
	}
	return nil
}

// freshBucket empties the bucket name by deleting and making it again.
func freshBucket(tx *bbolt.Tx, name []byte) (*bbolt.Bucket, error) {
	if err := tx.DeleteBucket(name); err != nil {
		return nil, err
	}
	return tx.CreateBucket(name)
}

// rebuildDue makes the due index again from the clients.
func rebuildDue(tx *bbolt.Tx) error {
	due, err := freshBucket(tx, bucketDue)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketClients).ForEach(func(k, v []byte) error {
		var c Client
		if err := decode(v, &c, "client", k); err != nil || c.Due.IsZero() {
			return err
		}
		return due.Put(dueKey(c.Due, c.ChatID), nil)
	})
}

// rebuildAlertDue makes the alert timers again from the alerts: a safety
// alert whose escalation was still to come must not lose its timer to a
// damaged page.
func rebuildAlertDue(tx *bbolt.Tx) error {
	alertDue, err := freshBucket(tx, bucketAlertDue)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketAlerts).ForEach(func(k, v []byte) error {
		var a Alert
		if err := decode(v, &a, "alert", k); err != nil || a.Due.IsZero() {
			return err
		}
		return alertDue.Put(alertDueKey(a.Due, a.ChatID, a.At), nil)
	})
}

// rebuildReplyMsgs makes the reply message index again from the replies
// and gives the largest reply id kept.
func rebuildReplyMsgs(tx *bbolt.Tx) (uint64, error) {
	msgs, err := freshBucket(tx, bucketReplyMsgs)
	if err != nil {
		return 0, err
	}
	var maxReply uint64
	err = tx.Bucket(bucketReplies).ForEach(func(k, v []byte) error {
		var r Reply
		if err := decode(v, &r, "reply", k); err != nil {
			return err
		}
		maxReply = max(maxReply, binary.BigEndian.Uint64(k[8:]))
		if r.MessageID == 0 {
			return nil
		}
		return msgs.Put(replyMsgKey(r.ChatID, r.MessageID), cat(k[8:]))
	})
	return maxReply, err
}

// continueSequences sets the reply and outbox id sequences above every id
// kept, so that no new record takes a kept one's id.
func continueSequences(tx *bbolt.Tx, maxReply uint64, rep *SalvageReport) error {
	replies := tx.Bucket(bucketReplies)
	if replies.Sequence() < maxReply {
		if err := replies.SetSequence(maxReply); err != nil {
			return err
		}
		rep.Repairs = append(rep.Repairs, fmt.Sprintf("reply ids continue after %d", maxReply))
	}
	outbox := tx.Bucket(bucketOutbox)
	if k, _ := outbox.Cursor().Last(); len(k) == 8 && outbox.Sequence() < binary.BigEndian.Uint64(k) {
		if err := outbox.SetSequence(binary.BigEndian.Uint64(k)); err != nil {
			return err
		}
		rep.Repairs = append(rep.Repairs, fmt.Sprintf("outbox ids continue after %d", binary.BigEndian.Uint64(k)))
	}
	return nil
}

// dropUndecodable deletes the records of bucket that do not decode as
// what, or whose key is not of the bucket's layout.
func dropUndecodable(tx *bbolt.Tx, bucket []byte, what string, fresh func() any, rep *SalvageReport) error {
	b := tx.Bucket(bucket)
	var doomed [][]byte
	_ = b.ForEach(func(k, v []byte) error {
		var why string
		switch {
		case string(bucket) == string(bucketReplies) && len(k) != 16:
			why = "key of the wrong length"
		case string(bucket) == string(bucketClients) && len(k) != 8:
			why = "key of the wrong length"
		default:
			if err := decode(v, fresh(), what, k); err != nil {
				why = "does not decode"
			}
		}
		if why != "" {
			doomed = append(doomed, bytes.Clone(k))
			rep.Dropped = append(rep.Dropped, fmt.Sprintf("%s: %s: %s", bucket, describeKey(string(bucket), k), why))
		}
		return nil
	})
	for _, k := range doomed {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// verifySalvaged opens the copy as kindling would (migrating an older
// schema) and checks it.
func verifySalvaged(path string) error {
	db, err := Open(path, Options{Timeout: DefaultTimeout})
	if err != nil {
		return err
	}
	if err := db.Check(); err != nil {
		_ = db.Close()
		return err
	}
	return db.Close()
}

// Summary describes what was lost, bucket by bucket, for a person.
func (r SalvageReport) Summary() []string {
	var lines []string
	byBucket := map[string][]Damage{}
	for _, d := range r.Lost {
		byBucket[d.Bucket] = append(byBucket[d.Bucket], d)
	}
	names := make([]string, 0, len(byBucket))
	for n := range byBucket {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ds := byBucket[n]
		label := n
		if label == "" {
			label = "the list of buckets"
		}
		lines = append(lines, fmt.Sprintf("%s: %d %s could not be read (how many records they held is unknown):", label, len(ds), plural(len(ds), "page", "pages")))
		for _, d := range ds {
			lines = append(lines, fmt.Sprintf("  page %d: %s (%s)", d.Page, d.Keys, d.Reason))
		}
	}
	if len(r.Dropped) > 0 {
		lines = append(lines, fmt.Sprintf("%d %s read but could not be decoded:", len(r.Dropped), plural(len(r.Dropped), "record was", "records were")))
		for _, d := range r.Dropped {
			lines = append(lines, "  "+d)
		}
	}
	return lines
}
