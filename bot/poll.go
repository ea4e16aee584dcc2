package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-telegram/bot/models"

	"kindling/store"
	"kindling/telegram"
)

// stuckAfter is how many times in a row one update may fail while the
// store takes other writes before it is given up (see Poll).
const stuckAfter = 5

// Poll reads updates with p and handles each in order, starting after
// the stored offset, until ctx ends. An update whose handling fails is
// fetched again after a pause: it was not confirmed (see
// telegram.Poller.Poll).
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
func (b *Bot) Poll(ctx context.Context, p *telegram.Poller) error {
	offset, err := b.db.Offset()
	if err != nil {
		return fmt.Errorf("read update offset: %w", err)
	}
	var (
		stuckID  int64
		stuck    int
		stuckErr string // the error of the tries counted in stuck
	)
	return p.Poll(ctx, offset, b.sender, func(ctx context.Context, u *models.Update) error {
		err := b.Handle(ctx, u)
		if err == nil || ctx.Err() != nil {
			return err
		}
		b.crisisWhileStuck(ctx, u)
		if errors.Is(err, store.ErrStorage) {
			stuckID, stuck = u.ID, 0
			b.logger().Debug("update waits for the store to take writes", "update", u.ID, "err", err)
			return err
		}
		if u.ID != stuckID || err.Error() != stuckErr {
			stuckID, stuck, stuckErr = u.ID, 0, err.Error()
		}
		stuck++
		if stuck < stuckAfter || !b.skipStuck(u.ID, err) {
			b.logger().Error("handle update", "update", u.ID, "err", err)
			return err
		}
		return nil
	})
}

// skipStuck gives up an update that keeps failing while the store takes
// writes. It reports whether the update was recorded as handled.
func (b *Bot) skipStuck(id int64, cause error) bool {
	if b.db.StorageStats().Failing != nil {
		return false // a write was refused of late: the disk may be why
	}
	probe := []byte(b.now().UTC().Format(time.RFC3339Nano))
	if err := b.db.Update(func(tx *store.Tx) error { return tx.Put("health", "poll", probe) }); err != nil {
		return false // the store itself is failing: keep the update
	}
	if _, err := b.db.ApplyUpdate(id, func(*store.Tx) error { return nil }); err != nil {
		return false
	}
	b.stats.skipped.Add(1)
	b.logger().Error("gave up an update that failed every time while the store takes other writes; its effect is lost",
		"update", id, "tries", stuckAfter, "err", cause)
	return true
}
