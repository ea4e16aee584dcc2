package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tgbot "github.com/go-telegram/bot"

	"kindling/bot"
)

// errStopping is returned for a Telegram call begun after kindling started
// to stop; the outbox keeps the message for the next start.
var errStopping = errors.New("kindling is stopping: telegram call not made")

// telegramHTTP is the HTTP client under the Telegram library in `kindling
// run`. A call in flight is not cut off when the context that started it
// ends: a message Telegram may already have received is then waited for and
// recorded as sent, instead of being sent again after a restart. After Stop
// it refuses new calls; Abort cuts off the ones still in flight. Like
// bot.NewAPI's client it answers a 5xx as *bot.ServerError.
type telegramHTTP struct {
	client   *http.Client
	stopping atomic.Bool
	aborted  context.Context // ends on Abort
	abort    context.CancelFunc
}

func newTelegramHTTP(timeout time.Duration) *telegramHTTP {
	t := &telegramHTTP{client: &http.Client{Timeout: timeout}}
	t.aborted, t.abort = context.WithCancel(context.Background())
	return t
}

// api makes the Telegram library's client on top of t, configured as
// bot.NewAPI configures it.
func (t *telegramHTTP) api(token, serverURL string) (*tgbot.Bot, error) {
	return tgbot.New(token,
		tgbot.WithServerURL(strings.TrimRight(serverURL, "/")),
		tgbot.WithSkipGetMe(),
		tgbot.WithHTTPClient(t.client.Timeout, t),
		tgbot.WithErrorsHandler(func(error) {}),
	)
}

// Stop refuses every call from now on.
func (t *telegramHTTP) Stop() { t.stopping.Store(true) }

// Abort cuts off the calls still in flight.
func (t *telegramHTTP) Abort() { t.abort() }

// Do makes one request, detached from the caller's cancellation but not
// from Abort or the client's timeout.
func (t *telegramHTTP) Do(req *http.Request) (*http.Response, error) {
	if t.stopping.Load() {
		return nil, errStopping
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(req.Context()))
	stop := context.AfterFunc(t.aborted, cancel)
	release := func() { stop(); cancel() }
	resp, err := t.client.Do(req.WithContext(ctx))
	if err != nil {
		release()
		return nil, err
	}
	if resp.StatusCode >= 500 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
		release()
		return nil, &bot.ServerError{Status: resp.StatusCode}
	}
	resp.Body = &releasingBody{ReadCloser: resp.Body, release: release}
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
