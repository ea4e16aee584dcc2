package telegram

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tgbot "github.com/go-telegram/bot"
)

// ErrStopping is returned for a Telegram call begun after Stop; the
// outbox keeps the message for the next start.
var ErrStopping = errors.New("kindling is stopping: telegram call not made")

// Client is the HTTP client under the Telegram library. A call in flight
// is not cut off when the context that started it ends: a message Telegram
// may already have received is then waited for and recorded as sent,
// instead of being sent again after a restart. After Stop it refuses new
// calls; Abort cuts off the ones still in flight. It answers a 5xx as
// *ServerError, so that error survives the library's wrapping.
type Client struct {
	client   *http.Client
	stopping atomic.Bool
	aborted  context.Context // ends on Abort
	abort    context.CancelFunc
}

// idleConns is how many idle connections a Client keeps: one per worker
// of the bot's outbox drain (128), instead of the default two per host
// and 100 in all. Under the 100 in all, each time more than 100 workers'
// calls ended together the rest of their connections were closed and
// dialled again (about one dial per eight messages in a broadcast, and a
// TLS handshake each with the real Bot API).
const idleConns = 128

// NewClient makes a Client whose calls time out after timeout.
func NewClient(timeout time.Duration) *Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = idleConns
	tr.MaxIdleConns = idleConns
	t := &Client{client: &http.Client{Timeout: timeout, Transport: tr}}
	t.aborted, t.abort = context.WithCancel(context.Background())
	return t
}

// API makes kindling's Telegram client on top of t: the given Bot API
// server, no getMe at start (the caller checks). Updates are not read
// through it: see Poller. Text messages go as JSON straight through t
// (see sendjson.go), everything else through the Telegram library.
func (t *Client) API(token, serverURL string) (*API, error) {
	api, err := tgbot.New(token,
		tgbot.WithServerURL(strings.TrimRight(serverURL, "/")),
		tgbot.WithSkipGetMe(),
		tgbot.WithHTTPClient(t.client.Timeout, t),
		tgbot.WithErrorsHandler(func(error) {}),
	)
	if err != nil {
		return nil, fmt.Errorf("telegram client: %w", err)
	}
	j := &jsonAPI{client: t, base: strings.TrimRight(serverURL, "/") + "/bot" + token + "/", token: token}
	return &API{lib: api, json: j}, nil
}

// Stop refuses every call from now on.
func (t *Client) Stop() { t.stopping.Store(true) }

// Abort cuts off the calls still in flight.
func (t *Client) Abort() { t.abort() }

// Do makes one request, detached from the caller's cancellation but not
// from Abort or the client's timeout.
func (t *Client) Do(req *http.Request) (*http.Response, error) {
	if t.stopping.Load() {
		return nil, ErrStopping
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(req.Context()))
	stop := context.AfterFunc(t.aborted, cancel)
	release := func() { stop(); cancel() }
	resp, err := t.answer(t.client.Do(req.WithContext(ctx)))
	if err != nil {
		release()
		return nil, err
	}
	resp.Body = &releasingBody{ReadCloser: resp.Body, release: release}
	return resp, nil
}

// newRequest makes a POST of body for one of the Telegram package's own
// calls, on the context that Abort ends: detached from the caller's from
// the start, so unlike Do it needs no context of its own per call (Do's
// costs a context, a callback on Abort's, a copy of the request and a
// wrapped body, on every message of a broadcast).
func (t *Client) newRequest(url string, body []byte) (*http.Request, error) {
	return http.NewRequestWithContext(t.aborted, http.MethodPost, url, bytes.NewReader(body))
}

// send makes a request from newRequest, with Do's rules: none after
// Stop, a 5xx answered as *ServerError.
func (t *Client) send(req *http.Request) (*http.Response, error) {
	if t.stopping.Load() {
		return nil, ErrStopping
	}
	return t.answer(t.client.Do(req))
}

// answer turns an answer of 5xx into *ServerError, its body read and
// closed.
func (t *Client) answer(resp *http.Response, err error) (*http.Response, error) {
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 500 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
		return nil, &ServerError{Status: resp.StatusCode}
	}
	return resp, nil
}

// releasingBody ends a request's context once its body is closed.
type releasingBody struct {
	io.ReadCloser
	once    sync.Once
	release func()
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}
