package telegramtest_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"kindling/telegramtest"
)

func TestUpdateStaysUntilAHigherOffsetConfirmsIt(t *testing.T) {
	srv := telegramtest.NewTB(t)
	ctx := bounded(t)
	u := srv.User(42, "Ana", "en")
	u.Send("one")
	u.Send("two")
	u.Send("three")

	ups := poll(ctx, t, srv, pollParams{})
	if len(ups) != 3 || ups[0].Message.Text != "one" || ups[2].Message.Text != "three" {
		t.Fatalf("first poll = %d updates, want one..three", len(ups))
	}
	if ups[1].ID != ups[0].ID+1 || ups[2].ID != ups[1].ID+1 {
		t.Errorf("update ids %d %d %d are not consecutive", ups[0].ID, ups[1].ID, ups[2].ID)
	}
	first := ups[0].ID

	if again := poll(ctx, t, srv, pollParams{}); len(again) != 3 {
		t.Errorf("without an offset nothing is confirmed: got %d updates, want 3", len(again))
	}
	if again := poll(ctx, t, srv, pollParams{Offset: first}); len(again) != 3 {
		t.Errorf("offset equal to the first id confirms nothing: got %d, want 3", len(again))
	}
	if got := poll(ctx, t, srv, pollParams{Offset: first + 1, Limit: 1}); only(t, got).Message.Text != "two" {
		t.Errorf("offset first+1, limit 1 = %q, want two", got[0].Message.Text)
	}
	if srv.Pending() != 2 {
		t.Errorf("Pending = %d, want 2", srv.Pending())
	}
	if got := poll(ctx, t, srv, pollParams{Offset: first + 3}); len(got) != 0 {
		t.Errorf("after confirming all: %d updates", len(got))
	}
	if err := srv.WaitConfirmed(ctx); err != nil {
		t.Errorf("WaitConfirmed: %v", err)
	}
	u.Send("four")
	if got := poll(ctx, t, srv, pollParams{Offset: first + 3}); only(t, got).ID != first+3 {
		t.Errorf("next update id = %d, want %d", got[0].ID, first+3)
	}
}

func TestLongPoll(t *testing.T) {
	t.Run("returns when an update arrives", func(t *testing.T) {
		srv := telegramtest.NewTB(t)
		ctx := bounded(t)
		u := srv.User(42, "Ana", "en")
		got := make(chan []models.Update, 1)
		go func() { got <- poll(ctx, t, srv, pollParams{Timeout: 30}) }()
		if err := srv.WaitIdle(ctx); err != nil { // the poll is parked
			t.Fatal(err)
		}
		u.Send("hello")
		select {
		case ups := <-got:
			if only(t, ups).Message.Text != "hello" {
				t.Errorf("update = %+v", ups[0].Message)
			}
		case <-ctx.Done():
			t.Fatal("long poll did not return when an update arrived")
		}
	})
	t.Run("returns empty at timeout", func(t *testing.T) {
		srv := telegramtest.NewTB(t)
		start := time.Now()
		if ups := poll(bounded(t), t, srv, pollParams{Timeout: 1}); len(ups) != 0 {
			t.Errorf("got %d updates", len(ups))
		}
		if d := time.Since(start); d < 900*time.Millisecond {
			t.Errorf("returned after %v, before the 1 s timeout", d)
		}
	})
	t.Run("ends when the client gives up", func(t *testing.T) {
		srv := telegramtest.NewTB(t)
		ctx, cancel := context.WithCancel(bounded(t))
		done := make(chan error, 1)
		go func() {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost,
				srv.URL()+"/bot"+srv.Token()+"/getUpdates", strings.NewReader(`{"timeout":30}`))
			if err != nil {
				done <- err
				return
			}
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
			}
			done <- err
		}()
		if err := srv.WaitIdle(bounded(t)); err != nil {
			t.Fatal(err)
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		err := srv.Wait(bounded(t), func() bool { return len(srv.Calls("getUpdates")) == 1 })
		if err != nil || srv.Calls("getUpdates")[0].Status != 0 {
			t.Errorf("abandoned poll recorded as %+v, %v", srv.Calls("getUpdates"), err)
		}
	})
	t.Run("ends at Close", func(t *testing.T) {
		srv := telegramtest.New()
		ctx := bounded(t)
		got := make(chan []models.Update, 1)
		go func() { got <- poll(ctx, t, srv, pollParams{Timeout: 30}) }()
		if err := srv.WaitIdle(ctx); err != nil {
			t.Fatal(err)
		}
		srv.Close()
		if ups := <-got; len(ups) != 0 {
			t.Errorf("got %d updates", len(ups))
		}
	})
	t.Run("a second poller ends the first with 409", func(t *testing.T) {
		srv := telegramtest.NewTB(t)
		ctx := bounded(t)
		first := make(chan int, 1)
		go func() {
			status, _ := postJSON(ctx, t, srv, "getUpdates", pollParams{Timeout: 30})
			first <- status
		}()
		if err := srv.WaitIdle(ctx); err != nil {
			t.Fatal(err)
		}
		if ups := poll(ctx, t, srv, pollParams{}); len(ups) != 0 {
			t.Errorf("second poll got %d updates", len(ups))
		}
		if status := <-first; status != http.StatusConflict {
			t.Errorf("first poll answered %d, want 409", status)
		}
	})
}

