package bot

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"

	"kindling/internal/oneline"
	"kindling/prompts"
	"kindling/schedule"
	"kindling/store"
)

// isCoach reports whether a Telegram user is a configured coach.
func (b *Bot) isCoach(u *models.User) bool {
	_, ok := b.coach(u)
	return ok
}

func (b *Bot) coach(u *models.User) (Coach, bool) {
	if u == nil {
		return Coach{}, false
	}
	for _, c := range b.cfg.Coaches {
		if c.ID == u.ID {
			return c, true
		}
	}
	return Coach{}, false
}

// onCoachCommand handles a coach's command. It reports false for
// commands that are not a coach's, which then go the usual way. Anyone
// else typing a coach command gets the unknown-command answer and learns
// nothing.
func (b *Bot) onCoachCommand(tx *store.Tx, m *models.Message, name, args string, fx *effects) (bool, error) {
	co, _ := b.coach(m.From)
	chat := m.Chat.ID
	lang := b.cfg.DefaultLanguage
	if m.From != nil && m.From.LanguageCode != "" {
		lang = m.From.LanguageCode
	}
	switch name {
	case "invite":
		return true, b.invite(tx, fx, co, chat, lang, args)
	case "clients":
		return true, b.listClients(tx, fx, co, chat, lang)
	case "journal":
		f := strings.Fields(args)
		days := 7
		if len(f) > 1 {
			if n, err := strconv.Atoi(f[len(f)-1]); err == nil && n > 0 && n <= 3650 {
				days, f = n, f[:len(f)-1]
			}
		}
		return true, b.withClient(tx, fx, co, chat, lang, strings.Join(f, " "), kindCoachJournal, strconv.Itoa(days), func(c store.Client) error {
			return b.journalOf(tx, fx, chat, lang, c, days)
		})
	case "export":
		return true, b.withClient(tx, fx, co, chat, lang, args, kindCoachExport, "", func(c store.Client) error {
			return b.exportOf(tx, fx, chat, lang, c)
		})
	case "session":
		if handled, err := b.coachSession(tx, fx, co, chat, lang, args); handled || err != nil {
			return true, err
		}
	case "reload":
		return true, b.reload(tx, fx, chat, lang)
	case "web":
		return true, b.webCommand(tx, fx, co, chat, lang, args)
	case "alerts":
		return true, b.listAlerts(tx, fx, co, chat, lang)
	case "note":
		_, err := b.takeNote(tx, fx, chat, args, true)
		return true, err
	case "help":
		if _, err := tx.Client(chat); errors.Is(err, store.ErrNotFound) {
			return true, b.say(tx, fx, chat, b.text(lang, "coach_help", prompts.Vars{Name: co.Name}))
		}
	}
	return false, nil
}

// invite makes a one-time enrolment link.
func (b *Bot) invite(tx *store.Tx, fx *effects, co Coach, chat int64, lang, note string) error {
	var raw [15]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return fmt.Errorf("invite code: %w", err)
	}
	code := base64.RawURLEncoding.EncodeToString(raw[:])
	now := b.now()
	ttl := b.cfg.InviteTTL
	if ttl <= 0 {
		ttl = 14 * 24 * time.Hour
	}
	inv := store.Invite{Code: code, Coach: co.ID, Note: clipRunes(note, 200), CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := tx.PutInvite(inv); err != nil {
		return err
	}
	link := "https://t.me/" + b.cfg.Username + "?start=" + code
	v := prompts.Vars{Name: co.Name, Until: b.words(lang).DateYear(inv.ExpiresAt.UTC())}
	return b.say(tx, fx, chat, b.text(lang, "coach_invite", v)+"\n\n"+link)
}

// coachClients are the clients a coach invited, by name. It reads only
// theirs.
func coachClients(tx *store.Tx, coach int64) ([]store.Client, error) {
	var cs []store.Client
	err := tx.CoachClients(coach, func(c store.Client) error {
		cs = append(cs, c)
		return nil
	})
	sort.SliceStable(cs, func(i, j int) bool { return strings.ToLower(cs[i].Name) < strings.ToLower(cs[j].Name) })
	return cs, err
}

