package main

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kindling/telegramtest"
)

// startBinary starts the built binary against srv with the store in dir,
// as crashRun does, logging at info, with extra environment variables.
func startBinary(t *testing.T, srv *telegramtest.Server, dir string, env ...string) *exec.Cmd {
	return startKindling(t, dir, binaryRun{srv: srv, logLevel: "info", env: env, logTail: -1})
}

// TestOptionalCallsDoNotHoldBackStart: whatever setMyCommands answers
// (500, 429 with a huge retry_after, a dropped connection, every time), the
// built binary reads updates at once: a message waiting at start is
// answered within 3 s, and so is one written after the menu failed.
func TestOptionalCallsDoNotHoldBackStart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	if _, err := crashBinary(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		fault telegramtest.Fault
	}{
		{"500", telegramtest.ServerError(http.StatusInternalServerError)},
		{"429 retry_after 100000", telegramtest.TooMany(100000)},
		{"dropped connection", telegramtest.Drop},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := telegramtest.NewTB(t)
			srv.Fail("setMyCommands", 0, tc.fault)
			u := srv.User(6101, "Ana", "en")
			u.Send("/start")
			started := time.Now()
			startBinary(t, srv, t.TempDir())
			ctx, cancel := context.WithDeadline(context.Background(), started.Add(3*time.Second))
			defer cancel()
			if _, err := u.WaitMessages(ctx, 1); err != nil {
				t.Fatalf("no answer within 3 s of start: %v", err)
			}
			took := time.Since(started)
			if len(srv.Calls("setMyCommands")) == 0 {
				// The menu may come after the answer; give it a moment.
				wait, cancelWait := context.WithTimeout(context.Background(), 3*time.Second)
				defer cancelWait()
				if err := srv.Wait(wait, func() bool { return len(srv.Calls("setMyCommands")) > 0 }); err != nil {
					t.Fatal("setMyCommands was never called")
				}
			}
			// The failed menu set no pause for the others.
			v := srv.User(6102, "Ben", "en")
			v.Send("/start")
			sent := time.Now()
			ctx2, cancel2 := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel2()
			if _, err := v.WaitMessages(ctx2, 1); err != nil {
				t.Fatalf("a message after the menu failed is not answered within 3 s: %v", err)
			}
			t.Logf("answered %s after start; the next in %s", took.Round(time.Millisecond), time.Since(sent).Round(time.Millisecond))
		})
	}
}

// TestHugeRetryAfterThroughTheBinary: a 429 with retry_after 100000
// pauses the built binary for telegram.max_pause only: the message it
// held and a client's next message are answered, and the log says the
// retry_after was cut.
func TestHugeRetryAfterThroughTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	// Mostly waiting on the binary: runs beside the other tests that wait.
	t.Parallel()
	srv := telegramtest.NewTB(t)
	dir := t.TempDir()
	u := srv.User(6201, "Ana", "en")
	startBinary(t, srv, dir, "KINDLING_TELEGRAM_MAX_PAUSE=2s")
	u.Send("/start")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := u.WaitMessages(ctx, 1); err != nil {
		t.Fatal(err)
	}
	srv.Fail("sendMessage", 1, telegramtest.TooMany(100000))
	u.Send("/help")
	if err := srv.Wait(ctx, func() bool { return srv.Responses(http.StatusTooManyRequests) == 1 }); err != nil {
		t.Fatal(err)
	}
	paused := time.Now()
	v := srv.User(6202, "Ben", "en")
	v.Send("/start")
	if _, err := u.WaitMessages(ctx, 2); err != nil {
		t.Fatalf("the held reply never came: %v", err)
	}
	if _, err := v.WaitMessages(ctx, 1); err != nil {
		t.Fatalf("a client's message after the 429 is not answered: %v", err)
	}
	if took := time.Since(paused); took > 6*time.Second {
		t.Errorf("answered %s after the 429, want about max_pause (2s)", took)
	}
	b, err := os.ReadFile(filepath.Join(dir, "kindling.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "longer than telegram.max_pause") || !strings.Contains(string(b), "retry_after=100000") {
		t.Errorf("the log does not say the retry_after was cut:\n%s", b)
	}
}

// TestCrisisReplyWithinTheUrgentHoldThroughTheBinary: with
// telegram.max_pause at ten minutes, a 429 asking for 100,000 s holds
// ordinary replies, but a crisis reply written after it is delivered once
// telegram.urgent_hold has passed (3 s here, so that the test waits 3 s of
// wall time, not the default 30; the default's 30 s is held to in bot's
// pause tests with an injected clock).
func TestCrisisReplyWithinTheUrgentHoldThroughTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	// Mostly waiting on the binary: runs beside the other tests that wait.
	t.Parallel()
	srv := telegramtest.NewTB(t)
	u := srv.User(6301, "Ana", "en")
	v := srv.User(6302, "Ben", "en")
	startBinary(t, srv, t.TempDir(), "KINDLING_TELEGRAM_MAX_PAUSE=10m", "KINDLING_TELEGRAM_URGENT_HOLD=3s")
	u.Send("/start")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := u.WaitMessages(ctx, 1); err != nil {
		t.Fatal(err)
	}
	srv.Fail("sendMessage", 1, telegramtest.TooMany(100000))
	u.Send("/help")
	if err := srv.Wait(ctx, func() bool { return srv.Responses(http.StatusTooManyRequests) == 1 }); err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	v.Send("I want to die")
	got, err := v.WaitMessages(ctx, 1)
	if err != nil {
		t.Fatalf("no crisis reply during the pause: %v", err)
	}
	took := time.Since(sent)
	if took > 8*time.Second {
		t.Errorf("the crisis reply came %s after the message, want within the 3 s urgent hold (and a little)", took.Round(time.Millisecond))
	}
	if !strings.Contains(got[0].Text, "988") {
		t.Errorf("the reply lacks the helplines: %q", got[0].Text)
	}
	if n := len(u.Messages()); n != 1 {
		t.Errorf("%d messages to the other client, want the reply to /help still held by the pause", n)
	}
	t.Logf("crisis reply %s after the message, during a 10-minute pause", took.Round(time.Millisecond))
}
