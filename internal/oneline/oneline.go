// Package oneline puts a person's words on one line, the one way kindling
// does it wherever an answer is quoted inside something else: a coach's
// list, an alert, a table cell, a chart label, the month's letter. It is a
// leaf: it imports nothing of kindling's, so that every package may use it.
package oneline

import "strings"

// Of joins the lines of s with single spaces and trims it. A text with no
// line break or tab is only trimmed: the spaces a person typed stay.
func Of(s string) string {
	if !strings.ContainsAny(s, "\r\n\t") {
		return strings.TrimSpace(s)
	}
	return strings.Join(strings.Fields(s), " ")
}
