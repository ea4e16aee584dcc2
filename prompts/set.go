package prompts

import (
	"fmt"
	"kindling/internal/langtag"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Options tune Load.
type Options struct {
	// DefaultLanguage is the language used when a client's language has no
	// version of a sequence or no messages; its messages files must hold every
	// key of MessageKeys. Default "en".
	DefaultLanguage string
	// MaxFileSize is the largest file Load reads, in bytes; larger files are
	// refused before they are read. Default 1 MiB.
	MaxFileSize int64
}

func (o Options) withDefaults() Options {
	if o.DefaultLanguage == "" {
		o.DefaultLanguage = "en"
	}
	o.DefaultLanguage = strings.ToLower(o.DefaultLanguage)
	if o.MaxFileSize <= 0 {
		o.MaxFileSize = 1 << 20
	}
	return o
}

// Problem is one thing wrong with a loaded directory. Warnings do not stop a
// set from loading; every other problem does.
type Problem struct {
	File    string // file name inside the directory
	Line    int    // 1-based; 0 when the problem concerns the whole file or set
	Field   string // dotted path of the field, e.g. "days[2].questions[0].text"; may be empty
	Message string
	Warning bool
}

// String formats p as "file:line: field: message", or
// "file:line: warning: field: message" for a warning. An empty line or field
// is left out.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	if p.File != "" || p.Line > 0 {
		b.WriteString(": ")
	}
	if p.Warning {
		b.WriteString("warning: ")
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// LoadError is returned by Load when a directory has at least one problem that
// is not a warning. Problems holds all of them, warnings included, sorted by
// file and line.
type LoadError struct {
	Problems []Problem
}

// Error lists every problem, one a line.
func (e *LoadError) Error() string {
	var b strings.Builder
	n := 0
	for _, p := range e.Problems {
		if !p.Warning {
			n++
		}
	}
	fmt.Fprintf(&b, "prompts: %s", plural(n, "error", "errors"))
	for _, p := range e.Problems {
		b.WriteString("\n")
		b.WriteString(p.String())
	}
	return b.String()
}

// Errors returns the problems that are not warnings.
func (e *LoadError) Errors() []Problem {
	var out []Problem
	for _, p := range e.Problems {
		if !p.Warning {
			out = append(out, p)
		}
	}
	return out
}

// Set is a loaded, valid directory of sequences and messages. It is immutable
// after Load and safe for concurrent use; treat the values it returns as
// read-only.
type Set struct {
	defaultLang string
	seqs        []*Sequence                     // sorted by ID, then Language
	byID        map[string]map[string]*Sequence // id -> language -> sequence
	langs       []string
	messages    map[string]Messages // language -> messages as written in the directory
	builtin     *Set                // where missing messages come from; nil for the built-in set
	warnings    []Problem
	files       map[string][]byte                 // the files as read: LoadFiles(Files()) loads s again
	insts       []*Instrument                     // sorted by ID, then Language
	instByID    map[string]map[string]*Instrument // id -> language -> instrument

	merged  sync.Map     // language asked for -> its Messages, once made (see Messages)
	mergedN atomic.Int32 // entries in merged
}

// maxMerged bounds the languages whose Messages a set keeps made: a
// language tag comes from each person's Telegram app, and any number of
// them must not grow the set without end.
const maxMerged = 64

// Files returns a copy of the files s was loaded from, name -> contents,
// exactly as read. LoadFiles on them gives the same set, so a caller can
// keep them as the last good version.
func (s *Set) Files() map[string][]byte {
	out := make(map[string][]byte, len(s.files))
	for name, data := range s.files {
		out[name] = slices.Clone(data)
	}
	return out
}

// Warnings returns the warnings of the load that made s.
func (s *Set) Warnings() []Problem { return slices.Clone(s.warnings) }

// DefaultLanguage is the language s falls back to.
func (s *Set) DefaultLanguage() string { return s.defaultLang }

// Sequences returns every sequence in every language, sorted by id, then language.
func (s *Set) Sequences() []*Sequence { return slices.Clone(s.seqs) }

// IDs returns the sequence ids, sorted.
func (s *Set) IDs() []string {
	ids := slices.Collect(maps.Keys(s.byID))
	sort.Strings(ids)
	return ids
}

// Languages returns every language of a sequence or a messages file, sorted.
func (s *Set) Languages() []string { return slices.Clone(s.langs) }

// Has reports whether a sequence with that id exists in any language.
func (s *Set) Has(id string) bool { _, ok := s.byID[id]; return ok }

// Sequence returns the sequence id in the language closest to lang: lang
// itself ("de-AT"), its base language ("de"), the default language, then any
// language (the first in sorted order). It returns false only when no
// sequence has that id.
func (s *Set) Sequence(id, lang string) (*Sequence, bool) {
	byLang, ok := s.byID[id]
	if !ok {
		return nil, false
	}
	for _, l := range fallbackLangs(lang, s.defaultLang) {
		if seq, ok := byLang[l]; ok {
			return seq, true
		}
	}
	for _, seq := range s.seqs {
		if seq.ID == id {
			return seq, true
		}
	}
	return nil, false
}

// fallbackLangs is the order in which languages are tried for lang:
// "de-AT" -> "de-at", "de", then the default language.
func fallbackLangs(lang, def string) []string {
	lang = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(lang), "_", "-"))
	var out []string
	if lang != "" {
		out = append(out, lang)
		if base := langtag.Base(lang); base != lang {
			out = append(out, base)
		}
	}
	return append(out, def)
}

// Messages returns the bot's own words in the language closest to lang. Each
// key comes from the first of: lang ("de-AT"), its base language ("de"), the
// default language; at each of these steps the directory's messages come
// before kindling's built-in ones, and the built-in default language comes last.
//
// The Messages returned are shared by every caller: read them, never
// change them. They are made once per language (every text kindling
// writes reads them: a coach's /clients, say, once per client).
func (s *Set) Messages(lang string) Messages {
	if m, ok := s.merged.Load(lang); ok {
		return m.(Messages)
	}
	m := s.merge(lang)
	if s.mergedN.Add(1) <= maxMerged {
		s.merged.Store(lang, m)
	}
	return m
}

// merge makes the Messages of lang (see Messages).
func (s *Set) merge(lang string) Messages {
	var layers []Messages // highest priority first
	for _, l := range fallbackLangs(lang, s.defaultLang) {
		for set := s; set != nil; set = set.builtin {
			if m, ok := set.messages[l]; ok {
				layers = append(layers, m)
			}
		}
	}
	if b := s.builtin; b != nil {
		layers = append(layers, b.messages[b.defaultLang])
	}
	out := make(Messages, len(MessageKeys))
	for i := len(layers) - 1; i >= 0; i-- {
		maps.Copy(out, layers[i])
	}
	return out
}
