package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"

	"go.etcd.io/bbolt"
)

// SchemaVersion is the layout this kindling writes. Files of an older
// version are migrated by Open; files of a newer one are refused.
const SchemaVersion = 9

// migrations[i] migrates a file from schema version i+1 to i+2. Each runs
// inside the single transaction that opens the file, so a failed migration
// leaves the file as it was.
var migrations = []func(*bbolt.Tx) error{
	migrateV1toV2,
	migrateV2toV3,
	migrateV3toV4,
	migrateV4toV5,
	migrateV5toV6,
	migrateV6toV7,
	migrateV7toV8,
	migrateV8toV9,
}

// migrateV1toV2 adds the due index and the reply message index. Version 1
// found due clients by reading every client on every tick, and edited
// messages by reading every reply of the chat; both indexes are built from
// the rows already stored.
func migrateV1toV2(btx *bbolt.Tx) error {
	due, err := btx.CreateBucketIfNotExists(bucketDue)
	if err != nil {
		return err
	}
	msgs, err := btx.CreateBucketIfNotExists(bucketReplyMsgs)
	if err != nil {
		return err
	}
	if err := btx.Bucket(bucketClients).ForEach(func(k, v []byte) error {
		var c Client
		if err := decode(v, &c, "client", k); err != nil {
			return err
		}
		if c.Due.IsZero() {
			return nil
		}
		return due.Put(dueKey(c.Due, c.ChatID), nil)
	}); err != nil {
		return err
	}
	return btx.Bucket(bucketReplies).ForEach(func(k, v []byte) error {
		var r Reply
		if err := decode(v, &r, "reply", k); err != nil {
			return err
		}
		if r.MessageID == 0 {
			return nil
		}
		return msgs.Put(replyMsgKey(r.ChatID, r.MessageID), u64(r.ID))
	})
}

// migrateV2toV3 adds the applied-updates bucket. Version 2 recognised a
// replayed update only by id <= offset, so an update that committed after a
// later one of the same batch was skipped as a replay. Every id up to the
// old offset counts as applied.
func migrateV2toV3(btx *bbolt.Tx) error {
	if _, err := btx.CreateBucketIfNotExists(bucketUpdates); err != nil {
		return err
	}
	meta := btx.Bucket(bucketMeta)
	off, err := metaInt(meta, metaOffset)
	if err != nil {
		return err
	}
	return meta.Put(metaUpdateFloor, []byte(strconv.FormatInt(off, 10)))
}

// migrateV4toV5 gives the outbox rows of the conversation their class
// bit. Versions up to 4 keyed them by their bare sequence number, which
// version 5 keeps for Urgent rows so that they sort first (see normalBit);
// bulk rows already carried bulkBit and keep their keys.
func migrateV4toV5(btx *bbolt.Tx) error {
	b := btx.Bucket(bucketOutbox)
	type row struct {
		key []byte
		o   Outgoing
	}
	var moved []row
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if len(k) != 8 {
			return fmt.Errorf("%w: outbox key %x", ErrCorrupt, k)
		}
		if binary.BigEndian.Uint64(k)&(normalBit|bulkBit) != 0 {
			continue
		}
		var o Outgoing
		if err := decode(v, &o, "outgoing", k); err != nil {
			return err
		}
		moved = append(moved, row{bytes.Clone(k), o})
	}
	for _, r := range moved {
		if err := b.Delete(r.key); err != nil {
			return err
		}
		r.o.ID = binary.BigEndian.Uint64(r.key) | normalBit
		if err := put(b, u64(r.o.ID), r.o); err != nil {
			return err
		}
	}
	return nil
}

