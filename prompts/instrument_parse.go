package prompts

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"kindling/internal/yamlx"
)

// The keys each part of an instrument file may have.
var (
	instrumentKeys = []string{"check_in", "language", "name", "intro", "options", "items", "bands", "safety", "baseline", "response", "remission"}
	itemKeys       = []string{"id", "text", "options"}
	scoredKeys     = []string{"id", "label", "score"}
	bandKeys       = []string{"min", "max", "label", "severity"}
	safetyKeys     = []string{"item", "at_least"}
	responseKeys   = []string{"drop_percent"}
	remissionKeys  = []string{"below"}
)

// PlaceholderMark starts the item texts of the questionnaire template in
// docs/: `kindling check` warns while one remains, so a template is not
// sent to clients before the clinic has pasted its wording.
const PlaceholderMark = "<paste"

// maxItems bounds an instrument: longer ones are not check-ins.
const maxItems = 60

// instNodes remembers where parts of an instrument were written.
type instNodes struct {
	id, items, bands int // lines of the check_in:, items: and bands: keys
}

func parseInstrument(root *yaml.Node, fp *fileProblems) (*Instrument, *instNodes) {
	in := &Instrument{Baseline: BaselineBeforeSession, Line: root.Line}
	nodes := &instNodes{}
	have := map[string]bool{}
	var shared []Option
	sharedOK := true
	var itemNodes []*yaml.Node
	var itemsNode, bandsNode, safetyNode, remissionNode *yaml.Node
	fields(root, "", fp, instrumentKeys, func(key string, k, v *yaml.Node) {
		have[key] = true
		switch key {
		case "check_in":
			nodes.id, in.Line = k.Line, k.Line
			if s, ok := str(v, key, fp); ok && checkID(v, key, s, fp) {
				in.ID = s
			}
		case "language":
			in.Language = parseLanguage(v, fp)
		case "name":
			if s, ok := str(v, key, fp); ok {
				checkLabel(v, key, s, fp)
				in.Name = s
			}
		case "intro":
			if s, ok := str(v, key, fp); ok {
				checkText(v, key, s, nil, fp)
				if strings.Contains(strings.ToLower(s), PlaceholderMark) {
					fp.warnf(v, key, "still holds the template's placeholder: paste the questionnaire's own words before clients are asked")
				}
				in.Intro = s
			}
		case "options":
			shared, sharedOK = parseScoredOptions(v, key, fp)
		case "items":
			nodes.items, itemsNode = k.Line, v
			if items, ok := itemList(v, key, fp); ok {
				itemNodes = items
			}
		case "bands":
			nodes.bands, bandsNode = k.Line, v
		case "safety":
			safetyNode = v
		case "baseline":
			if s, ok := str(v, key, fp); ok {
				switch b := Baseline(s); b {
				case BaselineBeforeSession, BaselineFirst:
					in.Baseline = b
				default:
					fp.errorf(v, key, "%q: write %s or %s", clip(s, 40), BaselineBeforeSession, BaselineFirst)
				}
			}
		case "response":
			parseResponse(v, key, in, fp)
		case "remission":
			remissionNode = v
			parseRemission(v, key, in, fp)
		}
	})
	for _, key := range []string{"check_in", "language", "name", "items", "bands"} {
		if !have[key] {
			fp.errorf(root, key, "is missing")
		}
	}

	scored := parseItems(in, itemNodes, shared, fp) && sharedOK // every item parsed with valid scores
	if itemsNode != nil && len(in.Items) > 0 && scored {
		parseScoring(in, bandsNode, safetyNode, remissionNode, fp)
	}
	if in.ID == "" || in.Language == "" {
		return nil, nil
	}
	return in, nodes
}

// itemList reads the list under items:, reporting an empty list and one
// too long to be a check-in; ok is false when the list is not to be read.
func itemList(v *yaml.Node, key string, fp *fileProblems) (items []*yaml.Node, ok bool) {
	items, ok = list(v, key, fp)
	if !ok {
		return nil, false
	}
	if len(items) == 0 {
		fp.errorf(v, key, "is empty: a check-in needs at least one item")
	}
	if len(items) > maxItems {
		fp.errorf(v, key, "has %d items; a check-in may have at most %d", len(items), maxItems)
		return nil, false
	}
	return items, true
}

