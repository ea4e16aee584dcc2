package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"kindling/prompts"
	"kindling/store"
)

// monthDays is how many days since the session the month view shows
// (day 0 to 30), as `kindling preview` does by default.
const monthDays = 30

type promptsData struct {
	Dir       string
	Editable  bool
	Sequences []sequenceView
	Files     []string
	Saves     []saveView
}

// sequenceView is one sequence as a month: a row per day that has a
// step in any language, a column per language, so that the languages
// can be read side by side.
type sequenceView struct {
	ID, Name  string
	Anchor    string
	Languages []languageView
	Days      []dayRow
}

type languageView struct{ Language, Name, File string }

type dayRow struct {
	Day   int
	Steps []stepView // one per language, in the order of Languages; Missing when none
}

type stepView struct {
	Language  string
	Missing   bool
	Repeat    bool
	At        string
	Intro     string
	Questions []questionView
}

type questionView struct {
	ID, Text, Kind, Answers string
}

type saveView struct {
	At, Coach, File string
	Bytes           int
}

// promptsPage shows every sequence as a month, per language, and the
// files that can be edited.
func (s *Server) promptsPage(w http.ResponseWriter, r *http.Request, sess *session) {
	set := s.opts.Prompts()
	wd := s.words(sess.Language)
	d := promptsData{Dir: s.opts.PromptsDir, Editable: s.opts.PromptsDir != ""}
	byID := map[string]*sequenceView{}
	var order []string
	versions := map[string][]*prompts.Sequence{}
	for _, seq := range set.Sequences() { // by id, then language
		if _, ok := byID[seq.ID]; !ok {
			byID[seq.ID] = &sequenceView{ID: seq.ID, Name: seq.Name, Anchor: "s-" + seq.ID}
			order = append(order, seq.ID)
		}
		sv := byID[seq.ID]
		sv.Languages = append(sv.Languages, languageView{Language: seq.Language, Name: seq.Name, File: seq.File})
		versions[seq.ID] = append(versions[seq.ID], seq)
	}
	for _, id := range order {
		sv := byID[id]
		for day := 0; day <= monthDays; day++ {
			row := dayRow{Day: day}
			asked := false
			for _, seq := range versions[id] {
				st, ok := seq.StepFor(day)
				v := stepView{Language: seq.Language, Missing: !ok}
				if ok {
					asked = true
					v.Repeat, v.At, v.Intro = seq.IsRepeat(day), st.At, st.Intro
					for _, q := range st.Questions {
						v.Questions = append(v.Questions, questionView{ID: q.ID, Text: q.Text, Kind: string(q.Kind), Answers: answersOf(q, wd)})
					}
				}
				row.Steps = append(row.Steps, v)
			}
			if asked {
				sv.Days = append(sv.Days, row)
			}
		}
		d.Sequences = append(d.Sequences, *sv)
	}
	if d.Editable {
		files, err := s.promptFiles()
		if err != nil {
			s.fail(w, r, "list prompt files", err)
			return
		}
		d.Files = files
	}
	loc := s.zone(sess.coach.TimeZone)
	err := s.opts.DB.View(func(tx *store.Tx) error {
		saves, err := tx.PromptSaves(20)
		for _, p := range saves {
			d.Saves = append(d.Saves, saveView{At: wd.Date(p.At.In(loc)) + ", " + p.At.In(loc).Format("15:04"), Coach: s.coachName(p.Coach), File: p.File, Bytes: p.Bytes})
		}
		return err
	})
	if err != nil {
		s.fail(w, r, "prompt saves", err)
		return
	}
	s.render(w, r, "prompts", sess, pageData{Title: "Prompts", Nav: "prompts", Data: d})
}

func (s *Server) coachName(id int64) string {
	if c, ok := s.coaches[id]; ok {
		return c.Name
	}
	return fmt.Sprintf("coach %d", id)
}

