package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"kindling/schedule"
	"kindling/store"
	"kindling/telegramtest"
)

// demoAnswers are what the simulated client writes, one per free-text
// question, in order.
var demoAnswers = []string{
	"Tired, but lighter than I expected. My jaw is sore from clenching.",
	"The image of the lake at my grandmother's house. I keep coming back to it.",
	"I slept nine hours. Walked to the river after lunch.",
	"A phrase from the session: 'you can put it down now'.",
	"Cried on the bus for no reason I could name. It passed.",
	"I called my brother. We had not spoken since spring.",
	"Honestly, a flat day. Nothing much to report.",
	"I wrote the phrase on a card and put it on my desk.",
	"Grief about my dad showed up out of nowhere. I let it.",
	"More patient with the kids this week, I think.",
	"Cooked a real dinner for the first time in weeks.",
	"It is not fixed, but something has loosened.",
	"Looking back, the walks mattered more than I thought.",
}

// cmdDemo walks one simulated client through a month with kindling,
// against the built-in fake Telegram, on a fast clock.
func cmdDemo(ctx context.Context, args []string, e cmdEnv) (err error) {
	fs := newFlags(e, "demo")
	days := fs.Int("days", 35, "how many `days` to run")
	dir := fs.String("dir", "", "keep the database in this `folder` (default: a new temporary folder)")
	quiet := fs.Bool("quiet", false, "print only the summary")
	if err := parseFlags(fs, args, e); err != nil {
		return err
	}
	if *days < 1 || *days > 400 {
		return fmt.Errorf("--days: want 1 to 400, got %d", *days)
	}
	began := time.Now()
	if *dir == "" {
		d, err := os.MkdirTemp("", "kindling-demo-")
		if err != nil {
			return err
		}
		*dir = d
	}
	out := e.stdout
	if *quiet {
		out = io.Discard
	}
	srv := telegramtest.New(telegramtest.WithBotUsername("kindling_demo_bot"))
	defer srv.Close()
	d, err := startDemo(ctx, srv, filepath.Join(*dir, "kindling.db"), out)
	if err != nil {
		return err
	}
	defer func() {
		if serr := d.a.Stop(time.Now(), secondSignal(ctx)); err == nil {
			err = serr
		}
	}()
	if err := d.month(*days); err != nil {
		return err
	}
	return d.summary(e.stdout, *days, began)
}

// startDemo starts kindling against srv with the database at path; the
// month starts a week before the US daylight-saving change of 8 March
// 2026, so the demo also shows the schedule keeping local time.
func startDemo(ctx context.Context, srv *telegramtest.Server, path string, out io.Writer) (*demo, error) {
	cfg := DefaultConfig()
	cfg.Telegram.APIURL = srv.URL()
	cfg.Telegram.Token = srv.Token()
	cfg.Telegram.RatePerSecond = 1000 // the fake has no limits; the demo has a deadline
	cfg.Store.Path = path
	cfg.Enrollment = EnrollOpen
	cfg.Schedule.DefaultTimezone = "America/New_York"
	zone, err := time.LoadLocation("America/New_York")
	if err != nil {
		return nil, err
	}
	clk := telegramtest.NewClock(time.Date(2026, 3, 1, 17, 30, 0, 0, zone))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := newApp(ctx, cfg, log, appOptions{now: clk.Now, perChat: -1, callTimeout: 10 * time.Second})
	if err != nil {
		return nil, err
	}
	a.poller.Timeout = 5 * time.Second
	a.Start(startOptions{})
	d := &demo{ctx: ctx, srv: srv, a: a, clk: clk, out: out, answered: map[int]bool{}}
	d.user = srv.User(4242, "Maya", "en")
	return d, nil
}

