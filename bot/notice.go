package bot

import (
	"kindling/prompts"
	"kindling/store"
)

// TellCoachesDamage sends every coach, in the default language, that the
// database file has damaged pages, one line per page.
func (b *Bot) TellCoachesDamage(lines []string) error {
	var fx effects
	err := b.db.Update(func(tx *store.Tx) error {
		fx = effects{}
		for _, co := range b.cfg.Coaches {
			if err := b.sayLong(tx, &fx, co.ID, b.text(b.cfg.DefaultLanguage, "coach_database_damaged", prompts.Vars{}), lines); err != nil {
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
