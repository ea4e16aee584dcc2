package safety

// DefaultPhrases is empty. Before the warning-sign rules, it held the
// built-in phrase lists, and a language in config.yaml's safety.phrases
// replaced that language's list. The built-in rules (DefaultRules) now
// catch every one of those phrases, at alert or check (a test keeps them
// to it: testdata/legacy_phrases.tsv), and safety.phrases only adds to the
// rules.
//
// Deprecated: New(nil) builds the Net of the built-in rules; kept so that
// callers of New(DefaultPhrases) compile.
var DefaultPhrases = map[string][]string{}
