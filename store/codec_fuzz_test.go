package store

import (
	"bytes"
	"testing"
	"time"
)

// FuzzCompactRecords: any bytes read as a compact record of each kind
// either fail with an error (no panic, no huge allocation from a count
// the bytes cannot hold) or give a record whose compact form reads back
// to the same form again.
func FuzzCompactRecords(f *testing.F) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 5, time.FixedZone("", -5*3600))
	f.Add(encodeOutgoing(&Outgoing{ID: 7, ChatID: 42, Text: "How are you feeling today?", Urgent: true, CreatedAt: at,
		Keyboard: [][]Button{{{Text: "1", Data: "a|1|mood|1"}, {Text: "2", Data: "a|1|mood|2"}}, {{Text: "site", URL: "https://example.org"}}}}))
	f.Add(encodeDelivery(&Delivery{ChatID: 42, LocalDate: "2026-03-02", Day: 1, SessionDate: "2026-03-01", Sequence: "after-session",
		Language: "en", Questions: []string{"mood", "body"}, Next: 1, Messages: map[string]int{"mood": 9}, Asked: map[string]string{"mood": "How?"}, CreatedAt: at}))
	f.Add(encodeClient(&Client{ChatID: 42, UserID: 42, Name: "Maya", Language: "es", TimeZone: "America/Bogota", SendTime: "09:00",
		FlowData: map[string]string{"k": "v"}, SafetyPlan: map[string]string{"people": "my sister"}, CreatedAt: at}))
	f.Add(encodeSession(&Session{ChatID: 42, Date: "2026-03-01", Intention: "to rest", CreatedAt: at}))
	seven, three := 7, 3
	f.Add(encodeReply(&Reply{ID: 9, ChatID: 42, At: at, LocalDate: "2026-03-02", Day: 1, SessionDate: "2026-03-01", QuestionID: "mood",
		Question: "How?", Kind: "scale", Answer: "7", Value: &seven, CheckIn: "phq2", Option: "often", Score: &three, MessageID: 12,
		Voice: &Voice{FileID: "f", Path: "voice/1.ogg", Duration: 4, Size: 900}, Edits: []Edit{{At: at, Answer: "6"}}, Flagged: true}))
	f.Add([]byte{outboxCodec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, v []byte) {
		for _, kind := range []struct {
			name string
			read func([]byte) (any, bool, error)
		}{
			{"outgoing", func(b []byte) (any, bool, error) { var x Outgoing; ok, err := decodeCompact(b, &x); return &x, ok, err }},
			{"delivery", func(b []byte) (any, bool, error) { var x Delivery; ok, err := decodeCompact(b, &x); return &x, ok, err }},
			{"client", func(b []byte) (any, bool, error) { var x Client; ok, err := decodeCompact(b, &x); return &x, ok, err }},
			{"session", func(b []byte) (any, bool, error) { var x Session; ok, err := decodeCompact(b, &x); return &x, ok, err }},
			{"reply", func(b []byte) (any, bool, error) { var x Reply; ok, err := decodeCompact(b, &x); return &x, ok, err }},
		} {
			x, ok, err := kind.read(v)
			if !ok || err != nil {
				continue
			}
			once, _ := encodeCompact(x)
			y, ok, err := kind.read(once)
			if !ok || err != nil {
				t.Fatalf("%s: its own compact form does not read back: %v", kind.name, err)
			}
			if twice, _ := encodeCompact(y); !bytes.Equal(once, twice) {
				t.Fatalf("%s: read back differently:\n%x\n%x", kind.name, once, twice)
			}
		}
	})
}
