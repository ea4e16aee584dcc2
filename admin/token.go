package admin

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"kindling/store"
)

// tokenSuffix names the file beside the database that holds the admin
// token kindling made itself: kindling.db.admin-token.
const tokenSuffix = ".admin-token"

// TokenPath is the admin token file of the database at storePath.
func TokenPath(storePath string) string { return storePath + tokenSuffix }

// EnsureToken returns the token in the admin token file beside the
// database at storePath, first making one when there is none: 32 random
// bytes in unpadded base64url, written 0600 into a temporary file, synced
// and renamed into place, so that a crash leaves no half token. A file
// others may read is made 0600 again. The token is never logged.
func EnsureToken(storePath string, log *slog.Logger) (string, error) {
	path := TokenPath(storePath)
	tok, err := ReadToken(path)
	switch {
	case err == nil && tok != "":
		fi, err := os.Stat(path)
		if err != nil {
			return "", fmt.Errorf("admin token %s: %w", path, err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(path, 0o600); err != nil {
				return "", fmt.Errorf("admin token %s: others may read it, and it cannot be made 0600: %w", path, err)
			}
			log.Warn("admin token file was readable by others; made it 0600", "path", path)
		}
		return tok, nil
	case err == nil:
		log.Warn("admin token file is empty; writing a new token", "path", path)
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("admin token %s: %w", path, err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	tok = base64.RawURLEncoding.EncodeToString(raw)
	if _, err := store.WriteFileAtomic(path, strings.NewReader(tok+"\n")); err != nil {
		return "", fmt.Errorf("admin token %s: %w", path, err)
	}
	log.Info("admin token written for kindling export and backup", "path", path)
	return tok, nil
}

// maxToken bounds what ReadToken reads.
const maxToken = 1024

// ReadToken reads an admin token file, surrounding space trimmed.
func ReadToken(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxToken+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxToken {
		return "", fmt.Errorf("%s: longer than %d bytes, not a token", path, maxToken)
	}
	return strings.TrimSpace(string(b)), nil
}