// withClient finds the coach's client named by query (a name, @username
// or chat id). Two or more matches get buttons to choose, never a guess.
func (b *Bot) withClient(tx *store.Tx, fx *effects, co Coach, chat int64, lang, query string, kind callbackKind, lead string, do func(store.Client) error) error {
	query = strings.TrimSpace(query)
	cs, err := coachClients(tx, co.ID)
	if err != nil {
		return err
	}
	if query == "" {
		key := "coach_which_client" // the example is /journal
		if kind == kindCoachExport {
			key = "coach_which_export"
		}
		return b.say(tx, fx, chat, b.text(lang, key, prompts.Vars{}))
	}
	var found []store.Client
	q := strings.ToLower(strings.TrimPrefix(query, "@"))
	for _, c := range cs {
		if strconv.FormatInt(c.ChatID, 10) == query || strings.ToLower(c.Username) == q || strings.ToLower(c.Name) == q {
			found = append(found, c)
		}
	}
	if len(found) == 0 {
		for _, c := range cs {
			if strings.HasPrefix(strings.ToLower(c.Name), q) {
				found = append(found, c)
			}
		}
	}
	switch len(found) {
	case 0:
		return b.say(tx, fx, chat, b.text(lang, "coach_no_client", prompts.Vars{Name: clipRunes(query, 64)}))
	case 1:
		return do(found[0])
	}
	var rows [][]store.Button
	for _, c := range found[:min(len(found), 20)] {
		label := c.Name
		if c.Username != "" {
			label += " @" + c.Username
		}
		label += " · " + strconv.FormatInt(c.ChatID, 10)
		rows = append(rows, []store.Button{{Text: label, Data: callbackData(kind, lead, strconv.FormatInt(c.ChatID, 10))}})
	}
	return b.enqueue(tx, fx, &store.Outgoing{ChatID: chat, Text: b.text(lang, "coach_choose_client", prompts.Vars{}), Keyboard: rows})
}

// onCoachPress handles a coach's choice among clients of the same name.
func (b *Bot) onCoachPress(tx *store.Tx, q *models.CallbackQuery, chat int64, messageID int, kind callbackKind, data string, fx *effects) error {
	b.answerPress(fx, q.ID, "")
	co, ok := b.coach(&q.From)
	if !ok {
		return nil
	}
	lang := q.From.LanguageCode
	parts := strings.Split(data, "|")
	id, err := strconv.ParseInt(parts[len(parts)-1], 10, 64)
	if err != nil {
		return nil
	}
	c, err := tx.Client(id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && c.Coach != co.ID) {
		return b.say(tx, fx, chat, b.text(lang, "coach_no_client", prompts.Vars{Name: parts[len(parts)-1]}))
	}
	if err != nil {
		return err
	}
	b.showChosen(fx, chat, messageID, c.Name)
	if kind == kindCoachSession && len(parts) == 2 {
		return b.planSessionFor(tx, fx, co, chat, lang, c, parts[0])
	}
	if kind == kindCoachExport {
		return b.exportOf(tx, fx, chat, lang, c)
	}
	days := 7
	if len(parts) == 2 {
		if n, err := strconv.Atoi(parts[0]); err == nil && n > 0 {
			days = n
		}
	}
	return b.journalOf(tx, fx, chat, lang, c, days)
}

// listClients shows a coach their own clients at a glance.
func (b *Bot) listClients(tx *store.Tx, fx *effects, co Coach, chat int64, lang string) error {
	cs, err := coachClients(tx, co.ID)
	if err != nil {
		return err
	}
	if len(cs) == 0 {
		return b.say(tx, fx, chat, b.text(lang, "coach_no_clients", prompts.Vars{Name: co.Name}))
	}
	now := b.now()
	var blocks []string
	for _, c := range cs {
		line, err := b.clientSummary(tx, c, now, lang)
		if err != nil {
			return err
		}
		blocks = append(blocks, line)
	}
	return b.sayLongAs(tx, fx, b.coachCopy(chat), b.text(lang, "coach_clients", prompts.Vars{Name: co.Name}), blocks)
}