// parseResponse reads response: into in.Response, a drop in percent.
func parseResponse(v *yaml.Node, key string, in *Instrument, fp *fileProblems) {
	fields(v, key, fp, responseKeys, func(_ string, _, rv *yaml.Node) {
		f := yamlx.Join(key, "drop_percent")
		if p, ok := integer(rv, f, fp); ok {
			if p < 1 || p > 100 {
				fp.errorf(rv, f, "is %d: write a percentage from 1 to 100", p)
			}
			in.Response = &Response{DropPercent: p}
		}
	})
	if in.Response == nil && v.Kind == yaml.MappingNode {
		fp.errorf(v, yamlx.Join(key, "drop_percent"), "is missing")
	}
}

// parseRemission reads remission: into in.Remission; its bound is checked
// against the totals later, once the items are known.
func parseRemission(v *yaml.Node, key string, in *Instrument, fp *fileProblems) {
	fields(v, key, fp, remissionKeys, func(_ string, _, rv *yaml.Node) {
		if b, ok := integer(rv, yamlx.Join(key, "below"), fp); ok {
			in.Remission = &Remission{Below: b}
		}
	})
	if in.Remission == nil && v.Kind == yaml.MappingNode {
		fp.errorf(v, yamlx.Join(key, "below"), "is missing")
	}
}

// parseItems reads the items into in.Items, reporting an item id listed
// twice; it tells whether every item parsed with valid scores.
func parseItems(in *Instrument, itemNodes []*yaml.Node, shared []Option, fp *fileProblems) bool {
	seen := map[string]int{}
	scored := true
	for i, n := range itemNodes {
		field := fmt.Sprintf("items[%d]", i)
		it, ok := parseItem(n, field, shared, fp)
		if !ok {
			scored = false
			continue
		}
		if prev, dup := seen[it.ID]; dup && it.ID != "" {
			fp.errorf(n, field+".id", "item %q is listed twice (also on line %d)", it.ID, prev)
			continue
		}
		seen[it.ID] = it.Line
		if in.ID != "" && it.ID != "" {
			checkCheckInButton(n, field+".id", in.ID, it, fp)
		}
		in.Items = append(in.Items, it)
	}
	return scored
}

// parseScoring reads what depends on the range of totals, once the items
// are known: the bands, the safety item and the remission bound.
func parseScoring(in *Instrument, bandsNode, safetyNode, remissionNode *yaml.Node, fp *fileProblems) {
	if bandsNode != nil {
		in.Bands = parseBands(bandsNode, in.MinTotal(), in.MaxTotal(), fp)
	}
	if safetyNode != nil {
		in.Safety = parseSafety(safetyNode, in, fp)
	}
	if in.Remission != nil && (in.Remission.Below <= in.MinTotal() || in.Remission.Below > in.MaxTotal()) {
		fp.errorf(remissionNode, "remission.below", "is %d: totals run from %d to %d, so write a number above %d and at most %d",
			in.Remission.Below, in.MinTotal(), in.MaxTotal(), in.MinTotal(), in.MaxTotal())
	}
}

// parseItem reads one item; an item without options of its own takes the
// instrument's shared options.
func parseItem(n *yaml.Node, field string, shared []Option, fp *fileProblems) (Item, bool) {
	it := Item{Line: n.Line}
	have := map[string]bool{}
	optsOK := true
	ok := fields(n, field, fp, itemKeys, func(key string, k, v *yaml.Node) {
		have[key] = true
		f := yamlx.Join(field, key)
		switch key {
		case "id":
			if s, ok := str(v, f, fp); ok && checkID(v, f, s, fp) {
				it.ID = s
			}
		case "text":
			if s, ok := str(v, f, fp); ok {
				checkText(v, f, s, nil, fp)
				if strings.Contains(strings.ToLower(s), PlaceholderMark) {
					fp.warnf(v, f, "still holds the template's placeholder: paste the questionnaire's own wording before clients are asked")
				}
				it.Text = s
			}
		case "options":
			it.Options, optsOK = parseScoredOptions(v, f, fp)
		}
	})
	if !ok {
		return it, false
	}
	for _, key := range []string{"id", "text"} {
		if !have[key] {
			fp.errorf(n, yamlx.Join(field, key), "is missing")
		}
	}
	if !have["options"] {
		if len(shared) == 0 {
			fp.errorf(n, yamlx.Join(field, "options"), "is missing, and the check-in has no shared options: list the answers with their scores")
			return it, false
		}
		it.Options = slices.Clone(shared)
	}
	return it, optsOK && len(it.Options) >= 2 && it.ID != ""
}

