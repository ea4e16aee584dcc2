package prompts

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"kindling/internal/yamlx"
)

// maxFileProblems caps the problems reported for one file: past it, a file is
// more likely the wrong file than a file with many typos.
const maxFileProblems = 50

// Load reads and validates every *.yaml and *.yml file at the root of fsys
// (hidden files, names ending in "~" and directories are skipped). It returns
// a *LoadError listing every problem when any of them is an error; warnings
// alone do not fail (see Set.Warnings). Messages missing from fsys are taken
// from kindling's built-in messages.
func Load(fsys fs.FS, opts Options) (*Set, error) {
	builtin, err := defaultSet()
	if err != nil {
		builtin = nil // a test guards the embedded files; never fail a load on them
	}
	return load(fsys, opts, builtin)
}

// LoadDir is Load on the directory dir.
func LoadDir(dir string, opts Options) (*Set, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, &LoadError{Problems: []Problem{{File: dir, Message: "cannot read the prompts directory: " + unwrapPathError(err)}}}
	}
	return Load(os.DirFS(dir), opts)
}

func unwrapPathError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// loader collects what one Load finds.
type loader struct {
	opts     Options
	files    map[string][]byte // every file read, as read
	problems []Problem
	seqs     []*Sequence
	seqNodes map[*Sequence]*seqNodes
	messages []*messagesFile
	insts    []*Instrument
	instNode map[*Instrument]*instNodes
}

// seqNodes remembers where parts of a sequence were written, for problems
// found after parsing (those across files).
type seqNodes struct {
	id, days, repeat int // lines of the id, days: and repeat: keys
}

type messagesFile struct {
	file     string
	language string
	langLine int // of the language: key
	line     int // of the messages: key
	messages Messages
}

func load(fsys fs.FS, opts Options, builtin *Set) (*Set, error) {
	l := &loader{opts: opts.withDefaults(), seqNodes: map[*Sequence]*seqNodes{}, files: map[string][]byte{}}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		l.problems = append(l.problems, Problem{Message: "cannot read the prompts directory: " + unwrapPathError(err)})
		return nil, &LoadError{Problems: l.problems}
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !isPromptFile(name) {
			continue
		}
		l.loadFile(fsys, name)
	}
	l.checkSet(builtin)

	sort.SliceStable(l.problems, func(i, j int) bool {
		a, b := l.problems[i], l.problems[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	var warnings []Problem
	failed := false
	for _, p := range l.problems {
		if p.Warning {
			warnings = append(warnings, p)
		} else {
			failed = true
		}
	}
	if failed {
		return nil, &LoadError{Problems: l.problems}
	}
	return l.set(builtin, warnings), nil
}

// isPromptFile reports whether a directory entry is one Load reads: a YAML
// file that is not hidden and not an editor's backup.
func isPromptFile(name string) bool {
	if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~") || strings.HasSuffix(name, "~") || strings.HasPrefix(name, "#") {
		return false
	}
	ext := strings.ToLower(path.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}

// fileProblems reports problems in one file.
type fileProblems struct {
	l    *loader
	file string
	n    int
}

func (f *fileProblems) add(p Problem) {
	p.File = f.file
	f.n++
	switch {
	case f.n < maxFileProblems:
		f.l.problems = append(f.l.problems, p)
	case f.n == maxFileProblems:
		f.l.problems = append(f.l.problems, Problem{File: f.file, Line: p.Line,
			Message: fmt.Sprintf("too many problems; stopped after %d (is this a prompts file?)", maxFileProblems-1)})
	}
}

func (f *fileProblems) errorf(n *yaml.Node, field, format string, args ...any) {
	f.add(Problem{Line: line(n), Field: field, Message: fmt.Sprintf(format, args...)})
}

func (f *fileProblems) warnf(n *yaml.Node, field, format string, args ...any) {
	f.add(Problem{Line: line(n), Field: field, Message: fmt.Sprintf(format, args...), Warning: true})
}

func line(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	return n.Line
}

// readFile reads name, refusing files that are not regular or over the size
// limit before reading them, and a file that grows past the limit while read.
func (l *loader) readFile(fsys fs.FS, name string, fp *fileProblems) []byte {
	info, err := fs.Stat(fsys, name)
	if err != nil {
		fp.add(Problem{Message: "cannot read: " + unwrapPathError(err)})
		return nil
	}
	if !info.Mode().IsRegular() {
		fp.add(Problem{Message: "not a regular file"})
		return nil
	}
	max := l.opts.MaxFileSize
	if info.Size() > max {
		fp.add(Problem{Message: fmt.Sprintf("file is %d bytes, over the limit of %d: is this a prompts file?", info.Size(), max)})
		return nil
	}
	f, err := fsys.Open(name)
	if err != nil {
		fp.add(Problem{Message: "cannot read: " + unwrapPathError(err)})
		return nil
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		fp.add(Problem{Message: "cannot read: " + unwrapPathError(err)})
		return nil
	}
	if int64(len(data)) > max {
		fp.add(Problem{Message: fmt.Sprintf("file is over the limit of %d bytes: is this a prompts file?", max)})
		return nil
	}
	return data
}

// parseYAML turns data into the root mapping of its one document, reporting
// text that is not UTF-8, syntax errors, several documents and aliases.
func parseYAML(data []byte, fp *fileProblems) (root *yaml.Node) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
		fp.add(Problem{Message: "not a text file (YAML must be UTF-8 text)"})
		return nil
	}
	defer func() {
		// yaml.v3 has panicked on hostile input before; a file must never
		// take the bot down.
		if r := recover(); r != nil {
			fp.add(Problem{Message: fmt.Sprintf("cannot parse this file as YAML (%v)", r)})
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			fp.add(Problem{Message: "file is empty"})
			return nil
		}
		fp.add(yamlProblem(err))
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			fp.add(yamlProblem(err))
		} else {
			fp.add(Problem{Line: extra.Line, Message: "a second YAML document (after ---): put one sequence or messages file per file"})
		}
		return nil
	}
	if first, n := yamlx.Aliases(&doc); n > 0 {
		msg := fmt.Sprintf("YAML aliases (*%s) are not supported: write the value out in full", clip(first.Value, 40))
		if n > 1 {
			msg += fmt.Sprintf(" (%d more aliases in this file)", n-1)
		}
		fp.errorf(first, "", "%s", msg)
		return nil
	}
	if len(doc.Content) == 0 {
		fp.add(Problem{Message: "file is empty"})
		return nil
	}
	root = doc.Content[0]
	if root.Kind != yaml.MappingNode {
		fp.errorf(root, "", "expected keys such as id, language and days (or language and messages), found %s", describe(root))
		return nil
	}
	return root
}

