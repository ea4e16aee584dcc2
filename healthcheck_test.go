package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// TestHealthcheckCommand: `kindling healthcheck` exits 0 on a 200 from
// /healthz and 1 on a 503, printing the answer either way.
func TestHealthcheckCommand(t *testing.T) {
	for _, tc := range []struct {
		status int
		ok     bool
	}{{http.StatusOK, true}, {http.StatusServiceUnavailable, false}} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/healthz" {
				http.NotFound(w, r)
				return
			}
			w.WriteHeader(tc.status)
			_, _ = w.Write([]byte(`{"status":"x"}`))
		}))
		addr := srv.Listener.Addr().(*net.TCPAddr)
		cfg := filepath.Join(t.TempDir(), "config.yaml")
		if err := os.WriteFile(cfg, []byte("admin:\n  listen: "+addr.String()+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		var out, errOut bytes.Buffer
		err := run(context.Background(), []string{"healthcheck", "--config", cfg}, func(string) string { return "" }, &out, &errOut)
		var exit exitError
		switch {
		case tc.ok && err != nil:
			t.Errorf("status %d: healthcheck failed: %v %s", tc.status, err, errOut.String())
		case !tc.ok && !(errors.As(err, &exit) && exit == 1):
			t.Errorf("status %d: healthcheck returned %v, want exit status 1", tc.status, err)
		}
		if out.String() != `{"status":"x"}` {
			t.Errorf("status %d: printed %q", tc.status, out.String())
		}
		srv.Close()
	}
	// Nothing listening: an error, not a hang.
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfg, []byte("admin:\n  listen: 127.0.0.1:1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"healthcheck", "--config", cfg}, func(string) string { return "" }, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Error("healthcheck with nothing listening succeeded")
	}
}
