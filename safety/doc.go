// Package safety notices crisis language in a client's message and writes
// the reply that is sent at once when it does: the client's own safety plan
// first, then how to reach a person now.
//
// It is a keyword net, not a diagnosis. It errs toward reaching out: a false
// alarm costs a client an unneeded message and a coach a look; a missed cry
// for help costs far more. It must never be the only safeguard. Coaches, who
// read their clients' answers, are. The package is pure: it sends nothing,
// stores nothing and imports nothing of kindling's.
//
// # Basics
//
// New compiles per-language phrase lists (DefaultPhrases when config.yaml has
// none) once. Net.Match normalizes a message (see Normalize) and scans it
// word by word against a trie of all phrases, so the cost grows with the
// message, not with the number of phrases. A phrase matches:
//
//   - only as whole words: "skill myself" does not contain "kill myself";
//   - whatever the case and accents: "QUIERO MORIR", "hacerme dano", "matarmé";
//   - with or without apostrophes, straight or curly: "don't", "dont", "don’t";
//   - across any run of spaces, line breaks, punctuation or emoji between
//     its words: "kill...myself", "kill\nmyself";
//   - anywhere in the message, including its first and last words.
//
// Match checks every language's list, not only the client's, because people
// switch languages, most of all when upset.
//
// CrisisReply puts the client's plan (PlanParts, in their words) above the
// crisis message, within Telegram's 4096 characters, shortening the plan and
// never the hotlines.
//
// # What it catches
//
// Plain first-person statements of wanting to die, killing or harming oneself,
// not being safe, and having no reason to live, in English and Spanish: "I
// want to die", "I've been cutting myself", "I don't feel safe", "everyone
// would be better off without me", "quiero morirme", "pienso en suicidarme",
// "no me siento segura", "estarían mejor sin mí". The words "suicide",
// "suicidal", "overdose", "suicidio" and "sobredosis" fire on their own.
//
// # What it misses
//
// Anything that is not one of its phrases, word for word:
//
//   - indirect language: "I have pills saved up", "I've written letters to
//     everyone", "I gave my cat to my sister", "ya no puedo más";
//   - misspellings and shorthand: "I wnat to die", "kms", "su1cide";
//   - sarcasm and jokes, in both directions: it cannot tell them apart;
//   - languages it has no list for, and images, voice notes and stickers;
//   - what a person leaves unsaid. Silence is not safety.
//
// # Near misses that do not fire
//
// Everyday idioms built from the same words. The default lists are chosen so
// that these stay quiet, and the tests hold them to it:
//
//	this commute is killing me            me muero de risa
//	the suspense is killing me            me mata el calor
//	my feet are killing me                me muero de ganas de verte
//	I'd die for a full night's sleep      me muero de hambre
//	I'm dying to see my sister            estoy muerta de cansancio
//	I laughed so hard I nearly died       me mato trabajando para pagar el alquiler
//	dead tired                            este tráfico es mortal
//	my phone died                         mañana voy a cortarme el pelo
//	my battery is dead                    tengo que acabar con todo el trabajo
//	I could kill for a coffee
//	this traffic is murder
//	we killed it at the presentation
//	killing time before my session
//	that joke killed me / I'm dead
//	I skilled myself up in Go this week
//	I want to dive into this book
//	the roads are not safe in the snow
//	I overdid it at the gym
//
// # Known false alarms
//
// These do fire, on purpose, because the same words are far more often a cry
// for help: "I cut myself shaving", "cutting myself some slack", "I hurt
// myself at the gym", "I can't go on the trip", "we watched Suicide Squad",
// "I want to die my hair" (for "dye"), "a sugar overdose", "mi madre va a
// matarme si llego tarde", "me voy a matar estudiando", "una sobredosis de
// azúcar". A coach who sees one knows why it fired: Match names the phrase.
//
// # Caveats
//
// Phrase lists are data, not code: a coach may extend them in config.yaml, and
// each addition should be tried against the near misses above. Normalize folds
// Latin accents with a small table of its own (no Unicode library), which is
// enough for the shipped languages; other scripts are only lower-cased.
package safety
