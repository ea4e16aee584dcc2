package demo

import (
	"strings"

	"kindling/prompts"
	"kindling/telegramtest"
)

// sampleAnswers are what the simulated client writes, one per free-text
// question, in order.
var sampleAnswers = []string{
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

// isQuestion guesses whether a bot message asks something.
func isQuestion(text string) bool {
	return strings.Contains(text, "?") || strings.Contains(text, "¿")
}

// pickButton chooses an answer button: on a 1-10 scale a mood that rises
// slowly over the month; otherwise the first option; then Done.
func pickButton(kb [][]telegramtest.Button, day int) string {
	if data := pickCheckIn(kb, day); data != "" {
		return data
	}
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

// pickCheckIn chooses the answer to a check-in item: the weeks after the
// session get gradually lighter ("often" on the first days, "not at all"
// by the end of the month), and the safety item is always "not at all".
// It returns "" when kb holds no check-in buttons.
func pickCheckIn(kb [][]telegramtest.Button, day int) string {
	var options []telegramtest.Button
	for _, row := range kb {
		for _, b := range row {
			if strings.HasPrefix(b.CallbackData, prompts.CheckInButtonKind+"|") {
				options = append(options, b)
			}
		}
	}
	if len(options) == 0 {
		return ""
	}
	if strings.Contains(options[0].CallbackData, "|harm|") {
		return options[0].CallbackData
	}
	i := min(max(2-day/12, 0), len(options)-1)
	return options[i].CallbackData
}
