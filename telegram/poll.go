package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"
)

// Poller reads updates with getUpdates. Unlike the Telegram library's
// own loop, which confirms updates before its handlers have run, it asks
// for offset N+1 only after update N's effect is stored: an update
// Telegram has been told we have is already on disk.
type Poller struct {
	// URL is the Bot API server, e.g. https://api.telegram.org.
	URL   string
	Token string
	// Timeout is the long-polling timeout sent to Telegram.
	Timeout time.Duration
	Client  *http.Client
	// RetryWait is the pause before an update whose handling failed is
	// tried again (default 2s).
	RetryWait time.Duration
}

// pollResponse is the Bot API envelope of getUpdates.
type pollResponse struct {
	OK          bool             `json:"ok"`
	Result      []*models.Update `json:"result"`
	ErrorCode   int              `json:"error_code"`
	Description string           `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// allowedUpdates are the kinds kindling handles; Telegram drops others.
var allowedUpdates = []string{"message", "edited_message", "callback_query", "my_chat_member"}

// Fetch asks for the updates after offset-1, waiting up to Timeout.
func (p *Poller) Fetch(ctx context.Context, offset int64) ([]*models.Update, error) {
	body, err := json.Marshal(map[string]any{
		"offset":          offset,
		"timeout":         int(p.Timeout / time.Second),
		"allowed_updates": allowedUpdates,
	})
	if err != nil {
		return nil, err
	}
	url := strings.TrimRight(p.URL, "/") + "/bot" + p.Token + "/getUpdates"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, errors.New("getUpdates: bad server address")
	}
	req.Header.Set("Content-Type", "application/json")
	client := p.Client
	if client == nil {
		client = &http.Client{Timeout: p.Timeout + 15*time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		// The error text holds the URL, and so the token: leave it out.
		var ue interface{ Unwrap() error }
		if errors.As(err, &ue) && ue.Unwrap() != nil {
			return nil, fmt.Errorf("getUpdates: %w", ue.Unwrap())
		}
		return nil, errors.New("getUpdates: request failed")
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("getUpdates: read: %w", err)
	}
	if resp.StatusCode >= 500 {
		return nil, &ServerError{Status: resp.StatusCode}
	}
	var r pollResponse
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("getUpdates: status %d: bad answer: %w", resp.StatusCode, err)
	}
	if !r.OK {
		if r.ErrorCode == http.StatusTooManyRequests {
			return nil, &retryAfterError{seconds: r.Parameters.RetryAfter}
		}
		return nil, fmt.Errorf("getUpdates: %d %s", r.ErrorCode, r.Description)
	}
	return r.Result, nil
}

type retryAfterError struct{ seconds int }

func (e *retryAfterError) Error() string {
	return fmt.Sprintf("getUpdates: too many requests, retry after %d s", e.seconds)
}

// Handler stores the effect of one update. It returns nil once the
// effect is stored (or the update is given up on purpose); an error means
// the update must be fetched and handled again.
type Handler func(ctx context.Context, u *models.Update) error

// Poll fetches the updates after offset and hands each to handle in
// order, until ctx ends. It asks for update N+1 only once handle returned
// nil for update N, so Telegram is never told of an update that was not
// stored: one that failed is fetched again after RetryWait. A 429 waits
// as s says (capped at its MaxPause, like every other call); other
// failures of getUpdates back off up to 30 s. Failures are logged to s's
// Logger, never with the token.
func (p *Poller) Poll(ctx context.Context, offset int64, s *Sender, handle Handler) error {
	retryWait := p.RetryWait
	if retryWait <= 0 {
		retryWait = 2 * time.Second
	}
	var wait time.Duration
	for ctx.Err() == nil {
		if wait > 0 && !sleep(ctx, wait) {
			break
		}
		updates, err := p.Fetch(ctx, offset+1)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			var ra *retryAfterError
			if errors.As(err, &ra) {
				wait = s.PauseFor(ra.seconds, "getUpdates")
			} else {
				wait = min(max(wait*2, 500*time.Millisecond), 30*time.Second)
			}
			s.logger().Warn("read updates", "err", err, "retry_in", wait)
			continue
		}
		wait = 0
		for _, u := range updates {
			if err := handle(ctx, u); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				wait = retryWait
				break
			}
			offset = max(offset, u.ID)
		}
	}
	return nil
}
