package telegramtest

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Telegram's limits on text, in characters after entity parsing.
const (
	maxTextLen    = 4096
	maxCaptionLen = 1024
	maxDataLen    = 64 // callback_data, in bytes
)

// parseError is a description Telegram gives for a text it cannot parse.
type parseError string

// formatText turns text as the bot sent it into text as a person sees it,
// with its entities, the way Telegram does for parse_mode: markup is parsed
// and removed, then leading and trailing white space is trimmed. explicit is
// the entities field, used when there is no parse mode.
func formatText(src, parseMode, explicit string) (string, []wireEntity, *reply) {
	var (
		text string
		ents []wireEntity
		perr parseError
	)
	switch strings.ToLower(parseMode) {
	case "":
		text = src
		if explicit != "" {
			if err := json.Unmarshal([]byte(explicit), &ents); err != nil {
				rep := badRequest("can't parse entities JSON object")
				return "", nil, &rep
			}
		}
	case "html":
		text, ents, perr = parseHTML(src)
	case "markdownv2":
		text, ents, perr = parseMarkdownV2(src)
	case "markdown":
		text, ents, perr = parseMarkdown(src)
	default:
		rep := badRequest("unsupported parse_mode")
		return "", nil, &rep
	}
	if perr != "" {
		rep := badRequest("can't parse entities: %s", string(perr))
		return "", nil, &rep
	}
	text, ents = trimText(text, ents)
	return text, ents, nil
}

// textBuilder accumulates output text and its length in UTF-16 code units,
// the unit of entity offsets.
type textBuilder struct {
	b   strings.Builder
	u16 int
}

func (t *textBuilder) writeRune(r rune) {
	t.b.WriteRune(r)
	t.u16 += utf16Len(r)
}

func (t *textBuilder) writeString(s string) {
	for _, r := range s {
		t.writeRune(r)
	}
}

