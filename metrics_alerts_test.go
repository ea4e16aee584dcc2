package main

import (
	"kindling/config"
	"strings"
	"testing"
)

// TestAlertMetrics: an alert raised, escalated (the coach never opened
// the bot's chat) and acknowledged by the on-call chat shows in /metrics.
func TestAlertMetrics(t *testing.T) {
	r := startRig(t, func(c *config.Config) {
		c.Coaches = []config.Coach{{ID: 9101, Name: "Dana"}}
		c.Safety.EscalateTo = []int64{9301}
	})
	before := scrape(t, r)
	for _, name := range []string{"kindling_safety_alerts_acknowledged_total", "kindling_safety_alerts_escalated_total", "kindling_safety_alert_ack_seconds"} {
		if v := value(before, name); v != 0 {
			t.Errorf("%s = %v before any alert, want 0", name, v)
		}
	}
	for _, tier := range []string{"alert", "check"} {
		if v := value(before, "kindling_safety_alerts_raised_total", "tier", tier); v != 0 {
			t.Errorf("raised{tier=%s} = %v before any alert, want 0", tier, v)
		}
	}

	oncall := r.srv.User(9301, "On call", "en")
	u := r.converse(7001)
	u.Send("I want to die")
	r.settle()
	data := ""
	for _, m := range oncall.Messages() {
		for _, row := range m.Keyboard {
			for _, b := range row {
				if strings.HasPrefix(b.CallbackData, "al|k|") {
					data = b.CallbackData
				}
			}
		}
	}
	if data == "" {
		t.Fatalf("the on-call chat got no alert: %v", oncall.Messages())
	}
	r.press(oncall, data)

	after := scrape(t, r)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"kindling_safety_alerts_raised_total", []string{"tier", "alert"}, 1},
		{"kindling_safety_alerts_raised_total", []string{"tier", "check"}, 0},
		{"kindling_safety_alerts_escalated_total", nil, 1},
		{"kindling_safety_alerts_acknowledged_total", nil, 1},
		{"kindling_safety_alert_ack_seconds", nil, 1},
	} {
		if got := value(after, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
}
