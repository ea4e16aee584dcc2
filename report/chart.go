package report

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"slices"
	"strconv"
	"strings"

	xfont "golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"kindling/internal/oneline"
	"kindling/store"
)

// ErrTooFewPoints is returned by ProgressChart when its chart has fewer than
// two points in all: one answer is not a progress line, so the bot sends a
// short text saying when the chart will appear instead.
var ErrTooFewPoints = errors.New("report: fewer than two points to chart")

// MaxSeries is how many sessions one chart shows. More lines are unreadable
// on a phone, so ProgressChart keeps the last MaxSeries series of a Chart:
// the latest sessions, since ChartsFrom orders series oldest first.
const MaxSeries = 4

// Point is one answer on a scale: its value on the day since the session.
type Point struct {
	Day   int
	Value float64
}

// Series is the answers to one question after one session.
type Series struct {
	// Label is what the legend shows. A session date written "2006-01-02",
	// as ChartsFrom sets it, is shown as "Session of 2 Mar" in the chart's
	// language; any other label is shown as it is.
	Label  string
	Points []Point
	// Asked is the days this question was asked after this session, in
	// any order. A line joins two answers only when the question was not
	// asked, and left unanswered, on a day between them: a day without an
	// answer is a gap, not a line drawn across it. Nil means the days are
	// not known, and only answers on consecutive days are joined.
	Asked []int
}

// Chart is one scale question's answers, one series per session, overlaid
// from day 0.
type Chart struct {
	Title     string // what the question measures; empty: a neutral title
	Min, Max  int    // the scale; when Max <= Min the data's range is used
	Low, High string // what Min and Max mean, either may be empty
	Series    []Series
	// Lang is the language of the words the chart adds ("en" or "es");
	// anything else is English.
	Lang string
}

// ScaleInfo describes a scale question as the sequence defines it.
type ScaleInfo struct {
	Title     string // what the question measures; empty: a neutral title; empty: the text as last asked
	Min, Max  int
	Low, High string
}

// ChartsFrom groups the scale answers among replies (those with a Value) into
// one Chart per question id, taking title and scale from scales. Charts come
// in the order their questions were first answered (ties by question id),
// series by session date, oldest first, labelled with that date; points by
// day. When a question was answered twice on one day of a session, the later
// answer counts. Each series' Asked days come from deliveries, the steps the
// client was given. A question missing from scales is charted over the range
// of its answers, with a neutral title (the wording of one day, such as "this
// evening", would mislabel the month). Answers without a session date cannot
// be placed on a day since a session and are left out. A chart with a single
// point is still returned: ProgressChart decides.
func ChartsFrom(replies []store.Reply, deliveries []store.Delivery, scales map[string]ScaleInfo) []Chart {
	type key struct{ question, session string }
	latest := map[key]map[int]store.Reply{}
	first := map[string]store.Reply{} // question id -> first answer
	for _, r := range replies {
		if r.Value == nil || r.QuestionID == "" || r.SessionDate == "" {
			continue
		}
		k := key{r.QuestionID, r.SessionDate}
		days := latest[k]
		if days == nil {
			days = map[int]store.Reply{}
			latest[k] = days
		}
		if prev, ok := days[r.Day]; !ok || replyLess(prev, r) {
			days[r.Day] = r
		}
		if f, ok := first[r.QuestionID]; !ok || replyLess(r, f) {
			first[r.QuestionID] = r
		}
	}

	questions := make([]string, 0, len(first))
	for q := range first {
		questions = append(questions, q)
	}
	slices.SortFunc(questions, func(a, b string) int {
		if c := replyCompare(first[a], first[b]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})

	sessions := map[string][]string{}
	for k := range latest {
		sessions[k.question] = append(sessions[k.question], k.session)
	}

	charts := make([]Chart, 0, len(questions))
	for _, q := range questions {
		info, known := scales[q]
		c := Chart{Title: info.Title, Min: info.Min, Max: info.Max, Low: info.Low, High: info.High}
		lo, hi := math.MaxInt, math.MinInt
		dates := sessions[q]
		slices.Sort(dates)
		for _, date := range dates {
			days := latest[key{q, date}]
			s := Series{Label: date, Points: make([]Point, 0, len(days)), Asked: askedDays(deliveries, q, date)}
			for day, r := range days {
				s.Points = append(s.Points, Point{Day: day, Value: float64(*r.Value)})
				lo, hi = min(lo, *r.Value), max(hi, *r.Value)
			}
			slices.SortFunc(s.Points, func(a, b Point) int { return cmp.Compare(a.Day, b.Day) })
			c.Series = append(c.Series, s)
		}
		if !known {
			c.Min, c.Max = lo, hi
		}
		charts = append(charts, c)
	}
	return charts
}

// askedDays are the days after session that question was among a step's
// questions; nil when deliveries say nothing of that session.
func askedDays(deliveries []store.Delivery, question, session string) []int {
	var days []int
	for _, d := range deliveries {
		if d.SessionDate == session && slices.Contains(d.Questions, question) && !slices.Contains(days, d.Day) {
			days = append(days, d.Day)
		}
	}
	slices.Sort(days)
	return days
}

// segments splits a series' points, sorted by day, into the runs a line
// may join (see Series.Asked).
func segments(s Series) [][]Point {
	var out [][]Point
	for i, pt := range s.Points {
		if i == 0 || !joined(s, s.Points[i-1].Day, pt.Day) {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], pt)
	}
	return out
}

