package yamlx

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Problem is one thing wrong in a document: the key it is about, "" when
// it is about none in particular (a syntax error, a key given twice), and
// its text as the reader sees it: "where: key: message".
type Problem struct {
	Key, Text string
}

// Scalar decodes a type of the caller's own from a scalar's text.
type Scalar struct {
	// Want says what the value should look like, for the problem of a
	// value that is not text: "want " + Want + ", got a list".
	Want string
	// Set stores text s into v; its error is the problem's message.
	Set func(v reflect.Value, s string) error
}

// Decoder decodes a yaml.Node tree into a Go value by walking both
// together, matching mapping keys to the fields' yaml tags, so that every
// problem names its key and line and none stops the others. It is strict:
// an unknown key (with the key probably meant), a key given twice, a value
// of the wrong type and an alias inside its own anchor are all problems.
// An empty (null) value keeps what v held; lists replace it; mappings into
// a map replace it entry by entry. Merge keys (<<) are applied in place.
// Aliases are followed, within a budget of values visited.
//
// It decodes structs, slices, maps with string keys, strings (a !!binary
// value is stored decoded), bools, signed integers and the types of Scalars.
type Decoder struct {
	// Where names a line in a problem's text: "config.yaml:12", "line 12".
	Where    func(line int) string
	Scalars  map[reflect.Type]Scalar
	Problems []Problem

	budget int                 // nodes left to visit; aliases can expand a small file into a huge tree
	active map[*yaml.Node]bool // anchors being expanded, to refuse an alias inside its own anchor
}

// MaxNodes bounds the values one document may expand to through aliases.
const MaxNodes = 100_000

// NewDecoder returns a Decoder that names lines with where.
func NewDecoder(where func(line int) string, scalars map[reflect.Type]Scalar) *Decoder {
	return &Decoder{Where: where, Scalars: scalars, budget: MaxNodes, active: map[*yaml.Node]bool{}}
}

// DecodeOne reads one YAML document from r into the value v points to.
// Nothing at all leaves v as it is; a second document is a problem.
func (d *Decoder) DecodeOne(r io.Reader, v any) {
	dec := yaml.NewDecoder(r)
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if !errors.Is(err, io.EOF) {
			d.Syntax(err)
		}
		return
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		d.add("", fmt.Sprintf("%s: want one YAML document, found another (remove the ---)", d.Where(next.Line)))
	} else if !errors.Is(err, io.EOF) {
		d.Syntax(err)
	}
	d.Decode(&doc, reflect.ValueOf(v).Elem(), "")
}

// Syntax reports a YAML syntax error, which ends parsing.
func (d *Decoder) Syntax(err error) {
	line, msg := SyntaxError(err)
	d.add("", d.Where(max(line, 1))+": "+msg)
}

func (d *Decoder) add(key, text string) {
	d.Problems = append(d.Problems, Problem{Key: key, Text: text})
}

func (d *Decoder) addf(n *yaml.Node, key, format string, args ...any) {
	p := d.Where(n.Line) + ": "
	if key != "" {
		p += key + ": "
	}
	d.add(key, p+fmt.Sprintf(format, args...))
}

// spend counts one more value visited, reporting once when there are too many.
func (d *Decoder) spend(n *yaml.Node, path string) bool {
	d.budget--
	if d.budget == -1 {
		d.addf(n, path, "too many values (aliases expand this file to more than %d)", MaxNodes)
	}
	return d.budget >= 0
}

// Decode stores node n into v. path is the key v is reached by
// (schedule.tick), "" at the top.
func (d *Decoder) Decode(n *yaml.Node, v reflect.Value, path string) {
	if !d.spend(n, path) {
		return
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) > 0 {
			d.Decode(n.Content[0], v, path)
		}
		return
	case yaml.AliasNode:
		target := n.Alias
		if target == nil || d.active[target] {
			d.addf(n, path, "alias *%s refers to its own anchor", n.Value)
			return
		}
		d.active[target] = true
		d.Decode(target, v, path)
		delete(d.active, target)
		return
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // an empty value keeps the default
	}
	if sc, ok := d.Scalars[v.Type()]; ok {
		d.decodeScalar(sc, n, v, path)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		d.decodeSlice(n, v, path)
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.String:
		d.decodeString(n, v, path)
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		d.decodeNumber(n, v, path)
	default:
		panic(fmt.Sprintf("yamlx: %s: no decoder for %s", path, v.Type()))
	}
}

func (d *Decoder) decodeScalar(sc Scalar, n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		d.addf(n, path, "want %s, got %s", sc.Want, Describe(n))
		return
	}
	if err := sc.Set(v, n.Value); err != nil {
		d.addf(n, path, "%v", err)
	}
}

// decodeNumber stores a bool or a whole number.
func (d *Decoder) decodeNumber(n *yaml.Node, v reflect.Value, path string) {
	if v.Kind() == reflect.Bool {
		var b bool
		if n.Kind != yaml.ScalarNode || n.Decode(&b) != nil {
			d.addf(n, path, "want true or false, got %s", Describe(n))
			return
		}
		v.SetBool(b)
		return
	}
	var i int64
	if n.Kind != yaml.ScalarNode || n.Decode(&i) != nil {
		d.addf(n, path, "want a whole number, got %s", Describe(n))
		return
	}
	if v.OverflowInt(i) {
		d.addf(n, path, "number %d is too large", i)
		return
	}
	v.SetInt(i)
}

