package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"

	"kindling/internal/langtag"
	"kindling/prompts"
	"kindling/report"
	"kindling/safety"
	"kindling/store"
	"kindling/telegram"
)

// maxVoiceBytes bounds a voice note kept on disk (Telegram's own limit
// for bots to download is 20 MB).
const maxVoiceBytes = 20 << 20

// voiceTimeout bounds one voice note's download.
const voiceTimeout = 2 * time.Minute

// fetchVoice downloads a stored voice answer's audio in the background and
// records where it was saved. If the client erased their data meanwhile,
// the file is removed again.
func (b *Bot) fetchVoice(chatID int64, messageID int, fileID string) {
	b.background.Add(1)
	go func() {
		defer b.background.Done()
		ctx, cancel := context.WithTimeout(context.Background(), voiceTimeout)
		defer cancel()
		rel, size, err := b.downloadVoice(ctx, chatID, messageID, fileID)
		if err != nil {
			b.logger().Warn("download voice note; the file id is kept", "chat", chatID, "err", err)
			return
		}
		kept := false
		err = b.db.Batch(func(tx *store.Tx) error {
			kept = false
			r, err := tx.ReplyByMessage(chatID, messageID)
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			if err != nil || r.Voice == nil {
				return err
			}
			r.Voice.Path, r.Voice.Size = rel, size
			kept = true
			return tx.PutReply(r)
		})
		if err != nil || !kept {
			if rmErr := os.Remove(filepath.Join(b.cfg.DataDir, rel)); rmErr != nil {
				b.logger().Warn("remove voice note", "chat", chatID, "err", rmErr)
			}
		}
		if err != nil {
			b.logger().Error("record voice note", "chat", chatID, "err", err)
		}
	}()
}

// WaitBackground waits for background work (voice downloads) to finish.
func (b *Bot) WaitBackground() { b.background.Wait() }

// downloadVoice saves a voice note into the data folder, so it outlives
// Telegram's storage. The path returned is relative to DataDir.
func (b *Bot) downloadVoice(ctx context.Context, chatID int64, messageID int, fileID string) (string, int64, error) {
	var f *models.File
	err := b.sender.Do(ctx, 0, func(ctx context.Context) error {
		var err error
		f, err = b.api.GetFile(ctx, fileID)
		return err
	})
	if err != nil {
		return "", 0, fmt.Errorf("get file: %w", err)
	}
	body, err := b.api.Download(ctx, f)
	if err != nil {
		return "", 0, fmt.Errorf("download voice: %w", err)
	}
	defer body.Close()
	rel := filepath.Join("voice", strconv.FormatInt(chatID, 10), strconv.Itoa(messageID)+".ogg")
	path := filepath.Join(b.cfg.DataDir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", 0, fmt.Errorf("download voice: %w", err)
	}
	tmp := path + ".tmp"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return "", 0, fmt.Errorf("download voice: %w", err)
	}
	n, err := io.Copy(out, io.LimitReader(body, maxVoiceBytes))
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return "", 0, fmt.Errorf("download voice: %w", err)
	}
	return rel, n, nil
}

// clientData gathers every record of a client.
func clientData(tx *store.Tx, c *store.Client, now time.Time) (report.Data, error) {
	d := report.Data{Client: *c, ExportedAt: now}
	var err error
	if d.Sessions, err = tx.Sessions(c.ChatID); err != nil {
		return d, err
	}
	if d.Deliveries, err = tx.Deliveries(c.ChatID); err != nil {
		return d, err
	}
	if d.Replies, err = tx.Replies(c.ChatID, time.Time{}); err != nil {
		return d, err
	}
	if d.Alerts, err = tx.Alerts(c.ChatID); err != nil {
		return d, err
	}
	if d.CheckIns, err = tx.CheckIns(c.ChatID); err != nil {
		return d, err
	}
	return d, nil
}

