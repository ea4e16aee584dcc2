package admin

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
	"strings"
	"time"
)

// ErrNoServer means nothing answers on admin.listen, or it is off: no
// kindling is running there, and the database file can be opened directly.
var ErrNoServer = errors.New("no kindling answers on admin.listen")

// RefusedError is the answer of a kindling that holds the database and
// refused the request (an export of a client it does not know, say): the
// caller should not go on to open the database file itself.
type RefusedError struct{ Err error }

func (e *RefusedError) Error() string { return e.Err.Error() }
func (e *RefusedError) Unwrap() error { return e.Err }

// Client asks a running kindling through its admin address.
type Client struct {
	Listen    string // admin.listen; "" is off
	Token     string // admin.token; "" reads the token file beside StorePath
	StorePath string // store.path: the database the answering kindling must hold
}

// Get asks the kindling running on c.Listen for path?query. It returns
// the response to stream when that kindling answered 200 and holds the
// database c.StorePath names; ErrNoServer when nothing answers there;
// *RefusedError when it refused; any other error when something else
// answered or the request failed (the file may then still be opened).
func (c Client) Get(ctx context.Context, path string, query url.Values) (*http.Response, error) {
	base, err := BaseURL(c.Listen)
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
	token, err := c.token()
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
			return nil, fmt.Errorf("%w (%s)", ErrNoServer, c.Listen)
		}
		return nil, fmt.Errorf("admin.listen %s: %w", c.Listen, err)
	}
	held := resp.Header.Get(DatabaseHeader)
	if resp.StatusCode == http.StatusOK && held != "" && sameDatabase(held, c.StorePath) {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, c.refused(resp, held)
}

// refused says why resp, which is not the answer wanted, was refused.
func (c Client) refused(resp *http.Response, held string) error {
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	text := strings.TrimSpace(string(msg))
	switch {
	case held == "" && resp.StatusCode == http.StatusUnauthorized:
		return fmt.Errorf("admin.listen %s refused the request (401): is admin.token the running bot's? (without admin.token, the token is read from %s)", c.Listen, TokenPath(c.StorePath))
	case held == "" && resp.StatusCode == http.StatusMisdirectedRequest:
		return fmt.Errorf("admin.listen %s refused the request (421): %s", c.Listen, text)
	case held == "":
		return fmt.Errorf("admin.listen %s: answered %s, not as kindling does", c.Listen, resp.Status)
	case !sameDatabase(held, c.StorePath):
		return fmt.Errorf("admin.listen %s: the kindling there holds %s, not store.path %s", c.Listen, held, c.StorePath)
	}
	return &RefusedError{Err: fmt.Errorf("the running kindling answered %s: %s", resp.Status, text)}
}

// token is the token to send: c.Token when set, else the one the running
// kindling keeps beside the database ("" when there is no such file: that
// kindling has a token of its own, or none).
func (c Client) token() (string, error) {
	if c.Token != "" {
		return c.Token, nil
	}
	tok, err := ReadToken(TokenPath(c.StorePath))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("admin token: %w (run as the user kindling runs as, or set admin.token)", err)
	}
	return tok, nil
}

// BaseURL is the URL to reach a listen address from this machine: an
// unspecified host (":8090", "0.0.0.0:8090") is reached on loopback.
func BaseURL(listen string) (string, error) {
	if listen == "" {
		return "", ErrNoServer
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

// Health asks the kindling running on c.Listen for /healthz, as a
// container's health check does (within 5 s): its answer, at most 64 KB,
// and whether it was 200. Nothing is sent but the request: /healthz needs
// no token.
func (c Client) Health(ctx context.Context) (body []byte, ok bool, err error) {
	base, err := BaseURL(c.Listen)
	if errors.Is(err, ErrNoServer) {
		return nil, false, errors.New("admin.listen is off: there is no /healthz to ask")
	}
	if err != nil {
		return nil, false, err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
	if err != nil {
		return nil, false, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, false, fmt.Errorf("healthz: %w", err)
	}
	defer resp.Body.Close()
	body, _ = io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return body, resp.StatusCode == http.StatusOK, nil
}