// answersOf says how a question is answered.
func answersOf(q prompts.Question, w words) string {
	switch {
	case q.Scale != nil:
		s := w.F("%d to %d", q.Scale.Min, q.Scale.Max)
		if q.Scale.Low != "" || q.Scale.High != "" {
			s += " (" + q.Scale.Low + " … " + q.Scale.High + ")"
		}
		return s
	case q.Choice != nil:
		var labels []string
		for _, o := range q.Choice.Options {
			labels = append(labels, o.Label)
		}
		s := strings.Join(labels, " · ")
		if q.Choice.Multiple {
			s += w.T(" (several may be chosen)")
		}
		return s
	}
	return w.T("in their own words")
}

// promptFiles are the files of the prompts folder that the loader reads.
func (s *Server) promptFiles() ([]string, error) {
	entries, err := os.ReadDir(s.opts.PromptsDir)
	if err != nil {
		return nil, fmt.Errorf("read prompts folder: %w", err)
	}
	var out []string
	for _, e := range entries {
		if e.Type().IsRegular() && isPromptFile(e.Name()) {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

// isPromptFile is the loader's rule: a YAML file, not hidden, not an
// editor's backup.
func isPromptFile(name string) bool {
	if name == "" || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~") ||
		strings.HasSuffix(name, "~") || strings.HasPrefix(name, "#") {
		return false
	}
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}

type editData struct {
	File     string
	Text     string
	Base     string // sha256 of the file on disk when the editor opened it
	Checked  string // sha256 of the text the check passed; "" until one did
	Ran      bool   // a check ran
	OK       bool
	Lines    []listingLine
	First    int      // the line of the first error, 0 for none
	Others   []string // problems of other files, or of the whole set
	Warnings int
	Errors   int
	Diff     []diffLine
	NoChange bool
	Notice   string
	Saved    bool
	Reload   []string // problems the reload after the save reported
}

type listingLine struct {
	N        int
	Text     string
	Problems []prompts.Problem
	Error    bool // one of the problems is an error, not a warning
}

func hashOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// editable answers the file named in a request, or false (having said
// why) when it cannot be edited here.
func (s *Server) editable(w http.ResponseWriter, r *http.Request, sess *session, name string) ([]byte, bool) {
	if s.opts.PromptsDir == "" {
		wd := s.words(sess.Language)
		s.render(w, r, "message", sess, pageData{Title: "Prompts", Nav: "prompts", Data: message{
			Heading: wd.T("The built-in prompts cannot be edited here"),
			Text:    wd.T("Set prompts.dir in config.yaml (or KINDLING_PROMPTS_DIR) to a folder of prompt files, for example a copy of prompts/sequences from kindling's source, and restart kindling. Then each file can be edited on this page."),
			Link:    s.base.Path + "/prompts", LinkText: wd.T("Back to the prompts"),
		}})
		return nil, false
	}
	if !isPromptFile(name) {
		s.notFound(w, r)
		return nil, false
	}
	data, err := os.ReadFile(filepath.Join(s.opts.PromptsDir, name))
	if errors.Is(err, fs.ErrNotExist) {
		s.notFound(w, r)
		return nil, false
	}
	if err != nil {
		s.fail(w, r, "read prompt file", err)
		return nil, false
	}
	return data, true
}

// promptEditPage opens a file in the editor.
func (s *Server) promptEditPage(w http.ResponseWriter, r *http.Request, sess *session) {
	name := r.URL.Query().Get("file")
	data, ok := s.editable(w, r, sess, name)
	if !ok {
		return
	}
	s.render(w, r, "edit", sess, pageData{Title: s.words(sess.Language).F("Edit %s", name), Nav: "prompts",
		Data: editData{File: name, Text: string(data), Base: hashOf(data)}})
}

// promptEdit checks the edited text (action "check") or saves it
// (action "save"): saved only when it loads without errors with the
// folder's other files, when its change was shown first, and when the
// file did not change on disk meanwhile.
func (s *Server) promptEdit(w http.ResponseWriter, r *http.Request, sess *session) {
	name := r.PostFormValue("file")
	s.promptMu.Lock()
	defer s.promptMu.Unlock()
	current, ok := s.editable(w, r, sess, name)
	if !ok {
		return
	}
	text := strings.ReplaceAll(r.PostFormValue("text"), "\r\n", "\n") // browsers send CRLF
	if bytes.Contains(current, []byte("\r\n")) {
		text = strings.ReplaceAll(text, "\n", "\r\n")
	}
	wd := s.words(sess.Language)
	d := editData{File: name, Text: text, Base: r.PostFormValue("base")}
	if d.Base != hashOf(current) {
		d.Notice = wd.T("This file changed on the server since you opened it (someone else saved it, or it was edited there). The change below is against the file as it is now; check it, then save again.")
		d.Base = hashOf(current)
	}
	problems, others, err := s.check(name, []byte(text))
	if err != nil {
		s.fail(w, r, "check prompt file", err)
		return
	}
	d.Ran = true
	d.Lines = listing(text, problems)
	d.Others = others
	for _, p := range problems {
		if p.Warning {
			d.Warnings++
			continue
		}
		if d.Errors == 0 && p.Line > 0 {
			d.First = p.Line
		}
		d.Errors++
	}
	d.OK = d.Errors == 0 && len(others) == 0
	d.Diff = lineDiff(string(current), text, 3)
	d.NoChange = text == string(current)
	wantSave := r.PostFormValue("action") == "save"
	if d.OK && !d.NoChange {
		if wantSave && d.Notice == "" && r.PostFormValue("checked") == hashOf([]byte(text)) {
			s.save(w, r, sess, d)
			return
		}
		if wantSave && d.Notice == "" {
			d.Notice = wd.T("The text changed after its check: here is the change as it is now. Save again to keep it.")
		}
		d.Checked = hashOf([]byte(text))
	}
	status := http.StatusOK
	if !d.OK {
		status = http.StatusUnprocessableEntity
	}
	w.WriteHeader(status)
	s.render(w, r, "edit", sess, pageData{Title: s.words(sess.Language).F("Edit %s", name), Nav: "prompts", Data: d})
}

// promptCheck answers the editor's script, which checks the text while
// it is typed: the problems of the file as JSON. Nothing is saved.
func (s *Server) promptCheck(w http.ResponseWriter, r *http.Request, sess *session) {
	name := r.PostFormValue("file")
	if s.opts.PromptsDir == "" || !isPromptFile(name) {
		s.notFound(w, r)
		return
	}
	problems, others, err := s.check(name, []byte(strings.ReplaceAll(r.PostFormValue("text"), "\r\n", "\n")))
	if err != nil {
		s.fail(w, r, "check prompt file", err)
		return
	}
	type problem struct {
		Line    int    `json:"line,omitempty"`
		Field   string `json:"field,omitempty"`
		Message string `json:"message"`
		Warning bool   `json:"warning,omitempty"`
	}
	out := struct {
		Problems []problem `json:"problems"`
		Others   []string  `json:"others"`
	}{Problems: []problem{}, Others: others}
	for _, p := range problems {
		out.Problems = append(out.Problems, problem{Line: p.Line, Field: p.Field, Message: p.Message, Warning: p.Warning})
	}
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(out); err != nil {
		s.opts.Logger.Warn("web: answer a check", "err", err)
	}
}

// check loads the folder's files with name replaced by data: the problems
// of that file, and those of any other file or of the set as a whole
// (warnings of other files are left out).
func (s *Server) check(name string, data []byte) (own []prompts.Problem, others []string, err error) {
	files := map[string][]byte{}
	names, err := s.promptFiles()
	if err != nil {
		return nil, nil, err
	}
	for _, n := range names {
		if n == name {
			continue
		}
		b, err := os.ReadFile(filepath.Join(s.opts.PromptsDir, n))
		if err != nil {
			return nil, nil, fmt.Errorf("read prompt file %s: %w", n, err)
		}
		files[n] = b
	}
	files[name] = data
	set, err := prompts.LoadFiles(files, s.opts.PromptOptions)
	var all []prompts.Problem
	var le *prompts.LoadError
	switch {
	case errors.As(err, &le):
		all = le.Problems
	case err != nil:
		return nil, []string{err.Error()}, nil
	default:
		all = set.Warnings()
	}
	for _, p := range all {
		switch {
		case p.File == name:
			own = append(own, p)
		case !p.Warning:
			others = append(others, p.String())
		}
	}
	return own, others, nil
}

// listing numbers the lines of text and puts each problem under its line;
// problems of the whole file go before line 1.
func listing(text string, problems []prompts.Problem) []listingLine {
	lines := splitLines(text)
	out := make([]listingLine, len(lines)+1)
	for i, l := range lines {
		out[i+1] = listingLine{N: i + 1, Text: l}
	}
	for _, p := range problems {
		n := p.Line
		if n < 0 || n > len(lines) {
			n = 0
		}
		out[n].Problems = append(out[n].Problems, p)
		out[n].Error = out[n].Error || !p.Warning
	}
	if len(out[0].Problems) == 0 {
		out = out[1:]
	}
	return out
}

// save writes the checked text into the prompts folder atomically,
// records who saved it, and reloads the prompts at once.
func (s *Server) save(w http.ResponseWriter, r *http.Request, sess *session, d editData) {
	path := filepath.Join(s.opts.PromptsDir, d.File)
	data := []byte(d.Text)
	if err := writeVerified(path, data); err != nil {
		s.opts.Logger.Error("web: save prompt file", "file", d.File, "err", err)
		w.WriteHeader(http.StatusInternalServerError)
		d.Notice = s.words(sess.Language).F("The file could not be written: %s. Nothing was changed. The folder may be read-only for kindling; the person who runs it can check.", err.Error())
		s.render(w, r, "edit", sess, pageData{Title: s.words(sess.Language).F("Edit %s", d.File), Nav: "prompts", Data: d})
		return
	}
	err := s.opts.DB.Update(func(tx *store.Tx) error {
		return tx.AddPromptSave(store.PromptSave{Coach: sess.Coach, At: s.opts.Now(), File: d.File, Bytes: len(data), SHA256: hashOf(data)})
	})
	if err != nil {
		// The file is saved; the record of it is not. Say so.
		s.opts.Logger.Error("web: record prompt save", "file", d.File, "coach", sess.Coach, "err", err)
	}
	s.stats.promptSaves.Add(1)
	s.opts.Logger.Info("web: prompt file saved", "file", d.File, "coach", sess.Coach, "bytes", len(data))
	d.Saved = true
	d.Base, d.Checked, d.Diff = hashOf(data), "", nil
	if s.opts.Reload != nil {
		ok, problems := s.opts.Reload()
		if !ok {
			d.Reload = problems
		}
	}
	if err != nil {
		d.Notice = s.words(sess.Language).T("Saved, but the record of this save could not be written to the database.")
	}
	s.render(w, r, "edit", sess, pageData{Title: s.words(sess.Language).F("Edit %s", d.File), Nav: "prompts", Data: d})
}

// writeVerified replaces path with data through store.WriteFileAtomic
// (the one atomic write of kindling: a temporary file beside it, synced,
// renamed over it), keeps the old file's mode, and reads the file back.
func writeVerified(path string, data []byte) error {
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	if _, err := store.WriteFileAtomic(path, bytes.NewReader(data)); err != nil {
		return err
	}
	if err := os.Chmod(path, mode); err != nil {
		return fmt.Errorf("chmod %s: %w", path, err)
	}
	back, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read back %s: %w", path, err)
	}
	if !bytes.Equal(back, data) {
		return fmt.Errorf("read back %s: the file does not hold what was written", path)
	}
	return nil
}