// joined reports whether a line may run from an answer on day a to the
// next answer, on day b.
func joined(s Series, a, b int) bool {
	if s.Asked == nil {
		return b == a+1
	}
	for _, d := range s.Asked {
		if d > a && d < b {
			return false
		}
	}
	return true
}

// replyCompare orders replies by time, then by id.
func replyCompare(a, b store.Reply) int {
	if c := a.At.Compare(b.At); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

func replyLess(a, b store.Reply) bool { return replyCompare(a, b) < 0 }

// The chart is drawn at 72 dpi, so one vg point is one pixel.
const (
	chartWidth  = 1080
	chartHeight = 1080
	chartDPI    = 72
	margin      = 44
	legendRow   = 52
)

// seriesStyle is how one series is told apart: color (Okabe–Ito, safe for
// color-blind readers), dash pattern and glyph, so no one cue is needed.
type seriesStyle struct {
	color  color.Color
	dashes []vg.Length
	glyph  draw.GlyphDrawer
}

// styles go from the latest session to the oldest.
var styles = [MaxSeries]seriesStyle{
	{rgb(0x0072B2), nil, draw.CircleGlyph{}},
	{rgb(0xD55E00), []vg.Length{26, 12}, draw.BoxGlyph{}},
	{rgb(0x009E73), []vg.Length{6, 10}, draw.PyramidGlyph{}},
	{rgb(0xCC79A7), []vg.Length{26, 9, 6, 9}, diamondGlyph{}},
}

func rgb(v uint32) color.RGBA {
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 0xff}
}

var (
	ink      = rgb(0x222222)
	softInk  = rgb(0x555555)
	gridInk  = rgb(0xDDDDDD)
	sans     = font.Font{Typeface: "Liberation", Variant: "Sans"}
	sansBold = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: xfont.WeightBold}
)

