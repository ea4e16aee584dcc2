package config

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestLogDurationsInSeconds: JSON log lines give durations as seconds,
// nested ones too; text lines keep Go's notation.
func TestLogDurationsInSeconds(t *testing.T) {
	cfg := Default()
	cfg.Log.Format = "json"
	var buf bytes.Buffer
	cfg.Logger(&buf).Info("telegram paused", "retry_in", 500*time.Millisecond,
		slog.Group("tick", "took", 2*time.Second+250*time.Millisecond), "count", 3, "what", "5s")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, buf.String())
	}
	if got, ok := line["retry_in"].(float64); !ok || got != 0.5 {
		t.Errorf("retry_in = %v (%T), want 0.5 seconds: %s", line["retry_in"], line["retry_in"], buf.String())
	}
	if tick, _ := line["tick"].(map[string]any); tick["took"] != 2.25 {
		t.Errorf("tick.took = %v, want 2.25 seconds: %s", tick["took"], buf.String())
	}
	if line["count"] != 3.0 || line["what"] != "5s" {
		t.Errorf("other values changed: %s", buf.String())
	}
	if _, err := time.Parse(time.RFC3339Nano, line["time"].(string)); err != nil {
		t.Errorf("time = %v: %v", line["time"], err)
	}

	cfg.Log.Format = "text"
	buf.Reset()
	cfg.Logger(&buf).Info("telegram paused", "retry_in", 500*time.Millisecond)
	if !strings.Contains(buf.String(), "retry_in=500ms") {
		t.Errorf("text line: %s", buf.String())
	}
}