// sendMyData sends all of a client's records as one zip archive: the
// complete JSON, a readable Markdown document, the letter of each session
// as a PDF and their voice notes, with a README. An archive larger than
// Telegram takes as one document goes out in parts, each a zip of its own.
func (b *Bot) sendMyData(tx *store.Tx, fx *effects, c *store.Client) error {
	data, err := clientData(tx, c, b.now())
	if err != nil {
		return err
	}
	js, err := report.DataJSON(data)
	if err != nil {
		return err
	}
	letters, err := b.lettersOf(tx, c, data)
	if err != nil {
		return err
	}
	voices, missing := b.voiceFiles(data.Replies)
	at := data.ExportedAt
	files := []report.ArchiveFile{
		{Name: "README.txt", Modified: at, Data: report.ArchiveReadme(data, c.Language, missing)},
		{Name: "kindling-mydata.md", Modified: at, Data: report.DataMarkdown(data, c.Language)},
		{Name: "kindling-mydata.json", Modified: at, Data: js},
	}
	files = append(append(files, letters...), voices...)
	archive, err := report.NewArchive(files, b.documentLimit())
	if err != nil {
		return err
	}
	v := prompts.Vars{Name: c.Name}
	n := archive.Parts()
	rows := make([]store.Outgoing, 0, n)
	for i := range n {
		rel, err := b.keepDocument(c.ChatID, func(w io.Writer) error { return archive.WritePart(w, i) })
		if err != nil {
			// The disk is full or the folder unwritable: say so rather than
			// fail the update, which would only be handled again.
			b.logger().Error("write /mydata archive", "chat", c.ChatID, "err", err)
			for _, o := range rows {
				b.removeDocument(o)
			}
			return b.say(tx, fx, c.ChatID, b.text(c.Language, "mydata_failed", v))
		}
		o := store.Outgoing{ChatID: c.ChatID, DocumentName: "kindling-mydata.zip", DocumentFile: rel}
		if n > 1 {
			o.DocumentName = fmt.Sprintf("kindling-mydata-part%d-of-%d.zip", i+1, n)
		}
		if i == 0 {
			o.Text = b.text(c.Language, "mydata_archive", v)
			if n > 1 {
				o.Text += "\n\n" + b.text(c.Language, "mydata_parts", v)
			}
		}
		rows = append(rows, o)
	}
	for i := range rows {
		if err := b.enqueue(tx, fx, &rows[i]); err != nil {
			return err
		}
	}
	return nil
}

// defaultDocumentLimit keeps each file under Telegram's 50 MB for a
// document a bot sends, with room for the rest of the request.
const defaultDocumentLimit = 49 << 20

func (b *Bot) documentLimit() int64 {
	if b.cfg.DocumentLimit > 0 {
		return b.cfg.DocumentLimit
	}
	return defaultDocumentLimit
}

// lettersOf is the letter of every session of the client that has
// answers, as a PDF (or, should the PDF fail, as Markdown), named as the
// day-30 letter is, in the archive's letters folder.
func (b *Bot) lettersOf(tx *store.Tx, c *store.Client, data report.Data) ([]report.ArchiveFile, error) {
	var files []report.ArchiveFile
	for _, s := range data.Sessions {
		var latest time.Time
		for _, r := range data.Replies {
			if r.SessionDate == s.Date && r.At.After(latest) {
				latest = r.At
			}
		}
		if latest.IsZero() {
			continue // no answers: no letter
		}
		frame, _, _, err := b.letterFrame(tx, c, c.Sequence, c.Language, s, 0, data.Replies)
		if err != nil {
			return nil, err
		}
		name, doc := b.letterDocument(c, frame, s, data.Replies)
		files = append(files, report.ArchiveFile{Name: "letters/" + name, Modified: latest, Data: doc})
	}
	return files, nil
}

