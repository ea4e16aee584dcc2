// Package report renders what a client gets back from kindling: a progress
// chart of their scale answers, their day-30 letter, and all of their data as
// files they can keep.
//
// # Basics
//
// ChartsFrom groups a client's scale answers into one Chart per question, one
// Series per session; ProgressChart draws a Chart as a PNG sized for a phone.
// Letter gathers the words of one session into a Markdown document. DataJSON
// and DataMarkdown write everything stored about a client, the first complete
// and machine-readable, the second for reading. FHIRBundle writes scored
// check-ins as a FHIR R4 Bundle for a clinic's records.
//
// Every function is pure: it takes values and returns bytes. Words the
// package writes itself (defaults, labels, dates) exist in English ("en") and
// Spanish ("es"); any other language gets English.
//
// # Caveats
//
// A client's words are never rewritten. In Markdown they are written as
// blockquotes, every line starting with "> ", so a line of theirs such as
// "# heading", "```" or "---" stays inside its quote and cannot break the
// document; two trailing spaces keep their line breaks when rendered.
//
// The chart font (Liberation Sans) has no emoji; characters it cannot draw
// are left out of the chart's text rather than drawn as empty boxes.
//
// This package must never import other kindling packages than store (for its
// types), touch the network, the database or the clock, or send anything: the
// bot decides what to send and when.
package report
