// Package yamlx holds the small pieces that kindling's strict YAML readers
// share: the config decoder, the prompts loader and the safety rules parser
// each walk a yaml.Node tree themselves so that every problem names its
// file, line and key, and they use yamlx for the parts that must agree
// between them: the line of a syntax error, finding aliases (which all three
// refuse) and the "did you mean" suggestion for a mistyped key or word.
//
// yamlx only looks at nodes and strings. It must never decide what a
// problem says to the reader (each reader writes its own words, and golden
// files hold them), never read files, and never import any other kindling
// package.
package yamlx
