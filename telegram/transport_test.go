package telegram_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"kindling/bot"
	"kindling/telegram"
	"kindling/telegramtest"
)

// The real client is the one the conversation takes.
var _ bot.API = (*telegram.API)(nil)

// TestPollConfirmsOnlyHandled: an update whose handling failed is fetched
// and handed over again, and the next one only after it; while it fails,
// Telegram holds it (it was not confirmed).
func TestPollConfirmsOnlyHandled(t *testing.T) {
	srv := telegramtest.NewTB(t)
	u := srv.User(5001, "Maya", "en")
	u.Send("first")
	u.Send("second")
	p := &telegram.Poller{URL: srv.URL(), Token: srv.Token(), Timeout: time.Second, RetryWait: time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		mu    sync.Mutex
		seen  []string
		tries int
	)
	handle := func(ctx context.Context, up *models.Update) error {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, up.Message.Text)
		if up.Message.Text == "first" && tries < 2 {
			tries++
			if n := srv.Pending(); n != 2 {
				t.Errorf("while %q fails: %d updates pending at Telegram, want 2", up.Message.Text, n)
			}
			return errors.New("not stored")
		}
		if up.Message.Text == "second" {
			cancel()
		}
		return nil
	}
	if err := p.Poll(ctx, 0, &telegram.Sender{Logger: quiet()}, handle); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(seen, ","); got != "first,first,first,second" {
		t.Errorf("handed over %s, want the failing update again until it is handled, then the next", got)
	}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestWebhookAnswers: each kind of request gets its status, the handler
// sees only well-formed updates with the right secret, and a failure to
// store is a 500 told to Failed.
func TestWebhookAnswers(t *testing.T) {
	const secret = "s3cret-token"
	var (
		handled, failed, refused int
		fail                     bool
	)
	var logs bytes.Buffer
	h := &telegram.Webhook{
		Secret: secret,
		Handle: func(ctx context.Context, u *models.Update) error {
			handled++
			if fail {
				return errors.New("store refused the write")
			}
			return nil
		},
		Failed:  func(context.Context, *models.Update) { failed++ },
		Refused: func() { refused++ },
		Logger:  slog.New(slog.NewTextHandler(&logs, nil)),
	}
	update := `{"update_id": 7, "message": {"message_id": 1, "text": "private words", "chat": {"id": 5, "type": "private"}}}`
	huge := `{"update_id": 1, "message": {"text": "` + strings.Repeat("a", telegram.MaxWebhookBody) + `"}}`
	for _, tc := range []struct {
		name, method, secret, body string
		fail                       bool
		want                       int
	}{
		{"get", http.MethodGet, secret, "", false, http.StatusMethodNotAllowed},
		{"no secret", http.MethodPost, "", update, false, http.StatusUnauthorized},
		{"wrong secret", http.MethodPost, "guess", update, false, http.StatusUnauthorized},
		{"too large", http.MethodPost, secret, huge, false, http.StatusRequestEntityTooLarge},
		{"not an update", http.MethodPost, secret, `{"hello": "private words"}`, false, http.StatusBadRequest},
		{"stored", http.MethodPost, secret, update, false, http.StatusOK},
		{"not stored", http.MethodPost, secret, update, true, http.StatusInternalServerError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			handled, failed, refused, fail = 0, 0, 0, tc.fail
			req := httptest.NewRequest(tc.method, "/telegram", strings.NewReader(tc.body))
			if tc.secret != "" {
				req.Header.Set(telegram.SecretHeader, tc.secret)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != tc.want {
				t.Errorf("status %d, want %d", w.Code, tc.want)
			}
			wantHandled := tc.want == http.StatusOK || tc.want == http.StatusInternalServerError
			if (handled == 1) != wantHandled || handled > 1 {
				t.Errorf("handled %d times", handled)
			}
			if (failed == 1) != tc.fail {
				t.Errorf("failed told %d times", failed)
			}
			if (refused == 1) != (tc.want < 500 && tc.want != http.StatusOK) {
				t.Errorf("refused counted %d times", refused)
			}
		})
	}
	if strings.Contains(logs.String(), "private words") || strings.Contains(logs.String(), secret) {
		t.Errorf("a client's words or the secret in the log:\n%s", logs.String())
	}
}

