package admin_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kindling/admin"
	"kindling/store"
)

// jobFile makes a database file with one reply and returns its path.
func jobFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kindling.db")
	db, err := store.Open(path, store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *store.Tx) error { return tx.AddReply(&store.Reply{ChatID: 7, Kind: "journal", Answer: "kept"}) })
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// closedListen is a loopback address where nothing listens.
func closedListen(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// recordingJob counts what Run called; ask is what Ask returns (nil: ask
// through c.Get, as the commands do).
type recordingJob struct {
	asked, filed int
	replies      int
}

func (r *recordingJob) job(ask error) admin.Job {
	return admin.Job{
		Name: "export",
		Ask: func(ctx context.Context, c admin.Client) error {
			r.asked++
			if ask != nil {
				return ask
			}
			_, err := c.Get(ctx, "/export", nil)
			return err
		},
		File: func(db *store.DB) error {
			r.filed++
			return db.View(func(tx *store.Tx) error {
				rs, err := tx.Replies(7, time.Time{})
				r.replies = len(rs)
				return err
			})
		},
	}
}

func TestJobRun(t *testing.T) {
	ctx := context.Background()
	t.Run("admin off: the file", func(t *testing.T) {
		var r recordingJob
		if err := (admin.Client{StorePath: jobFile(t)}).Run(ctx, r.job(nil)); err != nil {
			t.Fatal(err)
		}
		if r.asked != 0 || r.filed != 1 || r.replies != 1 {
			t.Errorf("asked %d, filed %d with %d replies; want 0, 1, 1", r.asked, r.filed, r.replies)
		}
	})
	t.Run("nothing answers on admin.listen: the file", func(t *testing.T) {
		var r recordingJob
		c := admin.Client{Listen: closedListen(t), StorePath: jobFile(t)}
		if err := c.Run(ctx, r.job(nil)); err != nil {
			t.Fatal(err)
		}
		if r.asked != 1 || r.filed != 1 || r.replies != 1 {
			t.Errorf("asked %d, filed %d with %d replies; want 1, 1, 1", r.asked, r.filed, r.replies)
		}
	})
	t.Run("a final or refused answer: not the file", func(t *testing.T) {
		for _, ask := range []error{admin.Final(errors.New("broke off")), &admin.RefusedError{Err: errors.New("no such client")}} {
			var r recordingJob
			c := admin.Client{Listen: closedListen(t), StorePath: jobFile(t)}
			if err := c.Run(ctx, r.job(ask)); !errors.Is(err, ask) {
				t.Errorf("Run = %v, want %v", err, ask)
			}
			if r.filed != 0 {
				t.Errorf("%v: the file was read after it", ask)
			}
		}
	})
	t.Run("no file", func(t *testing.T) {
		var r recordingJob
		missing := filepath.Join(t.TempDir(), "none.db")
		err := (admin.Client{StorePath: missing}).Run(ctx, r.job(nil))
		if err == nil || !strings.Contains(err.Error(), "store.path "+missing) || r.filed != 0 {
			t.Errorf("Run = %v (filed %d), want an error naming store.path", err, r.filed)
		}
	})
	t.Run("a file another kindling holds", func(t *testing.T) {
		path := jobFile(t)
		held, err := store.Open(path, store.Options{Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { held.Close() }) // after the parallel cases below
		for _, c := range []struct {
			name   string
			client admin.Client
			ask    error
			want   string
		}{
			{"admin off", admin.Client{StorePath: path}, nil, "admin.listen is off, so kindling export reads the file itself"},
			{"nothing on admin.listen", admin.Client{Listen: closedListen(t), StorePath: path}, nil, "nothing answers on admin.listen"},
			{"admin.listen failed", admin.Client{Listen: closedListen(t), StorePath: path}, errors.New("answered 502"), "did not help: answered 502"},
		} {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel() // each waits out the store's lock timeout
				var r recordingJob
				err := c.client.Run(ctx, r.job(c.ask))
				if !errors.Is(err, store.ErrLocked) || !strings.Contains(err.Error(), c.want) || r.filed != 0 {
					t.Errorf("Run = %v (filed %d), want ErrLocked saying %q", err, r.filed, c.want)
				}
			})
		}
	})
}
