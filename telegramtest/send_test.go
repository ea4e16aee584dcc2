package telegramtest_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"kindling/telegramtest"
)

func TestSendMessageRecordsWhatTheBotSent(t *testing.T) {
	srv := telegramtest.NewTB(t)
	b := newBot(t, srv)
	ctx := bounded(t)
	u := srv.User(42, "Ana", "en")

	first := u.Send("hello")
	msg, err := b.SendMessage(ctx, &bot.SendMessageParams{
		ChatID:      u.ID(),
		Text:        "<b>How</b> are you &amp; today?",
		ParseMode:   models.ParseModeHTML,
		ReplyMarkup: keyboard([]models.InlineKeyboardButton{button("1", "mood:1"), button("2", "mood:2")}),
	})
	if err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	if msg.ID != first+1 {
		t.Errorf("message id = %d, want %d: people and bot share the chat's sequence", msg.ID, first+1)
	}
	if msg.Chat.ID != 42 || msg.Chat.Type != "private" || msg.From == nil || !msg.From.IsBot || msg.Date == 0 {
		t.Errorf("message envelope = %s", describe(msg))
	}
	if msg.Text != "How are you & today?" {
		t.Errorf("text = %q, want the HTML parsed away", msg.Text)
	}
	if len(msg.Entities) != 1 || msg.Entities[0].Type != "bold" || msg.Entities[0].Offset != 0 || msg.Entities[0].Length != 3 {
		t.Errorf("entities = %+v, want one bold 0..3", msg.Entities)
	}
	if msg.ReplyMarkup == nil || len(msg.ReplyMarkup.InlineKeyboard[0]) != 2 || msg.ReplyMarkup.InlineKeyboard[0][1].CallbackData != "mood:2" {
		t.Errorf("reply markup = %s", describe(msg.ReplyMarkup))
	}

	got := srv.Messages(42)
	if len(got) != 1 {
		t.Fatalf("Messages = %d, want 1", len(got))
	}
	m := got[0]
	if m.Text != "How are you & today?" || m.Source != "<b>How</b> are you &amp; today?" || m.ParseMode != "HTML" {
		t.Errorf("content = %+v", m.Content)
	}
	if len(m.Keyboard) != 1 || m.Keyboard[0][0] != (telegramtest.Button{Text: "1", CallbackData: "mood:1"}) {
		t.Errorf("keyboard = %+v", m.Keyboard)
	}
	if calls := srv.Calls("sendMessage"); len(calls) != 1 || calls[0].Params["parse_mode"] != "HTML" || calls[0].Status != 200 {
		t.Errorf("calls = %+v", calls)
	}
}

func TestSendMessageRejectsWhatTelegramRejects(t *testing.T) {
	tests := []struct {
		name   string
		params bot.SendMessageParams
		want   string
	}{
		{"too long", bot.SendMessageParams{Text: strings.Repeat("é", 4097)}, "Bad Request: message is too long"},
		{"empty", bot.SendMessageParams{Text: ""}, "Bad Request: message text is empty"},
		{"only spaces", bot.SendMessageParams{Text: " \n "}, "Bad Request: message text is empty"},
		{"empty after markup", bot.SendMessageParams{Text: "<b> </b>", ParseMode: models.ParseModeHTML}, "Bad Request: message text is empty"},
		{"callback data too long", bot.SendMessageParams{
			Text: "q", ReplyMarkup: keyboard([]models.InlineKeyboardButton{button("x", strings.Repeat("d", 65))}),
		}, "Bad Request: BUTTON_DATA_INVALID"},
		{"URL button to a host without a dot", bot.SendMessageParams{
			Text: "q", ReplyMarkup: keyboard([]models.InlineKeyboardButton{{Text: "open", URL: "http://localhost:8091/login"}}),
		}, "Bad Request: BUTTON_URL_INVALID"},
		{"button without action", bot.SendMessageParams{
			Text: "q", ReplyMarkup: keyboard([]models.InlineKeyboardButton{{Text: "x"}}),
		}, "Text buttons are unallowed in the inline keyboard"},
		{"unknown chat", bot.SendMessageParams{ChatID: 777, Text: "hi"}, "Bad Request: chat not found"},
		{"unsupported HTML tag", bot.SendMessageParams{Text: "I <3 you", ParseMode: models.ParseModeHTML},
			`Bad Request: can't parse entities: Unsupported start tag "3" at byte offset 2`},
		{"unclosed HTML tag", bot.SendMessageParams{Text: "<b>hi", ParseMode: models.ParseModeHTML},
			`Can't find end tag corresponding to start tag "b"`},
		{"unescaped MarkdownV2", bot.SendMessageParams{Text: "Day 1. Breathe", ParseMode: models.ParseModeMarkdown},
			`Character '.' is reserved and must be escaped with the preceding '\'`},
		{"unclosed MarkdownV2", bot.SendMessageParams{Text: "*bold", ParseMode: models.ParseModeMarkdown},
			"Can't find end of Bold entity at byte offset 0"},
		{"reply to nothing", bot.SendMessageParams{Text: "hi", ReplyParameters: &models.ReplyParameters{MessageID: 99}},
			"Bad Request: message to be replied not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := telegramtest.NewTB(t)
			b := newBot(t, srv)
			srv.User(42, "Ana", "en")
			p := tt.params
			if p.ChatID == nil {
				p.ChatID = 42
			}
			_, err := b.SendMessage(bounded(t), &p)
			if !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want bad request %q", err, tt.want)
			}
			if n := len(srv.Messages(42)); n != 0 {
				t.Errorf("%d messages recorded after a rejected send", n)
			}
		})
	}
}