// ProgressChart draws c as a 1080×1080 PNG meant to be read on a phone: the
// question as a title (wrapped, at most three lines), what the ends of the
// scale mean, the last MaxSeries series as lines with points over "day since
// session" from 0 to at least 30, and a legend under the chart. Points that
// are not finite numbers are left out. It returns ErrTooFewPoints when fewer
// than two points remain.
func ProgressChart(c Chart) ([]byte, error) {
	series := chartSeries(c.Series)
	points := 0
	for _, s := range series {
		points += len(s.Points)
	}
	if points < 2 {
		return nil, ErrTooFewPoints
	}
	w := wordsFor(c.Lang)

	img := vgimg.NewWith(vgimg.UseWH(chartWidth, chartHeight), vgimg.UseDPI(chartDPI))
	dc := draw.New(img)

	// Header: the question, then what the ends of the scale mean.
	top := vg.Length(chartHeight - margin)
	width := vg.Length(chartWidth - 2*margin)
	title := textStyle(sansBold, 46, ink)
	heading := c.Title
	if strings.TrimSpace(heading) == "" {
		heading = w.chartTitle
	}
	for _, line := range wrap(title, drawable(title.Font, heading), width, 3) {
		dc.FillText(title, vg.Point{X: margin, Y: top}, line)
		top -= 56
	}
	sub := textStyle(sans, 32, softInk)
	if ends := scaleEnds(c, sub, width); len(ends) > 0 {
		top -= 6
		for _, line := range ends {
			dc.FillText(sub, vg.Point{X: margin, Y: top}, line)
			top -= 40
		}
	}

	// Footer: the legend, two entries to a row.
	rows := (len(series) + 1) / 2
	bottom := vg.Length(margin/2 + rows*legendRow)
	drawLegend(dc, series, c.Lang, bottom)

	p, err := newPlot(c, series, w)
	if err != nil {
		return nil, err
	}
	p.Draw(draw.Canvas{Canvas: img, Rectangle: vg.Rectangle{
		Min: vg.Point{X: margin / 2, Y: bottom + 20},
		Max: vg.Point{X: chartWidth - margin, Y: top - 12},
	}})

	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img.Image()); err != nil {
		return nil, fmt.Errorf("encode chart: %w", err)
	}
	return buf.Bytes(), nil
}

// chartSeries returns the last MaxSeries series that have finite points,
// each with its points sorted by day.
func chartSeries(all []Series) []Series {
	var kept []Series
	for _, s := range all {
		pts := make([]Point, 0, len(s.Points))
		for _, p := range s.Points {
			if !math.IsNaN(p.Value) && !math.IsInf(p.Value, 0) {
				pts = append(pts, p)
			}
		}
		if len(pts) == 0 {
			continue
		}
		slices.SortStableFunc(pts, func(a, b Point) int { return cmp.Compare(a.Day, b.Day) })
		kept = append(kept, Series{Label: s.Label, Points: pts, Asked: s.Asked})
	}
	if len(kept) > MaxSeries {
		kept = kept[len(kept)-MaxSeries:]
	}
	return kept
}

// styleOf gives the latest series the first style.
func styleOf(i, n int) seriesStyle { return styles[n-1-i] }