// voiceFiles lists the client's saved voice notes for the archive, and
// the replies whose audio is not on disk (its download failed, or has not
// finished).
func (b *Bot) voiceFiles(replies []store.Reply) (files []report.ArchiveFile, missing []store.Reply) {
	for _, r := range replies {
		if r.Voice == nil {
			continue
		}
		rel := r.Voice.Path
		if rel == "" || !filepath.IsLocal(rel) {
			missing = append(missing, r)
			continue
		}
		path := filepath.Join(b.cfg.DataDir, rel)
		st, err := os.Stat(path)
		if err != nil || !st.Mode().IsRegular() {
			missing = append(missing, r)
			continue
		}
		files = append(files, report.ArchiveFile{Name: filepath.ToSlash(rel), Modified: r.At, Path: path, Size: st.Size()})
	}
	return files, missing
}

// sendProgress sends one chart per scale question, or a few words on when
// a chart will appear.
func (b *Bot) sendProgress(tx *store.Tx, fx *effects, c *store.Client) error {
	replies, err := tx.Replies(c.ChatID, time.Time{})
	if err != nil {
		return err
	}
	deliveries, err := tx.Deliveries(c.ChatID)
	if err != nil {
		return err
	}
	scales := map[string]report.ScaleInfo{}
	replies, deliveries, err = b.checkInCharts(tx, c, replies, deliveries, scales)
	if err != nil {
		return err
	}
	if seq, ok := b.prompts().Sequence(c.Sequence, c.Language); ok {
		for _, r := range replies {
			if q, ok := seq.Question(r.QuestionID); ok && q.Kind == prompts.KindScale {
				scales[q.ID] = report.ScaleInfo{Title: prompts.Render(q.Label, prompts.Vars{Name: c.Name}), Min: q.Scale.Min, Max: q.Scale.Max, Low: q.Scale.Low, High: q.Scale.High}
			}
		}
	}
	var charts [][]byte
	for _, ch := range report.ChartsFrom(replies, deliveries, scales) {
		ch.Lang = c.Language
		png, err := report.ProgressChart(ch)
		if errors.Is(err, report.ErrTooFewPoints) {
			continue
		}
		if err != nil {
			b.logger().Error("draw progress chart", "chat", c.ChatID, "err", err)
			continue
		}
		charts = append(charts, png)
		if len(charts) == 3 {
			break
		}
	}
	v := prompts.Vars{Name: c.Name}
	if len(charts) == 0 {
		return b.say(tx, fx, c.ChatID, b.text(c.Language, "progress_empty", v))
	}
	chatID := c.ChatID
	caption := b.text(c.Language, "progress_caption", v)
	fx.then(func(ctx context.Context) {
		for _, png := range charts {
			err := b.sender.Do(ctx, chatID, func(ctx context.Context) error {
				return b.api.SendPhoto(ctx, telegram.Photo{ChatID: chatID, Name: "progress.png", Data: png, Caption: caption})
			})
			if err != nil {
				b.logger().Warn("send progress chart", "chat", chatID, "err", err)
				return
			}
		}
	})
	return nil
}

// sendLetter enqueues the day-N letter: the client's own words of the
// month, gathered and framed by the sequence's template.
func (b *Bot) sendLetter(tx *store.Tx, fx *effects, c *store.Client, d *store.Delivery) error {
	sessions, err := tx.Sessions(c.ChatID)
	if err != nil {
		return err
	}
	var session store.Session
	for _, s := range sessions {
		if s.Date == d.SessionDate {
			session = s
		}
	}
	if session.Date == "" {
		return nil
	}
	// The letter is made in the schedule's write transaction: only the
	// replies it may hold are read, through the reply time index, not
	// the client's whole history.
	replies, err := tx.Replies(c.ChatID, letterSince(session))
	if err != nil {
		return err
	}
	frame, vars, ok, err := b.letterFrame(tx, c, d.Sequence, d.Language, session, d.Day, replies)
	if err != nil || !ok {
		return err
	}
	name, doc := b.letterDocument(c, frame, session, replies)
	return b.enqueue(tx, fx, &store.Outgoing{
		ChatID: c.ChatID, Text: b.text(c.Language, "letter_caption", vars),
		DocumentName: name, Document: doc,
	})
}

