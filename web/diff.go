package web

import "strings"

// diffLine is one line of a line diff: Op is ' ' (the same), '-' (only
// in the old text) or '+' (only in the new); the line numbers are 0 on
// the side the line is not in.
type diffLine struct {
	Op         string
	Old, New   int
	Text       string
	Unchanged  bool
	Skipped    int // for a gap marker: how many unchanged lines are not shown
	IsSkipMark bool
}

// maxDiffCells bounds the work of the diff: a change this large is shown
// as the old text removed and the new one added.
const maxDiffCells = 4_000_000

// lineDiff compares two texts line by line (a longest common subsequence
// between the parts that differ) and keeps context lines around each
// change.
func lineDiff(oldText, newText string, context int) []diffLine {
	a, b := splitLines(oldText), splitLines(newText)
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var all []diffLine
	for i := 0; i < pre; i++ {
		all = append(all, diffLine{Op: " ", Old: i + 1, New: i + 1, Text: a[i], Unchanged: true})
	}
	am, bm := a[pre:len(a)-suf], b[pre:len(b)-suf]
	all = append(all, middleDiff(am, bm, pre)...)
	for i := 0; i < suf; i++ {
		oi, ni := len(a)-suf+i, len(b)-suf+i
		all = append(all, diffLine{Op: " ", Old: oi + 1, New: ni + 1, Text: a[oi], Unchanged: true})
	}
	// Keep context lines near a change; mark the gaps.
	keep := make([]bool, len(all))
	for i, l := range all {
		if !l.Unchanged {
			for j := max(0, i-context); j <= min(len(all)-1, i+context); j++ {
				keep[j] = true
			}
		}
	}
	var out []diffLine
	skipped := 0
	for i, l := range all {
		if keep[i] {
			if skipped > 0 {
				out = append(out, diffLine{IsSkipMark: true, Skipped: skipped})
				skipped = 0
			}
			out = append(out, l)
		} else {
			skipped++
		}
	}
	if skipped > 0 && len(out) > 0 {
		out = append(out, diffLine{IsSkipMark: true, Skipped: skipped})
	}
	return out
}

func middleDiff(a, b []string, offset int) []diffLine {
	var out []diffLine
	if len(a)*len(b) > maxDiffCells {
		for i, l := range a {
			out = append(out, diffLine{Op: "-", Old: offset + i + 1, Text: l})
		}
		for i, l := range b {
			out = append(out, diffLine{Op: "+", New: offset + i + 1, Text: l})
		}
		return out
	}
	// lcs[i][j] is the longest common subsequence of a[i:] and b[j:].
	lcs := make([][]int32, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int32, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			out = append(out, diffLine{Op: " ", Old: offset + i + 1, New: offset + j + 1, Text: a[i], Unchanged: true})
			i++
			j++
		case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
			out = append(out, diffLine{Op: "-", Old: offset + i + 1, Text: a[i]})
			i++
		default:
			out = append(out, diffLine{Op: "+", New: offset + j + 1, Text: b[j]})
			j++
		}
	}
	return out
}

// splitLines splits text into lines without their line ends ("\r\n" or
// "\n"); a final line end starts no empty line.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
