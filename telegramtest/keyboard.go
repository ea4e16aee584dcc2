package telegramtest

import (
	"encoding/json"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// parseKeyboard reads reply_markup. Only an inline keyboard is kept on the
// message, as in Telegram; reply keyboards are accepted and not shown.
// present reports whether the field was sent at all.
func parseKeyboard(p params) (kb *wireKeyboard, present bool, rep *reply) {
	raw, present := p.values["reply_markup"]
	if !present || strings.TrimSpace(raw) == "" {
		return nil, false, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &fields); err != nil {
		r := badRequest("can't parse reply keyboard markup JSON object")
		return nil, true, &r
	}
	inline, found := fields["inline_keyboard"]
	if !found {
		return nil, true, nil
	}
	var rows [][]wireButton
	if err := json.Unmarshal(inline, &rows); err != nil {
		r := badRequest("can't parse inline keyboard button: %v", err)
		return nil, true, &r
	}
	buttons := 0
	kept := rows[:0]
	for _, row := range rows {
		if len(row) == 0 {
			continue
		}
		for j := range row {
			b := &row[j]
			if b.CopyText != nil && b.CopyText.Text == "" {
				b.CopyText = nil // go-telegram/bot always sends an empty copy_text
			}
			if b.CallbackData != nil && (len(*b.CallbackData) == 0 || len(*b.CallbackData) > maxDataLen) {
				r := badRequest("BUTTON_DATA_INVALID")
				return nil, true, &r
			}
			if b.URL != "" && !buttonURLValid(b.URL) {
				r := badRequest("BUTTON_URL_INVALID")
				return nil, true, &r
			}
			if !b.hasAction() {
				r := badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
				return nil, true, &r
			}
			buttons++
		}
		kept = append(kept, row)
	}
	if buttons == 0 {
		return nil, true, nil // an empty inline keyboard removes the keyboard
	}
	return &wireKeyboard{InlineKeyboard: kept}, true, nil
}

func (b *wireButton) hasAction() bool {
	return b.URL != "" || b.CallbackData != nil || len(b.WebApp) > 0 || len(b.LoginURL) > 0 ||
		b.SwitchInlineQuery != nil || b.SwitchInlineQueryCurrentChat != nil ||
		len(b.SwitchInlineQueryChosenChat) > 0 || b.CopyText != nil || len(b.CallbackGame) > 0 || b.Pay
}

// commandEntities marks bot commands the way Telegram does in a person's
// message: "/word" or "/word@bot" at the start or after white space.
func commandEntities(text string) []wireEntity {
	var ents []wireEntity
	u16 := 0
	prevSpace := true
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		if r == '/' && prevSpace {
			j := i + 1
			for j < len(text) && j-i-1 < 64 && isCommandByte(text[j]) {
				j++
			}
			if j > i+1 {
				if j < len(text) && text[j] == '@' {
					k := j + 1
					for k < len(text) && isCommandByte(text[k]) {
						k++
					}
					if k-j-1 >= 3 {
						j = k
					}
				}
				ents = append(ents, wireEntity{Type: "bot_command", Offset: u16, Length: j - i})
				u16 += j - i // commands are ASCII: one byte, one code unit
				i = j
				prevSpace = false
				continue
			}
		}
		prevSpace = unicode.IsSpace(r)
		u16 += utf16Len(r)
		i += n
	}
	return ents
}

func isCommandByte(c byte) bool {
	return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}

// buttonURLValid is Telegram's rule for a URL button as kindling meets it:
// an http or https address whose host has a dot (Telegram refuses
// "http://localhost:8091"), or a tg:// link.
func buttonURLValid(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "tg":
		return true
	case "http", "https":
		return strings.Contains(u.Hostname(), ".")
	}
	return false
}
