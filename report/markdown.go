package report

import (
	"bytes"
	"kindling/internal/oneline"
	"strings"
)

// writeQuote writes a client's words verbatim as a blockquote. Every line,
// blank ones included, starts with ">", so no line of theirs can start a
// heading, fence, list or rule outside the quote, and the quote cannot end
// early. Two trailing spaces on a line followed by another keep their line
// breaks when the Markdown is rendered; they are invisible in plain text.
func writeQuote(b *bytes.Buffer, s string) {
	lines := strings.Split(strings.TrimRight(normalizeNewlines(s), "\n"), "\n")
	for i, line := range lines {
		if line == "" {
			b.WriteString(">\n")
			continue
		}
		b.WriteString("> ")
		b.WriteString(line)
		if i+1 < len(lines) && lines[i+1] != "" {
			b.WriteString("  ")
		}
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
}

// writeItalic writes s on a line of its own in italics, as a paragraph. It is
// used for the question as it was asked, which may quote the client (their
// intention), so it is put on one line and the characters that would end the
// emphasis or start a link, code span or HTML are escaped.
func writeItalic(b *bytes.Buffer, s string) {
	s = escapeInline(oneline.Of(s))
	if s == "" {
		return
	}
	b.WriteString("*")
	b.WriteString(s)
	b.WriteString("*\n\n")
}

// writeHeading writes an ATX heading of the given level on one line. The
// text is the package's or the sequence author's, with any client value
// already escaped.
func writeHeading(b *bytes.Buffer, level int, s string) {
	b.WriteString(strings.Repeat("#", level))
	b.WriteByte(' ')
	b.WriteString(oneline.Of(s))
	b.WriteString("\n\n")
}

// writeParagraph writes text of the sequence's author (already trusted to be
// Markdown) followed by a blank line; empty text writes nothing.
func writeParagraph(b *bytes.Buffer, s string) {
	s = strings.TrimSpace(normalizeNewlines(s))
	if s == "" {
		return
	}
	b.WriteString(s)
	b.WriteString("\n\n")
}

var inlineEscaper = strings.NewReplacer(
	`\`, `\\`, "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`, "<", `\<`, ">", `\>`,
)

// escapeInline backslash-escapes the Markdown characters that act inside a
// line. Only text that is not the client's answer goes through it.
func escapeInline(s string) string { return inlineEscaper.Replace(s) }

func normalizeNewlines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}
