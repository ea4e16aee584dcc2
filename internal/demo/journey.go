package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"kindling/schedule"
	"kindling/store"
	"kindling/telegramtest"
)

// Options are what a Journey needs of the running kindling.
type Options struct {
	Server *telegramtest.Server
	Clock  *telegramtest.Clock // kindling's clock; the Journey moves it
	DB     *store.DB           // read only, for the day count and the summary
	// Tick runs the schedule at now, as the cron tick would.
	Tick func(ctx context.Context, now time.Time)
	// Idle returns once kindling has handled every update and sent its outbox.
	Idle func(ctx context.Context) error
	Out  io.Writer // the conversation as it happens; io.Discard for none
}

// Journey is one demo client's month with kindling.
type Journey struct {
	opt      Options
	user     *telegramtest.User
	seen     int // bot messages already printed
	answered map[int]bool
	answers  int    // free-text answers given
	lastDay  string // local date of the last day header printed
}

// clientID is the demo client's Telegram user id.
const clientID = 4242

// New makes the demo client known to the fake server; Run starts it.
func New(opt Options) *Journey {
	return &Journey{opt: opt, answered: map[int]bool{},
		user: opt.Server.User(clientID, "Maya", "en")}
}

// Run gets the client started, then, hour by hour for days, ticks the
// schedule and answers what arrives.
func (j *Journey) Run(ctx context.Context, days int) error {
	out, clk := j.opt.Out, j.opt.Clock
	fmt.Fprintf(out, "kindling demo: one client, %d days, a fake Telegram on %s\n", days, j.opt.Server.URL())
	fmt.Fprintf(out, "The client's clock starts on %s.\n", clk.Now().Format("Mon 2 Jan 2006 15:04 MST"))
	j.header("Getting started")
	if err := j.say(ctx, "/start"); err != nil {
		return err
	}
	for _, data := range []string{"c|yes", "tz|America/New_York", "t|09:00", "s|today"} {
		if err := j.press(ctx, data); err != nil {
			return err
		}
	}
	if err := j.say(ctx, "/intention to be gentler with myself"); err != nil {
		return err
	}
	end := clk.Now().Add(time.Duration(days) * 24 * time.Hour)
	for t := clk.Now().Truncate(time.Hour).Add(time.Hour); t.Before(end); t = t.Add(time.Hour) {
		if err := ctx.Err(); err != nil {
			return err
		}
		clk.Set(t)
		j.opt.Tick(ctx, t)
		if err := j.settle(ctx); err != nil {
			return err
		}
		if err := j.answerNew(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (j *Journey) header(s string) { fmt.Fprintf(j.opt.Out, "\n== %s ==\n", s) }

// settle waits until kindling has handled every update and sent its outbox.
func (j *Journey) settle(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := j.opt.Server.WaitConfirmed(ctx); err != nil {
		return err
	}
	return j.opt.Idle(ctx)
}

// say sends text as the client and prints the exchange.
func (j *Journey) say(ctx context.Context, text string) error {
	fmt.Fprintf(j.opt.Out, "  %s  Maya: %s\n", j.opt.Clock.Now().Format("15:04"), text)
	j.user.Send(text)
	if err := j.settle(ctx); err != nil {
		return err
	}
	j.print()
	return nil
}

// press presses the button with this callback data on the newest bot
// message that has it.
func (j *Journey) press(ctx context.Context, data string) error {
	msgs := j.opt.Server.Messages(j.user.ID())
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, row := range msgs[i].Keyboard {
			for _, b := range row {
				if b.CallbackData != data {
					continue
				}
				fmt.Fprintf(j.opt.Out, "  %s  Maya: [taps %s]\n", j.opt.Clock.Now().Format("15:04"), b.Text)
				if _, err := j.user.Press(msgs[i].ID, data); err != nil {
					return err
				}
				if err := j.settle(ctx); err != nil {
					return err
				}
				j.print()
				return nil
			}
		}
	}
	return fmt.Errorf("demo: no button %q to press", data)
}

// print shows the bot messages not shown yet.
func (j *Journey) print() {
	msgs := j.opt.Server.Messages(j.user.ID())
	for _, m := range msgs[j.seen:] {
		text := m.Text
		if m.Document != nil {
			text = fmt.Sprintf("[file %s, %d bytes] %s", m.Document.Name, len(m.Document.Data), text)
		}
		fmt.Fprintf(j.opt.Out, "  %s  kindling: %s\n", j.opt.Clock.Now().Format("15:04"), indent(text))
		for _, row := range m.Keyboard {
			var labels []string
			for _, b := range row {
				labels = append(labels, "["+b.Text+"]")
			}
			fmt.Fprintf(j.opt.Out, "                  %s\n", strings.Join(labels, " "))
		}
	}
	j.seen = len(msgs)
}

func indent(s string) string {
	return strings.ReplaceAll(s, "\n", "\n                  ")
}

// answerNew answers the questions kindling has just asked: buttons as
// pickButton chooses, free text with the next sample sentence. On a few
// days the client stays silent, to show the one reminder.
func (j *Journey) answerNew(ctx context.Context) error {
	for range 20 {
		msgs := j.opt.Server.Messages(j.user.ID())
		if len(msgs) > j.seen {
			j.dayHeader()
			j.print()
		}
		if len(msgs) == 0 {
			return nil
		}
		last := msgs[len(msgs)-1]
		if j.answered[last.ID] {
			return nil
		}
		j.answered[last.ID] = true
		day := j.currentDay()
		if day == 10 || day == 17 {
			return nil // a quiet day: no answer
		}
		if data := pickButton(last.Keyboard, day); data != "" {
			if err := j.press(ctx, data); err != nil {
				return err
			}
			// A multiple choice stays open until Done.
			delete(j.answered, last.ID)
			if m, ok := j.opt.Server.Message(j.user.ID(), last.ID); ok && len(m.Keyboard) <= 1 {
				j.answered[last.ID] = true
			}
			continue
		}
		if len(last.Keyboard) > 0 || !isQuestion(last.Text) {
			return nil
		}
		answer := sampleAnswers[j.answers%len(sampleAnswers)]
		j.answers++
		if err := j.say(ctx, answer); err != nil {
			return err
		}
	}
	return nil
}

// currentDay is the day since the client's latest session, -1 before one.
func (j *Journey) currentDay() int {
	day := -1
	err := j.opt.DB.View(func(tx *store.Tx) error {
		s, err := tx.LatestSession(j.user.ID())
		if err != nil {
			return err
		}
		c, err := tx.Client(j.user.ID())
		if err != nil {
			return err
		}
		loc, err := time.LoadLocation(c.TimeZone)
		if err != nil {
			return err
		}
		day, err = schedule.DaysBetween(s.Date, schedule.LocalDate(j.opt.Clock.Now(), loc))
		return err
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return -1
	}
	return day
}

// dayHeader prints "Day N" once per local day with messages.
func (j *Journey) dayHeader() {
	now := j.opt.Clock.Now()
	date := now.Format("2006-01-02")
	if date == j.lastDay {
		return
	}
	j.lastDay = date
	j.header(fmt.Sprintf("Day %d · %s", j.currentDay(), now.Format("Mon 2 Jan 2006 MST")))
}