// TestWebhookEmptySecret: with no secret set, every request is refused.
func TestWebhookEmptySecret(t *testing.T) {
	h := &telegram.Webhook{Handle: func(context.Context, *models.Update) error {
		t.Error("an update was handled without a secret")
		return nil
	}, Logger: quiet()}
	req := httptest.NewRequest(http.MethodPost, "/telegram", strings.NewReader(`{"update_id": 1}`))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusUnauthorized {
		t.Errorf("status %d, want 401", w.Code)
	}
}

// TestClientKeepsConnsOfAllWorkers: when as many sends as the drain has
// workers (128) end together, their connections are all kept for the
// next ones, none closed and dialled again.
func TestClientKeepsConnsOfAllWorkers(t *testing.T) {
	const workers = 128
	var (
		mu      sync.Mutex
		waiting int
		release chan struct{}
		dials   int
	)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		ch := release
		if waiting++; waiting == workers {
			close(release) // every worker's call is in: answer them all at once
		}
		mu.Unlock()
		<-ch
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true,"result":{"message_id":1}}`)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			mu.Lock()
			dials++
			mu.Unlock()
		}
	}
	srv.Start()
	defer srv.Close()
	api, err := telegram.NewAPI("123:abc", srv.URL, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for round := range 3 {
		mu.Lock()
		waiting, release = 0, make(chan struct{})
		mu.Unlock()
		var wg sync.WaitGroup
		for i := range workers {
			wg.Go(func() {
				if _, err := api.SendText(context.Background(), telegram.Text{ChatID: int64(i + 1), Text: "hello"}); err != nil {
					t.Errorf("round %d send %d: %v", round, i, err)
				}
			})
		}
		wg.Wait()
	}
	mu.Lock()
	defer mu.Unlock()
	if dials != workers {
		t.Errorf("%d connections made for three rounds of %d sends at once, want %d", dials, workers, workers)
	}
}

// TestTextCallOutlivesCallerButNotAbort: a text message in flight is
// waited for when the context that sent it ends (Telegram may already
// have it: it is recorded as sent, not sent again), and Abort cuts it
// off; after Stop no call is made at all.
func TestTextCallOutlivesCallerButNotAbort(t *testing.T) {
	arrived := make(chan struct{}, 2)
	answer := make(chan struct{})
	var calls sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		defer calls.Done()
		_, _ = io.Copy(io.Discard, r.Body)
		arrived <- struct{}{}
		select {
		case <-answer:
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true,"result":{"message_id":42}}`)
	}))
	defer srv.Close()
	client := telegram.NewClient(10 * time.Second)
	api, err := client.API("123:abc", srv.URL)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	type result struct {
		id  int
		err error
	}
	done := make(chan result, 1)
	go func() {
		id, err := api.SendText(ctx, telegram.Text{ChatID: 7, Text: "hello"})
		done <- result{id, err}
	}()
	<-arrived
	cancel()
	close(answer)
	if r := <-done; r.err != nil || r.id != 42 {
		t.Fatalf("after the caller's context ended: id %d, err %v; want the message's id 42", r.id, r.err)
	}

	answer = make(chan struct{}) // the next call hangs until cut off
	go func() {
		id, err := api.SendText(context.Background(), telegram.Text{ChatID: 7, Text: "again"})
		done <- result{id, err}
	}()
	<-arrived
	client.Abort()
	select {
	case r := <-done:
		if r.err == nil {
			t.Fatalf("an aborted call answered id %d and no error", r.id)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Abort did not cut off the call in flight")
	}

	client.Stop()
	if _, err := api.SendText(context.Background(), telegram.Text{ChatID: 7, Text: "late"}); !errors.Is(err, telegram.ErrStopping) {
		t.Fatalf("a call after Stop: %v, want ErrStopping", err)
	}
	calls.Wait()
	if len(arrived) != 0 {
		t.Fatal("a call after Stop reached Telegram")
	}
}
