package yamlx

import (
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

var syntaxLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// SyntaxError splits an error from the YAML parser into the line it names
// (0 when it names none) and its text without the "yaml: " and
// "line N: " prefixes.
func SyntaxError(err error) (line int, msg string) {
	s := err.Error()
	if m := syntaxLine.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n, m[2]
	}
	return 0, strings.TrimPrefix(s, "yaml: ")
}

// Aliases returns the first alias node under n, in document order, and how
// many there are, without following any of them.
func Aliases(n *yaml.Node) (first *yaml.Node, count int) {
	return aliases(n, nil, 0)
}

func aliases(n, first *yaml.Node, count int) (*yaml.Node, int) {
	if n.Kind == yaml.AliasNode {
		if first == nil {
			first = n
		}
		return first, count + 1
	}
	for _, c := range n.Content {
		first, count = aliases(c, first, count)
	}
	return first, count
}

// Join appends key to the dotted field path field ("days.questions").
func Join(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}

// Suggest returns the word of known that word was probably meant to be:
// the closest by edit distance (word lowercased), when it is under 3 edits
// away and no more than half the length of word. It returns "" when none is
// that close.
func Suggest(word string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := EditDistance(strings.ToLower(word), k); d < bestD {
			best, bestD = k, d
		}
	}
	if bestD > len(word)/2 {
		return ""
	}
	return best
}

// SuggestKey returns the key of known that key was probably meant to be,
// the way config keys are mistyped: a key equal to it once case, "_", "-"
// and spaces are ignored (first such key wins), else the first closest
// under 3 edits away, else "".
func SuggestKey(key string, known []string) string {
	norm := func(s string) string {
		return strings.NewReplacer("_", "", "-", "", " ", "").Replace(strings.ToLower(s))
	}
	best, bestDist := "", 3
	for _, name := range known {
		if norm(name) == norm(key) {
			return name
		}
		if dist := EditDistance(key, name); dist < bestDist {
			best, bestDist = name, dist
		}
	}
	return best
}

// maxEditLen bounds the words EditDistance compares; longer ones are
// never close to anything.
const maxEditLen = 64

// far is the distance of words too long to compare.
const far = 1 << 20

// EditDistance is the Levenshtein distance between a and b, in bytes; a
// very large number when either is longer than 64 bytes.
func EditDistance(a, b string) int {
	if len(a) > maxEditLen || len(b) > maxEditLen {
		return far
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
