package web

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"

	"kindling/report"
)

// The charts are drawn as inline SVG with presentation attributes only:
// the Content-Security-Policy allows no inline style, and none is needed.

// moodPoint is one mood answer, Day days after the line's first day.
type moodPoint struct{ Day, Value int }

// moodLine draws the last 30 days of mood answers as a small line, and
// says the same in words. No answers: no line.
func moodLine(pts []moodPoint, lo, hi int, wd words) (template.HTML, string) {
	if len(pts) == 0 {
		return "", wd.T("no mood answers in 30 days")
	}
	if hi <= lo {
		hi = lo + 1
	}
	const w, h, pad = 150.0, 36.0, 4.0
	x := func(day int) float64 { return pad + float64(day)*(w-2*pad)/29 }
	y := func(v int) float64 {
		v = max(lo, min(hi, v))
		return pad + float64(hi-v)*(h-2*pad)/float64(hi-lo)
	}
	var b strings.Builder
	least, most := pts[0].Value, pts[0].Value
	for _, p := range pts {
		least, most = min(least, p.Value), max(most, p.Value)
	}
	last := pts[len(pts)-1]
	format := "%d mood answers in 30 days, from %d to %d; latest %d (scale %d to %d)"
	if len(pts) == 1 {
		format = "%d mood answer in 30 days, from %d to %d; latest %d (scale %d to %d)"
	}
	words := wd.F(format, len(pts), least, most, last.Value, lo, hi)
	fmt.Fprintf(&b, `<svg class="spark" viewBox="0 0 %g %g" width="%g" height="%g" role="img" aria-label="%s">`,
		w, h, w, h, template.HTMLEscapeString(words))
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#d9d4cc" stroke-width="1"/>`, pad, h-pad, w-pad, h-pad)
	if len(pts) > 1 {
		b.WriteString(`<polyline fill="none" stroke="#2f6b5a" stroke-width="2" stroke-linejoin="round" points="`)
		num := make([]byte, 0, 16)
		for i, p := range pts { // 30 points for each of hundreds of clients: no fmt here
			if i > 0 {
				b.WriteByte(' ')
			}
			num = strconv.AppendFloat(num[:0], x(p.Day), 'f', 1, 64)
			num = append(num, ',')
			num = strconv.AppendFloat(num, y(p.Value), 'f', 1, 64)
			b.Write(num)
		}
		b.WriteString(`"/>`)
	}
	fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="#2f6b5a"/></svg>`, x(last.Day), y(last.Value))
	return template.HTML(b.String()), words
}

// palette colours a chart's series, oldest first; the latest session is
// the darkest. Each has a contrast of at least 3:1 on the page.
var palette = []string{"#9a8f80", "#b0662f", "#6d5a9c", "#2f6b5a"}

// chartView is one scale question's chart, ready for the page.
type chartView struct {
	Title  string
	SVG    template.HTML
	Legend []legendItem
	Rows   []chartRow // the same values as a table
}

type legendItem struct{ Label, Colour string }

type chartRow struct {
	Session string
	Values  string // "day 1: 6, day 2: 7, ..."
}

// drawChart draws a report.Chart: one line per session, from day 0, on
// the question's scale.
func drawChart(c report.Chart, wd words) chartView {
	series := c.Series
	if len(series) > report.MaxSeries {
		series = series[len(series)-report.MaxSeries:]
	}
	lo, hi := c.Min, c.Max
	maxDay := 1
	for _, s := range series {
		for _, p := range s.Points {
			maxDay = max(maxDay, p.Day)
			if hi <= lo {
				lo, hi = min(lo, int(p.Value)), max(hi, int(p.Value))
			}
		}
	}
	if hi <= lo {
		hi = lo + 1
	}
	const w, h, left, right, top, bottom = 480.0, 230.0, 34.0, 12.0, 12.0, 48.0
	x := func(day int) float64 { return left + float64(day)*(w-left-right)/float64(maxDay) }
	y := func(v float64) float64 { return top + (float64(hi)-v)*(h-top-bottom)/float64(hi-lo) }
	title := c.Title
	if title == "" {
		title = wd.T("Answers on a scale")
	}
	v := chartView{Title: title}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %g %g" role="img" aria-label="%s">`, w, h,
		template.HTMLEscapeString(wd.F(chartLabel(len(series)), title, len(series), maxDay, lo, hi)))
	// Grid: the scale's ends and middle, and every week.
	for _, val := range []int{lo, (lo + hi) / 2, hi} {
		fmt.Fprintf(&b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#e4dfd7" stroke-width="1"/>`, left, y(float64(val)), w-right, y(float64(val)))
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" font-size="14" fill="#4a443c" text-anchor="end">%d</text>`, left-6, y(float64(val))+4, val)
	}
	step := 7
	switch {
	case maxDay <= 7:
		step = 1
	case maxDay <= 14:
		step = 2
	}
	for d := 0; d <= maxDay; d += step {
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" font-size="14" fill="#4a443c" text-anchor="middle">%d</text>`, x(d), h-bottom+20, d)
	}
	fmt.Fprintf(&b, `<text x="%g" y="%g" font-size="14" fill="#4a443c" text-anchor="end">%s</text>`, w-right, h-6, template.HTMLEscapeString(wd.T("days since the session")))
	for i, s := range series {
		colour := palette[len(palette)-len(series)+i]
		label := sessionLabel(s.Label, wd)
		v.Legend = append(v.Legend, legendItem{Label: label, Colour: colour})
		var vals []string
		for _, seg := range s.Segments() {
			if len(seg) > 1 {
				fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2.5" stroke-linejoin="round" points="`, colour)
				for k, p := range seg {
					if k > 0 {
						b.WriteByte(' ')
					}
					fmt.Fprintf(&b, "%.1f,%.1f", x(p.Day), y(p.Value))
				}
				b.WriteString(`"/>`)
			}
			for _, p := range seg {
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"/>`, x(p.Day), y(p.Value), colour)
				vals = append(vals, wd.F("day %d: %s", p.Day, strconv.FormatFloat(p.Value, 'f', -1, 64)))
			}
		}
		v.Rows = append(v.Rows, chartRow{Session: label, Values: strings.Join(vals, ", ")})
	}
	b.WriteString(`</svg>`)
	v.SVG = template.HTML(b.String())
	return v
}

// chartLabel is the format of a chart's label for screen readers.
func chartLabel(sessions int) string {
	if sessions == 1 {
		return "%s: %d session, days 0 to %d, scale %d to %d; the values are in the table below"
	}
	return "%s: %d sessions, days 0 to %d, scale %d to %d; the values are in the table below"
}

// sessionLabel writes a series' session date as "session of 2 Mar 2026".
func sessionLabel(date string, w words) string {
	if _, err := parseDate(date); err == nil {
		return w.F("session of %s", w.DateOf(date))
	}
	return date
}
