package report

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"

	"codeberg.org/go-fonts/liberation/liberationsansbold"
	"codeberg.org/go-fonts/liberation/liberationserifbold"
	"codeberg.org/go-fonts/liberation/liberationserifitalic"
	"codeberg.org/go-fonts/liberation/liberationserifregular"
	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/text/unicode/norm"

	"kindling/internal/oneline"
	"kindling/store"
)

// The letter's page: A5 portrait reads well on a phone held upright and
// prints on half a sheet. Lengths are in millimetres, type sizes in points.
const (
	pageMargin   = 16.0
	pageTop      = 18.0
	pageBottom   = 18.0
	answerIndent = 5.0
)

// The letter's colours: dark ink, a softer grey for what kindling asked,
// and one warm accent for headings and the bar beside the client's words.
var (
	inkColor    = [3]int{34, 34, 34}
	askedColor  = [3]int{96, 96, 96}
	accentColor = [3]int{150, 78, 46}
)

// LetterPDF sets the same letter as Letter (the same words, in the same
// order) as a PDF made for a phone screen: an A5 page, a serif type large
// enough to read without zooming, each day under its heading, each
// question as it was asked in grey italics and the client's words in
// full beneath it.
//
// The fonts are Liberation Serif and Sans, embedded (only the characters
// used), which draw Latin, Greek and Cyrillic scripts. A character they
// have no glyph for (an emoji, a CJK or Arabic character) is never drawn
// as an empty box: each run of them becomes "[…]", and a short note under
// that answer says the words are kept whole in the client's data files.
func LetterPDF(frame LetterFrame, lang, name string, session store.Session, replies []store.Reply) ([]byte, error) {
	l := newLetter(frame, lang, name, session, replies)
	w := wordsFor(lang)
	fill := strings.NewReplacer("{name}", oneline.Of(name), "{intention}", oneline.Of(session.Intention))

	p := fpdf.New("P", "mm", "A5", "")
	p.SetMargins(pageMargin, pageTop, pageMargin)
	p.SetAutoPageBreak(true, pageBottom)
	p.AddUTF8FontFromBytes("serif", "", liberationserifregular.TTF)
	p.AddUTF8FontFromBytes("serif", "I", liberationserifitalic.TTF)
	p.AddUTF8FontFromBytes("serif", "B", liberationserifbold.TTF)
	p.AddUTF8FontFromBytes("sans", "B", liberationsansbold.TTF)
	title := fill.Replace(l.frame.Title)
	shownTitle, _ := printable(title)
	p.SetTitle(shownTitle, true)
	p.SetCreator("kindling", false)
	p.SetCatalogSort(true) // the same letter gives the same bytes
	p.SetLang(lang)
	stamp := l.latest
	if stamp.IsZero() {
		stamp = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	p.SetCreationDate(stamp)
	p.SetModificationDate(stamp)
	p.AliasNbPages("{nb}")
	p.SetFooterFunc(func() {
		p.SetY(-pageBottom + 6)
		p.SetFont("serif", "", 8.5)
		setColor(p, askedColor)
		p.CellFormat(0, 5, fmt.Sprintf(w.page, p.PageNo(), "{nb}"), "", 0, "C", false, 0, "")
	})
	p.AddPage()

	s := pdfSetter{p: p, w: w}
	s.text("sans", "B", 19, 8.5, accentColor, title)
	if l.dated != "" {
		p.Ln(1)
		s.text("serif", "I", 11, 5.5, askedColor, l.dated)
	}
	p.Ln(4)
	s.paragraph(fill.Replace(l.frame.Opening))
	if l.intentionLabel != "" {
		s.entry(l.intentionLabel, session.Intention)
	}
	for _, d := range l.days {
		s.dayHeading(fill.Replace(d.heading))
		for _, e := range d.entries {
			s.entry(e.asked, e.answer)
		}
	}
	if closing := fill.Replace(l.frame.Closing); strings.TrimSpace(closing) != "" {
		p.Ln(4)
		s.rule()
		p.Ln(3)
		s.text("serif", "I", 11.5, 6, inkColor, closing)
	}

	var out bytes.Buffer
	if err := p.Output(&out); err != nil {
		return nil, fmt.Errorf("letter pdf: %w", err)
	}
	return out.Bytes(), nil
}

// LetterFileName is the name the client sees for their letter, in their
// language: "your-month-2025-03-02.pdf" or "tu-mes-2025-03-02.pdf".
func LetterFileName(lang, sessionDate string) string {
	return wordsFor(lang).letterFile + "-" + sessionDate + ".pdf"
}

// pdfSetter writes the letter's blocks onto the page, one below the other.
type pdfSetter struct {
	p *fpdf.Fpdf
	w words
}

func setColor(p *fpdf.Fpdf, c [3]int) { p.SetTextColor(c[0], c[1], c[2]) }

// text writes s as a wrapped paragraph across the page's width.
func (s pdfSetter) text(family, style string, size, lineHeight float64, c [3]int, txt string) {
	s.p.SetFont(family, style, size)
	setColor(s.p, c)
	shown, _ := printable(strings.TrimSpace(normalizeNewlines(txt)))
	s.p.MultiCell(0, lineHeight, shown, "", "L", false)
}

func (s pdfSetter) paragraph(txt string) {
	if strings.TrimSpace(txt) == "" {
		return
	}
	s.text("serif", "", 11.5, 6, inkColor, txt)
	s.p.Ln(2)
}

// dayHeading starts a day: a little air, the heading, a thin rule. A
// heading never stands alone at the foot of a page.
func (s pdfSetter) dayHeading(txt string) {
	_, pageH := s.p.GetPageSize()
	if s.p.GetY() > pageH-pageBottom-30 {
		s.p.AddPage()
	} else {
		s.p.Ln(5)
	}
	s.text("sans", "B", 13.5, 7, accentColor, txt)
	s.rule()
	s.p.Ln(2.5)
}

func (s pdfSetter) rule() {
	pageW, _ := s.p.GetPageSize()
	y := s.p.GetY()
	s.p.SetDrawColor(accentColor[0], accentColor[1], accentColor[2])
	s.p.SetLineWidth(0.25)
	s.p.Line(pageMargin, y, pageW-pageMargin, y)
}

// entry writes what was asked and, indented with a bar beside it, the
// client's words exactly as they wrote them.
func (s pdfSetter) entry(asked, answer string) {
	if strings.TrimSpace(asked) != "" {
		s.text("serif", "I", 10.5, 5.2, askedColor, oneline.Of(asked))
		s.p.Ln(0.8)
	}
	shown, lost := printable(strings.TrimRight(normalizeNewlines(answer), "\n"))
	s.p.SetFont("serif", "", 12)
	setColor(s.p, inkColor)
	page, top := s.p.PageNo(), s.p.GetY()
	s.p.SetLeftMargin(pageMargin + answerIndent)
	s.p.SetX(pageMargin + answerIndent)
	s.p.MultiCell(0, 6.2, shown, "", "L", false)
	if lost {
		s.p.SetFont("serif", "I", 9)
		setColor(s.p, askedColor)
		s.p.MultiCell(0, 4.6, s.w.notShown, "", "L", false)
	}
	s.p.SetLeftMargin(pageMargin)
	s.p.SetX(pageMargin)
	// The bar runs beside the words on the page where they end; an answer
	// that began on an earlier page has its bar from the top of this one.
	if s.p.PageNo() != page {
		top = pageTop
	}
	s.p.SetDrawColor(accentColor[0], accentColor[1], accentColor[2])
	s.p.SetLineWidth(0.7)
	s.p.Line(pageMargin+1, top+0.8, pageMargin+1, s.p.GetY()-0.8)
	s.p.Ln(3.5)
}

// coverage is the set of characters the letter's fonts can draw, read
// once from the embedded regular serif (the other faces cover the same).
var coverage = sync.OnceValue(func() func(rune) bool {
	f, err := sfnt.Parse(liberationserifregular.TTF)
	if err != nil {
		return func(r rune) bool { return r < 0x80 }
	}
	var buf sfnt.Buffer
	var mu sync.Mutex
	return func(r rune) bool {
		mu.Lock()
		defer mu.Unlock()
		i, err := f.GlyphIndex(&buf, r)
		return err == nil && i != 0
	}
})

// printable prepares text for the letter's fonts: composed accents (so
// "e" and a combining acute become one "é"), tabs as spaces, and each run
// of characters the fonts cannot draw replaced by "[…]", with the
// invisible joiners and variation selectors that belong to such a run
// (as in most emoji). It reports whether anything was replaced.
func printable(s string) (string, bool) {
	s = norm.NFC.String(s)
	can := coverage()
	var b strings.Builder
	lost, inRun := false, false
	for _, r := range s {
		switch {
		case r == '\n':
			inRun = false
			b.WriteRune(r)
		case r == '\t':
			inRun = false
			b.WriteString("    ")
		case invisible(r):
			// Part of the run it sits in; dropped where it stands alone.
		case unicode.IsSpace(r):
			inRun = false
			b.WriteByte(' ')
		case can(r):
			inRun = false
			b.WriteRune(r)
		default:
			if !inRun {
				b.WriteString("[…]")
				lost, inRun = true, true
			}
		}
	}
	return b.String(), lost
}

// invisible is a character drawn as nothing: a joiner, a variation
// selector, a format mark, or a control character.
func invisible(r rune) bool {
	return r == '\u200d' || r == '\u200c' || (r >= '\ufe00' && r <= '\ufe0f') ||
		(r >= 0xe0100 && r <= 0xe01ef) || unicode.Is(unicode.Cf, r) || unicode.IsControl(r)
}
