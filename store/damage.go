package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"go.etcd.io/bbolt"
)

// Damage is a page of the database file that cannot be read, and what it
// held as far as the pages around it tell.
type Damage struct {
	Bucket string // the bucket whose records it held; "" for the list of buckets
	Page   uint64
	Keys   string // e.g. "records from chat 5001 reply 12 up to chat 5001 reply 40"
	Reason string // what is wrong with the page
}

// String describes d in one line.
func (d Damage) String() string {
	if d.Bucket == "" {
		return fmt.Sprintf("page %d, the list of buckets: %s", d.Page, d.Reason)
	}
	return fmt.Sprintf("page %d of %s (%s): %s", d.Page, d.Bucket, d.Keys, d.Reason)
}

// Damage reads every page in use of the database file, checking each
// offset itself instead of trusting the page as bbolt does, and returns
// the pages that cannot be read. An intact file returns none. It holds a
// read transaction meanwhile (so that the pages it reads stay as they
// are), which makes a writer that must grow the file wait: about a second
// for every few hundred megabytes. A cancelled ctx ends it early with
// ctx's error.
func (db *DB) Damage(ctx context.Context) ([]Damage, error) {
	var found []Damage
	err := db.View(func(tx *Tx) error {
		var err error
		found, err = damageIn(ctx, db.path, uint64(tx.tx.ID()))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("look for damage in %s: %w", db.path, err)
	}
	if len(found) > 0 {
		db.sawDamage()
	}
	return found, nil
}

// damageIn walks the file at path from the meta page of txid.
func damageIn(ctx context.Context, path string, txid uint64) ([]Damage, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pf, err := openPages(f, txid)
	if err != nil {
		return nil, err
	}
	var found []Damage
	w := &pageWalk{pf: pf, ctx: ctx, lost: func(l lostPage) { found = append(found, damageOf(l)) }}
	w.walk()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := pf.checkFreelist(); err != nil {
		found = append(found, Damage{Bucket: "(freelist)", Page: pf.freelist, Keys: "no records", Reason: err.Error()})
	}
	return found, nil
}

func damageOf(l lostPage) Damage {
	return Damage{Bucket: l.bucket, Page: l.page, Keys: keyRange(l.bucket, l.from, l.to), Reason: l.reason}
}

// checkFreelist checks the header of the freelist page, which bbolt reads
// at open and in Check.
func (pf *pageFile) checkFreelist() error {
	if pf.freelist == ^uint64(0) {
		return nil
	}
	if pf.freelist < 2 || pf.freelist >= pf.hwm {
		return fmt.Errorf("freelist page %d is out of range", pf.freelist)
	}
	hdr := make([]byte, pageHeaderSize)
	if _, err := pf.r.ReadAt(hdr, int64(pf.freelist)*int64(pf.pageSize)); err != nil {
		return err
	}
	if ne.Uint64(hdr) != pf.freelist || ne.Uint16(hdr[8:]) != 0x10 {
		return fmt.Errorf("page %d is not the freelist it should be", pf.freelist)
	}
	return nil
}

// damageError is ErrCorrupt listing found.
func damageError(found []Damage) error {
	lines := make([]string, len(found))
	for i, d := range found {
		lines[i] = d.String()
	}
	return fmt.Errorf("%w: %d damaged %s:\n%s\n(`kindling salvage` copies what can still be read into a new file)",
		ErrCorrupt, len(found), plural(len(found), "page", "pages"), strings.Join(lines, "\n"))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// checkPages runs damageIn for the transaction btx of the file at path.
func checkPages(path string, btx *bbolt.Tx) error {
	found, err := damageIn(context.Background(), path, uint64(btx.ID()))
	if err != nil {
		return err
	}
	if len(found) > 0 {
		return damageError(found)
	}
	return nil
}

// checkPages is checkPages on db's file, remembering damage it finds (see
// Batch).
func (db *DB) checkPages(btx *bbolt.Tx) error {
	err := checkPages(db.path, btx)
	if errors.Is(err, ErrCorrupt) {
		db.sawDamage()
	}
	return err
}
