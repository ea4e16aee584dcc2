package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The coach's web workspace keeps its records in the kv bucket, each kind
// under a namespace of its own, so that they need no bucket and no schema
// change. Secrets (login link codes, session tokens) are never stored:
// only their SHA-256, so a copy of the file opens no session.
//
// Keys follow the kv convention Forget relies on: a page view is keyed by
// the client's chat id and ':' and goes with the client's other records;
// sessions, links and prompt saves are keyed by a hash or a time that is
// no chat id, and stay.
const (
	webSessionNS = "web-session" // sha256(token) hex -> WebSession
	webLinkNS    = "web-link"    // sha256(code) hex -> WebLink
	webViewNS    = "web-view"    // chat id ":" at (20 digits) ":" coach -> WebView
	promptSaveNS = "prompt-save" // "t" at (20 digits) ":" coach -> PromptSave
)

// Errors of the web workspace's login links.
var (
	// ErrLinkUsed is returned by UseWebLink for a link opened before.
	ErrLinkUsed = errors.New("login link already used")
	// ErrLinkExpired is returned by UseWebLink for a link past its expiry.
	ErrLinkExpired = errors.New("login link expired")
)

// WebLink is a one-time login link a coach asked for with /web.
type WebLink struct {
	Coach     int64     `json:"coach"`
	Language  string    `json:"language,omitempty"` // the coach's Telegram language, for the pages
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	UsedAt    time.Time `json:"used_at,omitzero"`
}

// WebSession is a coach's signed-in browser.
type WebSession struct {
	Coach     int64     `json:"coach"`
	Language  string    `json:"language,omitempty"` // of the pages, as the link had it
	CSRF      string    `json:"csrf"`               // the token every form of the session carries
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// WebView is one time a coach opened a client's page (or their voice
// note, or an export of their answers) in the web workspace.
type WebView struct {
	ChatID int64     `json:"chat_id"`
	Coach  int64     `json:"coach"`
	At     time.Time `json:"at"`
	What   string    `json:"what"` // "client", "voice", "export"
}

// PromptSave is one prompt file saved from the web workspace.
type PromptSave struct {
	Coach  int64     `json:"coach"`
	At     time.Time `json:"at"`
	File   string    `json:"file"`
	Bytes  int       `json:"bytes"`
	SHA256 string    `json:"sha256"` // of the contents saved
}

// secretKey is the kv key of a secret: its SHA-256 in hex.
func secretKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// nanos writes t as 20 decimal digits, so that keys sort by time.
func nanos(t time.Time) string { return fmt.Sprintf("%020d", t.UnixNano()) }

func (tx *Tx) putJSON(ns, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("put %s: %w", ns, err)
	}
	return tx.Put(ns, key, data)
}

func (tx *Tx) getJSON(ns, key string, into any) error {
	data, ok := tx.Get(ns, key)
	if !ok {
		return ErrNotFound
	}
	return decode(data, into, ns, []byte(key))
}

// eachKV calls fn for every entry of namespace ns, in key order.
func (tx *Tx) eachKV(ns string, fn func(key string, v []byte) error) error {
	prefix := kvKey(ns, "")
	return prefixed(tx.b(bucketKV), prefix, func(k, v []byte) error {
		return fn(string(k[len(prefix):]), v)
	})
}

// PutWebLink stores the login link whose secret code is code.
func (tx *Tx) PutWebLink(code string, l WebLink) error {
	if code == "" || l.Coach == 0 {
		return errors.New("put web link: code and coach are required")
	}
	return tx.putJSON(webLinkNS, secretKey(code), l)
}

// WebLink returns the link of code without using it, ErrNotFound
// (wrapped) for an unknown code.
func (tx *Tx) WebLink(code string) (WebLink, error) {
	var l WebLink
	if err := tx.getJSON(webLinkNS, secretKey(code), &l); err != nil {
		return l, fmt.Errorf("web link: %w", err)
	}
	return l, nil
}

// UseWebLink marks the link of code used at now and returns it: once. A
// link opened before gives ErrLinkUsed, one past its expiry ErrLinkExpired,
// an unknown code ErrNotFound (all wrapped); the link is returned with
// them when it exists.
func (tx *Tx) UseWebLink(code string, now time.Time) (WebLink, error) {
	var l WebLink
	key := secretKey(code)
	if err := tx.getJSON(webLinkNS, key, &l); err != nil {
		return l, fmt.Errorf("web link: %w", err)
	}
	switch {
	case !l.UsedAt.IsZero():
		return l, fmt.Errorf("web link: %w", ErrLinkUsed)
	case !now.Before(l.ExpiresAt):
		return l, fmt.Errorf("web link: %w", ErrLinkExpired)
	}
	l.UsedAt = now
	return l, tx.putJSON(webLinkNS, key, l)
}