// clientSummary is one client's line in /clients, its dates in the
// coach's language lang.
func (b *Bot) clientSummary(tx *store.Tx, c store.Client, now time.Time, lang string) (string, error) {
	loc, err := loadZone(c.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	today := now.In(loc).Format("2006-01-02")
	var sb strings.Builder
	sb.WriteString("• " + c.Name)
	if c.Username != "" {
		sb.WriteString(" @" + c.Username)
	}
	sessions, err := b.sessionSummary(tx, c.ChatID, today, lang)
	if err != nil {
		return "", err
	}
	sb.WriteString(sessions)
	switch c.Status {
	case store.StatusPaused:
		sb.WriteString(" — paused")
		if !c.PausedUntil.IsZero() {
			sb.WriteString(" until " + b.formatDay(lang, c.PausedUntil.In(loc)))
		}
	case store.StatusStopped:
		sb.WriteString(" — stopped")
	case store.StatusUnreachable:
		sb.WriteString(" — unreachable (blocked the bot?)")
	}
	week, _ := schedule.AddDays(today, -6)
	ds, err := tx.DeliveriesFrom(c.ChatID, week)
	if err != nil {
		return "", err
	}
	answered, missed := 0, 0
	for _, d := range ds {
		if d.LocalDate < week || d.Questions == 0 {
			continue
		}
		if d.Next > 0 {
			answered++
		} else if d.LocalDate < today || d.State != store.DeliveryOpen {
			missed++
		}
	}
	// A client who writes rather than answers is visible too. The time
	// index reads only the last days' replies.
	recent, err := tx.Replies(c.ChatID, now.AddDate(0, 0, -8))
	if err != nil {
		return "", err
	}
	journal := 0
	for _, r := range recent {
		if r.QuestionID == "" && r.LocalDate >= week {
			journal++
		}
	}
	fmt.Fprintf(&sb, "\n  last 7 days: %d answered, %d missed, %d journal %s", answered, missed, journal, plural(journal, "entry", "entries"))
	checkIns, err := b.checkInSummary(tx, c.ChatID, lang)
	if err != nil {
		return "", err
	}
	sb.WriteString(checkIns)
	r, err := tx.LatestReply(c.ChatID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	if err == nil && !r.At.Before(now.AddDate(0, 0, -60)) {
		flag := ""
		if r.Flagged {
			flag = "⚠ "
		}
		fmt.Fprintf(&sb, "\n  last answer %s: %s%s", b.formatDayTime(lang, r.At.In(loc)), flag, clipRunes(oneline.Of(r.Answer), 80))
	}
	return sb.String(), nil
}

// plural picks the English word for n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// journalOf shows a client's answers day by day, with each question as
// it was asked, split into messages that fit Telegram.
func (b *Bot) journalOf(tx *store.Tx, fx *effects, chat int64, lang string, c store.Client, days int) error {
	rs, err := tx.Replies(c.ChatID, b.now().AddDate(0, 0, -days))
	if err != nil {
		return err
	}
	if len(rs) == 0 {
		return b.say(tx, fx, chat, b.text(lang, "coach_journal_empty", prompts.Vars{Name: c.Name}))
	}
	loc, err := loadZone(c.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	var blocks []string
	lastDate := ""
	for _, r := range rs {
		var sb strings.Builder
		date := r.LocalDate
		if date == "" {
			date = r.At.In(loc).Format("2006-01-02")
		}
		if date != lastDate {
			sb.WriteString("— " + b.formatDate(lang, date))
			if r.SessionDate != "" {
				fmt.Fprintf(&sb, " (day %d)", r.Day)
			}
			sb.WriteString(" —\n")
			lastDate = date
		}
		q := r.Question
		if q == "" {
			q = b.text(lang, "coach_journal_entry", prompts.Vars{})
		}
		flag := ""
		if r.Flagged {
			flag = "⚠ "
		}
		sb.WriteString(clipRunes(q, 300) + "\n→ " + flag + r.Answer)
		if len(r.Edits) > 0 {
			sb.WriteString(" " + b.text(lang, "coach_edited", prompts.Vars{}))
		}
		blocks = append(blocks, sb.String())
	}
	return b.sayLongAbout(tx, fx, chat, c.ChatID, b.text(lang, "coach_journal", prompts.Vars{Name: c.Name}), blocks)
}

// sayLong sends a heading and blocks, packing as many blocks into each
// message as fit; a block too long for one message is cut.
func (b *Bot) sayLong(tx *store.Tx, fx *effects, chat int64, heading string, blocks []string) error {
	return b.sayLongAbout(tx, fx, chat, 0, heading, blocks)
}

// sayLongAbout is sayLong for messages about one client (0: none), which
// are dropped from the outbox if that client erases their data first.
func (b *Bot) sayLongAbout(tx *store.Tx, fx *effects, chat, about int64, heading string, blocks []string) error {
	return b.sayLongAs(tx, fx, store.Outgoing{ChatID: chat, About: about}, heading, blocks)
}

// coachCopy is a message to a coach about several clients (/clients,
// /alerts, the digest): protected as one about a single client is.
func (b *Bot) coachCopy(chat int64) store.Outgoing {
	return store.Outgoing{ChatID: chat, Protect: b.protectCoachCopies()}
}

// protectCoachCopies reports whether what coaches receive about clients
// is sent with protect_content.
func (b *Bot) protectCoachCopies() bool { return !b.cfg.ForwardableCoachCopies }

// sayLongAs is sayLong with each message made from like (its chat, the
// client it is about, protection).
func (b *Bot) sayLongAs(tx *store.Tx, fx *effects, like store.Outgoing, heading string, blocks []string) error {
	const room = maxMessage - 16
	// The message so far and its length in runes, kept as it grows (it
	// was counted again, and copied, for every block: a coach's /clients
	// of 100 spent a tenth of its time here).
	var msg strings.Builder
	msg.WriteString(heading)
	runes := utf8.RuneCountInString(heading)
	for _, block := range blocks {
		block = clipRunes(block, room-1)
		n := utf8.RuneCountInString(block)
		if runes+n+2 > room {
			o := like
			o.Text = msg.String()
			if err := b.enqueue(tx, fx, &o); err != nil {
				return err
			}
			msg.Reset()
			msg.WriteString(block)
			runes = n
			continue
		}
		if msg.Len() > 0 {
			msg.WriteString("\n\n")
			runes += 2
		}
		msg.WriteString(block)
		runes += n
	}
	if msg.Len() == 0 {
		return nil
	}
	o := like
	o.Text = msg.String()
	return b.enqueue(tx, fx, &o)
}

// exportOf sends a coach one client's answers as a CSV file.
func (b *Bot) exportOf(tx *store.Tx, fx *effects, chat int64, lang string, c store.Client) error {
	var buf bytes.Buffer
	if err := tx.Export(&buf, store.ExportOptions{ChatID: c.ChatID, Format: "csv"}); err != nil {
		return err
	}
	name := "kindling-" + strconv.FormatInt(c.ChatID, 10) + "-" + b.now().Format("2006-01-02") + ".csv"
	return b.enqueue(tx, fx, &store.Outgoing{ChatID: chat, Text: b.text(lang, "coach_export", prompts.Vars{Name: c.Name}), DocumentName: name, Document: buf.Bytes(), About: c.ChatID})
}

// reload reloads the prompt files now and reports the outcome.
func (b *Bot) reload(tx *store.Tx, fx *effects, chat int64, lang string) error {
	if b.reloadPrompts == nil {
		return b.say(tx, fx, chat, b.text(lang, "coach_reload_builtin", prompts.Vars{}))
	}
	ok, problems := b.reloadPrompts()
	if ok {
		return b.say(tx, fx, chat, b.text(lang, "coach_reload_ok", prompts.Vars{}))
	}
	return b.sayLong(tx, fx, chat, b.text(lang, "coach_reload_failed", prompts.Vars{}), problems)
}

// onInviteWhileEnrolled handles an invite link pressed by someone already
// enrolled: they are not moved to another coach without confirming.
func (b *Bot) onInviteWhileEnrolled(tx *store.Tx, fx *effects, c *store.Client, code string) error {
	v := prompts.Vars{Name: c.Name}
	inv, err := tx.Invite(code)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (inv.UsedBy != 0 || !b.now().Before(inv.ExpiresAt))) {
		return b.say(tx, fx, c.ChatID, b.text(c.Language, "welcome_back", v))
	}
	if err != nil {
		return err
	}
	if inv.Coach == c.Coach {
		return b.say(tx, fx, c.ChatID, b.text(c.Language, "welcome_back", v))
	}
	for _, co := range b.cfg.Coaches {
		if co.ID == inv.Coach {
			v.Coach = co.Name
		}
	}
	return b.enqueue(tx, fx, &store.Outgoing{
		ChatID: c.ChatID, Text: b.text(c.Language, "invite_move_ask", v),
		Keyboard: [][]store.Button{{
			{Text: b.text(c.Language, "invite_move_yes", v), Data: callbackData(kindMove, code)},
			{Text: b.text(c.Language, "invite_move_no", v), Data: callbackData(kindMove, "")},
		}},
	})
}

// onMovePress moves a client to the coach of an invite, once confirmed.
func (b *Bot) onMovePress(tx *store.Tx, q *models.CallbackQuery, chat int64, messageID int, code string, fx *effects) error {
	b.answerPress(fx, q.ID, "")
	b.showChosen(fx, chat, messageID, pressedLabel(q))
	c, err := tx.Client(chat)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	}
	v := prompts.Vars{Name: c.Name}
	if code == "" {
		return b.say(tx, fx, chat, b.text(c.Language, "invite_move_kept", v))
	}
	if refusal, err := b.checkInvite(tx, code, c.Language); err != nil || refusal != "" {
		if err != nil {
			return err
		}
		return b.say(tx, fx, chat, refusal)
	}
	inv, err := tx.Invite(code)
	if err != nil {
		return err
	}
	inv.UsedBy, inv.UsedAt = chat, b.now()
	if err := tx.PutInvite(inv); err != nil {
		return err
	}
	c.Coach = inv.Coach
	if err := tx.PutClient(c); err != nil {
		return err
	}
	for _, co := range b.cfg.Coaches {
		if co.ID == c.Coach {
			v.Coach = co.Name
		}
	}
	return b.say(tx, fx, chat, b.text(c.Language, "invite_moved", v))
}

// TellCoaches sends every coach the same lines (such as the problems of a
// prompt reload), packed into as few messages as fit.
func (b *Bot) TellCoaches(lines []string) error {
	var fx effects
	err := b.db.Update(func(tx *store.Tx) error {
		fx = effects{}
		for _, co := range b.cfg.Coaches {
			if err := b.sayLong(tx, &fx, co.ID, b.text(b.cfg.DefaultLanguage, "coach_prompts_broken", prompts.Vars{Name: co.Name}), lines); err != nil {
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