// letterSince is the earliest time a reply in session's letter can have
// been written (zero: not known, every reply is read). The letter holds
// the replies that name the session (report.Letter), each written after
// the session was first logged (a session logged again keeps its
// CreatedAt), and the journal entries that name no session dated from
// the session's date on: by the UTC date they were written, or by a
// local date, which is never two days ahead of it.
func letterSince(session store.Session) time.Time {
	start, err := time.Parse(time.DateOnly, session.Date)
	if err != nil || session.CreatedAt.IsZero() {
		return time.Time{}
	}
	since := start.Add(-48 * time.Hour)
	if session.CreatedAt.Before(since) {
		since = session.CreatedAt
	}
	return since
}

// letterFrame is the frame of a session's letter from a sequence, its
// placeholders filled but {day}, with the vars it was filled with; ok is
// false when the sequence is not loaded (the frame is then empty, and the
// letter gets the report's own words).
func (b *Bot) letterFrame(tx *store.Tx, c *store.Client, sequence, lang string, session store.Session, day int, replies []store.Reply) (frame report.LetterFrame, vars prompts.Vars, ok bool, err error) {
	vars, err = b.vars(tx, c, day)
	if err != nil {
		return frame, vars, false, err
	}
	vars.Intention, vars.Date = session.Intention, session.Date // this session's, not the latest
	seq, ok := b.prompts().Sequence(sequence, lang)
	if !ok {
		return frame, vars, false, nil
	}
	keep := func(s string) string { // {day} stays for the letter to fill
		return strings.ReplaceAll(prompts.Render(strings.ReplaceAll(s, "{day}", "\x00"), vars), "\x00", "{day}")
	}
	frame = report.LetterFrame{
		Title: keep(seq.Letter.Title), Opening: keep(seq.Letter.Opening),
		DayHeading: keep(seq.Letter.DayHeading), Closing: keep(seq.Letter.Closing),
		Scales: map[string]report.ScaleInfo{},
	}
	for _, r := range replies {
		if q, ok := seq.Question(r.QuestionID); ok && q.Kind == prompts.KindScale {
			frame.Scales[q.ID] = report.ScaleInfo{Min: q.Scale.Min, Max: q.Scale.Max, Low: q.Scale.Low, High: q.Scale.High}
		}
	}
	return frame, vars, true, nil
}

// letterDocument sets a session's letter as a PDF for a phone, named in
// the client's language. Should the PDF fail, the same words come as
// Markdown rather than not at all.
func (b *Bot) letterDocument(c *store.Client, frame report.LetterFrame, session store.Session, replies []store.Reply) (string, []byte) {
	name := report.LetterFileName(c.Language, session.Date)
	doc, err := report.LetterPDF(frame, c.Language, c.Name, session, replies)
	if err != nil {
		b.logger().Error("letter as pdf; sending it as markdown", "chat", c.ChatID, "err", err)
		return strings.TrimSuffix(name, ".pdf") + ".md", report.Letter(frame, c.Language, c.Name, session, replies)
	}
	return name, doc
}

// forgetWindow is how long a /forget confirmation stays valid.
const forgetWindow = 24 * time.Hour

// askForget asks the client to confirm erasing everything.
func (b *Bot) askForget(tx *store.Tx, fx *effects, c *store.Client) error {
	v := prompts.Vars{Name: c.Name}
	stamp := strconv.FormatInt(b.now().Unix(), 36)
	return b.enqueue(tx, fx, &store.Outgoing{
		ChatID: c.ChatID, Text: b.text(c.Language, "forget_ask", v),
		Keyboard: [][]store.Button{{
			{Text: b.text(c.Language, "forget_yes_button", v), Data: callbackData(kindForget, "yes", stamp)},
			{Text: b.text(c.Language, "forget_no_button", v), Data: callbackData(kindForget, "no")},
		}},
	})
}

