package report_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"kindling/report"
	"kindling/store"
)

// fullData has every stored field set, so a field the export drops shows.
func fullData() report.Data {
	t0 := time.Date(2025, 3, 2, 18, 0, 0, 0, time.UTC)
	v := 7
	return report.Data{
		Client: store.Client{
			ChatID: 42, UserID: 4242, Name: "Ana", Username: "ana_r", Language: "en",
			TimeZone: "Europe/Madrid", SendTime: "09:00", Sequence: "after-session",
			Status: store.StatusPaused, PausedUntil: t0.Add(72 * time.Hour), Coach: 777,
			ConsentAt: t0.Add(-48 * time.Hour), CreatedAt: t0.Add(-49 * time.Hour), Due: t0.Add(73 * time.Hour),
			Setup: "time", Flow: "safety_plan", FlowData: map[string]string{"step": "coping", "draft": "call my sister"},
			SafetyPlan: map[string]string{"warning_signs": "I stop eating.", "coping": "Walk.\nTea.", "people_places": "The park", "contacts": "Sister: 600 000 000", "extra": "My own part"},
		},
		Sessions: []store.Session{
			{ChatID: 42, Date: "2025-03-02", Note: "Second session.", Intention: "To be gentler with myself.", CreatedAt: t0},
			{ChatID: 42, Date: "2025-01-10", CreatedAt: t0.Add(-50 * 24 * time.Hour)},
		},
		Deliveries: []store.Delivery{{
			ChatID: 42, LocalDate: "2025-03-03", Day: 1, SessionDate: "2025-03-02", Sequence: "after-session", Language: "en",
			Questions: []string{"mood", "voice"}, Next: 2, Messages: map[string]int{"mood": 100, "voice": 101},
			Asked: map[string]string{"mood": "How is your mood?", "voice": "Say anything."}, State: store.DeliveryDone,
			Manual: true, CreatedAt: t0.Add(15 * time.Hour), SentAt: t0.Add(15*time.Hour + time.Second), Reminded: true,
		}},
		Replies: []store.Reply{
			{ID: 1, ChatID: 42, At: t0.Add(15 * time.Hour), LocalDate: "2025-03-03", Day: 1, SessionDate: "2025-03-02",
				QuestionID: "mood", Question: "How is your mood?", Kind: "scale", Answer: "7", Value: &v, MessageID: 100, Flagged: true},
			{ID: 2, ChatID: 42, At: t0.Add(16 * time.Hour), LocalDate: "2025-03-03", Day: 1, SessionDate: "2025-03-02",
				QuestionID: "voice", Question: "Say anything.", Kind: "voice", Answer: "caption", MessageID: 102,
				Voice: &store.Voice{FileID: "AwACAgQ", Path: "voice/42/2.ogg", Duration: 75, Size: 123456},
				Edits: []store.Edit{{At: t0.Add(16 * time.Hour), Answer: "first caption"}, {At: t0.Add(17 * time.Hour), Answer: "second caption"}}},
			{ID: 3, ChatID: 42, At: t0.Add(40 * time.Hour), LocalDate: "2025-03-04", Kind: "journal", Answer: hostile},
		},
		ExportedAt: t0.Add(30 * 24 * time.Hour),
	}
}

func TestDataJSONRoundTrip(t *testing.T) {
	in := fullData()
	b, err := report.DataJSON(in)
	if err != nil {
		t.Fatalf("DataJSON: %v", err)
	}
	var out report.Data
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	if !reflect.DeepEqual(out, in) {
		t.Errorf("round trip differs:\n got %+v\nwant %+v", out, in)
	}

	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		t.Fatal(err)
	}
	if string(top["format"]) != `"kindling-mydata/1"` {
		t.Errorf("format = %s", top["format"])
	}
	var keys []string
	for k := range top {
		keys = append(keys, k)
	}
	if len(keys) != 6 {
		t.Errorf("top-level keys %v, want format, client, sessions, deliveries, replies, exported_at", keys)
	}

	again, err := report.DataJSON(in)
	if err != nil || string(again) != string(b) {
		t.Errorf("DataJSON is not stable")
	}
}

