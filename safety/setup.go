package safety

import (
	"errors"
	"fmt"
)

// Setup is how a practice sets up its net: config.yaml's safety section.
type Setup struct {
	RulesFile string              // a rules file of the practice's own; "" for none
	Replace   bool                // RulesFile's rules replace the built-in ones instead of extending them
	Phrases   map[string][]string // more alert phrases by language (see Compile)
	Learned   bool                // the learned check reads what no rule matched
}

// Build makes the net of s: the built-in rules, extended or replaced by
// those of s.RulesFile, plus s.Phrases, with the learned check when
// s.Learned. A rules file with problems is an error listing every one as
// file:line: field: message; nothing is half-loaded. The errors name the
// configuration key they come from.
func Build(s Setup) (*Net, error) {
	rules := DefaultRules()
	if s.Replace && s.RulesFile == "" {
		return nil, errors.New("safety.rules_mode: replace needs safety.rules_file: without it there would be no rules")
	}
	if s.RulesFile != "" {
		file, err := LoadRules(s.RulesFile)
		if err != nil {
			return nil, fmt.Errorf("safety.rules_file: %w", err)
		}
		if s.Replace {
			rules = file
		} else {
			rules = rules.Extend(file)
		}
	}
	net, err := Compile(rules, s.Phrases)
	if err != nil {
		return nil, fmt.Errorf("safety.phrases: %w", err)
	}
	net.UseLearned(s.Learned)
	return net, nil
}