func TestSendMessageAcceptsTheLimits(t *testing.T) {
	tests := []struct {
		name     string
		params   bot.SendMessageParams
		wantText string
	}{
		{"4096 characters", bot.SendMessageParams{Text: strings.Repeat("é", 4096)}, strings.Repeat("é", 4096)},
		{"4096 after markup", bot.SendMessageParams{Text: "<i>" + strings.Repeat("a", 4096) + "</i>", ParseMode: models.ParseModeHTML}, strings.Repeat("a", 4096)},
		{"64 bytes of callback data", bot.SendMessageParams{
			Text: "q", ReplyMarkup: keyboard([]models.InlineKeyboardButton{button("x", strings.Repeat("d", 64))}),
		}, "q"},
		{"escaped MarkdownV2", bot.SendMessageParams{Text: `*Day 1\.* Breathe\!`, ParseMode: models.ParseModeMarkdown}, "Day 1. Breathe!"},
		{"trimmed", bot.SendMessageParams{Text: "  hi\n"}, "hi"},
		{"URL button", bot.SendMessageParams{
			Text: "q", ReplyMarkup: keyboard([]models.InlineKeyboardButton{{Text: "help", URL: "https://example.org"}}),
		}, "q"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := telegramtest.NewTB(t)
			b := newBot(t, srv)
			srv.User(42, "Ana", "en")
			p := tt.params
			p.ChatID = 42
			msg, err := b.SendMessage(bounded(t), &p)
			if err != nil {
				t.Fatalf("SendMessage: %v", err)
			}
			if msg.Text != tt.wantText {
				t.Errorf("text = %.40q..., want %.40q...", msg.Text, tt.wantText)
			}
		})
	}
}

func TestReplyToMessage(t *testing.T) {
	srv := telegramtest.NewTB(t)
	b := newBot(t, srv)
	u := srv.User(42, "Ana", "en")
	asked := u.Send("what should I write?")

	msg, err := b.SendMessage(bounded(t), &bot.SendMessageParams{
		ChatID: 42, Text: "anything", ReplyParameters: &models.ReplyParameters{MessageID: asked},
	})
	if err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	if msg.ReplyToMessage == nil || msg.ReplyToMessage.ID != asked || msg.ReplyToMessage.Text != "what should I write?" {
		t.Errorf("reply_to_message = %s", describe(msg.ReplyToMessage))
	}
	if m, _ := srv.Message(42, msg.ID); m.ReplyTo != asked {
		t.Errorf("ReplyTo = %d, want %d", m.ReplyTo, asked)
	}
}

