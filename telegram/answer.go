package telegram

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// decodeAnswer reads the Bot API's answer to a call into a. Telegram
// answers sendMessage with the whole message it sent, keyboard included:
// about a kilobyte, of which kindling needs the message id. encoding/json
// reads all of it twice (once to check it, once to decode), through
// reflection, which cost more per message than building the request.
// scanAnswer reads it once and picks the few fields on the way; whatever
// it does not take on exactly as encoding/json would (a key in other case
// or with escapes, a number that is not a plain integer, a string with
// escapes, nesting deeper than maxAnswerDepth, any malformed JSON) is
// left to encoding/json, so the result and the errors are the same.
func decodeAnswer(body []byte, a *apiAnswer) error {
	if scanAnswer(body, a) {
		return nil
	}
	*a = apiAnswer{}
	return json.Unmarshal(body, a)
}

// maxAnswerDepth bounds the nesting scanAnswer follows itself.
const maxAnswerDepth = 64

// answerScan is a strict reading of one JSON text; ok turns false at the
// first thing scanAnswer leaves to encoding/json.
type answerScan struct {
	b  []byte
	i  int
	ok bool
}

// scanAnswer fills a from body and reports whether it could; when it
// could not, a holds nothing of use.
func scanAnswer(body []byte, a *apiAnswer) bool {
	*a = apiAnswer{}
	s := &answerScan{b: body, ok: true}
	s.object(func(key []byte) {
		switch {
		case string(key) == "ok":
			a.OK = s.boolean()
		case string(key) == "result":
			s.object(func(key []byte) {
				if string(key) == "message_id" {
					a.Result.MessageID = s.integer()
				} else {
					s.caseOf(key, "message_id")
					s.skip(1)
				}
			})
		case string(key) == "description":
			a.Description = string(s.plainString())
		case string(key) == "error_code":
			a.ErrorCode = s.integer()
		case string(key) == "parameters":
			s.object(func(key []byte) {
				switch {
				case string(key) == "retry_after":
					a.Parameters.RetryAfter = s.integer()
				case string(key) == "migrate_to_chat_id":
					a.Parameters.MigrateToChatID = s.integer()
				default:
					s.caseOf(key, "retry_after", "migrate_to_chat_id")
					s.skip(1)
				}
			})
		default:
			s.caseOf(key, "ok", "result", "description", "error_code", "parameters")
			s.skip(0)
		}
	})
	s.space()
	return s.ok && s.i == len(s.b)
}

func (s *answerScan) fail() { s.ok, s.i = false, len(s.b) }

func (s *answerScan) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *answerScan) peek() byte {
	s.space()
	if s.i >= len(s.b) {
		s.fail()
		return 0
	}
	return s.b[s.i]
}

// caseOf gives up when key is one of names in another case: encoding/json
// would take it as that field.
func (s *answerScan) caseOf(key []byte, names ...string) {
	for _, n := range names {
		if strings.EqualFold(string(key), n) {
			s.fail()
		}
	}
}

// object reads an object, calling member with each key (without quotes)
// and the scan at its value, which member must read.
func (s *answerScan) object(member func(key []byte)) {
	if s.peek() != '{' {
		s.fail()
		return
	}
	s.i++
	if s.peek() == '}' {
		s.i++
		return
	}
	for s.ok {
		key := s.plainString()
		if s.peek() != ':' {
			s.fail()
			return
		}
		s.i++
		member(key)
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return
		default:
			s.fail()
		}
	}
}

// plainString reads a string without escapes and returns its bytes; a
// string with an escape or invalid UTF-8 is left to encoding/json.
func (s *answerScan) plainString() []byte {
	if s.peek() != '"' {
		s.fail()
		return nil
	}
	start := s.i + 1
	n := bytes.IndexByte(s.b[start:], '"')
	if n < 0 {
		s.fail()
		return nil
	}
	str := s.b[start : start+n]
	for _, c := range str {
		if c < 0x20 || c == '\\' {
			s.fail()
			return nil
		}
	}
	if !utf8.Valid(str) {
		s.fail() // encoding/json would replace the bad bytes
		return nil
	}
	s.i = start + n + 1
	return str
}

func (s *answerScan) boolean() bool {
	s.space()
	switch {
	case bytes.HasPrefix(s.b[s.i:], []byte("true")):
		s.i += 4
		return true
	case bytes.HasPrefix(s.b[s.i:], []byte("false")):
		s.i += 5
		return false
	}
	s.fail()
	return false
}

// integer reads a plain integer that fits an int.
func (s *answerScan) integer() int {
	s.space()
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	digits := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	if s.i == digits || (s.b[digits] == '0' && s.i-digits > 1) {
		s.fail()
		return 0
	}
	if s.i < len(s.b) && (s.b[s.i] == '.' || s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.fail() // encoding/json refuses a fraction for an int: its error, then
		return 0
	}
	n, err := strconv.Atoi(string(s.b[start:s.i]))
	if err != nil {
		s.fail()
		return 0
	}
	return n
}

// skip reads any value strictly, as encoding/json would accept it.
func (s *answerScan) skip(depth int) {
	if depth > maxAnswerDepth {
		s.fail()
		return
	}
	switch c := s.peek(); {
	case c == '{':
		s.i++
		if s.peek() == '}' {
			s.i++
			return
		}
		for s.ok {
			s.skipString()
			if s.peek() != ':' {
				s.fail()
				return
			}
			s.i++
			s.skip(depth + 1)
			switch s.peek() {
			case ',':
				s.i++
			case '}':
				s.i++
				return
			default:
				s.fail()
			}
		}
	case c == '[':
		s.i++
		if s.peek() == ']' {
			s.i++
			return
		}
		for s.ok {
			s.skip(depth + 1)
			switch s.peek() {
			case ',':
				s.i++
			case ']':
				s.i++
				return
			default:
				s.fail()
			}
		}
	case c == '"':
		s.skipString()
	case c == 't':
		s.literal("true")
	case c == 'f':
		s.literal("false")
	case c == 'n':
		s.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		s.number()
	default:
		s.fail()
	}
}

func (s *answerScan) literal(word string) {
	if !bytes.HasPrefix(s.b[s.i:], []byte(word)) {
		s.fail()
		return
	}
	s.i += len(word)
}

// skipString reads a string, escapes included.
func (s *answerScan) skipString() {
	if s.peek() != '"' {
		s.fail()
		return
	}
	s.i++
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return
		case c < 0x20:
			s.fail()
			return
		case c == '\\':
			if s.i+1 >= len(s.b) {
				s.fail()
				return
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if s.i+6 > len(s.b) {
					s.fail()
					return
				}
				for _, h := range s.b[s.i+2 : s.i+6] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						s.fail()
						return
					}
				}
				s.i += 6
			default:
				s.fail()
				return
			}
		default:
			s.i++
		}
	}
	s.fail()
}

// number reads a JSON number.
func (s *answerScan) number() {
	if s.b[s.i] == '-' {
		s.i++
	}
	digits := func() int {
		start := s.i
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
		}
		return s.i - start
	}
	start := s.i
	n := digits()
	if n == 0 || (s.b[start] == '0' && n > 1) {
		s.fail()
		return
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if digits() == 0 {
			s.fail()
			return
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if digits() == 0 {
			s.fail()
		}
	}
}
