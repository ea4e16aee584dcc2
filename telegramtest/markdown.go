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
	const reserved = "_*[]()~`>#+-=|{}.!"
	type open struct {
		typ       string
		start     int // UTF-16 offset in the output
		byteStart int // byte offset in the source, for errors
	}
	var (
		out   textBuilder
		stack []open
		ents  []wireEntity
	)
	inCode := func() bool {
		return len(stack) > 0 && (stack[len(stack)-1].typ == "code" || stack[len(stack)-1].typ == "pre")
	}
	lineStart := true
	quoteStart := -1
	closeQuote := func() {
		if quoteStart >= 0 && out.u16 > quoteStart {
			ents = append(ents, wireEntity{Type: "blockquote", Offset: quoteStart, Length: out.u16 - quoteStart})
		}
		quoteStart = -1
	}
	for i := 0; i < len(src); {
		c := src[i]
		atLineStart := lineStart
		lineStart = false
		if c == '\\' && i+1 < len(src) && src[i+1] > 0 && src[i+1] <= 126 {
			out.writeRune(rune(src[i+1]))
			i += 2
			continue
		}
		if c == '\n' && !inCode() {
			lineStart = true
			if i+1 >= len(src) || src[i+1] != '>' {
				closeQuote()
			}
		}
		if inCode() && c != '`' {
			r, n := utf8.DecodeRuneInString(src[i:])
			out.writeRune(r)
			i += n
			continue
		}
		if !strings.ContainsRune(reserved, rune(c)) {
			r, n := utf8.DecodeRuneInString(src[i:])
			out.writeRune(r)
			i += n
			if r == '\n' {
				lineStart = true
			}
			continue
		}
		if c == '>' && atLineStart {
			if quoteStart < 0 {
				quoteStart = out.u16
			}
			i++
			continue
		}
		isEnd := false
		if len(stack) > 0 {
			switch stack[len(stack)-1].typ {
			case "bold":
				isEnd = c == '*'
			case "italic":
				isEnd = c == '_' && !strings.HasPrefix(src[i:], "__")
			case "underline":
				isEnd = strings.HasPrefix(src[i:], "__")
			case "strikethrough":
				isEnd = c == '~'
			case "spoiler":
				isEnd = strings.HasPrefix(src[i:], "||")
			case "code":
				isEnd = c == '`'
			case "pre":
				isEnd = strings.HasPrefix(src[i:], "```")
			case "text_link", "custom_emoji":
				isEnd = c == ']'
			}
		}
		if isEnd {
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			e := wireEntity{Type: top.typ, Offset: top.start, Length: out.u16 - top.start}
			switch top.typ {
			case "underline", "spoiler":
				i += 2
			case "pre":
				i += 3
			case "text_link", "custom_emoji":
				i++
				target := ""
				if i < len(src) && src[i] == '(' {
					end := i + 1
					var link strings.Builder
					for end < len(src) && src[end] != ')' {
						if src[end] == '\\' && end+1 < len(src) {
							end++
						}
						link.WriteByte(src[end])
						end++
					}
					if end >= len(src) {
						return "", nil, parseError(fmt.Sprintf("Can't find end of a url at byte offset %d", i))
					}
					target = link.String()
					i = end + 1
				}
				if top.typ == "custom_emoji" {
					e.CustomEmojiID = strings.TrimPrefix(target, "tg://emoji?id=")
				} else {
					e.URL = target
				}
			default:
				i++
			}
			if e.Length > 0 && (e.Type != "text_link" || e.URL != "") {
				ents = append(ents, e)
			}
			continue
		}
		typ := ""
		begin := i
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
			return "", nil, parseError(fmt.Sprintf("Character '%c' is reserved and must be escaped with the preceding '\\'", c))
		}
		stack = append(stack, open{typ: typ, start: out.u16, byteStart: begin})
	}
	closeQuote()
	if len(stack) > 0 {
		top := stack[len(stack)-1]
		return "", nil, parseError(fmt.Sprintf("Can't find end of %s entity at byte offset %d", mdEntityNames[top.typ], top.byteStart))
	}
	return out.b.String(), sortEntities(ents), ""
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
