package admin_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kindling/admin"
)

// listenOf is the host:port an httptest server listens on.
func listenOf(srv *httptest.Server) string { return srv.Listener.Addr().String() }

func TestClientGet(t *testing.T) {
	fx := newFixture(t)
	if err := os.WriteFile(fx.opts.Database, []byte("a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := fx.serve(t)
	ctx := context.Background()

	t.Run("the token from the file beside the database", func(t *testing.T) {
		if err := os.WriteFile(admin.TokenPath(fx.opts.Database), []byte(testToken+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(admin.TokenPath(fx.opts.Database))
		c := admin.Client{Listen: listenOf(srv), StorePath: fx.opts.Database}
		resp, err := c.Get(ctx, "/backup", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if b, _ := io.ReadAll(resp.Body); string(b) != "a whole database" {
			t.Errorf("backup body %q", b)
		}
	})
	t.Run("admin.token and a query", func(t *testing.T) {
		c := admin.Client{Listen: listenOf(srv), Token: testToken, StorePath: fx.opts.Database}
		resp, err := c.Get(ctx, "/export", map[string][]string{"format": {"json"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if last := fx.db.exported[len(fx.db.exported)-1]; last.Format != "json" {
			t.Errorf("export asked for %+v, want json", last)
		}
	})
	t.Run("a wrong token", func(t *testing.T) {
		c := admin.Client{Listen: listenOf(srv), Token: "wrong", StorePath: fx.opts.Database}
		_, err := c.Get(ctx, "/backup", nil)
		want := "admin.listen " + listenOf(srv) + " refused the request (401): is admin.token the running bot's? (without admin.token, the token is read from " + fx.opts.Database + ".admin-token)"
		if err == nil || err.Error() != want {
			t.Errorf("got %v, want %s", err, want)
		}
	})
	t.Run("another database", func(t *testing.T) {
		other := filepath.Join(t.TempDir(), "other.db")
		if err := os.WriteFile(other, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		c := admin.Client{Listen: listenOf(srv), Token: testToken, StorePath: other}
		_, err := c.Get(ctx, "/backup", nil)
		if err == nil || !strings.Contains(err.Error(), "the kindling there holds "+fx.opts.Database+", not store.path "+other) {
			t.Errorf("got %v, want an error naming both files", err)
		}
	})
	t.Run("a refusal of the kindling that holds the database", func(t *testing.T) {
		c := admin.Client{Listen: listenOf(srv), Token: testToken, StorePath: fx.opts.Database}
		_, err := c.Get(ctx, "/export", map[string][]string{"client": {"99"}})
		var refused *admin.RefusedError
		if !errors.As(err, &refused) || err.Error() != "the running kindling answered 404 Not Found: no client 99" {
			t.Errorf("got %v (%T), want a *RefusedError", err, err)
		}
	})
	t.Run("something else answering", func(t *testing.T) {
		other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "hello")
		}))
		defer other.Close()
		c := admin.Client{Listen: listenOf(other), Token: testToken, StorePath: fx.opts.Database}
		_, err := c.Get(ctx, "/backup", nil)
		if err == nil || err.Error() != "admin.listen "+listenOf(other)+": answered 200 OK, not as kindling does" {
			t.Errorf("got %v", err)
		}
	})
	t.Run("nothing listening, or admin.listen off", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		for _, listen := range []string{addr, ""} {
			c := admin.Client{Listen: listen, Token: testToken, StorePath: fx.opts.Database}
			if _, err := c.Get(ctx, "/backup", nil); !errors.Is(err, admin.ErrNoServer) {
				t.Errorf("listen %q: got %v, want ErrNoServer", listen, err)
			}
		}
	})
}

func TestBaseURL(t *testing.T) {
	for listen, want := range map[string]string{
		"127.0.0.1:8090": "http://127.0.0.1:8090",
		":8090":          "http://127.0.0.1:8090",
		"0.0.0.0:8090":   "http://127.0.0.1:8090",
		"[::]:8090":      "http://[::1]:8090",
		"mon.lan:9100":   "http://mon.lan:9100",
	} {
		if got, err := admin.BaseURL(listen); err != nil || got != want {
			t.Errorf("BaseURL(%q) = %q, %v; want %q", listen, got, err, want)
		}
	}
	if _, err := admin.BaseURL("8090"); err == nil || !strings.Contains(err.Error(), `admin.listen "8090"`) {
		t.Errorf("BaseURL without a port separator: %v", err)
	}
}

func TestClientHealth(t *testing.T) {
	for _, status := range []int{http.StatusOK, http.StatusServiceUnavailable} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/healthz" || r.Header.Get("Authorization") != "" {
				t.Errorf("asked %s with Authorization %q", r.URL.Path, r.Header.Get("Authorization"))
			}
			w.WriteHeader(status)
			io.WriteString(w, `{"status":"x"}`)
		}))
		body, ok, err := admin.Client{Listen: listenOf(srv), Token: "not sent"}.Health(context.Background())
		srv.Close()
		if err != nil || ok != (status == http.StatusOK) || string(body) != `{"status":"x"}` {
			t.Errorf("%d: Health = %q, %v, %v", status, body, ok, err)
		}
	}
	if _, _, err := (admin.Client{}).Health(context.Background()); err == nil || !strings.Contains(err.Error(), "admin.listen is off") {
		t.Errorf("Health with admin.listen off = %v", err)
	}
}