// onForgetPress erases every record of the client once confirmed, and
// says so in a last message. Nothing of theirs stays behind but that
// message in the outbox, which holds no answer.
func (b *Bot) onForgetPress(tx *store.Tx, q *models.CallbackQuery, chatID int64, messageID int, data string, fx *effects) error {
	lang := q.From.LanguageCode
	b.showChosen(fx, chatID, messageID, "")
	c, err := tx.Client(chatID)
	if errors.Is(err, store.ErrNotFound) {
		b.answerPress(fx, q.ID, b.text(lang, "forget_nothing", prompts.Vars{}))
		return nil
	}
	if err != nil {
		return err
	}
	answer, stamp, _ := strings.Cut(data, "|")
	if answer != "yes" {
		b.answerPress(fx, q.ID, "")
		return b.say(tx, fx, chatID, b.text(c.Language, "forget_kept", prompts.Vars{Name: c.Name}))
	}
	sec, err := strconv.ParseInt(stamp, 36, 64)
	if err != nil || b.now().Sub(time.Unix(sec, 0)) > forgetWindow {
		b.answerPress(fx, q.ID, "")
		return b.say(tx, fx, chatID, b.text(c.Language, "forget_stale", prompts.Vars{Name: c.Name}))
	}
	b.answerPress(fx, q.ID, "")
	if b.forgetting != nil {
		if err := b.forgetting(chatID, b.now()); err != nil {
			return fmt.Errorf("record the erasure: %w", err)
		}
	}
	if err := tx.Forget(chatID); err != nil {
		return err
	}
	// Their voice notes and any archive of /mydata still waiting to be
	// sent are files, not records: erase them once committed.
	voice := filepath.Join(b.voiceDir(), strconv.FormatInt(chatID, 10))
	fx.then(func(context.Context) {
		if err := os.RemoveAll(voice); err != nil {
			b.logger().Error("erase voice notes", "chat", chatID, "err", err)
		}
		b.removeDocuments(chatID)
	})
	if err := b.say(tx, fx, chatID, b.text(c.Language, "forget_done", prompts.Vars{})); err != nil {
		return err
	}
	if b.forgotten != nil {
		fx.then(func(context.Context) { b.forgotten(chatID) })
	}
	return nil
}

// startSafetyPlan walks the client through their own safety plan, one
// part at a time.
func (b *Bot) startSafetyPlan(tx *store.Tx, fx *effects, c *store.Client) error {
	c.Flow = "plan:0"
	if err := tx.PutClient(*c); err != nil {
		return err
	}
	if err := b.say(tx, fx, c.ChatID, b.text(c.Language, "plan_intro", prompts.Vars{Name: c.Name})); err != nil {
		return err
	}
	return b.say(tx, fx, c.ChatID, planPrompt(0, c.Language))
}

func planPrompt(i int, lang string) string {
	p := safety.PlanParts[i].Prompt
	if s := p[langtag.Base(lang)]; s != "" {
		return s
	}
	return p["en"]
}

// onSafetyPlanInput keeps one part of the plan and asks for the next;
// "-" skips a part and keeps what was there.
func (b *Bot) onSafetyPlanInput(tx *store.Tx, fx *effects, c *store.Client, text string) error {
	i, err := strconv.Atoi(strings.TrimPrefix(c.Flow, "plan:"))
	if err != nil || i < 0 || i >= len(safety.PlanParts) {
		c.Flow = ""
		return tx.PutClient(*c)
	}
	if t := strings.TrimSpace(text); t != "-" && t != "" {
		if c.SafetyPlan == nil {
			c.SafetyPlan = map[string]string{}
		}
		c.SafetyPlan[safety.PlanParts[i].Key] = clipRunes(t, 1500)
	}
	i++
	if i < len(safety.PlanParts) {
		c.Flow = "plan:" + strconv.Itoa(i)
		if err := tx.PutClient(*c); err != nil {
			return err
		}
		return b.say(tx, fx, c.ChatID, planPrompt(i, c.Language))
	}
	c.Flow = ""
	if err := tx.PutClient(*c); err != nil {
		return err
	}
	return b.say(tx, fx, c.ChatID, b.text(c.Language, "plan_done", prompts.Vars{Name: c.Name}))
}
