package bot_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"kindling/bot"
	"kindling/store"
	"kindling/telegram"
)

// TestRoomWaitsForTheBroadcastToGoOut: with the sender at 10 a second,
// Room holds the schedule back while 200 broadcast rows wait (the floor
// of 15 s of sending), however many conversation and urgent rows wait
// beside them. It waits as long as they keep going out, lets the
// schedule go once fewer than 200 wait, and stops holding it when none
// has gone for a minute (rows that never go out must not hold every
// other client's day). Its context ends the wait. Time is the bubble's.
func TestRoomWaitsForTheBroadcastToGoOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db, err := store.Open(filepath.Join(t.TempDir(), "k.db"), store.Options{Timeout: time.Second, NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = db.Close() }()
		k := bot.New(bot.Options{Deps: bot.Deps{DB: db, Sender: &telegram.Sender{Rate: 10},
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}})
		enqueue := func(n int, o store.Outgoing) []uint64 {
			var ids []uint64
			if err := db.Update(func(tx *store.Tx) error {
				for i := range n {
					row := o
					row.ChatID, row.Text = int64(1000+i), "m"
					if err := tx.Enqueue(&row); err != nil {
						return err
					}
					ids = append(ids, row.ID)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			return ids
		}
		sent := func(id uint64) {
			if err := db.Update(func(tx *store.Tx) error { return tx.Sent(id, 1) }); err != nil {
				t.Fatal(err)
			}
		}
		room := func(ctx context.Context) (chan error, func() bool) {
			done := make(chan error, 1)
			go func() { done <- k.Room(ctx) }()
			waiting := func() bool {
				synctest.Wait()
				select {
				case err := <-done:
					done <- err
					return false
				default:
					return true
				}
			}
			return done, waiting
		}

		enqueue(500, store.Outgoing{})             // a conversation's rows
		enqueue(500, store.Outgoing{Urgent: true}) // crisis replies and alerts
		if err := k.Room(context.Background()); err != nil {
			t.Fatalf("no broadcast waiting: Room = %v", err)
		}
		bulk := enqueue(201, store.Outgoing{Bulk: true})

		// Going out, one row every 30 s: held for as long as it takes.
		done, waiting := room(context.Background())
		for i := range 2 {
			time.Sleep(30 * time.Second)
			if !waiting() {
				t.Fatalf("Room returned %v with %d broadcast rows waiting and going out", <-done, 201-i)
			}
			sent(bulk[i])
		}
		time.Sleep(2 * time.Second)
		if waiting() {
			t.Fatal("Room still waits with 199 broadcast rows left")
		}
		if err := <-done; err != nil {
			t.Fatalf("Room = %v after the rows went out", err)
		}

		// Not going out: held for a minute, not longer.
		enqueue(1, store.Outgoing{Bulk: true})
		done, waiting = room(context.Background())
		time.Sleep(59 * time.Second)
		if !waiting() {
			t.Fatalf("Room returned %v 59 s after the last row went out", <-done)
		}
		time.Sleep(2 * time.Second)
		if waiting() {
			t.Fatal("Room still holds the schedule a minute after the last row went out")
		}
		if err := <-done; err != nil {
			t.Fatalf("Room = %v, want nil: the schedule ticks on", err)
		}

		// Its context ends the wait.
		ctx, cancel := context.WithCancel(context.Background())
		done, waiting = room(ctx)
		time.Sleep(10 * time.Second)
		if !waiting() {
			t.Fatalf("Room returned %v with 200 rows waiting", <-done)
		}
		cancel()
		if waiting() {
			t.Fatal("Room still waits after its context ended")
		}
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("Room = %v, want context.Canceled", err)
		}
	})
}
