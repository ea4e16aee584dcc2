package admin_test

import (
	"bytes"
	"encoding/base64"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kindling/admin"
)

// TestEnsureToken: a token is made once, 0600, 32 random bytes in
// base64url; read again after that; a file others may read is made 0600
// again; an empty file gets a new token; the token is never logged.
func TestEnsureToken(t *testing.T) {
	db := filepath.Join(t.TempDir(), "kindling.db")
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	tok, err := admin.EnsureToken(db, log)
	if err != nil {
		t.Fatal(err)
	}
	if raw, err := base64.RawURLEncoding.DecodeString(tok); err != nil || len(raw) != 32 {
		t.Errorf("token %q (%v), want 32 random bytes in base64url", tok, err)
	}
	path := admin.TokenPath(db)
	if path != db+".admin-token" {
		t.Errorf("TokenPath = %s", path)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v %v, want 0600", fi, err)
	}
	if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("the temporary file is left behind: %v", err)
	}

	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	again, err := admin.EnsureToken(db, log)
	if err != nil || again != tok {
		t.Errorf("second EnsureToken = %q, %v; want the first token", again, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("token file after the second call: %v %v, want 0600", fi, err)
	}

	if err := os.WriteFile(path, []byte("  \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fresh, err := admin.EnsureToken(db, log)
	if err != nil || fresh == "" || fresh == tok {
		t.Errorf("EnsureToken over an empty file = %q, %v; want a new token", fresh, err)
	}
	if got, err := admin.ReadToken(path); err != nil || got != fresh {
		t.Errorf("ReadToken = %q, %v; want %q", got, err, fresh)
	}
	for _, secret := range []string{tok, fresh} {
		if strings.Contains(logs.String(), secret) {
			t.Error("the admin token appears in the log")
		}
	}
}

func TestReadTokenTooLong(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kindling.db.admin-token")
	if err := os.WriteFile(path, bytes.Repeat([]byte("a"), 1025), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.ReadToken(path); err == nil || !strings.Contains(err.Error(), "longer than 1024 bytes, not a token") {
		t.Errorf("got %v", err)
	}
	if _, err := admin.EnsureToken(strings.TrimSuffix(path, ".admin-token"), slog.New(slog.DiscardHandler)); err == nil {
		t.Error("EnsureToken over a file that is not a token succeeded")
	}
}
