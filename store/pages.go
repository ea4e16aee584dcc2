package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"strings"
)

// This file reads a bbolt file's pages directly, without bbolt, checking
// every offset against the page it is in. bbolt trusts its pages and panics
// (or faults) on a damaged one; reading them here instead lets the store
// say which bucket and which keys a damaged page held, and lets Salvage
// copy everything around it.
//
// The layout is bbolt's version 2 format, in the machine's byte order:
//
//	page header  id u64, flags u16, count u16, overflow u32 (16 bytes)
//	meta         magic u32, version u32, page size u32, flags u32,
//	             root bucket (root u64, sequence u64), freelist u64,
//	             high water mark u64, txid u64, checksum u64
//	branch elem  pos u32, key size u32, child page u64 (16 bytes)
//	leaf elem    flags u32, pos u32, key size u32, value size u32 (16 bytes)
//	bucket value root page u64, sequence u64, then the page itself when
//	             root is 0 (an inline bucket)
//
// pos counts from the element's own address.

const (
	pageHeaderSize = 16
	elemSize       = 16
	branchFlag     = 0x01
	leafFlag       = 0x02
	metaFlag       = 0x04
	bucketLeafFlag = 0x01
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	bucketHdrSize  = 16
)

var ne = binary.NativeEndian

// pageFile is a bbolt file opened for reading its pages.
type pageFile struct {
	r        io.ReaderAt
	size     int64
	pageSize int
	hwm      uint64 // pages at or above are not in use
	root     uint64 // the root bucket's page
	freelist uint64 // the freelist's page; all ones when not stored
	txid     uint64
}

// openPages reads the meta page of transaction txid of the file f, or the
// newest valid one when txid is 0 or neither meta page is of txid.
func openPages(f *os.File, txid uint64) (*pageFile, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	pf := &pageFile{r: f, size: fi.Size()}
	var best *meta
	for _, off := range []int64{0, 4096, 8192, 16384, 32768, 65536} {
		m, err := pf.readMeta(off)
		if err != nil {
			continue
		}
		if off != 0 && off != int64(m.pageSize) {
			continue // the second meta page sits one page in
		}
		switch {
		case best == nil:
			best = m
		case txid != 0 && best.txid == txid:
		case txid != 0 && m.txid == txid, m.txid > best.txid:
			best = m
		}
	}
	if best == nil {
		return nil, fmt.Errorf("%w: neither meta page is valid", ErrCorrupt)
	}
	pf.pageSize, pf.hwm, pf.root, pf.freelist, pf.txid = best.pageSize, best.hwm, best.root, best.freelist, best.txid
	return pf, nil
}

type meta struct {
	pageSize            int
	root, hwm, freelist uint64
	txid                uint64
}

func (pf *pageFile) readMeta(off int64) (*meta, error) {
	b := make([]byte, pageHeaderSize+64)
	if _, err := pf.r.ReadAt(b, off); err != nil {
		return nil, err
	}
	if ne.Uint16(b[8:]) != metaFlag {
		return nil, errors.New("not a meta page")
	}
	m := b[pageHeaderSize:]
	if ne.Uint32(m[0:]) != boltMagic || ne.Uint32(m[4:]) != boltVersion {
		return nil, errors.New("not a bbolt meta page")
	}
	h := fnv.New64a()
	h.Write(m[:56])
	if h.Sum64() != ne.Uint64(m[56:]) {
		return nil, errors.New("meta checksum mismatch")
	}
	ps := int(ne.Uint32(m[8:]))
	if ps < 512 || ps > 1<<20 || ps&(ps-1) != 0 {
		return nil, errors.New("bad page size")
	}
	return &meta{pageSize: ps, root: ne.Uint64(m[16:]), hwm: ne.Uint64(m[40:]), freelist: ne.Uint64(m[32:]), txid: ne.Uint64(m[48:])}, nil
}

// rawPage is one branch or leaf page (with its overflow pages), or the
// page of an inline bucket.
type rawPage struct {
	id    uint64
	flags uint16
	count int
	data  []byte
}

// page reads page id, refusing one that does not say it is page id, is
// neither a branch nor a leaf, or runs past the pages in use.
func (pf *pageFile) page(id uint64) (rawPage, error) {
	if id < 2 || id >= pf.hwm {
		return rawPage{}, fmt.Errorf("page %d is out of range (%d pages)", id, pf.hwm)
	}
	off := int64(id) * int64(pf.pageSize)
	hdr := make([]byte, pageHeaderSize)
	if _, err := pf.r.ReadAt(hdr, off); err != nil {
		return rawPage{}, fmt.Errorf("page %d: %w", id, err)
	}
	if got := ne.Uint64(hdr); got != id {
		return rawPage{}, fmt.Errorf("page %d says it is page %d", id, got)
	}
	flags := ne.Uint16(hdr[8:])
	if flags != branchFlag && flags != leafFlag {
		return rawPage{}, fmt.Errorf("page %d has flags %#x, neither branch nor leaf", id, flags)
	}
	span := uint64(ne.Uint32(hdr[12:])) + 1
	if id+span > pf.hwm {
		return rawPage{}, fmt.Errorf("page %d runs past the pages in use", id)
	}
	data := make([]byte, span*uint64(pf.pageSize))
	if _, err := pf.r.ReadAt(data, off); err != nil {
		return rawPage{}, fmt.Errorf("page %d: %w", id, err)
	}
	p := rawPage{id: id, flags: flags, count: int(ne.Uint16(hdr[10:])), data: data}
	if pageHeaderSize+p.count*elemSize > len(data) {
		return rawPage{}, fmt.Errorf("page %d claims %d elements, more than fit", id, p.count)
	}
	return p, nil
}

