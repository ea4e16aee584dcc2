package store

// ExportCheckIns returns the check-ins an export of opts holds, in the
// order EachCheckIn reads them: opts.ChatID's (ErrNotFound when there is no
// such client), or every client's that keep keeps (nil keeps all), of a
// local date on or after opts.Since's. opts.Coach and opts.Format are not
// read.
func (db *DB) ExportCheckIns(opts ExportOptions, keep func(chatID int64) bool) ([]CheckIn, error) {
	since := ""
	if !opts.Since.IsZero() {
		since = opts.Since.Format("2006-01-02")
	}
	var cis []CheckIn
	err := db.View(func(tx *Tx) error {
		if opts.ChatID != 0 {
			if _, err := tx.Client(opts.ChatID); err != nil {
				return err
			}
		}
		return tx.EachCheckIn(func(ci CheckIn) error {
			if (opts.ChatID == 0 || ci.ChatID == opts.ChatID) && (keep == nil || keep(ci.ChatID)) && ci.LocalDate >= since {
				cis = append(cis, ci)
			}
			return nil
		})
	})
	return cis, err
}
