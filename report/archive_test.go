package report_test

import (
	"archive/zip"
	"bytes"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"kindling/report"
	"kindling/store"
)

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 0))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// TestArchiveParts: files are kept in order in parts within the limit; a
// file larger than the limit is alone in its part; each part is a zip of
// its own, the same bytes every time, and together they hold every file
// once with its contents and time.
func TestArchiveParts(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	audio := func(name string, seed uint64, n int) report.ArchiveFile {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, randomBytes(seed, n), 0o600); err != nil {
			t.Fatal(err)
		}
		return report.ArchiveFile{Name: "voice/" + name, Modified: at.Add(time.Duration(seed) * time.Hour), Path: path, Size: int64(n)}
	}
	text := bytes.Repeat([]byte("a quiet day, some rain\n"), 4000) // 92 kB that deflate well
	files := []report.ArchiveFile{
		{Name: "README.txt", Modified: at, Data: []byte("hello\r\n")},
		{Name: "kindling-mydata.md", Modified: at, Data: text},
		audio("1.ogg", 1, 30_000),
		audio("2.ogg", 2, 30_000),
		audio("big.ogg", 3, 90_000), // larger than the limit
		audio("4.ogg", 4, 10_000),
	}
	const limit = 50_000
	a, err := report.NewArchive(files, limit)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"README.txt", "kindling-mydata.md", "voice/1.ogg"},
		{"voice/2.ogg"},
		{"voice/big.ogg"},
		{"voice/4.ogg"},
	}
	var got [][]string
	for i := range a.Parts() {
		got = append(got, a.Names(i))
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("parts %q, want %q", got, want)
	}
	seen := map[string]bool{}
	for i := range a.Parts() {
		var buf, again bytes.Buffer
		if err := a.WritePart(&buf, i); err != nil {
			t.Fatal(err)
		}
		if err := a.WritePart(&again, i); err != nil || !bytes.Equal(buf.Bytes(), again.Bytes()) {
			t.Errorf("part %d is not the same twice (%v)", i+1, err)
		}
		if buf.Len() > limit && len(want[i]) > 1 {
			t.Errorf("part %d is %d bytes, over %d", i+1, buf.Len(), limit)
		}
		zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatalf("part %d: %v", i+1, err)
		}
		for _, zf := range zr.File {
			rc, err := zf.Open()
			if err != nil {
				t.Fatal(err)
			}
			data, err := io.ReadAll(rc)
			if err != nil {
				t.Fatalf("%s: %v", zf.Name, err)
			}
			for _, f := range files {
				if f.Name != zf.Name {
					continue
				}
				wantData := f.Data
				if f.Path != "" {
					wantData, _ = os.ReadFile(f.Path)
				}
				if !bytes.Equal(data, wantData) || !zf.Modified.Equal(f.Modified) {
					t.Errorf("%s: %d bytes modified %s, want %d bytes modified %s", zf.Name, len(data), zf.Modified, len(wantData), f.Modified)
				}
			}
			if seen[zf.Name] {
				t.Errorf("%s is in two parts", zf.Name)
			}
			seen[zf.Name] = true
		}
	}
	if len(seen) != len(files) {
		t.Errorf("%d files in the parts, want %d", len(seen), len(files))
	}
}

// TestArchiveFileChanged: a voice note that changed size since the plan
// is an error, not a part that differs from it.
func TestArchiveFileChanged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "1.ogg")
	if err := os.WriteFile(path, []byte("OggS short"), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := report.NewArchive([]report.ArchiveFile{{Name: "voice/1.ogg", Path: path, Size: 100}}, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.WritePart(io.Discard, 0); err == nil || !strings.Contains(err.Error(), "voice/1.ogg") {
		t.Errorf("WritePart = %v, want an error naming the file", err)
	}
	if _, err := report.NewArchive([]report.ArchiveFile{{Name: "../etc/passwd", Data: []byte("x")}}, 1<<20); err != nil {
		t.Logf("a name climbing out is refused: %v", err)
	} else {
		t.Error("NewArchive took a name climbing out of the archive")
	}
}

// TestArchiveReadme lists the voice notes that are not in the archive.
func TestArchiveReadme(t *testing.T) {
	d := report.Data{Client: store.Client{TimeZone: "Europe/Madrid"}, ExportedAt: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	lost := store.Reply{At: time.Date(2026, 3, 1, 20, 15, 0, 0, time.UTC), Question: "What stayed with you?", Voice: &store.Voice{FileID: "x", Duration: 7}}
	for _, tc := range []struct{ lang, want string }{
		{"en", "could not be saved"},
		{"es-MX", "no se pudieron guardar"},
	} {
		text := string(report.ArchiveReadme(d, tc.lang, []store.Reply{lost}))
		if !strings.Contains(text, tc.want) || !strings.Contains(text, "2026-03-01 21:15 CET — What stayed with you?") || !strings.Contains(text, "2026-03-02 10:00 CET") {
			t.Errorf("%s README:\n%s", tc.lang, text)
		}
		if strings.Contains(strings.ReplaceAll(text, "\r\n", ""), "\n") {
			t.Errorf("%s README has bare line feeds", tc.lang)
		}
	}
	if text := string(report.ArchiveReadme(d, "en", nil)); strings.Contains(text, "could not be saved") || strings.Contains(text, "voice/") || strings.Contains(text, "letters/") {
		t.Errorf("README of data without voice notes, answers or missing notes:\n%s", text)
	}
	d.Replies = []store.Reply{{SessionDate: "2026-03-01", Voice: &store.Voice{Path: "voice/1/2.ogg"}}, lost}
	if text := string(report.ArchiveReadme(d, "en", []store.Reply{lost})); !strings.Contains(text, "voice/ ") || !strings.Contains(text, "letters/ ") {
		t.Errorf("README of data with a saved voice note and a letter:\n%s", text)
	}
}
