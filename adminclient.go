package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"kindling/store"
)

// errNoAdmin means nothing answers on admin.listen, or it is off: no
// kindling is running there, and the database file can be opened directly.
var errNoAdmin = errors.New("no kindling answers on admin.listen")

// finalError ends an offline command although the database file could
// still be tried: the kindling that holds it refused the request (an
// export of a client it does not know, say), or its answer failed halfway.
type finalError struct{ err error }

func (e *finalError) Error() string { return e.err.Error() }
func (e *finalError) Unwrap() error { return e.err }

// askAdmin asks the kindling running on admin.listen for path?query. It
// returns the response to stream when that kindling answered 200 and
// holds the database cfg names; errNoAdmin when nothing answers there;
// *finalError when it refused; any other error when something else
// answered or the request failed (the file may then still be opened).
func askAdmin(ctx context.Context, cfg Config, path string, query url.Values) (*http.Response, error) {
	base, err := adminBase(cfg.Admin.Listen)
	if err != nil {
		return nil, err
	}
	u := base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	token, err := adminToken(cfg)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	hc := &http.Client{Transport: &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
		ResponseHeaderTimeout: 30 * time.Second,
	}}
	resp, err := hc.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return nil, fmt.Errorf("%w (%s)", errNoAdmin, cfg.Admin.Listen)
		}
		return nil, fmt.Errorf("admin.listen %s: %w", cfg.Admin.Listen, err)
	}
	held := resp.Header.Get(databaseHeader)
	if resp.StatusCode == http.StatusOK && held != "" && sameDatabase(held, cfg.Store.Path) {
		return resp, nil
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	text := strings.TrimSpace(string(msg))
	switch {
	case held == "" && resp.StatusCode == http.StatusUnauthorized:
		return nil, fmt.Errorf("admin.listen %s refused the request (401): is admin.token the running bot's? (without admin.token, the token is read from %s)", cfg.Admin.Listen, adminTokenPath(cfg.Store.Path))
	case held == "" && resp.StatusCode == http.StatusMisdirectedRequest:
		return nil, fmt.Errorf("admin.listen %s refused the request (421): %s", cfg.Admin.Listen, text)
	case held == "":
		return nil, fmt.Errorf("admin.listen %s: answered %s, not as kindling does", cfg.Admin.Listen, resp.Status)
	case !sameDatabase(held, cfg.Store.Path):
		return nil, fmt.Errorf("admin.listen %s: the kindling there holds %s, not store.path %s", cfg.Admin.Listen, held, cfg.Store.Path)
	}
	return nil, &finalError{fmt.Errorf("the running kindling answered %s: %s", resp.Status, text)}
}

// adminToken is the token to send to the admin address: admin.token when
// set, else the one the running kindling keeps beside the database (""
// when there is no such file: that kindling has a token of its own, or
// none).
func adminToken(cfg Config) (string, error) {
	if cfg.Admin.Token != "" {
		return cfg.Admin.Token, nil
	}
	tok, err := readAdminToken(adminTokenPath(cfg.Store.Path))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("admin token: %w (run as the user kindling runs as, or set admin.token)", err)
	}
	return tok, nil
}

// maxAdminToken bounds what readAdminToken reads.
const maxAdminToken = 1024

// readAdminToken reads an admin token file, surrounding space trimmed.
func readAdminToken(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxAdminToken+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxAdminToken {
		return "", fmt.Errorf("%s: longer than %d bytes, not a token", path, maxAdminToken)
	}
	return strings.TrimSpace(string(b)), nil
}

// adminBase is the URL to reach a listen address from this machine: an
// unspecified host (":8090", "0.0.0.0:8090") is reached on loopback.
func adminBase(listen string) (string, error) {
	if listen == "" {
		return "", errNoAdmin
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("admin.listen %q: %w", listen, err)
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port), nil
}

// sameDatabase reports whether the running kindling's database file, held,
// is the file path names. When either cannot be looked at (the bot runs in
// another mount namespace, say) it trusts the admin address.
func sameDatabase(held, path string) bool {
	a, err1 := os.Stat(held)
	b, err2 := os.Stat(path)
	if err1 != nil || err2 != nil {
		return true
	}
	return os.SameFile(a, b)
}

// backupFromAdmin writes the hot copy streamed by resp to dst the way
// store.DB.BackupFile does: into dst.tmp (0600), synced, renamed, then
// verified by opening it read-only and checking it.
func backupFromAdmin(resp *http.Response, dst string) (int64, error) {
	defer resp.Body.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return 0, err
	}
	tmp := dst + ".tmp"
	n, err := writeSynced(tmp, resp.Body)
	if err != nil {
		_ = os.Remove(tmp)
		return n, fmt.Errorf("backup %s: %w", dst, err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		_ = os.Remove(tmp)
		return n, fmt.Errorf("backup %s: %w", dst, err)
	}
	if d, err := os.Open(filepath.Dir(dst)); err == nil {
		_ = d.Sync() // the rename survives a crash
		_ = d.Close()
	}
	if err := verifyBackup(dst); err != nil {
		return n, fmt.Errorf("backup %s: verify: %w", dst, err)
	}
	return n, nil
}

func writeSynced(name string, r io.Reader) (int64, error) {
	f, err := os.OpenFile(name, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n, err := io.Copy(f, r)
	if err != nil {
		return n, err
	}
	if err := f.Sync(); err != nil {
		return n, err
	}
	return n, f.Close()
}

// verifyBackup opens a backup read-only and checks it whole.
func verifyBackup(path string) error {
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Check()
}