func TestAllowedUpdatesAndRawUpdates(t *testing.T) {
	srv := telegramtest.NewTB(t)
	ctx := bounded(t)
	if _, err := srv.RawUpdate([]byte(`{"my_chat_member":{"chat":{"id":42,"type":"private"},"from":{"id":42,"is_bot":false,"first_name":"Ana"},"date":1,"old_chat_member":{"status":"member","user":{"id":1,"is_bot":true,"first_name":"k"}},"new_chat_member":{"status":"kicked","user":{"id":1,"is_bot":true,"first_name":"k"},"until_date":0}}}`)); err != nil {
		t.Fatalf("RawUpdate: %v", err)
	}
	if _, err := srv.RawUpdate([]byte(`{"message_reaction":{"chat":{"id":42,"type":"private"},"message_id":1,"date":1,"old_reaction":[],"new_reaction":[]}}`)); err != nil {
		t.Fatalf("RawUpdate: %v", err)
	}
	if _, err := srv.RawUpdate([]byte(`{"a":{},"b":{}}`)); err == nil {
		t.Error("RawUpdate accepted two kinds in one update")
	}
	if _, err := srv.RawUpdate([]byte(`not json`)); err == nil {
		t.Error("RawUpdate accepted malformed JSON")
	}

	ups := poll(ctx, t, srv, pollParams{})
	if only(t, ups).MyChatMember == nil || ups[0].MyChatMember.NewChatMember.Type != models.ChatMemberTypeBanned {
		t.Errorf("update = %+v, want the my_chat_member one (reactions are not sent by default)", ups[0])
	}

	srv.User(42, "Ana", "en").Send("hi")
	ups = poll(ctx, t, srv, pollParams{AllowedUpdates: []string{"callback_query"}})
	if len(ups) != 0 {
		t.Errorf("allowed_updates=[callback_query] delivered %d updates", len(ups))
	}
}

func TestPeopleActLikeTelegramUsers(t *testing.T) {
	srv := telegramtest.NewTB(t)
	b := newBot(t, srv)
	ctx := bounded(t)
	u := srv.User(42, "Ana", "pt-br")

	cmd := u.Send("/start abc123")
	q, err := b.SendMessage(ctx, &bot.SendMessageParams{
		ChatID: 42, Text: "Mood?", ReplyMarkup: keyboard([]models.InlineKeyboardButton{button("7", "mood:7")}),
	})
	if err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	reply, err := u.Reply(q.ID, "this one")
	if err != nil {
		t.Fatalf("Reply: %v", err)
	}
	if err := u.Edit(reply, "this one, edited"); err != nil {
		t.Fatalf("Edit: %v", err)
	}
	queryID, err := u.Press(q.ID, "mood:7")
	if err != nil {
		t.Fatalf("Press: %v", err)
	}
	voice := u.Voice(3, []byte("OggS fake opus"))
	u.Sticker()
	u.Photo()

	ups := poll(ctx, t, srv, pollParams{})
	if len(ups) != 7 {
		t.Fatalf("got %d updates, want 7", len(ups))
	}
	start := ups[0].Message
	if start.ID != cmd || start.From.ID != 42 || start.From.LanguageCode != "pt-br" || start.Chat.Type != "private" {
		t.Errorf("command message = %s", describe(start))
	}
	if len(start.Entities) != 1 || start.Entities[0] != (models.MessageEntity{Type: models.MessageEntityTypeBotCommand, Offset: 0, Length: 6}) {
		t.Errorf("command entities = %+v", start.Entities)
	}
	if r := ups[1].Message; r.ReplyToMessage == nil || r.ReplyToMessage.ID != q.ID || r.ID != q.ID+1 {
		t.Errorf("reply = %s", describe(r))
	}
	if e := ups[2].EditedMessage; e == nil || e.ID != reply || e.Text != "this one, edited" || e.EditDate == 0 {
		t.Errorf("edited message = %s", describe(e))
	}
	cq := ups[3].CallbackQuery
	if cq == nil || cq.ID != queryID || cq.Data != "mood:7" || cq.From.ID != 42 || cq.ChatInstance == "" ||
		cq.Message.Message == nil || cq.Message.Message.ID != q.ID || cq.Message.Message.ReplyMarkup == nil {
		t.Errorf("callback query = %s", describe(cq))
	}
	if v := ups[4].Message.Voice; ups[4].Message.ID != voice || v == nil || v.Duration != 3 || v.MimeType != "audio/ogg" || v.FileSize != 14 || v.FileID == "" {
		t.Errorf("voice = %s", describe(v))
	}
	if ups[5].Message.Sticker == nil || len(ups[6].Message.Photo) != 2 {
		t.Errorf("sticker/photo = %s / %s", describe(ups[5].Message.Sticker), describe(ups[6].Message.Photo))
	}

	if _, err := b.AnswerCallbackQuery(ctx, &bot.AnswerCallbackQueryParams{CallbackQueryID: queryID, Text: "Saved"}); err != nil {
		t.Fatalf("AnswerCallbackQuery: %v", err)
	}
	if a, answered := srv.CallbackAnswer(queryID); !answered || a.Text != "Saved" {
		t.Errorf("CallbackAnswer = %+v, %v", a, answered)
	}
	for _, id := range []string{queryID, "12345"} {
		_, err := b.AnswerCallbackQuery(ctx, &bot.AnswerCallbackQueryParams{CallbackQueryID: id})
		if !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), "query is too old and response timeout expired or query ID is invalid") {
			t.Errorf("answer %s again: err = %v", id, err)
		}
	}

	if _, err := u.Press(q.ID, "mood:8"); !errors.Is(err, telegramtest.ErrNoButton) {
		t.Errorf("press a missing button: err = %v", err)
	}
	if _, err := u.Press(cmd, "x"); !errors.Is(err, telegramtest.ErrNoMessage) {
		t.Errorf("press on the person's own message: err = %v", err)
	}
	if err := u.Edit(q.ID, "x"); !errors.Is(err, telegramtest.ErrNoMessage) {
		t.Errorf("edit the bot's message: err = %v", err)
	}
	if _, err := u.Reply(999, "x"); !errors.Is(err, telegramtest.ErrNoMessage) {
		t.Errorf("reply to nothing: err = %v", err)
	}
}

