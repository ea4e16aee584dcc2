package bot_test

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"kindling/bot"
	"kindling/store"
	"kindling/telegram"
	"kindling/telegramtest"
)

// BenchmarkCoachClients is /clients for a coach with 100 clients in a
// database of 100,000, through Handle: its read transaction, then its
// write transaction.
//
// ns/op is the whole of Handle, which includes bbolt's batch window (the
// write transaction of an update waits up to 10 ms for others to share its
// commit): idle time, not work. work-ms is the work alone, the read
// transaction plus the write transaction (target: under 5 ms), and x-1k
// is that work over the same coach's in a database of 1,000, the two
// measured in turn in the same run (target: at most 1.5). cpu-ms is the
// process's CPU time per /clients in the large database (the whole of
// Handle, garbage collection included): on a loaded machine work-ms is
// also time spent waiting for a core. write-max-us is the longest write
// transaction of /clients in the large database.
func BenchmarkCoachClients(b *testing.B) {
	big, small := newReadRig(b), newReadRig(b)
	seedCoach(b, big.db, 100_000, 100)
	seedCoach(b, small.db, 1_000, 100)
	var held time.Duration
	for _, r := range []*readRig{big, small} { // warm the page cache and check the reply
		r.command(b, coachID, "/clients")
		if text := joined(r.outbox(b, coachID)); strings.Count(text, "• ") != 100 {
			b.Fatalf("/clients lists %d clients, want 100", strings.Count(text, "• "))
		}
	}
	var workBig, workSmall, cpu time.Duration
	var maxHeld time.Duration
	b.ResetTimer()
	for range b.N {
		before := processCPU(b)
		w := big.work(b, func() { big.command(b, coachID, "/clients") }, &held)
		cpu += processCPU(b) - before
		workBig += w
		maxHeld = max(maxHeld, held)
		b.StopTimer()
		workSmall += small.work(b, func() { small.command(b, coachID, "/clients") }, &held)
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(workBig.Microseconds())/1000/float64(b.N), "work-ms")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms")
	b.ReportMetric(float64(workBig)/float64(workSmall), "x-1k")
	b.ReportMetric(float64(maxHeld.Microseconds()), "write-max-us")
}

// processCPU is the CPU time the process has used, user and system.
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// work runs handle, one update through Handle, and returns the time its
// read transaction (if any) and its write transaction took, leaving out
// bbolt's batch window and the commit; held is set to the write
// transaction's time.
func (r *readRig) work(tb testing.TB, handle func(), held *time.Duration) time.Duration {
	tb.Helper()
	var start, read time.Time
	bot.SetAfterRead(r.bot, func() { read = time.Now() })
	bot.SetWriteHeld(r.bot, func(d time.Duration) { *held = d })
	*held = -1
	start = time.Now()
	handle()
	if *held < 0 || read.IsZero() {
		tb.Fatal("the update ran no write transaction")
	}
	return read.Sub(start) + *held
}

// historyDays is how many days of three answers the client with a history
// has: 3,000 replies.
const historyDays = 1000