func utf16Len(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

func utf16Count(s string) int {
	n := 0
	for _, r := range s {
		n += utf16Len(r)
	}
	return n
}

// trimText strips white space at both ends and moves the entities with it.
func trimText(text string, ents []wireEntity) (string, []wireEntity) {
	trimmed := strings.TrimLeftFunc(text, unicode.IsSpace)
	cut := utf16Count(text[:len(text)-len(trimmed)])
	trimmed = strings.TrimRightFunc(trimmed, unicode.IsSpace)
	n := utf16Count(trimmed)
	out := ents[:0:0]
	for _, e := range ents {
		start, end := e.Offset-cut, e.Offset+e.Length-cut
		start = max(start, 0)
		end = min(end, n)
		if end > start {
			e.Offset, e.Length = start, end-start
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		out = nil
	}
	return trimmed, out
}

func sortEntities(ents []wireEntity) []wireEntity {
	sort.SliceStable(ents, func(i, j int) bool {
		if ents[i].Offset != ents[j].Offset {
			return ents[i].Offset < ents[j].Offset
		}
		return ents[i].Length > ents[j].Length
	})
	return ents
}

// htmlTags maps the tags Telegram's HTML parse mode supports to entity types.
var htmlTags = map[string]string{
	"b": "bold", "strong": "bold",
	"i": "italic", "em": "italic",
	"u": "underline", "ins": "underline",
	"s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
	"span": "spoiler", "tg-spoiler": "spoiler",
	"a":    "text_link",
	"code": "code", "pre": "pre",
	"blockquote": "blockquote",
	"tg-emoji":   "custom_emoji",
}

// parseHTML follows Telegram's HTML parse mode: the supported tags nest, the
// named entities &lt; &gt; &amp; &quot; and numeric ones are decoded, and
// anything else that starts with '<' is an error with Telegram's wording.
func parseHTML(src string) (string, []wireEntity, parseError) {
	p := &htmlParse{src: src}
	for p.i < len(src) {
		c := src[p.i]
		if c == '&' {
			if r, n := htmlEntity(src[p.i:]); n > 0 {
				p.out.writeRune(r)
				p.i += n
				continue
			}
		}
		if c != '<' {
			r, n := utf8.DecodeRuneInString(src[p.i:])
			p.out.writeRune(r)
			p.i += n
			continue
		}
		var err parseError
		if p.i+1 < len(src) && src[p.i+1] == '/' {
			err = p.endTag()
		} else {
			err = p.startTag()
		}
		if err != "" {
			return "", nil, err
		}
	}
	if len(p.stack) > 0 {
		return "", nil, parseError(fmt.Sprintf("Can't find end tag corresponding to start tag \"%s\"", p.stack[len(p.stack)-1].tag))
	}
	return p.out.b.String(), sortEntities(p.ents), ""
}

// htmlOpen is a tag begun and not yet closed, with the entity it makes.
type htmlOpen struct {
	tag   string
	start int
	ent   wireEntity
}

// htmlParse is the state of one HTML parse.
type htmlParse struct {
	src   string
	i     int
	out   textBuilder
	stack []htmlOpen
	ents  []wireEntity
}

// endTag reads "</name>" at the read position and closes the tag open
// innermost, which it must match.
func (p *htmlParse) endTag() parseError {
	src, begin := p.src, p.i
	i := p.i + 2
	nameStart := i
	for i < len(src) && src[i] != '>' {
		i++
	}
	if i >= len(src) {
		return parseError(fmt.Sprintf("Unclosed end tag at byte offset %d", begin))
	}
	name := strings.ToLower(strings.TrimSpace(src[nameStart:i]))
	p.i = i + 1
	if len(p.stack) == 0 {
		return parseError(fmt.Sprintf("Unexpected end tag at byte offset %d", begin))
	}
	top := p.stack[len(p.stack)-1]
	if name != "" && name != top.tag {
		return parseError(fmt.Sprintf("Unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"", begin, top.tag, name))
	}
	p.stack = p.stack[:len(p.stack)-1]
	if top.ent.Type != "" && p.out.u16 > top.start {
		e := top.ent
		e.Offset, e.Length = top.start, p.out.u16-top.start
		p.ents = append(p.ents, e)
	}
	return ""
}

// startTag reads a supported start tag and its attributes at the read
// position and opens it.
func (p *htmlParse) startTag() parseError {
	src, begin := p.src, p.i
	i := p.i + 1
	nameStart := i
	for i < len(src) && src[i] != '>' && !isHTMLSpace(src[i]) {
		i++
	}
	if i >= len(src) {
		return parseError(fmt.Sprintf("Unclosed start tag at byte offset %d", begin))
	}
	name := strings.ToLower(src[nameStart:i])
	typ, supported := htmlTags[name]
	if !supported {
		return parseError(fmt.Sprintf("Unsupported start tag \"%s\" at byte offset %d", name, begin))
	}
	attrs, next, perr := htmlAttributes(src, i, begin)
	if perr != "" {
		return perr
	}
	p.i = next
	ent, err := p.tagEntity(name, typ, attrs, begin)
	if err != "" {
		return err
	}
	p.stack = append(p.stack, htmlOpen{tag: name, start: p.out.u16, ent: ent})
	return ""
}

// tagEntity is the entity a start tag makes from its attributes; an empty
// Type makes none.
func (p *htmlParse) tagEntity(name, typ string, attrs map[string]string, begin int) (wireEntity, parseError) {
	ent := wireEntity{Type: typ}
	switch name {
	case "span":
		if attrs["class"] != "tg-spoiler" {
			return ent, parseError(fmt.Sprintf("Tag \"span\" must have class \"tg-spoiler\" at byte offset %d", begin))
		}
	case "a":
		href := attrs["href"]
		switch {
		case href == "":
			ent.Type = "" // a link without a target is plain text
		case strings.HasPrefix(href, "tg://user?id="):
			id, _ := strconv.ParseInt(strings.TrimPrefix(href, "tg://user?id="), 10, 64)
			ent.Type, ent.User = "text_mention", &wireUser{ID: id}
		default:
			ent.URL = href
		}
	case "code":
		if len(p.stack) > 0 && p.stack[len(p.stack)-1].tag == "pre" {
			if lang, found := strings.CutPrefix(attrs["class"], "language-"); found {
				p.stack[len(p.stack)-1].ent.Language = lang
				ent.Type = "" // Telegram folds it into the enclosing pre
			}
		}
	case "blockquote":
		if _, found := attrs["expandable"]; found {
			ent.Type = "expandable_blockquote"
		}
	case "tg-emoji":
		ent.CustomEmojiID = attrs["emoji-id"]
	}
	return ent, ""
}

func isHTMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// htmlAttributes reads name="value" pairs from i up to the closing '>'.
func htmlAttributes(src string, i, begin int) (map[string]string, int, parseError) {
	attrs := make(map[string]string)
	unclosed := parseError(fmt.Sprintf("Unclosed start tag at byte offset %d", begin))
	for {
		for i < len(src) && isHTMLSpace(src[i]) {
			i++
		}
		if i >= len(src) {
			return nil, 0, unclosed
		}
		if src[i] == '>' {
			return attrs, i + 1, ""
		}
		nameStart := i
		for i < len(src) && src[i] != '=' && src[i] != '>' && !isHTMLSpace(src[i]) {
			i++
		}
		name := strings.ToLower(src[nameStart:i])
		if name == "" {
			return nil, 0, parseError(fmt.Sprintf("Empty attribute name in the tag at byte offset %d", begin))
		}
		if i >= len(src) || src[i] != '=' {
			attrs[name] = ""
			continue
		}
		i++
		if i >= len(src) {
			return nil, 0, unclosed
		}
		var raw string
		if q := src[i]; q == '"' || q == '\'' {
			end := strings.IndexByte(src[i+1:], q)
			if end < 0 {
				return nil, 0, unclosed
			}
			raw = src[i+1 : i+1+end]
			i += end + 2
		} else {
			valueStart := i
			for i < len(src) && src[i] != '>' && !isHTMLSpace(src[i]) {
				i++
			}
			raw = src[valueStart:i]
		}
		var value textBuilder
		for j := 0; j < len(raw); {
			if r, n := htmlEntity(raw[j:]); n > 0 {
				value.writeRune(r)
				j += n
				continue
			}
			r, n := utf8.DecodeRuneInString(raw[j:])
			value.writeRune(r)
			j += n
		}
		attrs[name] = value.b.String()
	}
}

// htmlEntity decodes the entity at the start of s, returning its length in
// bytes, or 0 if there is none: Telegram leaves an unknown '&' as it is.
func htmlEntity(s string) (rune, int) {
	end := strings.IndexByte(s, ';')
	if end < 2 || end > 10 {
		return 0, 0
	}
	name := s[1:end]
	switch name {
	case "lt":
		return '<', end + 1
	case "gt":
		return '>', end + 1
	case "amp":
		return '&', end + 1
	case "quot":
		return '"', end + 1
	}
	if num, found := strings.CutPrefix(name, "#"); found {
		base := 10
		if hex, isHex := strings.CutPrefix(strings.ToLower(num), "x"); isHex {
			num, base = hex, 16
		}
		n, err := strconv.ParseUint(num, base, 32)
		if err != nil || n == 0 || n > unicode.MaxRune || utf16.IsSurrogate(rune(n)) {
			return 0, 0
		}
		return rune(n), end + 1
	}
	return 0, 0
}