func TestGroupsAndChannels(t *testing.T) {
	srv := telegramtest.NewTB(t)
	ctx := bounded(t)
	u := srv.User(42, "Ana", "en")
	if _, err := srv.GroupMessage(-100, u, "/start@kindling_test_bot"); err != nil {
		t.Fatalf("GroupMessage: %v", err)
	}
	if _, err := srv.ChannelPost(-1001234567890123, "news"); err != nil {
		t.Fatalf("ChannelPost: %v", err)
	}
	if _, err := srv.GroupMessage(5, u, "x"); err == nil {
		t.Error("GroupMessage accepted a positive chat id")
	}
	ups := poll(ctx, t, srv, pollParams{})
	if len(ups) != 2 {
		t.Fatalf("got %d updates", len(ups))
	}
	g := ups[0].Message
	if g.Chat.Type != "group" || g.Chat.ID != -100 || g.From.ID != 42 || len(g.Entities) != 1 || g.Entities[0].Length != 24 {
		t.Errorf("group message = %s", describe(g))
	}
	c := ups[1].ChannelPost
	if c == nil || c.Chat.Type != "channel" || c.From != nil || c.SenderChat == nil {
		t.Errorf("channel post = %s", describe(c))
	}
}

func TestWaitMessagesAndSubscribe(t *testing.T) {
	srv := telegramtest.NewTB(t)
	b := newBot(t, srv)
	ctx := bounded(t)
	u := srv.User(42, "Ana", "en")
	events := srv.Subscribe(ctx)

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for _, text := range []string{"one", "two", "three"} {
			if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: 42, Text: text}); err != nil {
				t.Errorf("SendMessage: %v", err)
			}
		}
	}()
	msgs, err := u.WaitMessages(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if msgs[2].Text != "three" || msgs[2].ID != 3 {
		t.Errorf("third message = %+v", msgs[2])
	}
	for _, want := range []string{"one", "two", "three"} {
		if m := <-events; m.Text != want || m.ChatID != 42 {
			t.Errorf("event = %+v, want %q", m, want)
		}
	}
	wg.Wait()

	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if _, err := srv.WaitMessages(short, 42, 4); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitMessages for a fourth: err = %v, want deadline exceeded", err)
	}
}

// TestLibraryPolling runs go-telegram/bot's own polling loop against the fake.
func TestLibraryPolling(t *testing.T) {
	srv := telegramtest.NewTB(t)
	u := srv.User(42, "Ana", "en")
	replied := make(chan error, 1)
	echo := func(ctx context.Context, b *bot.Bot, up *models.Update) {
		if up.Message == nil {
			return
		}
		_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: up.Message.Chat.ID, Text: "you said " + up.Message.Text})
		replied <- err
	}
	b, err := bot.New(srv.Token(), bot.WithServerURL(srv.URL()), bot.WithSkipGetMe(), bot.WithDefaultHandler(echo))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bounded(t))
	done := make(chan struct{})
	go func() { b.Start(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	u.Send("hi")
	if err := <-replied; err != nil {
		t.Fatalf("echo: %v", err)
	}
	if msgs := u.Messages(); len(msgs) != 1 || msgs[0].Text != "you said hi" {
		t.Errorf("messages = %+v", msgs)
	}
	if err := srv.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
}