// seedHistory writes a client with a session and, unless days is zero,
// days of three answered questions before readsNow.
func seedHistory(tb testing.TB, db *store.DB, chat int64, days int) {
	tb.Helper()
	session := readsNow.AddDate(0, 0, -days-1).Format("2006-01-02")
	err := db.Update(func(tx *store.Tx) error {
		c := store.Client{ChatID: chat, UserID: chat, Name: "Sam", Language: "en", TimeZone: "UTC", SendTime: "09:00",
			Sequence: "after-session", Status: store.StatusActive, Coach: coachID,
			ConsentAt: readsNow.AddDate(0, 0, -days-2), CreatedAt: readsNow.AddDate(0, 0, -days-2)}
		if err := tx.PutClient(c); err != nil {
			return err
		}
		if err := tx.AddSession(store.Session{ChatID: chat, Date: session, CreatedAt: c.CreatedAt}); err != nil {
			return err
		}
		for d := days; d >= 1; d-- {
			at := readsNow.AddDate(0, 0, -d)
			date := at.Format("2006-01-02")
			qs := []string{"mood", "still-with-you", "small-action"}
			if err := tx.PutDelivery(store.Delivery{ChatID: chat, LocalDate: date, Day: days + 1 - d, SessionDate: session,
				Sequence: "after-session", Language: "en", Questions: qs, Next: 3, State: store.DeliveryDone,
				Messages:  map[string]int{"mood": d*10 + 1, "still-with-you": d*10 + 2, "small-action": d*10 + 3},
				CreatedAt: at, SentAt: at}); err != nil {
				return err
			}
			for i, q := range qs {
				v := 6
				r := store.Reply{ChatID: chat, At: at.Add(time.Duration(i+1) * time.Minute), LocalDate: date, Day: days + 1 - d,
					SessionDate: session, QuestionID: q, Question: "a question as it was asked", Kind: "text",
					Answer: strings.Repeat("words of an answer ", 8), MessageID: d*10 + 5 + i}
				if q == "mood" {
					r.Kind, r.Answer, r.Value = "scale", "6", &v
				}
				if err := tx.AddReply(&r); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// press opens a day-1 step for chat on date (untimed) and returns the
// update pressing 5 on its mood scale.
func (r *readRig) press(tb testing.TB, chat int64, date string) *models.Update {
	tb.Helper()
	err := r.db.Update(func(tx *store.Tx) error {
		return tx.PutDelivery(store.Delivery{ChatID: chat, LocalDate: date, Day: 1, SessionDate: "2020-01-01",
			Sequence: "after-session", Language: "en", Questions: []string{"mood", "still-with-you"},
			Messages: map[string]int{"mood": 9}, State: store.DeliveryOpen, CreatedAt: readsNow, SentAt: readsNow})
	})
	if err != nil {
		tb.Fatal(err)
	}
	id := r.update.Add(1)
	tag := strings.ReplaceAll(date, "-", "")[2:] + "1"
	return &models.Update{ID: id, CallbackQuery: &models.CallbackQuery{
		ID: "press", From: models.User{ID: chat, FirstName: "Sam", LanguageCode: "en"}, Data: "a|" + tag + "|mood|5",
		Message: models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage,
			Message: &models.Message{ID: 9, Chat: models.Chat{ID: chat, Type: models.ChatTypePrivate}}},
	}}
}

// BenchmarkAnswerHistory stores an answer (a press on the mood scale of
// an open step, through Handle: the write transaction, then the press
// answered to the fake Telegram) of a client with 3,000 earlier replies.
//
// ns/op is the whole of Handle, bbolt's batch window of up to 10 ms
// included. tx-us is the write transaction alone, the part that grew with
// the history; x-fresh is that over the same for a client with no reply
// in the same database, the two measured in turn in the same run (target:
// at most 1.5), and x-fresh-handle compares the whole of Handle.
func BenchmarkAnswerHistory(b *testing.B) {
	r := newReadRig(b)
	srv := telegramtest.NewTB(b)
	const old, fresh = int64(5001), int64(5002)
	srv.User(old, "Sam", "en")
	srv.User(fresh, "Sam", "en")
	api, err := telegram.NewAPI(srv.Token(), srv.URL(), 10*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	o := r.opts
	o.API, o.Sender = api, &telegram.Sender{Rate: 1e6, PerChat: -1}
	r.bot = bot.New(o)
	r.sched.Conversation = r.bot
	seedHistory(b, r.db, old, historyDays)
	seedHistory(b, r.db, fresh, 0)
	var held time.Duration
	bot.SetWriteHeld(r.bot, func(d time.Duration) { held = d })
	// answer hands the bot chat's press for date and checks it was stored;
	// only the Handle of the client with a history is timed.
	answer := func(chat int64, date string) (handle, tx time.Duration) {
		u := r.press(b, chat, date)
		if chat == old {
			b.StartTimer()
		}
		start := time.Now()
		if err := r.bot.Handle(context.Background(), u); err != nil {
			b.Fatal(err)
		}
		handle = time.Since(start)
		b.StopTimer()
		if err := r.db.View(func(t *store.Tx) error {
			if !t.Answered(chat, date, 1, "mood") {
				b.Fatalf("the press of %d on %s was not stored", chat, date)
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		return handle, held
	}
	answer(old, readsNow.Format("2006-01-02")) // warm the caches
	answer(fresh, readsNow.Format("2006-01-02"))
	var inOld, inFresh, txOld, txFresh time.Duration
	b.ResetTimer()
	b.StopTimer()
	for i := range b.N {
		date := readsNow.AddDate(0, 0, i+1).Format("2006-01-02")
		h, t := answer(old, date)
		inOld, txOld = inOld+h, txOld+t
		h, t = answer(fresh, date)
		inFresh, txFresh = inFresh+h, txFresh+t
	}
	b.ReportMetric(float64(txOld.Microseconds())/float64(b.N), "tx-us")
	b.ReportMetric(float64(txOld)/float64(txFresh), "x-fresh")
	b.ReportMetric(float64(inOld)/float64(inFresh), "x-fresh-handle")
}
