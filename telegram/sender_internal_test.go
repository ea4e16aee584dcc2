package telegram

import (
	"context"
	"testing"
	"time"
)

// TestSenderForgetsPassedChatSlots: the sender keeps the next free slot
// of each chat it sent to, and forgets those that have passed, so that a
// broadcast to many chats does not grow the map without end.
func TestSenderForgetsPassedChatSlots(t *testing.T) {
	s := &Sender{Rate: 1e9, PerChat: time.Nanosecond}
	ctx := context.Background()
	most := 0
	for i := range 5 * chatSweep {
		if err := s.Do(ctx, int64(i+1), func(context.Context) error { return nil }); err != nil {
			t.Fatal(err)
		}
		s.mu.Lock()
		most = max(most, len(s.chatNext))
		s.mu.Unlock()
	}
	if most > chatSweep+1 {
		t.Errorf("the sender held the slots of %d chats at once, want at most %d", most, chatSweep+1)
	}
	if most < chatSweep {
		t.Errorf("the sender held at most %d chats: the sweep was not reached, the check above proves nothing", most)
	}
}

// TestSenderSweepsChatSlotsSeldom: while every chat's slot is still to
// come, sweeping cannot shorten the map; it is swept again only once the
// map has doubled, not on every call.
func TestSenderSweepsChatSlotsSeldom(t *testing.T) {
	s := &Sender{Rate: 1e9, PerChat: time.Hour}
	ctx := context.Background()
	sweeps, last := 0, 0
	for i := range 5 * chatSweep {
		if err := s.Do(ctx, int64(i+1), func(context.Context) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if s.sweepAt != last {
			sweeps++
			last = s.sweepAt
		}
	}
	if len(s.chatNext) != 5*chatSweep {
		t.Fatalf("%d chats held, want %d: every slot is an hour ahead", len(s.chatNext), 5*chatSweep)
	}
	if sweeps == 0 || sweeps > 3 {
		t.Errorf("%d sweeps for %d chats, want 1 to 3 (each once the map doubled)", sweeps, 5*chatSweep)
	}
}