func TestDataJSONEmpty(t *testing.T) {
	b, err := report.DataJSON(report.Data{Client: store.Client{ChatID: 1}})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"sessions": []`, `"deliveries": []`, `"replies": []`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("empty export lacks %s:\n%s", k, b)
		}
	}
}

func TestDataMarkdown(t *testing.T) {
	doc := string(report.DataMarkdown(fullData(), "en"))
	for _, want := range []string{
		"# Your data in kindling", "- Username: @ana_r",
		"- Time zone: Europe/Madrid", "- Daily time: 09:00", "- Sequence: after-session",
		"- Status: paused until 2025-03-05 19:00 CET", "- Coach (Telegram user id): 777",
		"### What helps me cope\n\n> Walk.  \n> Tea.\n", "### extra\n\n> My own part\n",
		"### 2 March 2025", "> To be gentler with myself.", "> Second session.",
		"### Session of 2 March 2025", "#### Day 1 · 2025-03-03", "*How is your mood?*\n\n> 7\n",
		"(a voice note, 1 min 15 s)", "saved as voice/42/2.ogg", "flagged for a safety check",
		"*Earlier version, 2025-03-03 11:00 CET:*\n\n> first caption\n", "> second caption\n",
		"### Without a session", "*From your journal*", "> # I am not a heading",
		"| 2025-03-03 | 2025-03-02 | 1 | after-session | 2 of 2 answered, asked with /today | done |",
		"*draft*\n\n> call my sister\n",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	if testing.Verbose() {
		t.Log(doc)
	}
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(line, "```") || strings.HasPrefix(line, "---") || strings.HasPrefix(line, "# I am") {
			t.Errorf("client text escaped its quote: %q", line)
		}
	}
	if es := string(report.DataMarkdown(fullData(), "es")); !strings.Contains(es, "# Tus datos en kindling") || !strings.Contains(es, "- Zona horaria: Europe/Madrid") {
		t.Errorf("spanish markdown:\n%s", es)
	}
}

// manyReplies is three sessions of a client who answered a lot.
func manyReplies(n int) report.Data {
	d := fullData()
	d.Replies = d.Replies[:0]
	t0 := time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC)
	for i := range n {
		session := t0.AddDate(0, 4*(i%3), 0)
		day := (i / 3) % 31
		d.Replies = append(d.Replies, store.Reply{
			ID: uint64(i + 1), ChatID: 42, At: session.AddDate(0, 0, day).Add(time.Duration(i) * time.Second),
			LocalDate: session.AddDate(0, 0, day).Format("2006-01-02"), Day: day, SessionDate: session.Format("2006-01-02"),
			QuestionID: fmt.Sprintf("q%d", i%7), Question: fmt.Sprintf("Question %d, as asked?", i%7), Kind: "text",
			Answer: strings.Repeat("Some words of mine. ", 10),
		})
	}
	return d
}

func TestDataMarkdownThousands(t *testing.T) {
	d := manyReplies(3000)
	start := time.Now()
	doc := report.DataMarkdown(d, "en")
	elapsed := time.Since(start)
	if n := strings.Count(string(doc), "\n*Question "); n != 3000 {
		t.Errorf("markdown has %d answers, want 3000", n)
	}
	if elapsed > 2*time.Second {
		t.Errorf("DataMarkdown of 3,000 replies took %v", elapsed)
	}
	t.Logf("3,000 replies: %d bytes in %v", len(doc), elapsed)
}

func BenchmarkDataMarkdown3000(b *testing.B) {
	d := manyReplies(3000)
	b.ReportAllocs()
	for b.Loop() {
		report.DataMarkdown(d, "en")
	}
}
