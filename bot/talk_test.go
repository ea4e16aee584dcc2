package bot_test

import (
	"testing"
	"time"

	"kindling/prompts"
)

// The conversation tests here run on the recording fake (fake_test.go):
// what they check is what the bot says and stores, not how it reaches
// Telegram.

// onboardedTalk is Ana (chat 1001), onboarded in New York on 1 March.
func onboardedTalk(t *testing.T, opts ...option) *talk {
	t.Helper()
	k := newTalk(t, append([]option{startingAt(ny("2026-03-01 07:00"))}, opts...)...)
	k.onboard(1001, "Ana", "America/New_York", "09:00", "2026-03-01")
	return k
}

func TestOnboardingTyped(t *testing.T) {
	k := newTalk(t, startingAt(ny("2026-03-01 07:00")))
	const ben = int64(1002)
	k.send(ben, "Ben", "/start")
	k.press(ben, "Ben", "c|yes")
	k.send(ben, "Ben", "Mars/Base")
	if got, want := k.lastText(ben), words("timezone_invalid", prompts.Vars{Name: "Ben", TimeZone: "Mars/Base"}); got != want {
		t.Fatalf("bad zone: %q, want %q", got, want)
	}
	k.send(ben, "Ben", "europe/paris")
	k.send(ben, "Ben", "25:00")
	if got, want := k.lastText(ben), words("time_invalid", prompts.Vars{Name: "Ben"}); got != want {
		t.Fatalf("bad time: %q, want %q", got, want)
	}
	k.send(ben, "Ben", "7:45")
	k.send(ben, "Ben", "31 Feb")
	if c := k.client(ben); c.Setup != "session" || len(k.sessions(ben)) != 0 {
		t.Fatalf("after 31 Feb: setup %q, sessions %v; want still asking, none stored", c.Setup, k.sessions(ben))
	}
	k.send(ben, "Ben", "2026-02-27")
	c := k.client(ben)
	if c.Setup != "" || c.TimeZone != "Europe/Paris" || c.SendTime != "07:45" {
		t.Fatalf("after onboarding: %+v", c)
	}
	want := words("setup_done", prompts.Vars{Name: "Ben", Time: "07:45", TimeZone: "Europe/Paris", Date: "Fri 27 Feb 2026"})
	if got := k.lastText(ben); got != want {
		t.Fatalf("setup done:\n%s\nwant\n%s", got, want)
	}
	// It is 13:00 in Paris on day 2 of the session, which has a step:
	// its 07:45 slot passed less than schedule.catch_up ago, so it is due
	// at once and the next tick asks it.
	paris := mustZone("Europe/Paris")
	now := k.clock.Now()
	if !c.Due.Equal(now) {
		t.Fatalf("due %s, want now (%s)", c.Due.In(paris), now.In(paris))
	}
	if st := k.tick(now.Add(time.Minute)); st.Started != 1 {
		t.Fatalf("tick started %d steps, want day 2's", st.Started)
	}
	if ds := k.deliveries(ben); len(ds) != 1 || ds[0].Day != 2 || ds[0].LocalDate != "2026-03-01" {
		t.Fatalf("deliveries %+v, want day 2 on 1 March", ds)
	}
}

func TestSettingsCommands(t *testing.T) {
	k := onboardedTalk(t)
	const ana = int64(1001)
	for _, tc := range []struct {
		text     string
		want     string // the answer
		zone     string // the client's zone afterwards
		sendTime string
	}{
		{"/timezone Mars/Base", words("timezone_invalid", prompts.Vars{Name: "Ana", TimeZone: "Mars/Base"}), "America/New_York", "09:00"},
		{"/timezone Local", words("timezone_invalid", prompts.Vars{Name: "Ana", TimeZone: "Local"}), "America/New_York", "09:00"},
		{"/timezone ../../etc/passwd", words("timezone_invalid", prompts.Vars{Name: "Ana", TimeZone: "../../etc/passwd"}), "America/New_York", "09:00"},
		{"/timezone europe/berlin", words("timezone_set", prompts.Vars{Name: "Ana", TimeZone: "Europe/Berlin"}), "Europe/Berlin", "09:00"},
		{"/time 25:00", words("time_invalid", prompts.Vars{Name: "Ana"}), "Europe/Berlin", "09:00"},
		{"/time 9:75", words("time_invalid", prompts.Vars{Name: "Ana"}), "Europe/Berlin", "09:00"},
		{"/time 7:30", words("time_set", prompts.Vars{Name: "Ana", Time: "07:30"}), "Europe/Berlin", "07:30"},
	} {
		t.Run(tc.text, func(t *testing.T) {
			k.send(ana, "Ana", tc.text)
			if got := k.lastText(ana); got != tc.want {
				t.Fatalf("%s: %q, want %q", tc.text, got, tc.want)
			}
			c := k.client(ana)
			if c.TimeZone != tc.zone || c.SendTime != tc.sendTime {
				t.Fatalf("%s: zone %q time %q, want %q %q", tc.text, c.TimeZone, c.SendTime, tc.zone, tc.sendTime)
			}
		})
	}
	// The next step is now due at 07:30 in Berlin: day 0's evening step is
	// at 19:00 Berlin time today.
	berlin := mustZone("Europe/Berlin")
	if got, want := k.client(ana).Due, time.Date(2026, 3, 1, 19, 0, 0, 0, berlin); !got.Equal(want) {
		t.Fatalf("due %s, want %s", got.In(berlin), want)
	}
	// /timezone alone asks, and the next message answers.
	k.send(ana, "Ana", "/timezone")
	k.send(ana, "Ana", "Asia/Kolkata")
	if c := k.client(ana); c.TimeZone != "Asia/Kolkata" || c.Flow != "" {
		t.Fatalf("after /timezone and a name: zone %q flow %q", c.TimeZone, c.Flow)
	}
}

func TestHelp(t *testing.T) {
	k := onboardedTalk(t)
	const ana = int64(1001)
	k.send(ana, "Ana", "/help")
	if got, want := k.lastText(ana), words("help", prompts.Vars{Name: "Ana"}); got != want {
		t.Fatalf("/help: %q", got)
	}
}
