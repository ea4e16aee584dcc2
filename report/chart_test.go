package report_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"reflect"
	"testing"
	"time"

	"kindling/report"
	"kindling/store"
)

// series makes a month of answers after session date, one every other day.
func series(date string, days int, phase float64) report.Series {
	s := report.Series{Label: date}
	for d := 0; d <= days; d += 2 {
		s.Points = append(s.Points, report.Point{Day: d, Value: math.Round(5 + 4*math.Sin(float64(d)/6+phase))})
	}
	return s
}

func chart(ss ...report.Series) report.Chart {
	return report.Chart{
		Title: "How connected did you feel to the people around you today?",
		Min:   0, Max: 10, Low: "not at all", High: "very much",
		Series: ss,
	}
}

// decode checks that b is a PNG of a sensible size for a phone and returns it.
func decode(t *testing.T, b []byte) image.Image {
	t.Helper()
	if len(b) >= 1<<20 {
		t.Errorf("PNG is %d bytes, want < 1 MB", len(b))
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode PNG: %v", err)
	}
	if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w < 800 || w > 1600 || h < 800 || h > 1600 {
		t.Errorf("image is %d×%d px, want 800–1600 each way", w, h)
	}
	return img
}

// colors counts the pixels of each exact color.
func colors(img image.Image) map[color.RGBA]int {
	counts := map[color.RGBA]int{}
	if rgba, ok := img.(*image.RGBA); ok { // what png.Decode gives for the chart: fast
		var last color.RGBA
		n := 0
		for i := 0; i+3 < len(rgba.Pix); i += 4 {
			c := color.RGBA{rgba.Pix[i], rgba.Pix[i+1], rgba.Pix[i+2], rgba.Pix[i+3]}
			if c != last {
				counts[last] += n
				last, n = c, 0
			}
			n++
		}
		counts[last] += n
		delete(counts, color.RGBA{})
		return counts
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			counts[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), uint8(a >> 8)}]++
		}
	}
	return counts
}

// The colors ProgressChart gives the latest four sessions, latest first.
var seriesColors = []color.RGBA{
	{0x00, 0x72, 0xB2, 0xff}, {0xD5, 0x5E, 0x00, 0xff}, {0x00, 0x9E, 0x73, 0xff}, {0xCC, 0x79, 0xA7, 0xff},
}

func TestProgressChart(t *testing.T) {
	tests := []struct {
		name       string
		chart      report.Chart
		wantColors int // how many series colors must show
	}{
		{"one series", chart(series("2025-03-02", 30, 0)), 1},
		{"two points", chart(report.Series{Label: "2025-03-02", Points: []report.Point{{0, 3}, {1, 4}}}), 1},
		{"four series", chart(series("2024-11-20", 30, 2), series("2025-01-10", 30, 0), series("2025-02-02", 30, 1), series("2025-03-02", 12, 3)), 4},
		{"six series keep the latest four", chart(series("2024-01-01", 30, 0), series("2024-03-01", 30, 1), series("2024-05-01", 30, 2),
			series("2024-07-01", 30, 3), series("2024-09-01", 30, 4), series("2024-11-01", 30, 5)), 4},
		{"days past 30", chart(series("2025-01-10", 75, 0), series("2025-03-02", 40, 1)), 2},
		{"min equals max", report.Chart{Title: "Energy", Min: 5, Max: 5, Series: []report.Series{series("2025-03-02", 10, 0)}}, 1},
		{"no scale and one value", report.Chart{Title: "Energy", Series: []report.Series{{Label: "x", Points: []report.Point{{0, 4}, {3, 4}}}}}, 1},
		{"answers outside the scale", report.Chart{Title: "Energy", Min: 1, Max: 5, Series: []report.Series{{Label: "x", Points: []report.Point{{0, -2}, {3, 9}}}}}, 1},
		{"long title with emoji", report.Chart{
			Title: "🌱 When you think back over the whole of today, from waking to now, how much room did you find for the feelings that came up, even the hard ones, without pushing them away? 🌱",
			Min:   1, Max: 7, Low: "hardly any room at all, it all felt like too much", High: "all the room they needed",
			Series: []report.Series{series("2025-03-02", 30, 0)},
		}, 1},
		{"spanish", report.Chart{Title: "¿Cómo dormiste?", Min: 0, Max: 10, Lang: "es", Series: []report.Series{series("2025-03-02", 30, 0)}}, 1},
		{"scale 0 to 100", report.Chart{Title: "Calm", Min: 0, Max: 100, Series: []report.Series{{Label: "x", Points: []report.Point{{0, 10}, {5, 95}}}}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := report.ProgressChart(tt.chart)
			if err != nil {
				t.Fatalf("ProgressChart: %v", err)
			}
			img := decode(t, b)
			counts := colors(img)
			if len(counts) < 16 {
				t.Errorf("image has %d distinct colors, want a drawing", len(counts))
			}
			total := img.Bounds().Dx() * img.Bounds().Dy()
			if ink := total - counts[color.RGBA{0xff, 0xff, 0xff, 0xff}]; ink < total/50 {
				t.Errorf("only %d of %d pixels are not background", ink, total)
			}
			for i, c := range seriesColors[:tt.wantColors] {
				if counts[c] < 200 {
					t.Errorf("series color %d (%v) covers %d pixels, want a line", i, c, counts[c])
				}
			}
			for _, c := range seriesColors[tt.wantColors:] {
				if counts[c] > 0 {
					t.Errorf("color %v drawn with only %d series", c, tt.wantColors)
				}
			}
		})
	}
}