// PutWebSession stores the session whose secret token is token.
func (tx *Tx) PutWebSession(token string, s WebSession) error {
	if token == "" || s.Coach == 0 || s.CSRF == "" {
		return errors.New("put web session: token, coach and csrf token are required")
	}
	return tx.putJSON(webSessionNS, secretKey(token), s)
}

// WebSession returns the session of token, ErrNotFound (wrapped) when
// there is none or it expired at or before now.
func (tx *Tx) WebSession(token string, now time.Time) (WebSession, error) {
	var s WebSession
	if token == "" {
		return s, fmt.Errorf("web session: %w", ErrNotFound)
	}
	if err := tx.getJSON(webSessionNS, secretKey(token), &s); err != nil {
		return WebSession{}, fmt.Errorf("web session: %w", err)
	}
	if !now.Before(s.ExpiresAt) {
		return WebSession{}, fmt.Errorf("web session: %w", ErrNotFound)
	}
	return s, nil
}

// DeleteWebSession ends the session of token; an unknown one is no error.
func (tx *Tx) DeleteWebSession(token string) error {
	return tx.Delete(webSessionNS, secretKey(token))
}

// DeleteWebSessions ends every session of the coach and reports how many
// were still valid at now.
func (tx *Tx) DeleteWebSessions(coach int64, now time.Time) (int, error) {
	var doomed []string
	live := 0
	err := tx.eachKV(webSessionNS, func(key string, v []byte) error {
		var s WebSession
		if err := decode(v, &s, "web session", []byte(key)); err != nil {
			return err
		}
		if s.Coach == coach {
			doomed = append(doomed, key)
			if now.Before(s.ExpiresAt) {
				live++
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("end web sessions of %d: %w", coach, err)
	}
	for _, key := range doomed {
		if err := tx.Delete(webSessionNS, key); err != nil {
			return 0, err
		}
	}
	return live, nil
}

// SweepWeb removes sessions expired at now and login links expired more
// than a day before now (a link a little past its time still tells the
// person opening it that it expired, rather than that it is unknown).
func (tx *Tx) SweepWeb(now time.Time) error {
	var sessions, links []string
	if err := tx.eachKV(webSessionNS, func(key string, v []byte) error {
		var s WebSession
		if err := decode(v, &s, "web session", []byte(key)); err != nil {
			return err
		}
		if !now.Before(s.ExpiresAt) {
			sessions = append(sessions, key)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("sweep web sessions: %w", err)
	}
	if err := tx.eachKV(webLinkNS, func(key string, v []byte) error {
		var l WebLink
		if err := decode(v, &l, "web link", []byte(key)); err != nil {
			return err
		}
		if now.Sub(l.ExpiresAt) > 24*time.Hour {
			links = append(links, key)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("sweep web links: %w", err)
	}
	for _, k := range sessions {
		if err := tx.Delete(webSessionNS, k); err != nil {
			return err
		}
	}
	for _, k := range links {
		if err := tx.Delete(webLinkNS, k); err != nil {
			return err
		}
	}
	return nil
}

// AddWebView records that a coach looked at a client's records. v.At is
// set to now when zero.
func (tx *Tx) AddWebView(v WebView) error {
	if v.ChatID == 0 || v.Coach == 0 {
		return errors.New("add web view: chat id and coach are required")
	}
	if v.At.IsZero() {
		v.At = tx.now()
	}
	key := func() string {
		return strconv.FormatInt(v.ChatID, 10) + ":" + nanos(v.At) + ":" + strconv.FormatInt(v.Coach, 10)
	}
	for { // two views in one nanosecond (a fake clock) keep both
		if _, taken := tx.Get(webViewNS, key()); !taken {
			break
		}
		v.At = v.At.Add(time.Nanosecond)
	}
	return tx.putJSON(webViewNS, key(), v)
}

// WebViews returns the views recorded at or after since, oldest first.
func (tx *Tx) WebViews(since time.Time) ([]WebView, error) {
	var out []WebView
	err := tx.eachKV(webViewNS, func(key string, v []byte) error {
		var w WebView
		if err := decode(v, &w, "web view", []byte(key)); err != nil {
			return err
		}
		if !w.At.Before(since) {
			out = append(out, w)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web views: %w", err)
	}
	slices.SortStableFunc(out, func(a, b WebView) int { return a.At.Compare(b.At) })
	return out, nil
}

// AddPromptSave records a prompt file saved from the web workspace.
func (tx *Tx) AddPromptSave(p PromptSave) error {
	if p.Coach == 0 || p.File == "" || strings.ContainsAny(p.File, "/\\") {
		return fmt.Errorf("add prompt save: coach and a file name are required, got %d %q", p.Coach, p.File)
	}
	if p.At.IsZero() {
		p.At = tx.now()
	}
	return tx.putJSON(promptSaveNS, "t"+nanos(p.At)+":"+strconv.FormatInt(p.Coach, 10), p)
}

// PromptSaves returns the prompt saves, newest first, at most limit of
// them (limit <= 0: all).
func (tx *Tx) PromptSaves(limit int) ([]PromptSave, error) {
	prefix := kvKey(promptSaveNS, "")
	var out []PromptSave
	c := tx.b(bucketKV).Cursor()
	// The namespace's keys sort by time: walk back from its end.
	k, v := c.Seek(kvKey(promptSaveNS+"\x01", ""))
	if k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	for ; k != nil && bytes.HasPrefix(k, prefix) && (limit <= 0 || len(out) < limit); k, v = c.Prev() {
		var p PromptSave
		if err := decode(v, &p, "prompt save", k); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// ScaleAnswer is the number a reply gave on a scale, on its local date.
type ScaleAnswer struct {
	LocalDate string `json:"local_date"`
	Value     *int   `json:"value"`
}

// ScaleAnswers calls fn with the client's answers to question questionID
// of the deliveries of local date from (2006-01-02) on, in local date
// order, each as just its number, which is what a trend line needs. The
// local date comes from the step index, the value from the reply's
// "value" field, found in the stored JSON without decoding the rest (a
// quote inside a JSON string is always escaped, so the key cannot be
// mistaken for the client's words). A reply whose value cannot be read
// that way is decoded whole.
func (tx *Tx) ScaleAnswers(chatID int64, from, questionID string, fn func(ScaleAnswer) error) error {
	prefix := chatKey(chatID)
	want := append([]byte(questionID), 0)
	replies := tx.b(bucketReplies).Cursor() // one cursor for every reply read
	key := make([]byte, 16)
	copy(key, prefix)
	c := tx.b(bucketReplySteps).Cursor()
	for k, _ := c.Seek(cat(prefix, []byte(from))); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		const head = 8 + len(dateLayout) + 4
		if len(k) < head+1+8 {
			return fmt.Errorf("%w: reply step key %x", ErrCorrupt, k)
		}
		if !bytes.Equal(k[head:len(k)-8], want) {
			continue
		}
		copy(key[8:], k[len(k)-8:])
		rk, v := replies.Seek(key)
		if !bytes.Equal(rk, key) {
			return fmt.Errorf("%w: step index names a missing reply %x", ErrCorrupt, key)
		}
		a := ScaleAnswer{LocalDate: string(k[8 : 8+len(dateLayout)])}
		if len(v) > 0 && v[0] != '{' { // compact: read whole, it is cheap
			var r Reply
			if err := decode(v, &r, "reply", key); err != nil {
				return err
			}
			a.Value = r.Value
		} else if n, ok := jsonInt(v, `"value":`); ok {
			a.Value = &n
		} else if bytes.Contains(v, []byte(`"value":`)) {
			if err := decode(v, &a, "reply", key); err != nil {
				return err
			}
		}
		if err := fn(a); err != nil {
			return err
		}
	}
	return nil
}

// jsonInt reads the integer after field (such as `"value":`) in a JSON
// object written by encoding/json.
func jsonInt(v []byte, field string) (int, bool) {
	i := bytes.Index(v, []byte(field))
	if i < 0 {
		return 0, false
	}
	rest := v[i+len(field):]
	end := 0
	for end < len(rest) && (rest[end] == '-' || (rest[end] >= '0' && rest[end] <= '9')) {
		end++
	}
	n, err := strconv.Atoi(string(rest[:end]))
	return n, err == nil
}

// LatestReplyAt is when the client's latest reply was written (the At of
// LatestReply), read from the reply time index alone; false when they
// have none.
func (tx *Tx) LatestReplyAt(chatID int64) (time.Time, bool, error) {
	k, _ := last(tx.b(bucketReplyTimes), chatKey(chatID))
	if k == nil {
		return time.Time{}, false, nil
	}
	if len(k) != replyTimeKeyLen {
		return time.Time{}, false, fmt.Errorf("latest reply %d: %w: reply time key %x", chatID, ErrCorrupt, k)
	}
	secs := int64(be64(k[8:16]) ^ (1 << 63))
	ns := int64(binary.BigEndian.Uint32(k[16:20]))
	return time.Unix(secs, ns).UTC(), true, nil
}
