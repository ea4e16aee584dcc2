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
// beside them, and lets it go once one of them has gone; its context
// ends the wait. Time is the bubble's.
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
		enqueue(500, store.Outgoing{})             // a conversation's rows
		enqueue(500, store.Outgoing{Urgent: true}) // crisis replies and alerts
		if err := k.Room(context.Background()); err != nil {
			t.Fatalf("no broadcast waiting: Room = %v", err)
		}
		bulk := enqueue(200, store.Outgoing{Bulk: true})

		short, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := k.Room(short); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("200 broadcast rows waiting: Room = %v, want it to wait until its context ends", err)
		}

		done := make(chan error, 1)
		go func() { done <- k.Room(context.Background()) }()
		time.Sleep(time.Hour)
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("Room returned %v with 200 broadcast rows still waiting", err)
		default:
		}
		if err := db.Update(func(tx *store.Tx) error { return tx.Sent(bulk[0], 1) }); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Room = %v after a row went out", err)
			}
		default:
			t.Fatal("Room still waits with 199 broadcast rows left")
		}
	})
}