func (d *Decoder) decodeSlice(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.addf(n, path, "want a list, got %s", Describe(n))
		return
	}
	if len(n.Content) == 0 {
		v.SetZero()
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.Decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
	}
	v.Set(s)
}

// decodeString stores text; a !!binary value is stored decoded.
func (d *Decoder) decodeString(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		d.addf(n, path, "want text, got %s", Describe(n))
		return
	}
	s := n.Value
	if n.ShortTag() == "!!binary" {
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
		if err != nil {
			d.addf(n, path, "invalid !!binary value: %v", err)
			return
		}
		s = string(b)
	}
	v.SetString(s)
}

func (d *Decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		what := "keys"
		if path != "" {
			what = "the keys of " + path
		}
		d.addf(n, path, "want a mapping (%s, one per line), got %s", what, Describe(n))
		return
	}
	t := v.Type()
	d.eachPair(n, path, func(key string, k, val *yaml.Node) {
		for i := range t.NumField() {
			if FieldName(t.Field(i)) == key {
				d.Decode(val, v.Field(i), JoinKey(path, key))
				return
			}
		}
		msg := "unknown key"
		if s := SuggestKey(key, FieldNames(t)); s != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", s)
		}
		d.addf(k, JoinKey(path, key), "%s", msg)
	})
}

// decodeMap decodes a mapping into a map with string keys. Entries replace
// the existing entries with the same key; other entries are kept. The map
// v held is not changed: v gets a new one.
func (d *Decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.addf(n, path, "want a mapping (one entry per line), got %s", Describe(n))
		return
	}
	var m reflect.Value
	d.eachPair(n, path, func(key string, _, val *yaml.Node) {
		if !m.IsValid() {
			m = reflect.MakeMap(v.Type())
			for it := v.MapRange(); it.Next(); {
				m.SetMapIndex(it.Key(), it.Value())
			}
		}
		elem := reflect.New(v.Type().Elem()).Elem()
		d.Decode(val, elem, JoinKey(path, key))
		m.SetMapIndex(reflect.ValueOf(key), elem)
	})
	if m.IsValid() {
		v.Set(m)
	}
}

// eachPair calls f for each key of mapping n, after the keys it merges
// (<<: *anchor), reporting keys that are not text and keys given twice.
func (d *Decoder) eachPair(n *yaml.Node, path string, f func(key string, k, val *yaml.Node)) {
	seen := map[string]int{}
	var explicit []int
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			d.merge(val, path, f)
			continue
		}
		explicit = append(explicit, i)
	}
	for _, i := range explicit {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.addf(k, path, "want a plain key, got %s", Describe(k))
			continue
		}
		if line, ok := seen[k.Value]; ok {
			// Not filed under the key: the first value stands and is validated.
			d.add("", fmt.Sprintf("%s: %s: set twice (first on line %d)", d.Where(k.Line), JoinKey(path, k.Value), line))
			continue
		}
		seen[k.Value] = k.Line
		f(k.Value, k, val)
	}
}

// merge applies the mapping(s) named by a merge key (<<) as if their keys were written in place.
func (d *Decoder) merge(val *yaml.Node, path string, f func(key string, k, val *yaml.Node)) {
	if !d.spend(val, path) {
		return
	}
	switch val.Kind {
	case yaml.AliasNode:
		if val.Alias == nil || d.active[val.Alias] {
			d.addf(val, path, "alias *%s refers to its own anchor", val.Value)
			return
		}
		d.active[val.Alias] = true
		d.merge(val.Alias, path, f)
		delete(d.active, val.Alias)
	case yaml.MappingNode:
		d.eachPair(val, path, f)
	case yaml.SequenceNode:
		for _, item := range val.Content {
			if item.Kind == yaml.SequenceNode {
				d.addf(item, path, "<< wants a mapping or a list of mappings, got a list inside the list")
				continue
			}
			d.merge(item, path, f)
		}
	default:
		d.addf(val, path, "<< wants a mapping or a list of mappings, got %s", Describe(val))
	}
}

// Describe names what a node holds, for "want X, got Y": a list, a
// mapping, an alias, or the quoted text of a scalar (cut at 60 bytes).
func Describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "an alias"
	}
	const max = 60
	s := n.Value
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strconv.Quote(s)
}

var plainKey = regexp.MustCompile(`^[A-Za-z0-9_\-]+$`)

// JoinKey appends key to the dotted path, quoting a key that would make
// the path ambiguous or span lines (`safety.phrases."pt-BR x"`).
func JoinKey(path, key string) string {
	if !plainKey.MatchString(key) {
		key = strconv.Quote(key)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// FieldName is the key of a struct field: the name in its yaml tag.
func FieldName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return name
}

// FieldNames are the keys of the fields of struct type t, in order.
func FieldNames(t reflect.Type) []string {
	names := make([]string, t.NumField())
	for i := range t.NumField() {
		names[i] = FieldName(t.Field(i))
	}
	return names
}