func TestEditMessage(t *testing.T) {
	srv := telegramtest.NewTB(t)
	b := newBot(t, srv)
	ctx := bounded(t)
	u := srv.User(42, "Ana", "en")
	mine := u.Send("hi")
	sent, err := b.SendMessage(ctx, &bot.SendMessageParams{
		ChatID: 42, Text: "How was today?", ReplyMarkup: keyboard([]models.InlineKeyboardButton{button("good", "a:good")}),
	})
	if err != nil {
		t.Fatalf("SendMessage: %v", err)
	}

	same := &bot.EditMessageTextParams{
		ChatID: 42, MessageID: sent.ID, Text: "How was today?",
		ReplyMarkup: keyboard([]models.InlineKeyboardButton{button("good", "a:good")}),
	}
	if _, err := b.EditMessageText(ctx, same); err == nil || !strings.Contains(err.Error(), "Bad Request: message is not modified") {
		t.Errorf("identical edit: err = %v, want message is not modified", err)
	}

	edited, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: 42, MessageID: sent.ID, Text: "How was today? You said: good"})
	if err != nil {
		t.Fatalf("EditMessageText: %v", err)
	}
	if edited.EditDate == 0 || edited.ReplyMarkup != nil {
		t.Errorf("edited = %s, want edit_date and the keyboard gone (no reply_markup removes it)", describe(edited))
	}
	m, _ := srv.Message(42, sent.ID)
	if m.Text != "How was today? You said: good" || m.Keyboard != nil || len(m.History) != 2 || m.History[0].Keyboard == nil || m.EditDate.IsZero() {
		t.Errorf("after edit = %+v", m)
	}

	if _, err := b.EditMessageReplyMarkup(ctx, &bot.EditMessageReplyMarkupParams{
		ChatID: 42, MessageID: sent.ID, ReplyMarkup: keyboard([]models.InlineKeyboardButton{button("undo", "undo")}),
	}); err != nil {
		t.Fatalf("EditMessageReplyMarkup: %v", err)
	}
	if _, err := b.EditMessageReplyMarkup(ctx, &bot.EditMessageReplyMarkupParams{
		ChatID: 42, MessageID: sent.ID, ReplyMarkup: keyboard([]models.InlineKeyboardButton{button("undo", "undo")}),
	}); err == nil || !strings.Contains(err.Error(), "message is not modified") {
		t.Errorf("identical markup edit: err = %v, want message is not modified", err)
	}

	for name, tc := range map[string]struct {
		id   int
		want string
	}{
		"unknown message":  {999, "Bad Request: message to edit not found"},
		"person's message": {mine, "Bad Request: message can't be edited"},
	} {
		_, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: 42, MessageID: tc.id, Text: "x"})
		if !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", name, err, tc.want)
		}
	}
	if got := len(srv.Messages(42)[0].History); got != 3 {
		t.Errorf("history has %d versions, want 3", got)
	}
}

func TestBlockedChatAnswersForbidden(t *testing.T) {
	srv := telegramtest.NewTB(t)
	b := newBot(t, srv)
	ctx := bounded(t)
	srv.User(42, "Ana", "en")

	srv.Block(42)
	_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: 42, Text: "hi"})
	if !errors.Is(err, bot.ErrorForbidden) || !strings.Contains(err.Error(), "bot was blocked by the user") {
		t.Fatalf("blocked: err = %v, want forbidden", err)
	}
	srv.Unblock(42)
	if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: 42, Text: "hi"}); err != nil {
		t.Fatalf("unblocked: %v", err)
	}
}

func TestCommands(t *testing.T) {
	srv := telegramtest.NewTB(t)
	b := newBot(t, srv)
	ctx := bounded(t)

	cmds := []models.BotCommand{{Command: "start", Description: "Begin"}, {Command: "pause", Description: "Pause questions"}}
	if _, err := b.SetMyCommands(ctx, &bot.SetMyCommandsParams{Commands: cmds}); err != nil {
		t.Fatalf("SetMyCommands: %v", err)
	}
	if _, err := b.SetMyCommands(ctx, &bot.SetMyCommandsParams{Commands: cmds[:1], LanguageCode: "de"}); err != nil {
		t.Fatalf("SetMyCommands de: %v", err)
	}
	if got := srv.Commands(); len(got) != 2 || got[1] != (telegramtest.Command{Command: "pause", Description: "Pause questions"}) {
		t.Errorf("Commands = %+v", got)
	}
	if got := srv.CommandsFor("default", "de"); len(got) != 1 {
		t.Errorf("CommandsFor(de) = %+v", got)
	}
	_, err := b.SetMyCommands(ctx, &bot.SetMyCommandsParams{Commands: []models.BotCommand{{Command: "Start", Description: "x"}}})
	if !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), "BOT_COMMAND_INVALID") {
		t.Errorf("upper-case command: err = %v", err)
	}
}

