package store_test

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"kindling/store"
)

// The test binary re-executes itself as a child process for tests that
// need a second process: KINDLING_STORE_CHILD names what the child does,
// KINDLING_STORE_PATH the database.
func TestMain(m *testing.M) {
	switch os.Getenv("KINDLING_STORE_CHILD") {
	case "":
		os.Exit(m.Run())
	case "hold":
		os.Exit(childHold(os.Getenv("KINDLING_STORE_PATH")))
	case "crash":
		os.Exit(childCrash(os.Getenv("KINDLING_STORE_PATH")))
	default:
		os.Exit(2)
	}
}

// child starts the test binary as a child doing what, and returns it with
// its stdout.
func child(t *testing.T, what, path string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "KINDLING_STORE_CHILD="+what, "KINDLING_STORE_PATH="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, bufio.NewScanner(out)
}

// childHold opens the database, says so, and holds it until stdin closes.
func childHold(path string) int {
	db, err := store.Open(path, store.Options{})
	if err != nil {
		println(err.Error())
		return 1
	}
	defer db.Close()
	os.Stdout.WriteString("open\n")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	return 0
}

func TestOpenPermissions(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a", "b", "kindling.db")
	mustOpenAt(t, path, store.Options{NoSync: true})
	for p, want := range map[string]os.FileMode{filepath.Dir(path): 0o700, filepath.Dir(filepath.Dir(path)): 0o700, path: 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s mode %o, want %o", p, got, want)
		}
	}

	// An existing file that is too open is tightened.
	loose := filepath.Join(dir, "loose.db")
	db := mustOpenAt(t, loose, store.Options{NoSync: true})
	db.Close()
	if err := os.Chmod(loose, 0o644); err != nil {
		t.Fatal(err)
	}
	mustOpenAt(t, loose, store.Options{NoSync: true})
	if fi, _ := os.Stat(loose); fi.Mode().Perm() != 0o600 {
		t.Errorf("reopened file mode %o, want 600", fi.Mode().Perm())
	}
}

func checkLocked(t *testing.T, path string) {
	t.Helper()
	start := time.Now()
	db, err := store.Open(path, store.Options{})
	took := time.Since(start)
	if err == nil {
		db.Close()
		t.Fatal("second Open succeeded")
	}
	if !errors.Is(err, store.ErrLocked) {
		t.Errorf("second Open = %v, want ErrLocked", err)
	}
	for _, want := range []string{path, "another kindling may be running"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if took >= 2*time.Second {
		t.Errorf("second Open took %s, want under 2s", took)
	}
}

func TestOpenLockedByAnotherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kindling.db")
	_, out := child(t, "hold", path)
	if !out.Scan() || out.Text() != "open" {
		t.Fatalf("child did not open the database: %q %v", out.Text(), out.Err())
	}
	checkLocked(t, path)
	if _, err := store.Open(path, store.Options{ReadOnly: true, Timeout: 100 * time.Millisecond}); !errors.Is(err, store.ErrLocked) {
		t.Errorf("read-only Open while held = %v, want ErrLocked", err)
	}
}

func TestOpenLockedInProcess(t *testing.T) {
	db := mustOpen(t)
	checkLocked(t, db.Path())
}

func TestOpenTimeoutLimit(t *testing.T) {
	_, err := store.Open(filepath.Join(t.TempDir(), "k.db"), store.Options{Timeout: 2 * time.Second})
	if err == nil {
		t.Error("Open with a 2s timeout: no error")
	}
}

func TestOpenNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kindling.db")
	db := mustOpenAt(t, path, store.Options{NoSync: true})
	db.Close()
	rawUpdate(t, path, func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("schema"), []byte(strconv.Itoa(store.SchemaVersion+1)))
	})
	_, err := store.Open(path, store.Options{})
	if !errors.Is(err, store.ErrNewerSchema) || !strings.Contains(err.Error(), path) {
		t.Errorf("Open of a newer schema = %v, want ErrNewerSchema naming the file", err)
	}
}

func rawUpdate(t testing.TB, path string, fn func(*bbolt.Tx) error) {
	t.Helper()
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func TestOpenNotBbolt(t *testing.T) {
	for name, data := range map[string][]byte{
		"text":       []byte(strings.Repeat("this is not a database\n", 1000)),
		"short":      []byte("hello"),
		"zeros":      make([]byte, 64<<10),
		"other bolt": nil, // filled below
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "kindling.db")
			if data == nil {
				rawUpdate(t, path, func(tx *bbolt.Tx) error {
					_, err := tx.CreateBucket([]byte("someone else's"))
					return err
				})
			} else if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := store.Open(path, store.Options{})
			if !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), path) {
				t.Errorf("Open = %v, want ErrCorrupt naming the file", err)
			}
		})
	}
}

func TestOpenTruncated(t *testing.T) {
	src := filepath.Join(t.TempDir(), "full.db")
	db := mustOpenAt(t, src, store.Options{NoSync: true})
	update(t, db, func(tx *store.Tx) error {
		for i := range 300 {
			if err := tx.AddReply(&store.Reply{ChatID: int64(i%7 + 1), Answer: strings.Repeat("words ", 200)}); err != nil {
				return err
			}
		}
		return nil
	})
	db.Close()
	full, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	// The file may be longer than its pages (bbolt grows it in steps);
	// cutting only that tail is harmless, so cut below the last page.
	var used int
	b, err := bbolt.Open(src, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	_ = b.View(func(tx *bbolt.Tx) error { used = int(tx.Size()); return nil })
	b.Close()
	for _, size := range []int{1, 100, 4096, 8192, 8192 + 100, 3 * 4096, used / 2, used - 100} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "kindling.db")
			if err := os.WriteFile(path, full[:size], 0o600); err != nil {
				t.Fatal(err)
			}
			db, err := store.Open(path, store.Options{})
			if err == nil {
				err = db.Check()
				db.Close()
			}
			if !errors.Is(err, store.ErrCorrupt) {
				t.Errorf("Open of %d of %d bytes = %v, want ErrCorrupt", size, len(full), err)
			}
		})
	}
}

func TestOpenReadOnlyFolder(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores folder permissions")
	}
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "kindling.db")
	_, err := store.Open(path, store.Options{})
	if err == nil || !errors.Is(err, os.ErrPermission) || !strings.Contains(err.Error(), path) {
		t.Errorf("Open in a read-only folder = %v, want a permission error naming the file", err)
	}
}

func TestOpenParentIsAFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(file, "kindling.db")
	_, err := store.Open(path, store.Options{})
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Open under a file = %v, want an error naming the path", err)
	}
}

func TestOpenReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kindling.db")
	if _, err := store.Open(path, store.Options{ReadOnly: true}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("read-only Open of a missing file = %v, want ErrNotExist", err)
	}
	db := mustOpenAt(t, path, store.Options{NoSync: true})
	update(t, db, func(tx *store.Tx) error { return tx.PutClient(client(1, t0)) })
	db.Close()
	ro := mustOpenAt(t, path, store.Options{ReadOnly: true})
	if got, err := ro.Due(t0, 0); err != nil || len(got) != 1 {
		t.Errorf("read-only Due = %v, %v", got, err)
	}
	if err := ro.Update(func(tx *store.Tx) error { return tx.PutClient(client(2, t0)) }); err == nil {
		t.Error("write on a read-only DB: no error")
	}
}
