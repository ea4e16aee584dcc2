package bot_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"kindling/bot"
	"kindling/prompts"
	"kindling/report"
	"kindling/telegramtest"
)

// myArchive sends /mydata and returns the documents the bot answered with.
func myArchive(t *testing.T, h *harness, u *telegramtest.User) []telegramtest.Message {
	t.Helper()
	var docs []telegramtest.Message
	for _, m := range answered(h, u, "/mydata") {
		if m.Document == nil {
			t.Fatalf("/mydata answered %q without a file", m.Text)
		}
		docs = append(docs, m)
	}
	return docs
}

// zipFile is one file read back out of a zip archive.
type zipFile struct {
	header zip.FileHeader
	data   []byte
}

type zipped []zipFile

func (z zipped) names() []string {
	var out []string
	for _, f := range z {
		out = append(out, f.header.Name)
	}
	return out
}

func (z zipped) data(name string) []byte {
	for _, f := range z {
		if f.header.Name == name {
			return f.data
		}
	}
	return nil
}

// zipFiles opens data as a zip archive, as a phone would, and reads every
// file in it (checking each one's CRC).
func zipFiles(t *testing.T, data []byte) zipped {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("not a zip archive: %v", err)
	}
	var out zipped
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatalf("open %s in the archive: %v", f.Name, err)
		}
		b, err := io.ReadAll(rc)
		if err == nil {
			err = rc.Close()
		}
		if err != nil {
			t.Fatalf("read %s in the archive: %v", f.Name, err)
		}
		out = append(out, zipFile{header: f.FileHeader, data: b})
	}
	return out
}

