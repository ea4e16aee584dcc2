package store

import (
	"fmt"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
)

// bbolt trusts the pages it reads: a damaged page makes it panic (an
// assertion such as "Page expected to be: 23, but self identifies as
// 8811") or fault on memory outside the file. Every transaction of the
// store runs under guard, which turns such a panic into ErrCorrupt naming
// the page, its bucket and its keys, after bbolt has rolled the
// transaction back (bbolt's Update and View roll back on a panic, so the
// writer lock is free again and the DB stays usable).
//
// A panic that did not come from bbolt, nor from reading the file's
// memory, is a bug in the caller and is not hidden: it goes on.

// pageInPanic finds the page id in bbolt's page assertions.
var pageInPanic = regexp.MustCompile(`[Pp]age (?:expected to be: )?(\d+)`)

// damage remembers the pages found damaged, by description, so that a
// page hit by every request is described once.
type damage struct {
	mu    sync.Mutex
	pages map[uint64]string
	seen  bool // a damaged page was met or found: Batch runs alone from now on
}

// guard runs fn, turning a panic from bbolt or a memory fault into
// ErrCorrupt. It must be called in the goroutine that runs the
// transaction.
func (db *DB) guard(fn func() error) (err error) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		p := recover()
		if p == nil {
			return
		}
		op, ok := fromBolt(p)
		if !ok {
			panic(p)
		}
		err = db.corrupt(p, op)
	}()
	return fn()
}

// fromBolt reports whether the panic being handled came from bbolt's code
// or from a memory fault, and names the store method that was running.
// It must be called from the deferred function that recovered p.
func fromBolt(p any) (op string, ok bool) {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(1, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	panicking, first := false, ""
	for {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic":
			panicking = true
		case !panicking:
		case first == "" && !strings.HasPrefix(f.Function, "runtime."):
			first = f.Function
		case op == "" && exported(f.Function, "kindling/store."):
			op = strings.TrimPrefix(f.Function, "kindling/store.")
		}
		if !more || op != "" {
			break
		}
	}
	op = strings.NewReplacer("(*", "", ")", "").Replace(op)
	if strings.HasPrefix(first, "go.etcd.io/bbolt") {
		return op, true
	}
	// A fault on an address beyond the first page: the file's memory.
	if re, isErr := p.(runtime.Error); isErr {
		if a, hasAddr := re.(interface{ Addr() uintptr }); hasAddr && a.Addr() >= 4096 {
			return op, true
		}
	}
	return "", false
}

// exported reports whether fn is an exported function or method of pkg
// (not a helper, not a closure), which names what the caller asked for.
func exported(fn, pkg string) bool {
	if !strings.HasPrefix(fn, pkg) {
		return false
	}
	name := fn[strings.LastIndexByte(fn, '.')+1:]
	return name != "" && name[0] >= 'A' && name[0] <= 'Z'
}

// corrupt makes the ErrCorrupt for the panic p met while op ran.
func (db *DB) corrupt(p any, op string) error {
	msg := fmt.Sprint(p)
	where := ""
	if m := pageInPanic.FindStringSubmatch(msg); m != nil {
		if id, err := strconv.ParseUint(m[1], 10, 64); err == nil {
			where = db.describe(id)
		}
	}
	db.sawDamage()
	var b strings.Builder
	if where != "" {
		b.WriteString(where)
		b.WriteString(" cannot be read")
	} else {
		b.WriteString("a page cannot be read")
	}
	if op != "" {
		fmt.Fprintf(&b, " (in %s)", op)
	}
	fmt.Fprintf(&b, ": %s; run `kindling salvage` on a copy of the file", strings.TrimPrefix(msg, "assertion failed: "))
	return fmt.Errorf("%w: %s", ErrCorrupt, b.String())
}

// describe names page id of the file, once per page.
func (db *DB) describe(id uint64) string {
	db.damage.mu.Lock()
	defer db.damage.mu.Unlock()
	if d, ok := db.damage.pages[id]; ok {
		return d
	}
	d := describePage(db.path, id)
	if d == "" {
		d = fmt.Sprintf("page %d", id)
	}
	if db.damage.pages == nil {
		db.damage.pages = map[uint64]string{}
	}
	db.damage.pages[id] = d
	return d
}

// sawDamage remembers that the file has a damaged page.
func (db *DB) sawDamage() {
	db.damage.mu.Lock()
	db.damage.seen = true
	db.damage.mu.Unlock()
}

// damaged reports whether a damaged page was met since Open.
func (db *DB) damaged() bool {
	db.damage.mu.Lock()
	defer db.damage.mu.Unlock()
	return db.damage.seen
}
