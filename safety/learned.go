package safety

import (
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"
)

// The learned second opinion: a small text classifier that reads a message
// the rules leave at none and, when its words are close enough to the crisis
// messages it was trained on, raises it to check — the direct question with
// buttons — never to alert, and never lowers a rule's verdict.
//
// Why this model: the rules know phrasings; what they miss are paraphrases
// of the same few ideas. A regularised logistic regression over hashed
// features is small (a table of weights per language), fast (one add per
// feature, no allocation), deterministic to train (full-batch gradient
// descent from zero, no randomness), and its score is a calibrated-ish
// log-odds that one threshold, chosen by cross-validation, can cut. Complement
// naive Bayes was the other candidate; it is as fast but its scores are
// poorly calibrated on short texts, which makes one threshold for both a
// three-word answer and a long one harder to hold. The weights are rounded
// to int16 (64 KB per language); the training is in learned_test.go.
//
// Features, read from the tokenizer's normalised words (so leetspeak,
// accents, contractions and stretched letters are folded the same way the
// rules see them): every word, every pair of neighbouring words in one
// sentence, and the character trigrams of each word with its edges marked
// ("^ki", "kil", "ill", "ll$"), which carry misspellings and inflections.
// Each is hashed into learnedBuckets weights; a message's score is the bias
// plus the sum of its features' weights divided by the square root of their
// number, so that a long answer is not raised just for being long. The
// message is scored whole and sentence by sentence, and the highest score
// counts: one crisis sentence in a long ordinary reflection is not diluted
// by the rest, and the threshold is chosen on those same highest scores.

// learnedBuckets is the size of each language's weight table (a power of 2).
const learnedBuckets = 1 << 15

// learnedMinWords is the fewest words the learned check reads.
const learnedMinWords = 3

// learnedMinSentenceWords is the fewest words of a sentence the learned
// check scores on its own, inside a message of several sentences: a shorter
// one ("I don't.", a fragment) says too little to be read apart from the
// rest, and only counts in the whole message's score.
const learnedMinSentenceWords = 4

// LearnedCategory is the Category of a verdict raised by the learned check:
// no rule fired, and no warning sign is named; the words were close to
// crisis messages.
const LearnedCategory = "learned"

// learnedModel is one language's weights.
type learnedModel struct {
	lang      string
	bias      float32
	threshold float32
	scale     float32 // weight = int16 × scale
	weights   [learnedBuckets]int16
}

//go:generate go test -count=1 -run TestLearnedModelFile . -args -update

//go:embed learned/model.bin
var learnedModelFile []byte

// learnedMagic starts the model file; the version follows it.
const learnedMagic = "KLM1"

// learnedModels are the built-in models, by base language.
var learnedModels = sync.OnceValue(func() map[string]*learnedModel {
	m, _, err := decodeLearned(learnedModelFile)
	if err != nil {
		panic("safety: built-in learned model: " + err.Error())
	}
	return m
})

// encodeLearned writes models (in the order given) after a digest of the
// data they were trained on.
func encodeLearned(digest [32]byte, models []*learnedModel) []byte {
	out := []byte(learnedMagic)
	out = append(out, digest[:]...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(models)))
	for _, m := range models {
		out = append(out, byte(len(m.lang)))
		out = append(out, m.lang...)
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(m.bias))
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(m.threshold))
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(m.scale))
		out = binary.LittleEndian.AppendUint32(out, learnedBuckets)
		for _, w := range m.weights {
			out = binary.LittleEndian.AppendUint16(out, uint16(w))
		}
	}
	return out
}

var errLearnedFile = errors.New("not a learned model file")

func decodeLearned(b []byte) (map[string]*learnedModel, [32]byte, error) {
	var digest [32]byte
	if len(b) < len(learnedMagic)+36 || string(b[:4]) != learnedMagic {
		return nil, digest, errLearnedFile
	}
	copy(digest[:], b[4:36])
	n := binary.LittleEndian.Uint32(b[36:])
	b = b[40:]
	out := map[string]*learnedModel{}
	for range n {
		if len(b) < 1 || len(b) < 1+int(b[0])+16 {
			return nil, digest, errLearnedFile
		}
		m := &learnedModel{lang: string(b[1 : 1+b[0]])}
		b = b[1+b[0]:]
		m.bias = math.Float32frombits(binary.LittleEndian.Uint32(b))
		m.threshold = math.Float32frombits(binary.LittleEndian.Uint32(b[4:]))
		m.scale = math.Float32frombits(binary.LittleEndian.Uint32(b[8:]))
		if binary.LittleEndian.Uint32(b[12:]) != learnedBuckets || len(b) < 16+2*learnedBuckets {
			return nil, digest, fmt.Errorf("%w: model %s has another size", errLearnedFile, m.lang)
		}
		b = b[16:]
		for i := range m.weights {
			m.weights[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
		}
		b = b[2*learnedBuckets:]
		out[m.lang] = m
	}
	if len(b) != 0 {
		return nil, digest, errLearnedFile
	}
	return out, digest, nil
}

// Seeds of the three kinds of feature, so that the word "ill" and the
// trigram "ill" fall into different buckets.
const (
	seedWord    = 0x9e3779b97f4a7c15
	seedPair    = 0xc2b2ae3d27d4eb4f
	seedTrigram = 0x165667b19e3779f9
)

func hashBytes(seed uint64, w []byte) uint64 {
	h := seed ^ 0xcbf29ce484222325
	for _, c := range w {
		h ^= uint64(c)
		h *= 0x100000001b3
	}
	return h
}

func mix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	return h
}

