package telegramtest

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// mdEntityNames are the names Telegram uses in MarkdownV2 error messages.
var mdEntityNames = map[string]string{
	"bold": "Bold", "italic": "Italic", "underline": "Underline",
	"strikethrough": "Strikethrough", "spoiler": "Spoiler", "code": "Code",
	"pre": "Pre", "text_link": "TextUrl", "custom_emoji": "CustomEmoji",
}

// parseMarkdownV2 follows Telegram's MarkdownV2: every character of
// _*[]()~`>#+-=|{}.! outside an entity must be escaped with '\', and each
// entity must be closed.
func parseMarkdownV2(src string) (string, []wireEntity, parseError) {
	p := &mdV2{src: src, lineStart: true, quoteStart: -1}
	for p.i < len(src) {
		if err := p.step(); err != "" {
			return "", nil, err
		}
	}
	p.closeQuote()
	if len(p.stack) > 0 {
		top := p.stack[len(p.stack)-1]
		return "", nil, parseError(fmt.Sprintf("Can't find end of %s entity at byte offset %d", mdEntityNames[top.typ], top.byteStart))
	}
	return p.out.b.String(), sortEntities(p.ents), ""
}

// mdReserved are the characters MarkdownV2 wants escaped outside entities.
const mdReserved = "_*[]()~`>#+-=|{}.!"

// mdOpen is an entity begun and not yet closed.
type mdOpen struct {
	typ       string
	start     int // UTF-16 offset in the output
	byteStart int // byte offset in the source, for errors
}

// mdV2 is the state of one MarkdownV2 parse: the source and where it is
// read, the text written so far, the entities still open and those done.
type mdV2 struct {
	src        string
	i          int
	out        textBuilder
	stack      []mdOpen
	ents       []wireEntity
	lineStart  bool
	quoteStart int // UTF-16 offset of the open blockquote, -1 for none
}

func (p *mdV2) inCode() bool {
	return len(p.stack) > 0 && (p.stack[len(p.stack)-1].typ == "code" || p.stack[len(p.stack)-1].typ == "pre")
}

func (p *mdV2) closeQuote() {
	if p.quoteStart >= 0 && p.out.u16 > p.quoteStart {
		p.ents = append(p.ents, wireEntity{Type: "blockquote", Offset: p.quoteStart, Length: p.out.u16 - p.quoteStart})
	}
	p.quoteStart = -1
}

// copyRune writes the rune at the read position as it is.
func (p *mdV2) copyRune() rune {
	r, n := utf8.DecodeRuneInString(p.src[p.i:])
	p.out.writeRune(r)
	p.i += n
	return r
}

// step reads one character, an escape, or an entity's mark.
func (p *mdV2) step() parseError {
	src, c := p.src, p.src[p.i]
	atLineStart := p.lineStart
	p.lineStart = false
	if c == '\\' && p.i+1 < len(src) && src[p.i+1] > 0 && src[p.i+1] <= 126 {
		p.out.writeRune(rune(src[p.i+1]))
		p.i += 2
		return ""
	}
	if c == '\n' && !p.inCode() {
		p.lineStart = true
		if p.i+1 >= len(src) || src[p.i+1] != '>' {
			p.closeQuote()
		}
	}
	if p.inCode() && c != '`' {
		p.copyRune()
		return ""
	}
	if !strings.ContainsRune(mdReserved, rune(c)) {
		if p.copyRune() == '\n' {
			p.lineStart = true
		}
		return ""
	}
	if c == '>' && atLineStart {
		if p.quoteStart < 0 {
			p.quoteStart = p.out.u16
		}
		p.i++
		return ""
	}
	if p.closesTop(c) {
		return p.closeTop()
	}
	return p.openEntity(c)
}

// closesTop tells whether the mark at the read position ends the entity
// open innermost.
func (p *mdV2) closesTop(c byte) bool {
	if len(p.stack) == 0 {
		return false
	}
	rest := p.src[p.i:]
	switch p.stack[len(p.stack)-1].typ {
	case "bold":
		return c == '*'
	case "italic":
		return c == '_' && !strings.HasPrefix(rest, "__")
	case "underline":
		return strings.HasPrefix(rest, "__")
	case "strikethrough":
		return c == '~'
	case "spoiler":
		return strings.HasPrefix(rest, "||")
	case "code":
		return c == '`'
	case "pre":
		return strings.HasPrefix(rest, "```")
	case "text_link", "custom_emoji":
		return c == ']'
	}
	return false
}