func yamlProblem(err error) Problem {
	line, msg := yamlx.SyntaxError(err)
	return Problem{Line: line, Message: "invalid YAML: " + msg}
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a set of keys"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", clip(n.Value, 40))
	}
	return "something else"
}

func (l *loader) loadFile(fsys fs.FS, name string) {
	fp := &fileProblems{l: l, file: name}
	data := l.readFile(fsys, name, fp)
	if data == nil {
		return
	}
	l.files[name] = data
	root := parseYAML(data, fp)
	if root == nil {
		return
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "check_in" {
			if in, nodes := parseInstrument(root, fp); in != nil {
				in.File = name
				l.insts = append(l.insts, in)
				if l.instNode == nil {
					l.instNode = map[*Instrument]*instNodes{}
				}
				l.instNode[in] = nodes
			}
			return
		}
		if root.Content[i].Value == "messages" {
			if mf := parseMessages(root, fp); mf != nil {
				mf.file = name
				l.messages = append(l.messages, mf)
			}
			return
		}
	}
	if seq, nodes := parseSequence(root, fp); seq != nil {
		seq.File = name
		l.seqs = append(l.seqs, seq)
		l.seqNodes[seq] = nodes
	}
}

// fields walks the keys of mapping n, reporting keys that are not strings,
// duplicate keys and keys not in known, and calls each known key's function
// with its value. It reports n itself when it is not a mapping.
func fields(n *yaml.Node, field string, fp *fileProblems, known []string, each func(key string, k, v *yaml.Node)) bool {
	if n.Kind != yaml.MappingNode {
		fp.errorf(n, field, "expected keys (%s), found %s", strings.Join(known, ", "), describe(n))
		return false
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		if k.Kind != yaml.ScalarNode {
			fp.errorf(k, field, "a key must be a plain word, found %s", describe(k))
			continue
		}
		if seen[key] {
			fp.errorf(k, yamlx.Join(field, key), "is written twice")
			continue
		}
		seen[key] = true
		if !slices.Contains(known, key) {
			msg := fmt.Sprintf("unknown field %q", key)
			if s := yamlx.Suggest(key, known); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			} else {
				msg += " (expected " + strings.Join(known, ", ") + ")"
			}
			fp.errorf(k, field, "%s", msg)
			continue
		}
		each(key, k, v)
	}
	return true
}