// inlinePage is the page stored in the value of an inline bucket.
func inlinePage(v []byte) (rawPage, error) {
	data := v[bucketHdrSize:]
	if len(data) < pageHeaderSize {
		return rawPage{}, errors.New("inline bucket is too short")
	}
	p := rawPage{flags: ne.Uint16(data[8:]), count: int(ne.Uint16(data[10:])), data: data}
	if p.flags != leafFlag {
		return rawPage{}, fmt.Errorf("inline bucket page has flags %#x", p.flags)
	}
	if pageHeaderSize+p.count*elemSize > len(data) {
		return rawPage{}, errors.New("inline bucket claims more elements than fit")
	}
	return p, nil
}

// span returns n bytes at off, or an error when they are not in the page.
func (p rawPage) span(off, n uint64) ([]byte, error) {
	if off > uint64(len(p.data)) || n > uint64(len(p.data))-off {
		return nil, fmt.Errorf("page %d: element points outside the page", p.id)
	}
	return p.data[off : off+n], nil
}

// branch returns the key and child page of element i.
func (p rawPage) branch(i int) (key []byte, child uint64, err error) {
	e := p.data[pageHeaderSize+i*elemSize:]
	at := uint64(pageHeaderSize + i*elemSize)
	key, err = p.span(at+uint64(ne.Uint32(e[0:])), uint64(ne.Uint32(e[4:])))
	return key, ne.Uint64(e[8:]), err
}

// leaf returns the flags, key and value of element i.
func (p rawPage) leaf(i int) (flags uint32, key, value []byte, err error) {
	e := p.data[pageHeaderSize+i*elemSize:]
	at := uint64(pageHeaderSize + i*elemSize)
	kpos, ksize, vsize := uint64(ne.Uint32(e[4:])), uint64(ne.Uint32(e[8:])), uint64(ne.Uint32(e[12:]))
	kv, err := p.span(at+kpos, ksize+vsize)
	if err != nil {
		return 0, nil, nil, err
	}
	return ne.Uint32(e[0:]), kv[:ksize], kv[ksize:], nil
}

// lostPage is a page, and every record under it, that could not be read.
type lostPage struct {
	bucket   string // the bucket's name; nested buckets as "outer/inner"
	page     uint64
	from, to []byte // bounds of its keys as the parent page gives them: from inclusive, to exclusive; nil when unbounded
	reason   string
}

// pageWalk visits every bucket and record that can be read, and every
// page that cannot.
type pageWalk struct {
	pf      *pageFile
	ctx     context.Context // nil: never cancelled
	seen    map[uint64]bool
	bucket  func(path []string, seq uint64)
	record  func(path []string, k, v []byte)
	lost    func(lostPage)
	visited func(path []string, page uint64, from, to []byte) // every page reached, readable or not
}

// walk visits the whole file from the root bucket.
func (w *pageWalk) walk() {
	w.seen = map[uint64]bool{}
	w.tree(nil, w.pf.root, nil, nil, nil)
}

// bucketAt visits a bucket whose header (and inline page) is v.
func (w *pageWalk) bucketAt(path []string, v []byte) {
	name := strings.Join(path, "/")
	if len(v) < bucketHdrSize {
		w.lose(lostPage{bucket: name, reason: "its bucket header is too short"})
		return
	}
	root, seq := ne.Uint64(v), ne.Uint64(v[8:])
	if w.bucket != nil {
		w.bucket(path, seq)
	}
	if root != 0 {
		w.tree(path, root, nil, nil, nil)
		return
	}
	p, err := inlinePage(v)
	if err != nil {
		w.lose(lostPage{bucket: name, reason: err.Error()})
		return
	}
	w.tree(path, 0, &p, nil, nil)
}

func (w *pageWalk) lose(l lostPage) {
	if w.lost != nil {
		w.lost(l)
	}
}