// closeTop ends the innermost entity at the read position, reading a
// link's target after its text.
func (p *mdV2) closeTop() parseError {
	top := p.stack[len(p.stack)-1]
	p.stack = p.stack[:len(p.stack)-1]
	e := wireEntity{Type: top.typ, Offset: top.start, Length: p.out.u16 - top.start}
	switch top.typ {
	case "underline", "spoiler":
		p.i += 2
	case "pre":
		p.i += 3
	case "text_link", "custom_emoji":
		p.i++
		target, err := p.linkTarget()
		if err != "" {
			return err
		}
		if top.typ == "custom_emoji" {
			e.CustomEmojiID = strings.TrimPrefix(target, "tg://emoji?id=")
		} else {
			e.URL = target
		}
	default:
		p.i++
	}
	if e.Length > 0 && (e.Type != "text_link" || e.URL != "") {
		p.ents = append(p.ents, e)
	}
	return ""
}

// linkTarget reads "(target)" at the read position, if there is one.
func (p *mdV2) linkTarget() (string, parseError) {
	src := p.src
	if p.i >= len(src) || src[p.i] != '(' {
		return "", ""
	}
	end := p.i + 1
	var link strings.Builder
	for end < len(src) && src[end] != ')' {
		if src[end] == '\\' && end+1 < len(src) {
			end++
		}
		link.WriteByte(src[end])
		end++
	}
	if end >= len(src) {
		return "", parseError(fmt.Sprintf("Can't find end of a url at byte offset %d", p.i))
	}
	p.i = end + 1
	return link.String(), ""
}

// openEntity begins the entity whose mark is at the read position; a
// reserved character that begins none is the error Telegram gives.
func (p *mdV2) openEntity(c byte) parseError {
	src, i := p.src, p.i
	typ, begin := "", i
	switch c {
	case '_':
		if strings.HasPrefix(src[i:], "__") {
			typ, i = "underline", i+2
		} else {
			typ, i = "italic", i+1
		}
	case '*':
		typ, i = "bold", i+1
	case '~':
		typ, i = "strikethrough", i+1
	case '|':
		if strings.HasPrefix(src[i:], "||") {
			typ, i = "spoiler", i+2
		}
	case '[':
		typ, i = "text_link", i+1
	case '!':
		if strings.HasPrefix(src[i:], "![") {
			typ, i = "custom_emoji", i+2
		}
	case '`':
		if strings.HasPrefix(src[i:], "```") {
			typ, i = "pre", i+3
			if nl := strings.IndexByte(src[i:], '\n'); nl >= 0 && !strings.ContainsAny(src[i:i+nl], " `") {
				i += nl + 1 // the language line; Telegram keeps it as the entity's language
			}
		} else {
			typ, i = "code", i+1
		}
	}
	if typ == "" {
		return parseError(fmt.Sprintf("Character '%c' is reserved and must be escaped with the preceding '\\'", c))
	}
	p.i = i
	p.stack = append(p.stack, mdOpen{typ: typ, start: p.out.u16, byteStart: begin})
	return ""
}

// parseMarkdown follows Telegram's legacy Markdown: *bold*, _italic_,
// `code`, ```pre```, [text](url); entities do not nest, and an entity that is
// never closed is an error.
func parseMarkdown(src string) (string, []wireEntity, parseError) {
	var (
		out  textBuilder
		ents []wireEntity
	)
	for i := 0; i < len(src); {
		c := src[i]
		if c == '\\' && i+1 < len(src) && strings.IndexByte("_*`[", src[i+1]) >= 0 {
			out.writeRune(rune(src[i+1]))
			i += 2
			continue
		}
		if strings.IndexByte("_*`[", c) < 0 {
			r, n := utf8.DecodeRuneInString(src[i:])
			out.writeRune(r)
			i += n
			continue
		}
		begin := i
		unclosed := parseError(fmt.Sprintf("Can't find end of the entity starting at byte offset %d", begin))
		typ, closer := map[byte]string{'_': "italic", '*': "bold", '`': "code", '[': "text_link"}[c], string(c)
		if c == '[' {
			closer = "]"
		}
		if strings.HasPrefix(src[i:], "```") {
			typ, closer = "pre", "```"
		}
		i += len(closer)
		end := strings.Index(src[i:], closer)
		if end < 0 {
			return "", nil, unclosed
		}
		inner := src[i : i+end]
		i += end + len(closer)
		e := wireEntity{Type: typ, Offset: out.u16}
		if typ == "text_link" {
			if i >= len(src) || src[i] != '(' {
				return "", nil, unclosed
			}
			urlEnd := strings.IndexByte(src[i:], ')')
			if urlEnd < 0 {
				return "", nil, unclosed
			}
			e.URL = src[i+1 : i+urlEnd]
			i += urlEnd + 1
		}
		out.writeString(inner)
		e.Length = out.u16 - e.Offset
		if e.Length > 0 {
			ents = append(ents, e)
		}
	}
	return out.b.String(), ents, ""
}