// noise is n bytes that do not compress, as recorded audio does not.
func noise(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// twoSessions has Ana write and speak after two sessions: on 1 March (a
// journal entry and a voice note) and on 4 March (the same), and send a
// third voice note that Telegram would not let the bot download. It
// returns the audio of the two saved notes.
func twoSessions(t *testing.T, h *harness, ana *telegramtest.User) (first, second []byte) {
	t.Helper()
	first = append([]byte("OggS first-voice-marker "), noise(1, 30_000)...)
	second = append([]byte("OggS second-voice-marker "), noise(2, 30_000)...)
	h.send(ana, "the river at dawn, after the first session")
	ana.Voice(12, first)
	h.settle()
	h.clock.Set(utc("2026-03-05 12:00"))
	h.send(ana, "/session 2026-03-04")
	h.send(ana, "a lighter week, after the second session")
	ana.Voice(30, second)
	h.settle()
	h.srv.Fail("getFile", 1, telegramtest.APIError(400, "Bad Request: file is too big"))
	ana.Voice(7, []byte("OggS the note that never arrived"))
	h.settle()

	d := storedData(t, h, ana.ID())
	bySession := map[string]int{}
	saved, lost := 0, 0
	for _, r := range d.Replies {
		bySession[r.SessionDate]++
		if r.Voice != nil && r.Voice.Path != "" {
			saved++
		} else if r.Voice != nil {
			lost++
		}
	}
	if len(d.Sessions) != 2 || bySession["2026-03-01"] < 2 || bySession["2026-03-04"] < 2 || saved != 2 || lost != 1 {
		t.Fatalf("the test data: sessions %+v, replies by session %v, %d voice notes saved and %d lost", d.Sessions, bySession, saved, lost)
	}
	return first, second
}

// wantFiles are the names the archive of d must hold, in order.
func wantFiles(d report.Data) []string {
	names := []string{"README.txt", "kindling-mydata.md", "kindling-mydata.json",
		"letters/your-month-2026-03-01.pdf", "letters/your-month-2026-03-04.pdf"}
	for _, r := range d.Replies {
		if r.Voice != nil && r.Voice.Path != "" {
			names = append(names, filepath.ToSlash(r.Voice.Path))
		}
	}
	return names
}

// checkArchived checks the files of a client's archive against their
// records and the audio on disk.
func checkArchived(t *testing.T, h *harness, d report.Data, files zipped, first, second []byte) {
	t.Helper()
	if got, want := files.names(), wantFiles(d); !reflect.DeepEqual(got, want) {
		t.Fatalf("archive files\n got %q\nwant %q", got, want)
	}
	var back report.Data
	if err := json.Unmarshal(files.data("kindling-mydata.json"), &back); err != nil {
		t.Fatalf("the JSON does not parse: %v", err)
	}
	if !reflect.DeepEqual(back.Replies, d.Replies) || !reflect.DeepEqual(back.Sessions, d.Sessions) {
		t.Errorf("the JSON's records differ from the store's:\n got %+v\nwant %+v", back.Replies, d.Replies)
	}
	md := string(files.data("kindling-mydata.md"))
	if !strings.Contains(md, "the river at dawn") || !strings.Contains(md, "a lighter week") {
		t.Errorf("the Markdown lacks the client's words:\n%s", md)
	}
	for _, l := range []struct{ name, words, not string }{
		{"letters/your-month-2026-03-01.pdf", "the river at dawn", "a lighter week"},
		{"letters/your-month-2026-03-04.pdf", "a lighter week", "the river at dawn"},
	} {
		text := letterText(t, telegramtest.Message{Document: &telegramtest.File{Name: l.name, Data: files.data(l.name)}})
		if !strings.Contains(text, l.words) || strings.Contains(text, l.not) {
			t.Errorf("%s reads %q; want %q in it and not %q", l.name, text, l.words, l.not)
		}
	}
	audio := 0
	for _, r := range d.Replies {
		if r.Voice == nil || r.Voice.Path == "" {
			continue
		}
		onDisk, err := os.ReadFile(filepath.Join(h.dir, r.Voice.Path))
		if err != nil {
			t.Fatal(err)
		}
		got := files.data(filepath.ToSlash(r.Voice.Path))
		if !bytes.Equal(got, onDisk) || !(bytes.Equal(got, first) || bytes.Equal(got, second)) {
			t.Errorf("%s in the archive: %d bytes, not the %d saved", r.Voice.Path, len(got), len(onDisk))
		}
		audio++
		for _, f := range files {
			if f.header.Name == filepath.ToSlash(r.Voice.Path) && (f.header.Method != zip.Store || !f.header.Modified.Equal(r.At.Truncate(1e9))) {
				t.Errorf("%s: method %d, modified %s; want stored as it is, at the answer's time %s", f.header.Name, f.header.Method, f.header.Modified, r.At)
			}
		}
	}
	if audio != 2 {
		t.Errorf("%d voice notes archived, want 2", audio)
	}
	readme := string(files.data("README.txt"))
	if !strings.Contains(readme, "could not be saved") || !strings.Contains(readme, "kindling-mydata.md") {
		t.Errorf("the README does not list the voice note that is missing:\n%s", readme)
	}
}

// TestMyDataArchive: /mydata is one zip for the client to keep: the JSON,
// the Markdown, the letter of each session and the audio of each saved
// voice note, byte for byte; the note that was never saved is listed in
// the README. The same records give the same archive.
func TestMyDataArchive(t *testing.T) {
	t.Parallel()
	h, ana := enrolledAt(t, 1001, "Ana")
	first, second := twoSessions(t, h, ana)
	d := storedData(t, h, ana.ID())

	docs := myArchive(t, h, ana)
	if len(docs) != 1 {
		t.Fatalf("/mydata: %d documents, want one zip", len(docs))
	}
	doc := docs[0]
	if doc.Document.Name != "kindling-mydata.zip" || doc.Text != words("mydata_archive", prompts.Vars{Name: "Ana"}) {
		t.Errorf("/mydata sent %q with caption %q", doc.Document.Name, doc.Text)
	}
	if doc.Protected {
		t.Error("/mydata was sent protected: it is the client's to keep and share")
	}
	checkArchived(t, h, d, zipFiles(t, doc.Document.Data), first, second)

	again := myArchive(t, h, ana)
	if len(again) != 1 || !bytes.Equal(again[0].Document.Data, doc.Document.Data) {
		t.Error("a second /mydata of the same records gives a different archive")
		if len(again) == 1 {
			b := zipFiles(t, again[0].Document.Data)
			for i, f := range zipFiles(t, doc.Document.Data) {
				if !bytes.Equal(f.data, b[i].data) || f.header.Modified != b[i].header.Modified {
					t.Logf("%s differs:\n%s\n%s", f.header.Name, f.data[:min(len(f.data), 3000)], b[i].data[:min(len(b[i].data), 3000)])
				}
			}
		}
	}
	// A sent archive's file goes just after its sending is recorded.
	left := filesUnder(t, filepath.Join(h.dir, "outbox"))
	for deadline := time.Now().Add(10 * time.Second); len(left) != 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		left = filesUnder(t, filepath.Join(h.dir, "outbox"))
	}
	if len(left) != 0 {
		t.Errorf("archives left on disk after they were sent: %q", left)
	}
}