// parseScoredOptions reads a list of answers, each an id, a label and a
// score.
func parseScoredOptions(n *yaml.Node, field string, fp *fileProblems) ([]Option, bool) {
	items, ok := list(n, field, fp)
	if !ok {
		return nil, false
	}
	if len(items) < 2 {
		fp.errorf(n, field, "has %d option(s); an item needs at least 2", len(items))
	}
	if len(items) > MaxOptions {
		fp.errorf(n, field, "has %d options; an item may have at most %d", len(items), MaxOptions)
	}
	var out []Option
	seen := map[string]int{}
	valid := true
	for i, item := range items {
		f := fmt.Sprintf("%s[%d]", field, i)
		var o Option
		have, present := map[string]bool{}, map[string]bool{}
		if !fields(item, f, fp, scoredKeys, func(key string, k, v *yaml.Node) {
			kf := yamlx.Join(f, key)
			present[key] = true
			switch key {
			case "id":
				if s, ok := str(v, kf, fp); ok && checkID(v, kf, s, fp) {
					o.ID, have[key] = s, true
				}
			case "label":
				if s, ok := str(v, kf, fp); ok {
					checkLabel(v, kf, s, fp)
					if strings.Contains(strings.ToLower(s), PlaceholderMark) {
						fp.warnf(v, kf, "still holds the template's placeholder: paste the questionnaire's own answer before clients are asked")
					}
					o.Label, have[key] = s, true
				}
			case "score":
				if s, ok := integer(v, kf, fp); ok {
					if s < 0 || s > 1000 {
						fp.errorf(v, kf, "is %d: a score is a whole number from 0 to 1000", s)
					}
					o.Score, have[key] = s, true
				}
			}
		}) {
			valid = false
			continue
		}
		for _, key := range scoredKeys {
			if !have[key] {
				if !present[key] {
					fp.errorf(item, yamlx.Join(f, key), "is missing")
				}
				valid = false
			}
		}
		if prev, dup := seen[o.ID]; dup && o.ID != "" {
			fp.errorf(item, f+".id", "option %q is listed twice (also on line %d)", o.ID, prev)
			valid = false
			continue
		}
		seen[o.ID] = item.Line
		out = append(out, o)
	}
	return out, valid
}

// checkCheckInButton reports an item whose buttons' callback data would
// not fit: "ci|<instrument>|<item>|<option id>", plus the delivery tag.
func checkCheckInButton(n *yaml.Node, field, inst string, it Item, fp *fileProblems) {
	longest := ""
	for _, o := range it.Options {
		if len(o.ID) > len(longest) {
			longest = o.ID
		}
	}
	data := CheckInButtonKind + "|" + inst + "|" + it.ID + "|" + longest
	if len(data) > MaxButtonData {
		fp.errorf(n, field, "check-in id, item id and option id are too long for a button: %q is %d bytes, at most %d fit", data, len(data), MaxButtonData)
	}
}

// parseBands reads the bands and checks that they cover lo..hi, the
// totals an instrument can have, with no gap and no overlap.
func parseBands(n *yaml.Node, lo, hi int, fp *fileProblems) []Band {
	items, ok := list(n, "bands", fp)
	if !ok {
		return nil
	}
	if len(items) == 0 {
		fp.errorf(n, "bands", "is empty: list the bands that cover totals %d to %d", lo, hi)
		return nil
	}
	var bands []Band
	complete := true
	for i, item := range items {
		b, parsed, whole := parseBand(item, fmt.Sprintf("bands[%d]", i), fp)
		if !whole {
			complete = false
		}
		if parsed {
			bands = append(bands, b)
		}
	}
	if !complete {
		return nil
	}
	slices.SortStableFunc(bands, func(a, b Band) int { return a.Min - b.Min })
	checkBandCover(bands, lo, hi, fp)
	return bands
}