func newPlot(c Chart, series []Series, w words) (*plot.Plot, error) {
	p := plot.New()
	p.X.Label.Text = w.dayAxis
	p.X.Label.TextStyle = textStyle(sans, 34, ink)
	p.X.Label.TextStyle.XAlign = draw.XCenter
	p.X.Label.TextStyle.YAlign = draw.YBottom
	p.X.Label.Padding = 6
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Tick.Label = textStyle(sans, 32, ink)
		a.LineStyle = draw.LineStyle{Color: softInk, Width: 2}
		a.Tick.LineStyle = draw.LineStyle{Color: softInk, Width: 2}
		a.Tick.Length = 10
		a.Padding = 8
	}
	p.X.Tick.Label.XAlign = draw.XCenter
	p.Y.Tick.Label.XAlign = draw.XRight
	p.Y.Tick.Label.YAlign = draw.YCenter

	grid := plotter.NewGrid()
	grid.Vertical = draw.LineStyle{Color: gridInk, Width: 2}
	grid.Horizontal = grid.Vertical
	p.Add(grid)

	minDay, maxDay := 0, 30
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, s := range series {
		st := styleOf(i, len(series))
		xys := make(plotter.XYs, len(s.Points))
		for j, pt := range s.Points {
			xys[j] = plotter.XY{X: float64(pt.Day), Y: pt.Value}
			minDay, maxDay = min(minDay, pt.Day), max(maxDay, pt.Day)
			lo, hi = math.Min(lo, pt.Value), math.Max(hi, pt.Value)
		}
		for _, run := range segments(s) {
			if len(run) < 2 {
				continue
			}
			seg := make(plotter.XYs, len(run))
			for j, pt := range run {
				seg[j] = plotter.XY{X: float64(pt.Day), Y: pt.Value}
			}
			line, err := plotter.NewLine(seg)
			if err != nil {
				return nil, fmt.Errorf("chart series %q: %w", s.Label, err)
			}
			line.LineStyle = draw.LineStyle{Color: st.color, Width: 6, Dashes: st.dashes}
			p.Add(line)
		}
		points, err := plotter.NewScatter(xys)
		if err != nil {
			return nil, fmt.Errorf("chart series %q: %w", s.Label, err)
		}
		points.GlyphStyle = draw.GlyphStyle{Color: st.color, Radius: 11, Shape: st.glyph}
		p.Add(points)
	}

	// The scale, widened to show any answer outside it; a scale of one
	// value (Min == Max) gets room around it.
	ymin, ymax := float64(c.Min), float64(c.Max)
	if c.Max <= c.Min {
		ymin, ymax = lo, hi
	} else {
		ymin, ymax = math.Min(ymin, lo), math.Max(ymax, hi)
	}
	if ymax-ymin < 1 {
		ymin, ymax = math.Floor(ymin)-1, math.Floor(ymin)+1
	}
	p.Y.Min, p.Y.Max = ymin, ymax
	p.Y.Tick.Marker = plot.ConstantTicks(scaleTicks(ymin, ymax))
	p.X.Min, p.X.Max = float64(minDay), float64(maxDay)
	p.X.Tick.Marker = plot.ConstantTicks(dayTicks(minDay, maxDay))
	return p, nil
}

// dayTicks labels every 5 days for a month, wider steps for longer spans.
func dayTicks(lo, hi int) []plot.Tick {
	step := 5
	for _, s := range []int{5, 10, 15, 30, 60, 90, 180, 365} {
		step = s
		if (hi-lo)/s <= 8 {
			break
		}
	}
	var ticks []plot.Tick
	for d := lo - lo%step; d <= hi; d += step {
		if d >= lo {
			ticks = append(ticks, plot.Tick{Value: float64(d), Label: strconv.Itoa(d)})
		}
	}
	return ticks
}

// scaleTicks labels every whole number of a short scale and always both ends.
func scaleTicks(lo, hi float64) []plot.Tick {
	step := 1.0
	for _, s := range []float64{1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000} {
		step = s
		if (hi-lo)/s <= 10 {
			break
		}
	}
	ticks := []plot.Tick{{Value: lo, Label: formatTick(lo)}}
	for v := math.Floor(lo/step)*step + step; v < hi-step/2; v += step {
		if v-lo >= step/2 {
			ticks = append(ticks, plot.Tick{Value: v, Label: formatTick(v)})
		}
	}
	return append(ticks, plot.Tick{Value: hi, Label: formatTick(hi)})
}

