package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"kindling/telegramtest"
)

// crashBinary builds kindling once for all the tests that run the binary.
var crashBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "kindling-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "kindling")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// quietConfig is the config of a run without the admin address or
// backups, open to anyone who writes.
const quietConfig = "admin:\n  listen: \"\"\nbackup:\n  schedule: \"\"\nenrollment: open\n"

// binaryRun says how startKindling runs `kindling run`.
type binaryRun struct {
	// srv, when set, is the Telegram it talks to, with the store at
	// dir/kindling.db and a poll timeout of 2 s.
	srv *telegramtest.Server
	// config is written to dir/config.yaml; "" is quietConfig. configFile
	// names a file to use instead (os.DevNull: defaults and environment).
	config, configFile string
	// logLevel sets KINDLING_LOG_LEVEL when not "".
	logLevel string
	// env comes after what srv and logLevel set, and wins over them.
	env []string
	// out takes the output; nil is dir/kindling.log, made anew (or
	// appended to, with appendLog).
	out       io.Writer
	appendLog bool
	// logTail is how much of the end of dir/kindling.log a failed test
	// shows: 0 nothing, -1 all of it.
	logTail int
}

// startKindling starts the built binary as run says, in dir. The process
// is killed at the end of the test if it still runs.
func startKindling(t testing.TB, dir string, run binaryRun) *exec.Cmd {
	t.Helper()
	bin, err := crashBinary()
	if err != nil {
		t.Fatal(err)
	}
	cfg := run.configFile
	if cfg == "" {
		cfg = filepath.Join(dir, "config.yaml")
		text := run.config
		if text == "" {
			text = quietConfig
		}
		if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "run", "--config", cfg)
	cmd.Env = os.Environ()
	if run.srv != nil {
		cmd.Env = append(cmd.Env,
			"KINDLING_TELEGRAM_TOKEN="+run.srv.Token(),
			"KINDLING_TELEGRAM_API_URL="+run.srv.URL(),
			"KINDLING_TELEGRAM_POLL_TIMEOUT=2s",
			"KINDLING_STORE_PATH="+filepath.Join(dir, "kindling.db"),
		)
	}
	if run.logLevel != "" {
		cmd.Env = append(cmd.Env, "KINDLING_LOG_LEVEL="+run.logLevel)
	}
	cmd.Env = append(cmd.Env, run.env...)
	logPath := filepath.Join(dir, "kindling.log")
	cmd.Stdout, cmd.Stderr = run.out, run.out
	if run.out == nil {
		flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
		if run.appendLog {
			flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
		}
		logf, err := os.OpenFile(logPath, flags, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { logf.Close() })
		cmd.Stdout, cmd.Stderr = logf, logf
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		if t.Failed() && run.logTail != 0 {
			b, _ := os.ReadFile(logPath)
			if run.logTail > 0 && len(b) > run.logTail {
				b = b[len(b)-run.logTail:]
			}
			t.Logf("kindling log:\n%s", b)
		}
	})
	return cmd
}