// tree visits the page id (or the inline page p) of the bucket path,
// whose keys must lie in [from, to).
func (w *pageWalk) tree(path []string, id uint64, inline *rawPage, from, to []byte) {
	if w.ctx != nil && w.ctx.Err() != nil {
		return
	}
	name := strings.Join(path, "/")
	if w.visited != nil && inline == nil {
		w.visited(path, id, from, to)
	}
	var p rawPage
	if inline != nil {
		p = *inline
	} else {
		if w.seen[id] {
			w.lose(lostPage{bucket: name, page: id, from: from, to: to, reason: fmt.Sprintf("page %d is referenced twice", id)})
			return
		}
		w.seen[id] = true
		var err error
		if p, err = w.pf.page(id); err != nil {
			w.lose(lostPage{bucket: name, page: id, from: from, to: to, reason: err.Error()})
			return
		}
	}
	if p.flags == branchFlag {
		keys := make([][]byte, p.count)
		kids := make([]uint64, p.count)
		for i := range p.count {
			k, child, err := p.branch(i)
			if err != nil || !inRange(k, from, to) || (i > 0 && bytes.Compare(keys[i-1], k) >= 0) {
				w.lose(lostPage{bucket: name, page: id, from: from, to: to, reason: fmt.Sprintf("page %d: keys out of order or outside the page", id)})
				return
			}
			keys[i], kids[i] = k, child
		}
		for i := range p.count {
			lo, hi := keys[i], to
			if i == 0 {
				lo = from
			}
			if i+1 < p.count {
				hi = keys[i+1]
			}
			w.tree(path, kids[i], nil, lo, hi)
		}
		return
	}
	type rec struct {
		flags uint32
		k, v  []byte
	}
	recs := make([]rec, p.count)
	for i := range p.count {
		f, k, v, err := p.leaf(i)
		if err != nil || !inRange(k, from, to) || (i > 0 && bytes.Compare(recs[i-1].k, k) >= 0) {
			w.lose(lostPage{bucket: name, page: id, from: from, to: to, reason: fmt.Sprintf("page %d: keys out of order or outside the page", id)})
			return
		}
		recs[i] = rec{f, k, v}
	}
	for _, r := range recs {
		if r.flags&bucketLeafFlag != 0 {
			w.bucketAt(append(append([]string{}, path...), string(r.k)), r.v)
		} else if w.record != nil && path != nil {
			w.record(path, r.k, r.v)
		}
	}
}

func inRange(k, from, to []byte) bool {
	return (from == nil || bytes.Compare(k, from) >= 0) && (to == nil || bytes.Compare(k, to) < 0)
}

// describePage names the bucket and key range that page id holds in the
// file at path, or returns "" when it cannot tell.
func describePage(path string, id uint64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	pf, err := openPages(f, 0)
	if err != nil {
		return ""
	}
	found := ""
	w := &pageWalk{pf: pf, visited: func(p []string, page uint64, from, to []byte) {
		if page == id && found == "" {
			if p == nil {
				found = fmt.Sprintf("page %d (the list of buckets)", id)
				return
			}
			found = fmt.Sprintf("page %d of %s (%s)", id, strings.Join(p, "/"), keyRange(strings.Join(p, "/"), from, to))
		}
	}}
	w.walk()
	return found
}

// keyRange describes the keys [from, to) of bucket for a person.
func keyRange(bucket string, from, to []byte) string {
	switch {
	case from == nil && to == nil:
		return "all its records"
	case from == nil:
		return "records before " + describeKey(bucket, to)
	case to == nil:
		return "records from " + describeKey(bucket, from) + " on"
	}
	return "records from " + describeKey(bucket, from) + " up to " + describeKey(bucket, to)
}

// describeKey writes a key of bucket as the layout in doc.go defines it.
func describeKey(bucket string, k []byte) string {
	chat := func() string { return fmt.Sprintf("chat %d", int64(be64(k[:8]))) }
	switch bucket {
	case string(bucketReplies):
		if len(k) == 16 {
			return fmt.Sprintf("%s reply %d", chat(), be64(k[8:]))
		}
	case string(bucketReplyMsgs):
		if len(k) == 16 {
			return fmt.Sprintf("%s message %d", chat(), be64(k[8:]))
		}
	case string(bucketClients):
		if len(k) == 8 {
			return chat()
		}
	case string(bucketSessions), string(bucketDeliveries):
		if len(k) >= 18 {
			return fmt.Sprintf("%s %s", chat(), k[8:18])
		}
	case string(bucketOutbox), string(bucketUpdates):
		if len(k) == 8 {
			return fmt.Sprintf("id %d", be64(k))
		}
	case string(bucketMeta), string(bucketInvites):
		return fmt.Sprintf("%q", k)
	case string(bucketKV):
		ns, key, _ := bytes.Cut(k, []byte{0})
		return fmt.Sprintf("%s/%s", ns, key)
	}
	return fmt.Sprintf("key %x", k)
}

// be64 reads a big-endian key part (store keys are big-endian whatever the
// machine).
func be64(b []byte) uint64 { return binary.BigEndian.Uint64(b) }