// str decodes a scalar as text, trimmed. Any scalar is text (`text: 10` is
// "10"); null is "".
func str(n *yaml.Node, field string, fp *fileProblems) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		fp.errorf(n, field, "expected a text, found %s", describe(n))
		return "", false
	}
	if n.Tag == "!!null" {
		return "", true
	}
	return strings.TrimSpace(n.Value), true
}

// maxInt bounds every number in a file: days, scale ends, repeat intervals.
const maxInt = 999_999

func integer(n *yaml.Node, field string, fp *fileProblems) (int, bool) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!int" {
		var i int
		if err := n.Decode(&i); err == nil && i >= -maxInt && i <= maxInt {
			return i, true
		}
		fp.errorf(n, field, "%s is out of range (%d to %d)", clip(n.Value, 40), -maxInt, maxInt)
		return 0, false
	}
	fp.errorf(n, field, "expected a whole number, found %s", describe(n))
	return 0, false
}

func boolean(n *yaml.Node, field string, fp *fileProblems) (bool, bool) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		var b bool
		if err := n.Decode(&b); err == nil {
			return b, true
		}
	}
	fp.errorf(n, field, "expected true or false, found %s", describe(n))
	return false, false
}

func list(n *yaml.Node, field string, fp *fileProblems) ([]*yaml.Node, bool) {
	if n.Kind != yaml.SequenceNode {
		fp.errorf(n, field, "expected a list (lines starting with \"- \"), found %s", describe(n))
		return nil, false
	}
	return n.Content, true
}

var (
	idPattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	langPattern = regexp.MustCompile(`^[a-z]{2,3}(-[a-z0-9]{2,8})*$`)
	atPattern   = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
)

// maxIDLen is the longest id; button data limits choice and scale ids further.
const maxIDLen = 64

func checkID(n *yaml.Node, field, id string, fp *fileProblems) bool {
	switch {
	case id == "":
		fp.errorf(n, field, "is empty")
	case len(id) > maxIDLen:
		fp.errorf(n, field, "is longer than %d characters", maxIDLen)
	case !idPattern.MatchString(id):
		fp.errorf(n, field, "%q: use lowercase letters, digits, - and _ only, starting with a letter or digit", clip(id, 40))
	default:
		return true
	}
	return false
}

// checkText reports a text that is empty, uses a placeholder it may not, or
// would not fit Telegram with every placeholder at its longest.
func checkText(n *yaml.Node, field, text string, allowed []string, fp *fileProblems) {
	if text == "" {
		fp.errorf(n, field, "is empty")
		return
	}
	for _, name := range placeholders(text) {
		if slices.Contains(allowed, name) {
			continue
		}
		if slices.Contains(messageVars, name) {
			fp.errorf(n, field, "placeholder {%s} can only be used in the bot's messages; use %s", name, placeholderList(allowed))
			continue
		}
		msg := fmt.Sprintf("unknown placeholder {%s}", name)
		if s := yamlx.Suggest(name, allowed); s != "" {
			msg += fmt.Sprintf(" (did you mean {%s}?)", s)
		} else {
			msg += "; use " + placeholderList(allowed)
		}
		fp.errorf(n, field, "%s", msg)
	}
	if worst := worstCaseLen(text); worst > MaxTextLen {
		if len(placeholders(text)) > 0 {
			fp.errorf(n, field, "is too long: up to %d characters with its placeholders filled in; Telegram allows %d", worst, MaxTextLen)
		} else {
			fp.errorf(n, field, "is too long: %d characters; Telegram allows %d", worst, MaxTextLen)
		}
	}
}

func placeholderList(names []string) string {
	var b strings.Builder
	for i, n := range names {
		switch {
		case i == 0:
		case i == len(names)-1:
			b.WriteString(" or ")
		default:
			b.WriteString(", ")
		}
		b.WriteString("{" + n + "}")
	}
	return b.String()
}

func checkLabel(n *yaml.Node, field, label string, fp *fileProblems) {
	checkText(n, field, label, sequenceVars, fp)
	if c := utf8.RuneCountInString(label); c > MaxLabelLen {
		fp.errorf(n, field, "is %d characters; a button label may have at most %d", c, MaxLabelLen)
	}
}

// checkButtonData reports a question id and answer that would not fit the
// callback data of a button: "a|<question id>|<answer>".
func checkButtonData(n *yaml.Node, field, qid, answer string, fp *fileProblems) {
	data := AnswerButtonKind + "|" + qid + "|" + answer
	if len(data) > MaxButtonData {
		fp.errorf(n, field, "question id and answer are too long for a button: %q is %d bytes, at most %d fit (Telegram allows 64, the bot needs 10)", data, len(data), MaxButtonData)
	}
}
