package telegramtest_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot"

	"kindling/telegramtest"
)

func TestFaults(t *testing.T) {
	tests := []struct {
		name     string
		fault    telegramtest.Fault
		check    func(t *testing.T, err error)
		wantSent int // messages the chat holds afterwards
	}{
		{"too many requests", telegramtest.TooMany(7), func(t *testing.T, err error) {
			var tooMany *bot.TooManyRequestsError
			if !errors.As(err, &tooMany) || tooMany.RetryAfter != 7 {
				t.Errorf("err = %v, want TooManyRequestsError with RetryAfter 7", err)
			}
		}, 0},
		{"server error", telegramtest.ServerError(502), func(t *testing.T, err error) {
			if err == nil || !strings.Contains(err.Error(), "502 Bad Gateway") {
				t.Errorf("err = %v, want 502", err)
			}
		}, 0},
		{"forbidden", telegramtest.Forbidden, func(t *testing.T, err error) {
			if !errors.Is(err, bot.ErrorForbidden) || !strings.Contains(err.Error(), "bot was blocked by the user") {
				t.Errorf("err = %v, want forbidden", err)
			}
		}, 0},
		{"chat not found", telegramtest.ChatNotFound, func(t *testing.T, err error) {
			if !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), "chat not found") {
				t.Errorf("err = %v, want chat not found", err)
			}
		}, 0},
		{"drop", telegramtest.Drop, func(t *testing.T, err error) {
			if err == nil || !strings.Contains(err.Error(), "error do request") {
				t.Errorf("err = %v, want a transport error", err)
			}
		}, 0},
		{"drop response", telegramtest.DropResponse, func(t *testing.T, err error) {
			if err == nil {
				t.Error("err = nil, want a transport error")
			}
		}, 1},
		{"delay", telegramtest.Delay(20 * time.Millisecond), func(t *testing.T, err error) {
			if err != nil {
				t.Errorf("err = %v", err)
			}
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := telegramtest.NewTB(t)
			b := newBot(t, srv)
			srv.User(42, "Ana", "en")
			srv.Fail("sendMessage", 1, tt.fault)
			_, err := b.SendMessage(bounded(t), &bot.SendMessageParams{ChatID: 42, Text: "hi"})
			tt.check(t, err)
			if n := len(srv.Messages(42)); n != tt.wantSent {
				t.Errorf("chat holds %d messages, want %d", n, tt.wantSent)
			}
			if _, err := b.SendMessage(bounded(t), &bot.SendMessageParams{ChatID: 42, Text: "again"}); err != nil {
				t.Errorf("the call after the fault: %v", err)
			}
		})
	}
}

func TestFaultCountsAndMethods(t *testing.T) {
	srv := telegramtest.NewTB(t)
	b := newBot(t, srv)
	ctx := bounded(t)
	srv.User(42, "Ana", "en")

	srv.Fail("getMe", 0, telegramtest.ServerError(500)) // every getMe
	srv.Fail("SENDMESSAGE", 2, telegramtest.TooMany(1))
	srv.Fail("", 1, telegramtest.Forbidden)
	for i, want := range []string{"Too Many Requests", "Too Many Requests", "Forbidden", ""} {
		_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: 42, Text: "hi"})
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("send %d: err = %v, want %q", i, err, want)
		}
	}
	for range 3 {
		if _, err := b.GetMe(ctx); err == nil {
			t.Error("getMe succeeded under a permanent fault")
		}
	}
	srv.ClearFaults()
	if _, err := b.GetMe(ctx); err != nil {
		t.Errorf("getMe after ClearFaults: %v", err)
	}
	if got := srv.Responses(429); got != 2 {
		t.Errorf("Responses(429) = %d, want 2", got)
	}
	calls := srv.Calls("sendMessage")
	if len(calls) != 4 || calls[0].Status != 429 || calls[2].Status != 403 || calls[3].Status != 200 {
		t.Errorf("calls = %+v", calls)
	}
}

func TestDelayRespectsTheClient(t *testing.T) {
	srv := telegramtest.NewTB(t)
	b := newBot(t, srv)
	srv.User(42, "Ana", "en")
	srv.Fail("sendMessage", 1, telegramtest.Delay(time.Minute))

	ctx, cancel := context.WithTimeout(bounded(t), 20*time.Millisecond)
	defer cancel()
	if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: 42, Text: "hi"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	err := srv.Wait(bounded(t), func() bool { return len(srv.Calls("sendMessage")) == 1 })
	if err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Messages(42)); n != 0 {
		t.Errorf("a call the client gave up on sent %d messages", n)
	}
}

func TestLimitRate(t *testing.T) {
	send := func(t *testing.T, b *bot.Bot, chat int64) error {
		t.Helper()
		_, err := b.SendMessage(bounded(t), &bot.SendMessageParams{ChatID: chat, Text: "hi"})
		return err
	}
	retryAfter := func(err error) int {
		var tooMany *bot.TooManyRequestsError
		if errors.As(err, &tooMany) {
			return tooMany.RetryAfter
		}
		return -1
	}

	t.Run("per chat", func(t *testing.T) {
		srv := telegramtest.NewTB(t)
		clk := telegramtest.NewClock(time.Date(2026, 3, 8, 9, 0, 0, 0, time.UTC))
		srv.Now = clk.Now
		b := newBot(t, srv)
		srv.User(1, "A", "en")
		srv.User(2, "B", "en")
		srv.LimitRate(30, 1)

		if err := send(t, b, 1); err != nil {
			t.Fatal(err)
		}
		clk.Add(300 * time.Millisecond)
		if err := send(t, b, 1); retryAfter(err) != 1 {
			t.Errorf("second send within a second: err = %v, want 429 retry after 1", err)
		}
		if err := send(t, b, 2); err != nil {
			t.Errorf("another chat is not limited: %v", err)
		}
		clk.Add(700 * time.Millisecond)
		if err := send(t, b, 1); err != nil {
			t.Errorf("after a second: %v", err)
		}
		if got := srv.Responses(429); got != 1 {
			t.Errorf("Responses(429) = %d, want 1", got)
		}
	})
	t.Run("global", func(t *testing.T) {
		srv := telegramtest.NewTB(t)
		clk := telegramtest.NewClock(time.Date(2026, 3, 8, 9, 0, 0, 0, time.UTC))
		srv.Now = clk.Now
		b := newBot(t, srv)
		for id := int64(1); id <= 4; id++ {
			srv.User(id, "P", "en")
		}
		srv.LimitRate(3, 0)
		for id := int64(1); id <= 3; id++ {
			if err := send(t, b, id); err != nil {
				t.Fatalf("send %d: %v", id, err)
			}
		}
		if err := send(t, b, 4); retryAfter(err) != 1 {
			t.Errorf("fourth send in a second: err = %v, want 429 retry after 1", err)
		}
		srv.LimitRate(0, 0)
		if err := send(t, b, 4); err != nil {
			t.Errorf("with limits off: %v", err)
		}
	})
}