// parseBand reads one band. parsed is false when the band is not a
// mapping of known keys; whole is false as well when a key is missing or
// wrong, or when min is above max.
func parseBand(item *yaml.Node, f string, fp *fileProblems) (b Band, parsed, whole bool) {
	b = Band{Line: item.Line}
	whole = true
	have, present := map[string]bool{}, map[string]bool{}
	if !fields(item, f, fp, bandKeys, func(key string, k, v *yaml.Node) {
		kf := yamlx.Join(f, key)
		present[key] = true
		switch key {
		case "min":
			b.Min, have[key] = integer(v, kf, fp)
		case "max":
			b.Max, have[key] = integer(v, kf, fp)
		case "label":
			if s, ok := str(v, kf, fp); ok {
				checkLabel(v, kf, s, fp)
				b.Label, have[key] = s, true
			}
		case "severity":
			if s, ok := str(v, kf, fp); ok {
				if Severity(s).Rank() < 0 {
					names := make([]string, len(Severities))
					for i, s := range Severities {
						names[i] = string(s)
					}
					fp.errorf(v, kf, "%q: write one of %s", clip(s, 40), strings.Join(names, ", "))
					return
				}
				b.Severity, have[key] = Severity(s), true
			}
		}
	}) {
		return b, false, false
	}
	for _, key := range bandKeys {
		if !have[key] {
			if !present[key] {
				fp.errorf(item, yamlx.Join(f, key), "is missing")
			}
			whole = false
		}
	}
	if have["min"] && have["max"] && b.Min > b.Max {
		fp.errorf(item, f+".max", "is %d, below min %d", b.Max, b.Min)
		whole = false
	}
	return b, true, whole
}

// checkBandCover reports, for bands sorted by min, every overlap, every
// gap and every band past lo..hi, the totals an instrument can have.
func checkBandCover(bands []Band, lo, hi int, fp *fileProblems) {
	at := lo // the lowest total not yet in a band
	for i, b := range bands {
		switch {
		case i > 0 && b.Min <= bands[i-1].Max:
			fp.add(Problem{Line: b.Line, Field: "bands", Message: fmt.Sprintf("band %d-%d overlaps band %d-%d on line %d", b.Min, b.Max, bands[i-1].Min, bands[i-1].Max, bands[i-1].Line)})
		case b.Min > at && i == 0:
			fp.add(Problem{Line: b.Line, Field: "bands", Message: fmt.Sprintf("totals %d-%d are in no band: the lowest total is %d", at, b.Min-1, lo)})
		case b.Min > at:
			fp.add(Problem{Line: b.Line, Field: "bands", Message: fmt.Sprintf("totals %d-%d are in no band: a gap between the band on line %d and this one", at, b.Min-1, bands[i-1].Line)})
		}
		if b.Max+1 > at {
			at = b.Max + 1
		}
	}
	last := bands[len(bands)-1]
	switch {
	case at <= hi:
		fp.add(Problem{Line: last.Line, Field: "bands", Message: fmt.Sprintf("totals %d-%d are in no band: the highest total is %d", at, hi, hi)})
	case last.Max > hi:
		fp.add(Problem{Line: last.Line, Field: "bands", Message: fmt.Sprintf("band %d-%d goes past the highest total, %d", last.Min, last.Max, hi)})
	}
	if bands[0].Min < lo {
		fp.add(Problem{Line: bands[0].Line, Field: "bands", Message: fmt.Sprintf("band %d-%d starts below the lowest total, %d", bands[0].Min, bands[0].Max, lo)})
	}
}

// parseSafety reads the safety item and its threshold.
func parseSafety(n *yaml.Node, in *Instrument, fp *fileProblems) *SafetyItem {
	s := &SafetyItem{}
	have := map[string]bool{}
	var itemNode, atNode *yaml.Node
	if !fields(n, "safety", fp, safetyKeys, func(key string, k, v *yaml.Node) {
		f := yamlx.Join("safety", key)
		switch key {
		case "item":
			itemNode = v
			if id, ok := str(v, f, fp); ok {
				s.Item, have[key] = id, true
			}
		case "at_least":
			atNode = v
			s.AtLeast, have[key] = integer(v, f, fp)
		}
	}) {
		return nil
	}
	for _, key := range safetyKeys {
		if !have[key] {
			fp.errorf(n, yamlx.Join("safety", key), "is missing")
		}
	}
	if !have["item"] || !have["at_least"] {
		return nil
	}
	it, ok := in.Item(s.Item)
	if !ok {
		fp.errorf(itemNode, "safety.item", "%q is not an item of this check-in", clip(s.Item, 40))
		return nil
	}
	lo, hi := it.scoreRange()
	if s.AtLeast <= lo || s.AtLeast > hi {
		fp.errorf(atNode, "safety.at_least", "is %d: item %q scores %d to %d, so write a score above %d and at most %d", s.AtLeast, it.ID, lo, hi, lo, hi)
		return nil
	}
	return s
}