// features appends the bucket of every feature of a tokenized message to
// dst: its words, its pairs of neighbouring words in one sentence, and the
// character trigrams of each word with its edges marked. When the message
// has more than one sentence, it also appends to spans, for every sentence
// of learnedMinSentenceWords words or more, the start and end of that sentence's
// features in dst (features never cross a sentence, so they are contiguous).
//
// A message of fewer than learnedMinWords words has no features: the model
// does not judge "no", "I don't know" or "fine" (too few words to read a
// paraphrase in, and the rules read the short crisis words: "kms",
// "suicidal").
func features(ts *tokens, dst []uint32, spans []int32) ([]uint32, []int32) {
	const mask = learnedBuckets - 1
	if len(ts.toks) < learnedMinWords {
		return dst, spans
	}
	base := int32(len(dst))
	multi := ts.toks[len(ts.toks)-1].sent != ts.toks[0].sent
	var prev uint64
	prevSent := int32(-1)
	sentStart, sentWords := int32(len(dst)), 0
	for i := range ts.toks {
		w := ts.word(i)
		h := hashBytes(seedWord, w)
		s := ts.toks[i].sent
		if s != prevSent {
			if multi && sentWords >= learnedMinSentenceWords {
				spans = append(spans, sentStart-base, int32(len(dst))-base)
			}
			sentStart, sentWords = int32(len(dst)), 0
		}
		sentWords++
		dst = append(dst, uint32(mix(h))&mask)
		if s == prevSent {
			dst = append(dst, uint32(mix(prev*31^h^seedPair))&mask)
		}
		prev, prevSent = h, s
		if len(w) < 2 {
			continue
		}
		// Character trigrams of "^word$", three bytes packed in one word.
		g := uint64('^')<<8 | uint64(w[0])
		for k := 1; k <= len(w); k++ {
			c := uint64('$')
			if k < len(w) {
				c = uint64(w[k])
			}
			g = (g<<8 | c) & 0xFFFFFF
			dst = append(dst, uint32(mix(g^seedTrigram))&mask)
		}
	}
	if multi && sentWords >= learnedMinSentenceWords {
		spans = append(spans, sentStart-base, int32(len(dst))-base)
	}
	return dst, spans
}

// score is the model's log-odds that the message is a crisis message: the
// highest of the whole message's score and each sentence's (spans, as
// features makes them), so that one crisis sentence inside a long ordinary
// answer is not diluted by the rest. A score is the bias plus the sum of
// the features' weights over the square root of their number.
func (m *learnedModel) score(feats []uint32, spans []int32) float32 {
	if len(feats) == 0 {
		return float32(math.Inf(-1))
	}
	var total int64
	for _, b := range feats {
		total += int64(m.weights[b])
	}
	best := float64(total) / math.Sqrt(float64(len(feats)))
	for k := 0; k+1 < len(spans); k += 2 {
		var sum int64
		for _, b := range feats[spans[k]:spans[k+1]] {
			sum += int64(m.weights[b])
		}
		best = max(best, float64(sum)/math.Sqrt(float64(spans[k+1]-spans[k])))
	}
	return m.bias + float32(best*float64(m.scale))
}

// UseLearned turns the learned check on or off for this net (Compile makes
// nets without it; Default has it on). Call it before the net is shared.
func (n *Net) UseLearned(on bool) { n.learned = on }

// learnedVerdict is the learned check of a message no rule fired on.
func (n *Net) learnedVerdict(lang string, ts *tokens) (Verdict, bool) {
	if !n.learned {
		return Verdict{}, false
	}
	m := learnedModels()[lang]
	if m == nil {
		return Verdict{}, false
	}
	ts.feats, ts.spans = features(ts, ts.feats[:0], ts.spans[:0])
	if m.score(ts.feats, ts.spans) < m.threshold {
		return Verdict{}, false
	}
	return Verdict{Tier: TierCheck, Rule: lang + ".learned", Category: LearnedCategory, Language: lang}, true
}
