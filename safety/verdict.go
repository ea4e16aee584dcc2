package safety

// Tier is how strongly a message calls for a human.
type Tier int

// The tiers, from quiet to most urgent. Their order is meaningful: a
// higher tier wins when several rules fire.
const (
	// TierNone: nothing in the message asks for the net.
	TierNone Tier = iota
	// TierCheck: signs that are often, but not always, about danger
	// (feeling a burden, hopeless, wanting to disappear, saying goodbye).
	// The client is asked directly, with buttons, before anyone is alerted.
	TierCheck
	// TierAlert: intent, a plan or means with intent, self-harm or an
	// attempt reported. The crisis reply goes out at once and a coach is
	// alerted.
	TierAlert
)

// String is the tier's name as written in rules files and printed by
// `kindling safety test`: "none", "check" or "alert".
func (t Tier) String() string {
	switch t {
	case TierCheck:
		return "check"
	case TierAlert:
		return "alert"
	default:
		return "none"
	}
}

// Verdict is what the net decided about one message.
type Verdict struct {
	Tier Tier
	// Rule is the id of the rule that decided; empty for TierNone.
	Rule string
	// Category is the warning sign the rule belongs to, such as "plan" or
	// "burden"; empty for TierNone.
	Category string
	// Language is the language of the rule that fired.
	Language string
}