// migrateV7toV8 rewrites the outbox rows in their compact form (see
// codec.go); version 7 stored them, and every other record, as JSON. The
// rows keep their keys and everything they hold. Deliveries, clients and
// sessions, which may be millions, are not rewritten here, in the one
// transaction of the migration: each takes the compact form when it is
// next written, and both forms are read. An older kindling cannot read
// compact records: the version tells it so.
func migrateV7toV8(btx *bbolt.Tx) error {
	b := btx.Bucket(bucketOutbox)
	b.FillPercent = fillOf(bucketOutbox)
	type row struct{ key, v []byte }
	var rows []row
	err := b.ForEach(func(k, v []byte) error {
		if len(v) == 0 || v[0] != '{' {
			return nil
		}
		var o Outgoing
		if err := decode(v, &o, "outgoing", k); err != nil {
			return err
		}
		rows = append(rows, row{bytes.Clone(k), encodeOutgoing(&o)})
		return nil
	})
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := b.Put(r.key, r.v); err != nil {
			return err
		}
	}
	return nil
}

// migrateV8toV9 changes no record: from schema 9 replies are written in
// their compact form (see codec.go) when they are next written, and both
// forms are read. The version tells an older kindling, which cannot read
// a compact reply, not to open the file.
func migrateV8toV9(*bbolt.Tx) error { return nil }

// prepare initialises an empty file or migrates an older one.
func prepare(b *bbolt.DB, readOnly bool) error {
	version, fresh, err := schemaOf(b)
	if err != nil {
		return err
	}
	switch {
	case version > SchemaVersion:
		return fmt.Errorf("schema version %d, this kindling knows up to %d: %w", version, SchemaVersion, ErrNewerSchema)
	case version == SchemaVersion:
		return nil
	case readOnly && fresh:
		return fmt.Errorf("%w: empty database", ErrCorrupt)
	case readOnly:
		return fmt.Errorf("schema version %d needs migrating to %d: open it once read-write", version, SchemaVersion)
	}
	return b.Update(func(btx *bbolt.Tx) error {
		if fresh {
			for _, name := range allBuckets {
				if _, err := btx.CreateBucketIfNotExists(name); err != nil {
					return err
				}
			}
			return setSchema(btx, SchemaVersion)
		}
		for v := version; v < SchemaVersion; v++ {
			if err := migrations[v-1](btx); err != nil {
				return fmt.Errorf("migrate schema %d to %d: %w", v, v+1, err)
			}
		}
		return setSchema(btx, SchemaVersion)
	})
}

// schemaOf reads the schema version; fresh reports a file with no buckets.
func schemaOf(b *bbolt.DB) (version int, fresh bool, err error) {
	err = b.View(func(btx *bbolt.Tx) error {
		meta := btx.Bucket(bucketMeta)
		if meta == nil {
			empty := true
			_ = btx.ForEach(func([]byte, *bbolt.Bucket) error { empty = false; return nil })
			if !empty {
				return fmt.Errorf("%w: no meta bucket", ErrCorrupt)
			}
			fresh = true
			return nil
		}
		v, err := metaInt(meta, metaSchema)
		if err != nil {
			return err
		}
		if v < 1 {
			return fmt.Errorf("%w: schema version %d", ErrCorrupt, v)
		}
		version = int(v)
		return nil
	})
	return version, fresh, err
}

func setSchema(btx *bbolt.Tx, v int) error {
	return btx.Bucket(bucketMeta).Put(metaSchema, []byte(strconv.Itoa(v)))
}

// metaInt reads a decimal (JSON number) value of the meta bucket; absent is 0.
func metaInt(meta *bbolt.Bucket, key []byte) (int64, error) {
	v := meta.Get(key)
	if v == nil {
		return 0, nil
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: meta %s = %q", ErrCorrupt, key, v)
	}
	return n, nil
}

// decode decodes a stored value: JSON, or the compact form of the records
// that have one (see codec.go).
func decode(v []byte, into any, what string, key []byte) error {
	if ok, err := decodeCompact(v, into); ok {
		if err != nil {
			return fmt.Errorf("%w: decode %s %x: %v", ErrCorrupt, what, key, err)
		}
		return nil
	}
	if len(v) == 0 {
		return fmt.Errorf("%w: decode %s %x: empty value", ErrCorrupt, what, key)
	}
	if err := json.Unmarshal(v, into); err != nil {
		return fmt.Errorf("%w: decode %s %x: %v", ErrCorrupt, what, key, err)
	}
	return nil
}