func TestProgressChartTooFewPoints(t *testing.T) {
	tests := []struct {
		name  string
		chart report.Chart
	}{
		{"no series", chart()},
		{"empty series", chart(report.Series{Label: "2025-03-02"})},
		{"one point", chart(report.Series{Label: "2025-03-02", Points: []report.Point{{1, 5}}})},
		{"one finite point", chart(report.Series{Label: "2025-03-02", Points: []report.Point{{1, 5}, {2, math.NaN()}, {3, math.Inf(1)}}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := report.ProgressChart(tt.chart)
			if !errors.Is(err, report.ErrTooFewPoints) {
				t.Fatalf("ProgressChart: err = %v, want ErrTooFewPoints", err)
			}
			if b != nil {
				t.Errorf("got %d bytes with the error", len(b))
			}
		})
	}
}

func intp(v int) *int { return &v }

func TestChartsFrom(t *testing.T) {
	at := func(day, hour int) time.Time { return time.Date(2025, 3, 2+day, hour, 0, 0, 0, time.UTC) }
	scale := func(id int, q, session string, day, hour, v int) store.Reply {
		return store.Reply{ID: uint64(id), ChatID: 42, At: at(day, hour), Day: day, SessionDate: session,
			QuestionID: q, Question: q + " as asked", Kind: "scale", Answer: "?", Value: intp(v)}
	}
	replies := []store.Reply{
		scale(9, "sleep", "2025-03-02", 2, 9, 6),
		scale(1, "mood", "2025-03-02", 1, 9, 4),
		scale(2, "mood", "2025-03-02", 0, 9, 3),
		scale(3, "mood", "2025-01-10", 3, 9, 8),  // dated in January below
		scale(4, "mood", "2025-03-02", 1, 20, 5), // later the same day: counts
		{ID: 5, ChatID: 42, At: at(0, 10), Day: 0, SessionDate: "2025-03-02", QuestionID: "word", Kind: "text", Answer: "calm"},
		scale(6, "mood", "", 4, 9, 1), // no session: left out
		scale(7, "energy", "2025-03-02", 0, 8, 2),
		scale(8, "energy", "2025-03-02", 5, 8, 9),
	}
	replies[0].Question = "How did you sleep, asked on day 2?"
	replies[3].At = time.Date(2025, 1, 13, 9, 0, 0, 0, time.UTC)
	scales := map[string]report.ScaleInfo{
		"mood":   {Title: "How is your mood?", Min: 0, Max: 10, Low: "low", High: "high"},
		"energy": {Min: 1, Max: 5},
	}
	deliveries := []store.Delivery{
		{ChatID: 42, SessionDate: "2025-03-02", Day: 0, Questions: []string{"mood", "energy"}},
		{ChatID: 42, SessionDate: "2025-03-02", Day: 1, Questions: []string{"mood"}},
		{ChatID: 42, SessionDate: "2025-03-02", Day: 3, Questions: []string{"mood", "energy"}}, // energy left unanswered
		{ChatID: 42, SessionDate: "2025-03-02", Day: 5, Questions: []string{"energy", "word"}},
	}
	got := report.ChartsFrom(replies, deliveries, scales)
	want := []report.Chart{
		{Title: "How is your mood?", Min: 0, Max: 10, Low: "low", High: "high", Series: []report.Series{
			{Label: "2025-01-10", Points: []report.Point{{3, 8}}},
			{Label: "2025-03-02", Points: []report.Point{{0, 3}, {1, 5}}, Asked: []int{0, 1, 3}},
		}},
		{Title: "", Min: 1, Max: 5, Series: []report.Series{
			{Label: "2025-03-02", Points: []report.Point{{0, 2}, {5, 9}}, Asked: []int{0, 3, 5}},
		}},
		{Title: "", Min: 6, Max: 6, Series: []report.Series{
			{Label: "2025-03-02", Points: []report.Point{{2, 6}}},
		}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ChartsFrom:\n got %+v\nwant %+v", got, want)
	}

	// The order does not depend on the order of the replies.
	reversed := make([]store.Reply, len(replies))
	for i, r := range replies {
		reversed[len(replies)-1-i] = r
	}
	if again := report.ChartsFrom(reversed, deliveries, scales); !reflect.DeepEqual(again, got) {
		t.Errorf("ChartsFrom of reversed replies:\n got %+v\nwant %+v", again, got)
	}

	if got := report.ChartsFrom(nil, deliveries, scales); len(got) != 0 {
		t.Errorf("ChartsFrom(nil) = %+v, want none", got)
	}
}

// BenchmarkProgressChart renders three sessions of thirty days.
func BenchmarkProgressChart(b *testing.B) {
	c := chart(series("2025-01-10", 30, 0), series("2025-02-02", 30, 1), series("2025-03-02", 30, 2))
	for i := range c.Series {
		c.Series[i].Points = nil
		for d := 0; d <= 30; d++ {
			c.Series[i].Points = append(c.Series[i].Points, report.Point{Day: d, Value: float64((d*7 + i*3) % 11)})
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := report.ProgressChart(c); err != nil {
			b.Fatal(err)
		}
	}
}

// The bot may draw charts for several clients at once.
func TestProgressChartConcurrent(t *testing.T) {
	c := chart(series("2025-02-02", 30, 1), series("2025-03-02", 30, 2))
	want, err := report.ProgressChart(c)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			got, err := report.ProgressChart(c)
			if err == nil && !bytes.Equal(got, want) {
				err = errors.New("chart differs between runs")
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
