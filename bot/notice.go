package bot

import (
	"kindling/prompts"
	"kindling/store"
)

// TellCoachesDamage sends every coach, in the default language, that the
// database file has damaged pages, one line per page.
func (b *Bot) TellCoachesDamage(lines []string) error {
	b.init()
	var fx effects
	err := b.DB.Update(func(tx *store.Tx) error {
		fx = effects{}
		for _, co := range b.Coaches {
			if err := b.sayLong(tx, &fx, co.ID, b.text(b.DefaultLanguage, "coach_database_damaged", prompts.Vars{}), lines); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil && fx.sent {
		b.Wake()
	}
	return err
}
