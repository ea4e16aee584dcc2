package bot_test

import (
	"fmt"
	"testing"

	"kindling/bot"
	"kindling/prompts"
)

// TestCommandMenus: the client's menu is set for everyone in the default
// language and for each language kindling has words for; each coach's
// own chat gets the coach's menu, in each language too. Descriptions are
// the messages' words.
func TestCommandMenus(t *testing.T) {
	coach := bot.Coach{ID: 9300, Name: "Dana", TimeZone: "UTC"}
	h := newHarness(t, withCoaches(coach))
	for _, tc := range []struct {
		scope, lang, words string
		first, last        string
		n                  int
	}{
		{"default", "", "en", "today", "help", 14},
		{"default", "en", "en", "today", "help", 14},
		{"default", "es", "es", "today", "help", 14},
		{fmt.Sprintf("chat:%d", coach.ID), "", "en", "invite", "help", 10},
		{fmt.Sprintf("chat:%d", coach.ID), "es", "es", "invite", "help", 10},
	} {
		t.Run(tc.scope+"/"+tc.lang, func(t *testing.T) {
			got := h.srv.CommandsFor(tc.scope, tc.lang)
			if len(got) != tc.n || got[0].Command != tc.first || got[len(got)-1].Command != tc.last {
				t.Fatalf("menu %+v, want %d commands from /%s to /%s", got, tc.n, tc.first, tc.last)
			}
			prefix := "menu_"
			if tc.first == "invite" {
				prefix = "menu_coach_"
			}
			words := prompts.Default().Messages(tc.words)
			for _, c := range got {
				if want := words.Text(prefix+c.Command, prompts.Vars{}); c.Description != want {
					t.Errorf("/%s described %q, want %q", c.Command, c.Description, want)
				}
			}
		})
	}
	es := h.srv.CommandsFor("default", "es")
	en := h.srv.CommandsFor("default", "")
	if es[0].Description == en[0].Description {
		t.Errorf("the Spanish menu reads like the English one: %q", es[0].Description)
	}
}
