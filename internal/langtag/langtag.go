// Package langtag reads language tags the one way kindling reads them
// everywhere: texts are kept by base language, each client's language is
// stored as one, and the crisis net, the reports and the web pages choose
// their words by it. It must stay a leaf: it imports nothing of kindling's,
// so that every package may use it.
package langtag

import "strings"

// Base is the language of a tag without its region or script: "es-MX",
// "ES_mx" and " es " are all "es"; "" stays "".
func Base(tag string) string {
	tag = strings.ToLower(strings.TrimSpace(tag))
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	return tag
}
