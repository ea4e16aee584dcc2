// Package yamlx is kindling's strict YAML reading: what its readers share
// so that every problem names its file, line and key and none stops the
// others.
//
// Decoder decodes a yaml.Node tree into a Go struct by its yaml tags
// (the config is read so): unknown keys with the key probably meant, keys
// given twice, values of the wrong type, aliases inside their own anchor and
// documents that expand past a budget are problems, each with its line. The
// prompts loader and the safety rules parser walk their nodes themselves,
// as their fields depend on each other, and use the helpers that must agree
// between all three: the line of a syntax error, finding aliases, the "did
// you mean" suggestion for a mistyped key or word.
//
// yamlx must never read files (its callers hand it a reader or a node and
// say how a line is named), never decide what is valid beyond the shape of
// the data (each reader validates its own values in its own words, and
// golden files hold them), and never import any other kindling package.
package yamlx
