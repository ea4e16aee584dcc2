// Package safety notices warning signs of suicide and self-harm in a
// client's message and writes the reply that is sent at once when it does:
// the client's own safety plan first, then how to reach a person now.
//
// It is a net of rules, not a diagnosis. It errs toward reaching out: a false
// alarm costs a client a question or an unneeded message and a coach a look;
// a missed cry for help costs far more. It must never be the only safeguard.
// Coaches, who read their clients' answers, are. The package is pure: it
// sends nothing, stores nothing, logs nothing and imports nothing of
// kindling's.
//
// # Basics
//
// Rules live in a YAML file. The built-in one, safety/rules/default.yaml, is
// embedded (DefaultRules) and documents the format; a practice's own file is
// read with LoadRules, which reports every problem as file:line: field:
// message and returns no rules at all when there is one, so a bad file never
// replaces a good one. Rules.Extend adds a file's rules to others (a rule
// with an id already there replaces that one). Compile builds a Net from
// rules and simple phrases (each phrase a rule of tier alert, category
// "phrase"); Default is the Net of the built-in rules.
//
// A rule has an id, a category (the warning sign: intent, plan, preparing,
// goodbye, burden, hopeless, disappear, self_harm, attempt, deserve, unsafe),
// a tier, a language, patterns and exceptions ("unless"). Net.Classify
// returns a Verdict: the highest tier of any rule that fires, and the rule
// that decided. Two tiers:
//
//   - TierAlert: direct intent, a plan or means together with intent,
//     self-harm, an attempt reported, deserving to die, not being safe.
//   - TierCheck: signs that are often but not always about danger: feeling a
//     burden, hopelessness, feeling trapped, wanting to disappear or to sleep
//     and not wake up, goodbyes, preparing without a stated intent (a will,
//     giving things away), means named without intent.
//
// A pattern is a short sequence of words: "have .. pill* .. ready". Words
// side by side must be side by side; ".." lets up to three words (the file's
// gap) stand between two parts, "..5" up to five; "a|b" are alternatives;
// "word?" may be left out; "kill*" is any word starting with "kill", for
// inflections; "no_one" and "self-harm" are two words inside one
// alternative; "@name" is every word of the lexicon of that name.
//
// Lexicons are the concepts rules combine: named lists of words at the top
// of a rules file (ways of saying "want to", of dying or ending one's life,
// the means, being gone, others being relieved...), so that one pattern
// such as "@en.will_to ..2 @en.kill_self" reads every phrasing built from
// them, not only the sentences someone wrote down. An entry is one
// alternative ("end my life", "pill*") or "@other", every word of a lexicon
// above it; a practice's file may use the built-in lexicons and extend one
// by naming it again with "@itself" among its entries. A rule may also list
// "with" patterns: it then fires only when one of them is found somewhere
// in the message too, in any sentence ("I want to jump" counts when a
// bridge, a roof or a platform is named; a will counts with a goodbye, not
// alone). An exception cancels a match when it is found within six
// words of it in the same sentence: that is how "die my hair" and "cut
// myself shaving" stay quiet. No match and no exception runs across the end
// of a sentence (". ", "!", "?", ";", a blank line); an ellipsis does not end
// one.
//
// Messages and patterns are read the same way: case and Latin accents folded
// (see Normalize), apostrophes optional ("don't", "dont", "don’t"), English
// contractions spelled out ("can't" is "can not", "I'm" is "I am"), digits
// and @ $ read as letters inside a word that has letters ("k1ll", "su1cide",
// "$uicide"; a "1" is tried as i and as l), and runs of one letter read as
// one ("diiiie", "killlll"). Every language's rules are checked, not only
// the client's, because people switch languages, most of all when upset; the
// client's language only decides which rule is named on a tie.
//
// Classify does not allocate; an ordinary answer of 300 characters takes
// about 8 µs and a 4,000-character message about 100 µs
// (BenchmarkClassifyAnswer, BenchmarkClassify4000; BENCHMARKS.md): the first
// one or two words of every pattern alternative are kept in a trie (a lone
// first word such as "i" or "me" together with the word that must follow
// it), a part with many alternatives finds them by their first word, and a
// rule's "with" context is read once per message, so the cost grows with the
// message, not with the number of rules.
//
// # The learned check
//
// Rules know phrasings; a net built with UseLearned(true) (Default is) also
// asks a small learned model about any English or Spanish message of three
// words or more that no rule fired on. The model, a logistic regression over
// hashed features of the tokenizer's words (each word, each pair of
// neighbouring words, each word's letter trigrams), was trained on the
// corpus (crisis against near misses) and on ordinary answers written for it
// (testdata/ordinary.*.txt). It scores the whole message and each of its
// sentences of four words or more, and keeps the highest, so that one
// crisis sentence in a long ordinary answer is not diluted by the rest.
// When that score passes a threshold chosen by
// 5-fold cross-validation (near paraphrases kept in one fold) to check at most about 2.5% of ordinary answers,
// the verdict is TierCheck, rule "en.learned" or "es.learned", category
// LearnedCategory: never an alert, never a lowered verdict. learned.go
// explains the choice; learned_test.go trains it (go generate writes
// learned/model.bin, and TestLearnedModelFile fails when the file is not
// what the data makes) and holds its cross-validated figures above floors
// (TestLearnedCrossValidated). It adds 10 to 20 µs to a 4,000-character
// message and allocates nothing.
//
// CrisisReply puts the client's plan (PlanParts, in their words) above the
// crisis message, within Telegram's 4096 characters, shortening the plan and
// never the hotlines.
//
// # What it catches
//
// The labelled messages in testdata/corpus.*.tsv, in English and Spanish,
// across every category: plain statements ("I want to die", "quiero
// morirme"), plans and means ("I have the pills ready", "tengo las pastillas
// listas"), preparing ("I've put my affairs in order, just in case"),
// burden ("nobody would even notice if I was gone"), hopelessness ("ya no
// puedo más"), self-harm, attempts ("I took all my pills on purpose"),
// leetspeak and misspellings ("I'm k1lling myself tonight", "kiero morir",
// "kms", "unalive"), and every phrase of the lists kindling shipped before
// the rules (testdata/legacy_phrases.tsv). TestCorpus holds the figures.
//
// # What it misses
//
// Rules know the phrasings they were built from, and the concepts let them
// reach some they were not. Five times during the work on the concept rules,
// a new set of messages was written and measured once before any rule was
// tuned on it; on those messages the net reached 68%, 63%, 60%, 43% and 42%
// of the English crisis messages and 89%, 76%, 38%, 50% and 27% of the
// Spanish ones (the later sets were the most indirect): 153 of 259 English
// (59%) and 121 of 188 Spanish (64%) in all. All five were then tuned on and
// are now part of the corpus. The honest estimate for messages it has not
// seen is therefore about one in two, more for direct words and fewer for
// indirect ones. Typical misses:
//
//   - indirect language and images: "the water looks so calm from up here",
//     "I left a note on the kitchen table";
//   - long sentences whose parts stand farther apart than a rule allows;
//   - sarcasm and jokes, in both directions: it cannot tell them apart;
//   - languages it has no rules for, and images, voice notes and stickers;
//   - what a person leaves unsaid. Silence is not safety.
//
// # Near misses that do not fire
//
// Everyday idioms built from the same words stay quiet, and the tests hold
// them to it (TestClassifyNearMisses and the near misses of the corpus):
//
//	this deadline will be the death of me   me mata la curiosidad
//	we totally killed that game             tomé el ibuprofeno para la cabeza
//	this commute is killing me              me muero de risa
//	I'd die for a coffee                    me muero de ganas de verte
//	my feet are killing me                  estoy muerta de cansancio
//	I'm dead tired                          mi abuela murió el año pasado
//	I cut myself shaving                    me voy a matar estudiando
//	cutting myself some slack               mi madre va a matarme si llego tarde
//	I want to die my hair blue              mañana voy a cortarme el pelo
//	I can't go on the trip                  me quiero morir de vergüenza
//	we watched Suicide Squad                una sobredosis de azúcar
//	I took my meds this morning             no me siento segura de mi decisión
//
// On the five sets measured before tuning, 11 near misses of 267 (4.1%)
// reached alert ("I have enough tablets for the trip", "I tried to hang the
// picture but the nail broke", "I don't feel safe on that old bridge") and
// 12 (4.5%) reached check; each has an exception now, but a practice should
// expect everyday sentences of its clients to reach check now and then.
//
// # Caveats
//
// Rules are data, not code: a practice may extend them, and each addition
// should be tried with `kindling safety test` against the corpus and its own
// near misses before clients meet it. Exceptions are blunt: an exception
// found near a real cry for help silences that rule for that sentence, so
// anchor each one to the words of the idiom it guards ("myself slack",
// "goodbye party", "sobredosis de azúcar"), never a lone everyday word such
// as "because", "can" or "trabajo"; the corpus holds crisis messages with
// such words close by to keep it so. Reading runs of a letter as one makes "off" read as
// "of" and "pills" as "pils": patterns go through the same reading, so they
// still match, but a pattern cannot tell such pairs apart. Normalize folds
// Latin accents with a small table of its own (no Unicode library), which is
// enough for the shipped languages; other scripts are only lower-cased, and
// leetspeak is read only in Latin script.
package safety
