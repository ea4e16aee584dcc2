package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"kindling/admin"
	"kindling/store"
)

// damagedDatabase writes three clients with 40 answers each into path and
// then garbage over the second leaf page of the replies bucket. It returns
// that page and the chat/reply ids that were on it.
func damagedDatabase(t *testing.T, path string) (uint64, map[[2]uint64]bool) {
	t.Helper()
	db, err := store.Open(path, store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	err = db.Update(func(tx *store.Tx) error {
		for c := int64(1); c <= 3; c++ {
			err := tx.PutClient(store.Client{ChatID: 7000 + c, UserID: 7000 + c, Name: fmt.Sprint("Client ", c), Language: "en",
				TimeZone: "UTC", SendTime: "09:00", Sequence: "after-session", Status: store.StatusStopped, ConsentAt: now, CreatedAt: now})
			if err != nil {
				return err
			}
			for i := range 40 {
				r := store.Reply{ChatID: 7000 + c, Kind: "journal", MessageID: 100 + i,
					Answer: fmt.Sprintf("entry %d of client %d, %s", i, c, strings.Repeat("in my own words ", 12))}
				if err := tx.AddReply(&r); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err == nil {
		err = db.Close()
	}
	if err != nil {
		t.Fatal(err)
	}

	b, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var root uint64
	_ = b.View(func(tx *bbolt.Tx) error { root = uint64(tx.Bucket([]byte("replies")).Root()); return nil })
	ps := b.Info().PageSize
	b.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	page := make([]byte, ps)
	read := func(id uint64) {
		if _, err := f.ReadAt(page, int64(id)*int64(ps)); err != nil {
			t.Fatal(err)
		}
	}
	// bbolt's page layout: id u64, flags u16 (1 branch, 2 leaf), count
	// u16, overflow u32; branch elements (pos u32, key size u32, child
	// u64) and leaf elements (flags, pos, key size, value size: u32 each)
	// of 16 bytes, pos counting from the element.
	read(root)
	if binary.NativeEndian.Uint16(page[8:]) != 1 || binary.NativeEndian.Uint16(page[10:]) < 3 {
		t.Fatalf("the replies root page %d is not a branch of at least 3 leaves", root)
	}
	leaf := binary.NativeEndian.Uint64(page[16+16+8:])
	read(leaf)
	if binary.NativeEndian.Uint16(page[8:]) != 2 {
		t.Fatalf("page %d is not a leaf", leaf)
	}
	lost := map[[2]uint64]bool{}
	for i := range int(binary.NativeEndian.Uint16(page[10:])) {
		e := 16 + i*16
		k := page[e+int(binary.NativeEndian.Uint32(page[e+4:])):]
		lost[[2]uint64{binary.BigEndian.Uint64(k), binary.BigEndian.Uint64(k[8:])}] = true
	}
	if _, err := f.WriteAt(bytes.Repeat([]byte("\x5a\xc3garbage"), ps/9+1)[:ps], int64(leaf)*int64(ps)); err != nil {
		t.Fatal(err)
	}
	return leaf, lost
}

// TestDamagedDatabaseFile: with a replies page overwritten, `kindling
// export` exits 1 with a clear error and prints nothing, `kindling backup`
// refuses, `kindling salvage` writes a verified database of every other
// record and names what it lost, and `kindling run` starts and reports the
// damage on /healthz and to the coaches.
func TestDamagedDatabaseFile(t *testing.T) {
	r := newBinaryRig(t, "")
	page, lost := damagedDatabase(t, r.db())
	want := fmt.Sprintf("page %d of replies", page)

	for _, format := range []string{"json", "csv"} {
		stdout, stderr, status := r.cli("export", "--format", format)
		if status != 1 || stdout != "" {
			t.Errorf("export --format %s: status %d, %d bytes on stdout; want 1 and nothing", format, status, len(stdout))
		}
		if !strings.Contains(stderr, "damaged") || !strings.Contains(stderr, want) || strings.Contains(stderr, "goroutine") {
			t.Errorf("export --format %s: stderr does not name %q clearly:\n%s", format, want, stderr)
		}
	}
	out := filepath.Join(r.dir, "export.csv")
	if _, _, status := r.cli("export", "--out", out); status != 1 {
		t.Errorf("export --out: status %d", status)
	}
	for _, left := range []string{out, out + ".tmp"} {
		if _, err := os.Stat(left); err == nil {
			t.Errorf("a failed export --out left %s", left)
		}
	}

	backup := filepath.Join(r.dir, "backup.db")
	_, stderr, status := r.cli("backup", backup)
	if status != 1 || !strings.Contains(stderr, want) || strings.Contains(stderr, "goroutine") {
		t.Errorf("backup: status %d\n%s", status, stderr)
	}
	if _, err := os.Stat(backup); err == nil {
		t.Error("a refused backup left a file")
	}

	saved := filepath.Join(r.dir, "saved.db")
	stdout, stderr, status := r.cli("salvage", r.db(), saved)
	if status != 0 {
		t.Fatalf("salvage: status %d\n%s%s", status, stdout, stderr)
	}
	for _, w := range []string{fmt.Sprintf("replies      %d\n", 120-len(lost)), fmt.Sprintf("reply_msgs   %d\n", 120-len(lost)),
		"clients      3\n", "replies: 1 page could not be read",
		fmt.Sprintf("page %d: records from chat 700", page)} {
		if !strings.Contains(stdout, w) {
			t.Errorf("salvage output lacks %q:\n%s", w, stdout)
		}
	}
	db, err := store.Open(saved, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Check(); err != nil {
		t.Errorf("the salvaged copy does not check: %v", err)
	}
	err = db.View(func(tx *store.Tx) error {
		for c := uint64(7001); c <= 7003; c++ {
			rs, err := tx.Replies(int64(c), time.Time{})
			if err != nil {
				return err
			}
			kept := map[uint64]bool{}
			for _, r := range rs {
				kept[r.ID] = true
			}
			for id := (c-7001)*40 + 1; id <= (c-7000)*40; id++ {
				if kept[id] == lost[[2]uint64{c, id}] {
					t.Errorf("chat %d reply %d: in the copy %t, on the damaged page %t", c, id, kept[id], lost[[2]uint64{c, id}])
				}
			}
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, status := r.cli("salvage", r.db(), saved); status != 1 {
		t.Errorf("salvage onto an existing file: status %d, want 1", status)
	}

	_, log := r.start()
	h := r.health(log, func(h admin.Health) bool { return h.Status == "degraded" })
	if joined := strings.Join(h.Degraded, "\n"); !strings.Contains(joined, "database: "+want) {
		t.Errorf("/healthz degraded does not name %q:\n%s", want, joined)
	}
	told := waitText(t, r.coach, want, log)
	if !strings.Contains(told, "kindling salvage") {
		t.Errorf("the coach was told:\n%s", told)
	}
	if !strings.Contains(log(), "damaged: "+want) {
		t.Errorf("the log does not name the damaged page:\n%s", log())
	}

	// Through the running bot's admin address: the same refusals.
	stdout, stderr, status = r.cli("export")
	if status != 1 || stdout != "" || !strings.Contains(stderr, want) {
		t.Errorf("export from the running bot: status %d, %d bytes on stdout\n%s", status, len(stdout), stderr)
	}
	_, stderr, status = r.cli("backup", backup)
	if status != 1 || !strings.Contains(stderr, want) {
		t.Errorf("backup from the running bot: status %d\n%s", status, stderr)
	}
	if _, err := os.Stat(backup); err == nil {
		t.Error("a refused backup from the running bot left a file")
	}
}

// TestExportOut: --out gets the whole export, or nothing; a device such as
// /dev/null is written to, never replaced.
func TestExportOut(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kindling.db")
	db, err := store.Open(path, store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *store.Tx) error { return tx.AddReply(&store.Reply{ChatID: 5, Kind: "journal", Answer: "kept"}) })
	if err == nil {
		err = db.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte("admin:\n  listen: \"\"\nstore:\n  path: "+path+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.csv")
	if err := os.WriteFile(out, []byte("an older export"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{out, os.DevNull} {
		if _, stderr, status := runCLI(t, "export", "--config", cfg, "--out", target); status != 0 {
			t.Fatalf("export --out %s: status %d: %s", target, status, stderr)
		}
	}
	if b, err := os.ReadFile(out); err != nil || !strings.Contains(string(b), "kept") {
		t.Errorf("--out holds %q, %v", b, err)
	}
	if fi, err := os.Stat(os.DevNull); err != nil || fi.Mode().IsRegular() {
		t.Errorf("%s is no longer a device: %v %v", os.DevNull, fi.Mode(), err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".kindling-export-*"))
	tmps, _ := filepath.Glob(filepath.Join(dir, "*.tmp"))
	if left = append(left, tmps...); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestCompactCommand: `kindling compact` rewrites the file and says its
// sizes; with the file held by a running kindling it refuses and says to
// stop the bot; without a file it names store.path.
func TestCompactCommand(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kindling.db")
	db, err := store.Open(path, store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *store.Tx) error { return tx.AddReply(&store.Reply{ChatID: 5, Kind: "journal", Answer: "kept"}) })
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte("admin:\n  listen: \"\"\nstore:\n  path: "+path+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, stderr, status := runCLI(t, "compact", "--config", cfg); status != 1 || !strings.Contains(stderr, "stop the bot before compacting") {
		t.Errorf("compact of a held file: status %d: %s", status, stderr)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, status := runCLI(t, "compact", "--config", cfg)
	if status != 0 || !strings.HasPrefix(stdout, "compacted "+path+": ") {
		t.Fatalf("compact: status %d: %s%s", status, stdout, stderr)
	}
	db, err = store.Open(path, store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.View(func(tx *store.Tx) error {
		rs, err := tx.Replies(5, time.Time{})
		if err == nil && (len(rs) != 1 || rs[0].Answer != "kept") {
			t.Errorf("after compact: replies %+v", rs)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte("admin:\n  listen: \"\"\nstore:\n  path: "+filepath.Join(dir, "none.db")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, stderr, status := runCLI(t, "compact", "--config", cfg); status != 1 || !strings.Contains(stderr, "store.path "+filepath.Join(dir, "none.db")) {
		t.Errorf("compact without a file: status %d: %s", status, stderr)
	}
}
