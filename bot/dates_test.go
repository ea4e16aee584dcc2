package bot_test

import (
	"slices"
	"testing"

	"kindling/prompts"
	"kindling/store"
)

// TestSessionCommandDates logs sessions with /session on 1 March 2026 at
// 07:00 in New York (the client's zone, where it is already 12:00 UTC),
// on the recording fake.
func TestSessionCommandDates(t *testing.T) {
	k := onboardedTalk(t)
	const ana = int64(1001)
	dates := func() []string {
		var out []string
		for _, s := range k.sessions(ana) {
			out = append(out, s.Date)
		}
		return out
	}
	for _, tc := range []struct {
		input string
		date  string // the session logged, "" when refused
		want  string // the exact answer when the message exists, else ""
	}{
		{input: "31 Feb"},
		{input: "2026-02-31"},
		{input: "2026-02-29"}, // 2026 is not a leap year
		{input: "30 feb 2024"},
		{input: "tomorrow"},
		{input: "2026-03-02"}, // tomorrow, as a date
		{input: "2031-01-01"},
		{input: "1999-01-01"},
		{input: "banana", want: words("session_invalid", prompts.Vars{Name: "Ana"})},
		{input: "2026-3-1x", want: words("session_invalid", prompts.Vars{Name: "Ana"})},
		{input: "-3 days ago", want: words("session_invalid", prompts.Vars{Name: "Ana"})},
		// Earlier than the 1 March session logged at setup: that one still counts.
		{input: "yesterday", date: "2026-02-28", want: words("session_earlier", prompts.Vars{Name: "Ana", Date: "Sat 28 Feb 2026", Latest: "Sun 1 Mar 2026"})},
		{input: "3 days ago", date: "2026-02-26"},
		{input: "29 Feb 2024", date: "2024-02-29"},
		{input: "March 1", date: "2026-03-01"},
		{input: "20 Dec", date: "2025-12-20"}, // said in March: last December
		{input: "2026-02-14", date: "2026-02-14"},
		{input: "today", date: "2026-03-01"},
	} {
		t.Run(tc.input, func(t *testing.T) {
			before := dates()
			k.send(ana, "Ana", "/session "+tc.input)
			got := k.lastText(ana)
			after := dates()
			if tc.date == "" {
				if !slices.Equal(before, after) {
					t.Errorf("/session %s stored a session: %v -> %v", tc.input, before, after)
				}
				if isBareKey(got) {
					t.Errorf("/session %s answered with the bare message key %q", tc.input, got)
				}
				if got == words("session_logged", prompts.Vars{}) || len(got) == 0 {
					t.Errorf("/session %s answered %q", tc.input, got)
				}
			} else if !slices.Contains(after, tc.date) {
				t.Errorf("/session %s: sessions %v, want %s", tc.input, after, tc.date)
			}
			if tc.want != "" && got != tc.want {
				t.Errorf("/session %s answered %q, want %q", tc.input, got, tc.want)
			}
		})
	}
	// The latest session counts: the sequence restarts from it.
	if c := k.client(ana); c.Status != store.StatusActive || c.Due.IsZero() {
		t.Fatalf("after /session: status %s due %s", c.Status, c.Due)
	}
}
