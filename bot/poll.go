package bot

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

	"kindling/store"
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

// stuckAfter is how many times in a row one update may fail while the
// store takes other writes before it is given up (see Poll).
const stuckAfter = 5

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

// Poll fetches updates and hands each to handle in order, starting after
// the stored offset, until ctx ends. An update whose handling fails is
// fetched again after a pause: it was not confirmed.
//
// One update that fails every time must not silence everyone else (a
// record damaged on disk, say). After stuckAfter failures in a row with
// the same error, none of them an error of the storage, and while the
// store takes writes (a test write succeeds and no write was refused of
// late), the update is recorded as handled without effect, logged with
// its id, and counted. An update whose write the storage refused (a full
// disk, an I/O error, a read-only file system: store.ErrStorage) is never
// given up: it waits for the disk, however long. The store tells of such
// a spell once (store.Options.OnStorage), so each try is logged only at
// debug level.
func (b *Bot) Poll(ctx context.Context, p *Poller) error {
	b.init()
	offset, err := b.DB.Offset()
	if err != nil {
		return fmt.Errorf("read update offset: %w", err)
	}
	retryWait := p.RetryWait
	if retryWait <= 0 {
		retryWait = 2 * time.Second
	}
	var (
		wait     time.Duration
		stuckID  int64
		stuck    int
		stuckErr string // the error of the tries counted in stuck
	)
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
				// Capped at the sender's MaxPause, as every other call.
				wait = b.Sender.pauseFor(ra.seconds, "getUpdates")
			} else {
				wait = min(max(wait*2, 500*time.Millisecond), 30*time.Second)
			}
			b.logger().Warn("read updates", "err", err, "retry_in", wait)
			continue
		}
		wait = 0
		for _, u := range updates {
			err := b.Handle(ctx, u)
			if err != nil && ctx.Err() != nil {
				return nil
			}
			if err != nil {
				b.crisisWhileStuck(ctx, u)
			}
			if err != nil && errors.Is(err, store.ErrStorage) {
				stuckID, stuck = u.ID, 0
				b.logger().Debug("update waits for the store to take writes", "update", u.ID, "err", err)
				wait = retryWait
				break
			}
			if err != nil {
				if u.ID != stuckID || err.Error() != stuckErr {
					stuckID, stuck, stuckErr = u.ID, 0, err.Error()
				}
				stuck++
				if stuck < stuckAfter || !b.skipStuck(u.ID, err) {
					b.logger().Error("handle update", "update", u.ID, "err", err)
					wait = retryWait
					break
				}
			}
			offset = max(offset, u.ID)
		}
	}
	return nil
}

// skipStuck gives up an update that keeps failing while the store takes
// writes. It reports whether the update was recorded as handled.
func (b *Bot) skipStuck(id int64, cause error) bool {
	if b.DB.StorageStats().Failing != nil {
		return false // a write was refused of late: the disk may be why
	}
	probe := []byte(b.Now().UTC().Format(time.RFC3339Nano))
	if err := b.DB.Update(func(tx *store.Tx) error { return tx.Put("health", "poll", probe) }); err != nil {
		return false // the store itself is failing: keep the update
	}
	if _, err := b.DB.ApplyUpdate(id, func(*store.Tx) error { return nil }); err != nil {
		return false
	}
	b.stats.skipped.Add(1)
	b.logger().Error("gave up an update that failed every time while the store takes other writes; its effect is lost",
		"update", id, "tries", stuckAfter, "err", cause)
	return true
}
