package telegram

import (
	"context"
	"slices"
	"sync"
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

// TestSenderLateCallTakesANewSlot: calls at 100 a second, and the
// sender's lock held for 100 ms by the test, as when the process is
// starved of CPU: the calls whose slots passed meanwhile do not all go
// together when it is let go; each held up more than lateSlot takes a
// new slot, so that no 50 ms holds more calls than the rate allows
// (five, a burst of one, and lateSlot's two).
func TestSenderLateCallTakesANewSlot(t *testing.T) {
	s := &Sender{Rate: 100, PerChat: -1}
	start := time.Now()
	var (
		mu   sync.Mutex
		sent []time.Duration
		wg   sync.WaitGroup
	)
	for chat := range int64(40) {
		wg.Go(func() {
			err := s.Do(context.Background(), chat+1, func(context.Context) error {
				mu.Lock()
				sent = append(sent, time.Since(start))
				mu.Unlock()
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	time.Sleep(100 * time.Millisecond)
	s.mu.Lock()
	time.Sleep(100 * time.Millisecond) // every call whose slot comes now waits
	s.mu.Unlock()
	wg.Wait()
	if most, from := MostWithin(sent, 50*time.Millisecond); most > 8 {
		t.Fatalf("%d calls within 50 ms from %s after the start, want at most 8 at 100 a second: %v", most, from.Round(time.Millisecond), sent)
	}
	if s.Stats().MissedSlots == 0 {
		t.Error("no missed slot counted, though calls were held up for 100 ms")
	}
}

// MostWithin sorts times and reports the most of them within any span of
// window, and where the first such span begins. (Exported for the
// package's external tests.)
func MostWithin(times []time.Duration, window time.Duration) (most int, from time.Duration) {
	slices.Sort(times)
	for i := range times {
		j := i
		for j < len(times) && times[j]-times[i] < window {
			j++
		}
		if j-i > most {
			most, from = j-i, times[i]
		}
	}
	return most, from
}