func TestWebhook(t *testing.T) {
	srv := telegramtest.NewTB(t)
	b := newBot(t, srv)
	ctx := bounded(t)

	if _, err := b.SetWebhook(ctx, &bot.SetWebhookParams{URL: "http://example.org/hook"}); !errors.Is(err, bot.ErrorBadRequest) {
		t.Errorf("plain HTTP webhook: err = %v, want bad request", err)
	}
	if _, err := b.SetWebhook(ctx, &bot.SetWebhookParams{URL: "https://example.org/hook", SecretToken: "s3cret"}); err != nil {
		t.Fatalf("SetWebhook: %v", err)
	}
	if w := srv.Webhook(); w.URL != "https://example.org/hook" || w.SecretToken != "s3cret" {
		t.Errorf("Webhook = %+v", w)
	}
	info, err := b.GetWebhookInfo(ctx)
	if err != nil || info.URL != "https://example.org/hook" {
		t.Errorf("GetWebhookInfo = %+v, %v", info, err)
	}
	status, r := postJSON(ctx, t, srv, "getUpdates", pollParams{})
	if status != 409 || !strings.HasPrefix(r.Description, "Conflict: can't use getUpdates method while webhook is active") {
		t.Errorf("getUpdates with a webhook: %d %s, want 409", status, r.Description)
	}
	if _, err := b.DeleteWebhook(ctx, &bot.DeleteWebhookParams{}); err != nil {
		t.Fatalf("DeleteWebhook: %v", err)
	}
	if w := srv.Webhook(); w.URL != "" {
		t.Errorf("Webhook after delete = %+v", w)
	}
}

func TestChatActionAndGetMe(t *testing.T) {
	srv := telegramtest.NewTB(t, telegramtest.WithToken("4242:abc"), telegramtest.WithBotUsername("kin_bot"))
	b := newBot(t, srv)
	ctx := bounded(t)
	srv.User(42, "Ana", "en")

	me, err := b.GetMe(ctx)
	if err != nil || me.ID != 4242 || me.Username != "kin_bot" || !me.IsBot {
		t.Errorf("GetMe = %+v, %v", me, err)
	}
	if _, err := b.SendChatAction(ctx, &bot.SendChatActionParams{ChatID: 42, Action: models.ChatActionTyping}); err != nil {
		t.Errorf("SendChatAction: %v", err)
	}
	if _, err := b.SendChatAction(ctx, &bot.SendChatActionParams{ChatID: 42, Action: "dancing"}); !errors.Is(err, bot.ErrorBadRequest) {
		t.Errorf("unknown action: err = %v, want bad request", err)
	}
}

func TestDeleteMessage(t *testing.T) {
	srv := telegramtest.NewTB(t)
	clk := telegramtest.NewClock(time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC))
	srv.Now = clk.Now
	b := newBot(t, srv)
	ctx := bounded(t)
	srv.User(42, "Ana", "en")
	old, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: 42, Text: "old"})
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(49 * time.Hour)
	recent, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: 42, Text: "recent"})
	if err != nil {
		t.Fatal(err)
	}

	if _, err := b.DeleteMessage(ctx, &bot.DeleteMessageParams{ChatID: 42, MessageID: recent.ID}); err != nil {
		t.Fatalf("DeleteMessage: %v", err)
	}
	for name, tc := range map[string]struct {
		id   int
		want string
	}{
		"twice":          {recent.ID, "Bad Request: message to delete not found"},
		"older than 48h": {old.ID, "Bad Request: message can't be deleted"},
	} {
		_, err := b.DeleteMessage(ctx, &bot.DeleteMessageParams{ChatID: 42, MessageID: tc.id})
		if !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", name, err, tc.want)
		}
	}
	msgs := srv.Messages(42)
	if len(msgs) != 2 || msgs[0].Deleted || !msgs[1].Deleted || !msgs[1].Date.Equal(clk.Now()) {
		t.Errorf("messages = %+v", msgs)
	}
}

// TestProtectContentIsRecorded: a message or file sent with protect_content
// says so in the answer and in what the fake keeps; others do not.
func TestProtectContentIsRecorded(t *testing.T) {
	srv := telegramtest.NewTB(t)
	b := newBot(t, srv)
	ctx := bounded(t)
	u := srv.User(42, "Ana", "en")

	kept, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: u.ID(), Text: "for your eyes", ProtectContent: true})
	if err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	doc, err := b.SendDocument(ctx, &bot.SendDocumentParams{
		ChatID: u.ID(), ProtectContent: true,
		Document: &models.InputFileUpload{Filename: "notes.csv", Data: strings.NewReader("a,b\n")},
	})
	if err != nil {
		t.Fatalf("SendDocument: %v", err)
	}
	plain, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: u.ID(), Text: "yours to share"})
	if err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	if !kept.HasProtectedContent || !doc.HasProtectedContent || plain.HasProtectedContent {
		t.Errorf("has_protected_content answered: %v, %v, %v; want true, true, false", kept.HasProtectedContent, doc.HasProtectedContent, plain.HasProtectedContent)
	}
	got := srv.Messages(u.ID())
	if len(got) != 3 || !got[0].Protected || !got[1].Protected || got[1].Document == nil || got[2].Protected {
		t.Errorf("messages kept: %+v", got)
	}
}