// month gets the client started, then, hour by hour for days, ticks the
// schedule and answers what arrives.
func (d *demo) month(days int) error {
	fmt.Fprintf(d.out, "kindling demo: one client, %d days, a fake Telegram on %s\n", days, d.srv.URL())
	fmt.Fprintf(d.out, "The client's clock starts on %s.\n", d.clk.Now().Format("Mon 2 Jan 2006 15:04 MST"))
	steps := []func() error{
		func() error { return d.say("/start") },
		func() error { return d.press("c|yes") },
		func() error { return d.press("tz|America/New_York") },
		func() error { return d.press("t|09:00") },
		func() error { return d.press("s|today") },
		func() error { return d.say("/intention to be gentler with myself") },
	}
	d.header("Getting started")
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	end := d.clk.Now().Add(time.Duration(days) * 24 * time.Hour)
	for t := d.clk.Now().Truncate(time.Hour).Add(time.Hour); t.Before(end); t = t.Add(time.Hour) {
		if err := d.ctx.Err(); err != nil {
			return err
		}
		d.clk.Set(t)
		d.a.tick(d.ctx, t)
		if err := d.settle(); err != nil {
			return err
		}
		if err := d.answerNew(); err != nil {
			return err
		}
	}
	return nil
}

// summary prints what the month left in the database.
func (d *demo) summary(w io.Writer, days int, began time.Time) error {
	var deliveries, replies, answered int
	err := d.a.db.View(func(tx *store.Tx) error {
		ds, err := tx.Deliveries(d.user.ID())
		if err != nil {
			return err
		}
		deliveries = len(ds)
		for _, dl := range ds {
			if dl.Next > 0 {
				answered++
			}
		}
		rs, err := tx.Replies(d.user.ID(), time.Time{})
		replies = len(rs)
		return err
	})
	if err != nil {
		return err
	}
	path := d.a.cfg.Store.Path
	fmt.Fprintf(w, "\nSummary: %d days run, %d days prompted (%d answered), %d answers stored, %d messages from kindling\n",
		days, deliveries, answered, replies, len(d.srv.Messages(d.user.ID())))
	fmt.Fprintf(w, "Database: %s\nSee the answers: KINDLING_STORE_PATH=%s go run . export\n", path, path)
	fmt.Fprintf(w, "Took %s.\n", time.Since(began).Round(10*time.Millisecond))
	return nil
}

// demo is the state of one demo run.
type demo struct {
	ctx      context.Context
	srv      *telegramtest.Server
	a        *app
	clk      *telegramtest.Clock
	user     *telegramtest.User
	out      io.Writer
	seen     int // bot messages already printed
	answered map[int]bool
	day      int // last day header printed
	answers  int
	lastDay  string
}

func (d *demo) header(s string) { fmt.Fprintf(d.out, "\n== %s ==\n", s) }

// settle waits until the bot has handled every update and sent its outbox.
func (d *demo) settle() error {
	ctx, cancel := context.WithTimeout(d.ctx, 10*time.Second)
	defer cancel()
	if err := d.srv.WaitConfirmed(ctx); err != nil {
		return err
	}
	return d.a.bot.WaitIdle(ctx)
}

// say sends text as the client and prints the exchange.
func (d *demo) say(text string) error {
	fmt.Fprintf(d.out, "  %s  Maya: %s\n", d.clk.Now().Format("15:04"), text)
	d.user.Send(text)
	if err := d.settle(); err != nil {
		return err
	}
	d.print()
	return nil
}

// press presses the button with this callback data on the newest bot
// message that has it.
func (d *demo) press(data string) error {
	msgs := d.srv.Messages(d.user.ID())
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, row := range msgs[i].Keyboard {
			for _, b := range row {
				if b.CallbackData == data {
					fmt.Fprintf(d.out, "  %s  Maya: [taps %s]\n", d.clk.Now().Format("15:04"), b.Text)
					if _, err := d.user.Press(msgs[i].ID, data); err != nil {
						return err
					}
					if err := d.settle(); err != nil {
						return err
					}
					d.print()
					return nil
				}
			}
		}
	}
	return fmt.Errorf("demo: no button %q to press", data)
}

