package safety

// DefaultPhrases is the net used when config.yaml lists none: English and
// Spanish phrases that a person in danger commonly writes about themselves.
//
// The lists lean toward reaching out: a phrase that is usually a cry for help
// is in even when it sometimes is not ("I cut myself shaving" fires). Phrases
// that are mostly idiom are left out, so the everyday near misses listed in
// the package documentation stay quiet: no bare "die", "dead", "killing me",
// "me muero", "me mata" or "me mato". Apostrophes may be written or not, and
// accents are optional: "don't" also catches "dont" and "don’t", "daño" also
// catches "dano". Callers must not modify the map.
var DefaultPhrases = map[string][]string{
	"en": {
		// Wanting to die.
		"want to die", "wanna die", "wanting to die", "wish I was dead",
		"wish I were dead", "wish I could die", "want to be dead",
		"rather be dead", "better off dead", "better off without me",
		"don't want to live", "do not want to live", "don't want to be alive",
		"don't want to be here anymore", "don't want to wake up",
		"no reason to live", "nothing to live for", "no point in living",
		"not worth living", "can't go on", "cannot go on", "can not go on",
		// Killing oneself.
		"kill myself", "killing myself", "end my life", "ending my life",
		"end it all", "ending it all", "take my own life", "taking my own life",
		"hang myself", "shoot myself", "unalive myself", "suicide", "suicidal",
		"overdose", "overdosing",
		// Self-harm.
		"hurt myself", "hurting myself", "harm myself", "harming myself",
		"self harm", "self-harm", "selfharm", "self harming", "cut myself",
		"cutting myself",
		// Not being safe. "not safe" alone is left out: "the roads are not
		// safe" is not about the writer.
		"I'm not safe", "I am not safe", "not safe with myself",
		"don't feel safe", "do not feel safe", "not feeling safe", "feel unsafe",
	},
	"es": {
		// Querer morir.
		"quiero morir", "quiero morirme", "me quiero morir", "ganas de morir",
		"ganas de morirme", "deseo morir", "quisiera morir", "quisiera morirme",
		"quiero estar muerto", "quiero estar muerta", "mejor muerto",
		"mejor muerta", "estarían mejor sin mí", "estarías mejor sin mí",
		"están mejor sin mí", "no quiero vivir", "no quiero seguir viviendo",
		"no quiero despertar", "no tengo razones para vivir",
		"no tengo razón para vivir", "no hay razón para vivir",
		"no vale la pena vivir", "no puedo seguir así",
		// Matarse. "matarme" alone fires on "mi madre va a matarme", which may
		// be a figure of speech or a real threat: both are worth a look.
		"matarme", "me voy a matar", "me quiero matar", "suicidarme",
		"suicidar", "suicidio", "suicida", "acabar con mi vida",
		"terminar con mi vida", "poner fin a mi vida", "quitarme la vida",
		"sobredosis",
		// Hacerse daño. Bare "cortarme" is left out: "voy a cortarme el pelo".
		"hacerme daño", "me hago daño", "me estoy haciendo daño", "lastimarme",
		"autolesión", "autolesiones", "autolesionarme", "cortarme las venas",
		"quiero cortarme", "ganas de cortarme", "volví a cortarme",
		// No estar a salvo.
		"no estoy a salvo", "no me siento a salvo", "no me siento seguro",
		"no me siento segura",
	},
}
