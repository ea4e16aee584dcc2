package store

// ExportCheckIns returns the check-ins an export of opts holds, by client
// then date: opts.ChatID's alone (read by its key prefix; ErrNotFound
// when there is no such client), or every client's that keep keeps (nil
// keeps all), of a local date on or after opts.Since's. opts.Coach and
// opts.Format are not read.
func (db *DB) ExportCheckIns(opts ExportOptions, keep func(chatID int64) bool) ([]CheckIn, error) {
	since := ""
	if !opts.Since.IsZero() {
		since = opts.Since.Format("2006-01-02")
	}
	var cis []CheckIn
	add := func(ci CheckIn) error {
		if (keep == nil || keep(ci.ChatID)) && ci.LocalDate >= since {
			cis = append(cis, ci)
		}
		return nil
	}
	err := db.View(func(tx *Tx) error {
		if opts.ChatID == 0 {
			return tx.EachCheckIn(add)
		}
		if _, err := tx.Client(opts.ChatID); err != nil {
			return err
		}
		one, err := tx.CheckIns(opts.ChatID)
		for _, ci := range one {
			_ = add(ci) // add never fails
		}
		return err
	})
	return cis, err
}