// print shows the bot messages not shown yet.
func (d *demo) print() {
	msgs := d.srv.Messages(d.user.ID())
	for _, m := range msgs[d.seen:] {
		text := m.Text
		if m.Document != nil {
			text = fmt.Sprintf("[file %s, %d bytes] %s", m.Document.Name, len(m.Document.Data), text)
		}
		fmt.Fprintf(d.out, "  %s  kindling: %s\n", d.clk.Now().Format("15:04"), indent(text))
		for _, row := range m.Keyboard {
			var labels []string
			for _, b := range row {
				labels = append(labels, "["+b.Text+"]")
			}
			fmt.Fprintf(d.out, "                  %s\n", strings.Join(labels, " "))
		}
	}
	d.seen = len(msgs)
}

func indent(s string) string {
	return strings.ReplaceAll(s, "\n", "\n                  ")
}

// answerNew answers the questions the bot has just asked: a scale with a
// gently rising mood, a choice with its first option, free text with the
// next sample sentence. On a few days the client stays silent, to show
// the one reminder.
func (d *demo) answerNew() error {
	for range 20 {
		msgs := d.srv.Messages(d.user.ID())
		if len(msgs) > d.seen {
			d.dayHeader()
			d.print()
		}
		if len(msgs) == 0 {
			return nil
		}
		last := msgs[len(msgs)-1]
		if d.answered[last.ID] {
			return nil
		}
		d.answered[last.ID] = true
		day := d.currentDay()
		if day == 10 || day == 17 {
			return nil // a quiet day: no answer
		}
		if data := pickButton(last.Keyboard, day); data != "" {
			if err := d.press(data); err != nil {
				return err
			}
			// A multiple choice stays open until Done.
			delete(d.answered, last.ID)
			if m, ok := d.srv.Message(d.user.ID(), last.ID); ok && len(m.Keyboard) <= 1 {
				d.answered[last.ID] = true
			}
			continue
		}
		if len(last.Keyboard) > 0 || !isQuestion(last.Text) {
			return nil
		}
		answer := demoAnswers[d.answers%len(demoAnswers)]
		d.answers++
		if err := d.say(answer); err != nil {
			return err
		}
	}
	return nil
}

// isQuestion guesses whether a bot message asks something.
func isQuestion(text string) bool {
	return strings.Contains(text, "?") || strings.Contains(text, "¿")
}

// pickButton chooses an answer button: on a 1-10 scale a mood that rises
// slowly over the month; otherwise the first option; then Done.
func pickButton(kb [][]telegramtest.Button, day int) string {
	var answers []telegramtest.Button
	for _, row := range kb {
		for _, b := range row {
			if strings.HasPrefix(b.CallbackData, "a|") {
				answers = append(answers, b)
			}
		}
	}
	if len(answers) == 0 {
		return ""
	}
	if len(answers) >= 10 {
		mood := 4 + day/6
		if day%7 == 3 {
			mood-- // not every day is better
		}
		mood = min(max(mood, 1), len(answers))
		return answers[mood-1].CallbackData
	}
	// A multiple choice: if the first option is chosen already, finish.
	if strings.HasPrefix(answers[0].Text, "✓") {
		return answers[len(answers)-1].CallbackData
	}
	return answers[0].CallbackData
}

// currentDay is the day since the client's latest session.
func (d *demo) currentDay() int {
	day := -1
	err := d.a.db.View(func(tx *store.Tx) error {
		s, err := tx.LatestSession(d.user.ID())
		if err != nil {
			return err
		}
		c, err := tx.Client(d.user.ID())
		if err != nil {
			return err
		}
		loc, err := time.LoadLocation(c.TimeZone)
		if err != nil {
			return err
		}
		day, err = schedule.DaysBetween(s.Date, schedule.LocalDate(d.clk.Now(), loc))
		return err
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return -1
	}
	return day
}

// dayHeader prints "Day N" once per local day with messages.
func (d *demo) dayHeader() {
	date := d.clk.Now().Format("2006-01-02")
	if date == d.lastDay {
		return
	}
	d.lastDay = date
	d.header(fmt.Sprintf("Day %d · %s", d.currentDay(), d.clk.Now().Format("Mon 2 Jan 2006 MST")))
}