func formatTick(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// scaleEnds says what the ends of the scale mean, "0 = not at all · 10 =
// very much" on one line when it fits, else one line for each end; none when
// neither end has a label.
func scaleEnds(c Chart, sty text.Style, width vg.Length) []string {
	var ends []string
	if c.Low != "" {
		ends = append(ends, drawable(sty.Font, strconv.Itoa(c.Min)+" = "+c.Low))
	}
	if c.High != "" {
		ends = append(ends, drawable(sty.Font, strconv.Itoa(c.Max)+" = "+c.High))
	}
	if one := strings.Join(ends, "  ·  "); sty.Width(one) <= width {
		return []string{one}
	}
	for i, e := range ends {
		ends[i] = ellipsize(sty, e, width)
	}
	return ends
}

// drawLegend draws one entry for each of series (at least one), two to a
// row, from top down.
func drawLegend(dc draw.Canvas, series []Series, lang string, top vg.Length) {
	const thumb = 96 // the sample of line and glyph
	label := textStyle(sans, 32, ink)
	label.YAlign = draw.YCenter
	colWidth := vg.Length(chartWidth-2*margin) / 2
	latestYear := 0
	if d, ok := parseDate(series[len(series)-1].Label); ok {
		latestYear = d.Year()
	}
	for i, s := range series {
		col, row := i%2, i/2
		x := vg.Length(margin) + vg.Length(col)*colWidth
		y := top - vg.Length(row)*legendRow - legendRow/2
		st := styleOf(i, len(series))
		dc.StrokeLines(draw.LineStyle{Color: st.color, Width: 6, Dashes: st.dashes},
			[]vg.Point{{X: x, Y: y}, {X: x + thumb, Y: y}})
		dc.DrawGlyphNoClip(draw.GlyphStyle{Color: st.color, Radius: 11, Shape: st.glyph},
			vg.Point{X: x + thumb/2, Y: y})
		name := drawable(label.Font, seriesLabel(lang, s.Label, latestYear))
		dc.FillText(label, vg.Point{X: x + thumb + 16, Y: y}, ellipsize(label, name, colWidth-thumb-32))
	}
}

// seriesLabel writes a session date as "Session of 2 Mar", with the year
// only when it is not the year of the latest session.
func seriesLabel(lang, label string, latestYear int) string {
	d, ok := parseDate(label)
	if !ok {
		return oneline.Of(label)
	}
	w := wordsFor(lang)
	s := fmt.Sprintf(w.sessionOf, shortDate(lang, d))
	if d.Year() != latestYear {
		s += " " + strconv.Itoa(d.Year())
	}
	return s
}

func textStyle(f font.Font, size vg.Length, c color.Color) text.Style {
	return text.Style{
		Color:   c,
		Font:    font.From(f, size),
		XAlign:  draw.XLeft,
		YAlign:  draw.YTop,
		Handler: plot.DefaultTextHandler,
	}
}

// wrap breaks s into lines no wider than width, at most maxLines, the last
// ending in "…" when the text does not fit.
func wrap(sty text.Style, s string, width vg.Length, maxLines int) []string {
	var lines []string
	line := ""
	words := strings.Fields(s)
	for i, word := range words {
		next := word
		if line != "" {
			next = line + " " + word
		}
		if sty.Width(next) <= width || line == "" {
			line = next
			continue
		}
		if len(lines) == maxLines-1 {
			return append(lines, ellipsize(sty, strings.Join(append([]string{line}, words[i:]...), " "), width))
		}
		lines = append(lines, ellipsize(sty, line, width))
		line = word
	}
	if line != "" {
		lines = append(lines, ellipsize(sty, line, width))
	}
	return lines
}

// ellipsize cuts s to fit width, ending it with "…" when cut.
func ellipsize(sty text.Style, s string, width vg.Length) string {
	if sty.Width(s) <= width {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && sty.Width(string(r)+"…") > width {
		r = r[:len(r)-1]
	}
	return strings.TrimRight(string(r), " ,;:·-") + "…"
}

// drawable leaves out the characters f has no glyph for (emoji, most
// scripts outside Latin, Greek and Cyrillic) and puts the text on one line.
func drawable(f font.Font, s string) string {
	face := font.DefaultCache.Lookup(f, f.Size)
	var buf sfnt.Buffer
	s = oneline.Of(s)
	return strings.Map(func(r rune) rune {
		if r == ' ' {
			return r
		}
		if i, err := face.Face.GlyphIndex(&buf, r); err != nil || i == 0 {
			return -1
		}
		return r
	}, s)
}

// diamondGlyph is a filled diamond, the fourth shape after circle, square
// and triangle.
type diamondGlyph struct{}

func (diamondGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	r := sty.Radius * 1.25
	c.SetColor(sty.Color)
	var p vg.Path
	p.Move(vg.Point{X: pt.X, Y: pt.Y + r})
	p.Line(vg.Point{X: pt.X + r, Y: pt.Y})
	p.Line(vg.Point{X: pt.X, Y: pt.Y - r})
	p.Line(vg.Point{X: pt.X - r, Y: pt.Y})
	p.Close()
	c.Fill(p)
}
