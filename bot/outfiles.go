package bot

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"kindling/store"
	"kindling/telegram"
)

// Documents too large to keep inside an outbox row (the parts of a
// client's /mydata archive, up to tens of megabytes each) wait as files
// in the data folder's outbox directory, one folder per chat, and the
// row names the file. A row holds its document as base64 JSON that every
// pass of the drain decodes and that bbolt copies on every write; a file
// costs nothing until it is sent.
//
// The file is written (and synced) inside the transaction that enqueues
// its row, so a committed row always finds its file; a transaction that
// does not commit, or a crash after a send, leaves a file no row names,
// which the drain removes when it starts. A file is removed once its row
// is sent or dropped, and a chat's folder when the client erases their
// data.

// outboxDir is where documents wait for their outbox rows.
func (b *Bot) outboxDir() string { return filepath.Join(b.cfg.DataDir, "outbox") }

// keepDocument writes a document for chat into the outbox directory with
// write, and returns its path relative to DataDir for
// store.Outgoing.DocumentFile. The file is 0600 and synced before it
// returns.
func (b *Bot) keepDocument(chat int64, write func(io.Writer) error) (string, error) {
	dir := filepath.Join(b.outboxDir(), strconv.FormatInt(chat, 10))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("outbox document: %w", err)
	}
	f, err := os.CreateTemp(dir, "doc-*") // 0600
	if err != nil {
		return "", fmt.Errorf("outbox document: %w", err)
	}
	err = write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return "", fmt.Errorf("outbox document: %w", err)
	}
	rel, err := filepath.Rel(b.cfg.DataDir, f.Name())
	if err != nil {
		_ = os.Remove(f.Name())
		return "", fmt.Errorf("outbox document: %w", err)
	}
	return rel, nil
}

// syncDir makes a new file's name in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// documentOf returns the document an outbox row sends, nil for a plain
// message. A file that is gone while its row still waits cannot be sent
// by trying again: that is telegram.ErrRejected, and the row is dropped.
func (b *Bot) documentOf(o store.Outgoing) ([]byte, error) {
	if o.DocumentFile == "" {
		return o.Document, nil
	}
	if !filepath.IsLocal(o.DocumentFile) {
		return nil, fmt.Errorf("%w: outbox document %q is outside the data folder", telegram.ErrRejected, o.DocumentFile)
	}
	data, err := os.ReadFile(filepath.Join(b.cfg.DataDir, o.DocumentFile))
	if err == nil {
		return data, nil
	}
	waiting := true
	if verr := b.db.View(func(tx *store.Tx) error { waiting = tx.Waiting(o.ID); return nil }); verr != nil {
		return nil, verr
	}
	if !waiting {
		return nil, telegram.ErrGone // erased with its client, or sent meanwhile
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: outbox document: %v", telegram.ErrRejected, err)
	}
	return nil, fmt.Errorf("outbox document: %w", err) // tried again
}

// removeDocument removes the file of a row that was sent or dropped.
func (b *Bot) removeDocument(o store.Outgoing) {
	if o.DocumentFile == "" || !filepath.IsLocal(o.DocumentFile) {
		return
	}
	if err := os.Remove(filepath.Join(b.cfg.DataDir, o.DocumentFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		b.logger().Warn("remove sent outbox document", "chat", o.ChatID, "err", err)
	}
}

// removeDocuments removes every document waiting for a chat.
func (b *Bot) removeDocuments(chat int64) {
	if b.cfg.DataDir == "" {
		return
	}
	if err := os.RemoveAll(filepath.Join(b.outboxDir(), strconv.FormatInt(chat, 10))); err != nil {
		b.logger().Error("remove outbox documents", "chat", chat, "err", err)
	}
}

// sweepDocuments removes the outbox files no waiting row names. It holds
// handleMu, so no update is between writing a file and committing its
// row.
func (b *Bot) sweepDocuments() {
	if b.cfg.DataDir == "" {
		return
	}
	b.handleMu.Lock()
	defer b.handleMu.Unlock()
	dir := b.outboxDir()
	chats, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err != nil {
		b.logger().Error("read outbox documents", "err", err)
		return
	}
	named := map[string]bool{}
	err = b.db.View(func(tx *store.Tx) error {
		rows, err := tx.Outbox(1 << 20)
		for _, o := range rows {
			if o.DocumentFile != "" {
				named[filepath.Clean(o.DocumentFile)] = true
			}
		}
		return err
	})
	if err != nil {
		b.logger().Error("read outbox documents", "err", err)
		return
	}
	for _, chat := range chats {
		if !chat.IsDir() {
			continue
		}
		files, err := os.ReadDir(filepath.Join(dir, chat.Name()))
		if err != nil {
			b.logger().Error("read outbox documents", "err", err)
			continue
		}
		left := 0
		for _, f := range files {
			rel := filepath.Join("outbox", chat.Name(), f.Name())
			if named[rel] {
				left++
				continue
			}
			if err := os.RemoveAll(filepath.Join(b.cfg.DataDir, rel)); err != nil {
				b.logger().Error("remove unsent outbox document", "err", err)
				left++
			}
		}
		if left == 0 {
			_ = os.Remove(filepath.Join(dir, chat.Name())) // only if empty
		}
	}
}