// TestMyDataArchiveInParts: an archive larger than a document may be is
// sent in parts, each a zip of its own within the limit (but for a file
// larger than the limit, alone in its part), together holding every file
// once. A /forget while parts wait to be sent leaves none on disk.
func TestMyDataArchiveInParts(t *testing.T) {
	t.Parallel()
	const limit = 45_000 // each voice note fits a part; the two letters do not fit with them
	h, ana := enrolledAt(t, 1001, "Ana", withBot(func(o *bot.Options) { o.DocumentLimit = limit }))
	first, second := twoSessions(t, h, ana)
	d := storedData(t, h, ana.ID())

	docs := myArchive(t, h, ana)
	if len(docs) < 3 {
		t.Fatalf("/mydata: %d documents, want the archive in three parts or more", len(docs))
	}
	var all zipped
	for i, doc := range docs {
		want := fmt.Sprintf("kindling-mydata-part%d-of-%d.zip", i+1, len(docs))
		if doc.Document.Name != want {
			t.Errorf("part %d is named %q, want %q", i+1, doc.Document.Name, want)
		}
		if doc.Protected {
			t.Errorf("part %d was sent protected", i+1)
		}
		files := zipFiles(t, doc.Document.Data)
		if len(doc.Document.Data) > limit && len(files) > 1 {
			t.Errorf("part %d is %d bytes with %d files, over the limit of %d", i+1, len(doc.Document.Data), len(files), limit)
		}
		all = append(all, files...)
	}
	wantCaption := words("mydata_archive", prompts.Vars{Name: "Ana"}) + "\n\n" + words("mydata_parts", prompts.Vars{Name: "Ana"})
	if docs[0].Text != wantCaption {
		t.Errorf("the first part's caption %q, want %q", docs[0].Text, wantCaption)
	}
	checkArchived(t, h, d, all, first, second)
	if left := filesUnder(t, filepath.Join(h.dir, "outbox")); len(left) != 0 {
		t.Errorf("archives left on disk after they were sent: %q", left)
	}

	// Telegram fails every file now: the parts wait on disk.
	h.srv.Fail("sendDocument", 0, telegramtest.ServerError(502))
	ana.Send("/mydata")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.srv.WaitConfirmed(ctx); err != nil {
		t.Fatal(err)
	}
	waiting := filesUnder(t, filepath.Join(h.dir, "outbox"))
	if len(waiting) != len(docs) {
		t.Fatalf("%d archive parts waiting on disk (%q), want %d", len(waiting), waiting, len(docs))
	}
	for _, path := range waiting {
		if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v (%v), want 0600", path, st.Mode().Perm(), err)
		}
	}
	// The chat's messages wait behind the parts, the question of /forget
	// too: its answer is handed to the bot directly.
	forgePress(t, h, ana, "f|yes|"+strconv.FormatInt(h.clock.Now().Unix(), 36), 1)
	h.srv.ClearFaults()
	if h.hasClient(ana.ID()) {
		t.Fatal("the client is still stored after /forget")
	}
	if left := filesUnder(t, filepath.Join(h.dir, "outbox")); len(left) != 0 {
		t.Errorf("archive parts left on disk after /forget: %q", left)
	}
	for _, marker := range []string{"first-voice-marker", "second-voice-marker"} {
		if found := fileHolds(t, h.dir, marker); len(found) != 0 {
			t.Errorf("after /forget the audio %q is still in %q", marker, found)
		}
	}
}

// TestMyDataArchiveLeftByACrash: an archive written for a /mydata whose
// row never committed, as after a crash, is removed when the bot starts.
func TestMyDataArchiveLeftByACrash(t *testing.T) {
	t.Parallel()
	h, ana := enrolledAt(t, 1001, "Ana")
	stray := filepath.Join(h.dir, "outbox", "1001", "doc-123")
	if err := os.MkdirAll(filepath.Dir(stray), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stray, []byte("PK half an archive"), 0o600); err != nil {
		t.Fatal(err)
	}
	h.restart()
	h.settle()
	// The drain sweeps when it starts, in its own goroutine.
	_, err := os.Stat(stray)
	for deadline := time.Now().Add(10 * time.Second); !os.IsNotExist(err) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		_, err = os.Stat(stray)
	}
	if !os.IsNotExist(err) {
		t.Errorf("the stray archive is still there (%v)", err)
	}
	if docs := myArchive(t, h, ana); len(docs) != 1 {
		t.Errorf("/mydata after the restart: %d documents", len(docs))
	}
}

// filesUnder lists the files below dir (none when dir does not exist).
func filesUnder(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if os.IsNotExist(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if !d.IsDir() {
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}
