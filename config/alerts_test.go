package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSafetyAlertConfig: the alert keys decode from the file and the
// environment, and bad values are named.
func TestSafetyAlertConfig(t *testing.T) {
	c, err := Parse(strings.NewReader("safety:\n  escalate_to: [-1001234567890, 42]\n  escalate_after: 5m\n  check_timeout: 1h\n  lowest_mood_check: false\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Safety.EscalateTo, []int64{-1001234567890, 42}) || time.Duration(c.Safety.EscalateAfter) != 5*time.Minute ||
		time.Duration(c.Safety.CheckTimeout) != time.Hour || c.Safety.LowestMoodCheck || !c.Safety.LowestMoodTwice {
		t.Errorf("decoded %+v", c.Safety)
	}
	env := map[string]string{"KINDLING_SAFETY_ESCALATE_TO": "[-100777]", "KINDLING_SAFETY_CHECK_TIMEOUT": "45m"}
	if err := c.ApplyEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Safety.EscalateTo, []int64{-100777}) || time.Duration(c.Safety.CheckTimeout) != 45*time.Minute {
		t.Errorf("after the environment %+v", c.Safety)
	}

	bad := validConfig(t)
	bad.Safety.EscalateTo = []int64{5, 0}
	bad.Safety.EscalateAfter = 0
	bad.Safety.CheckTimeout = Duration(-time.Minute)
	equalProblems(t, problems(t, bad.Validate()), []string{
		`safety.escalate_after: must be positive, got "0s"`,
		`safety.check_timeout: must be positive, got "-1m"`,
		`safety.escalate_to[1]: want a Telegram chat id, got 0`,
	})
}
