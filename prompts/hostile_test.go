package prompts_test

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"kindling/prompts"
)

const goodSeq = "id: s\nlanguage: en\nname: S\ndays: [{day: 0, questions: [{id: a, text: A}]}]\n"

// loadErr loads fsys and returns the text of its *LoadError.
func loadErr(t *testing.T, fsys fs.FS, opts prompts.Options) string {
	t.Helper()
	start := time.Now()
	set, err := prompts.Load(fsys, opts)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Load took %v", d)
	}
	var le *prompts.LoadError
	if !errors.As(err, &le) || set != nil {
		t.Fatalf("Load = %v, %v; want nil, *LoadError", set, err)
	}
	return le.Error()
}

// hugeFS has one file that claims to be 50 MB and fails the test if read.
type hugeFS struct{ t *testing.T }

type hugeInfo struct{}

func (hugeInfo) Name() string       { return "big.yaml" }
func (hugeInfo) Size() int64        { return 50 << 20 }
func (hugeInfo) Mode() fs.FileMode  { return 0o644 }
func (hugeInfo) ModTime() time.Time { return time.Time{} }
func (hugeInfo) IsDir() bool        { return false }
func (hugeInfo) Sys() any           { return nil }

func (h hugeFS) Open(name string) (fs.File, error) {
	if name == "." {
		return fstest.MapFS{"big.yaml": {}}.Open(".")
	}
	h.t.Errorf("Open(%q): a file over the limit was opened", name)
	return nil, fs.ErrPermission
}

func (h hugeFS) Stat(name string) (fs.FileInfo, error) { return hugeInfo{}, nil }

func TestLoadRefusesLargeFileUnread(t *testing.T) {
	msg := loadErr(t, hugeFS{t}, prompts.Options{})
	if !strings.Contains(msg, "big.yaml: file is 52428800 bytes, over the limit of 1048576") {
		t.Errorf("error = %s", msg)
	}
}

// lyingFS reports a small size and then delivers an endless file.
type lyingFS struct{ fstest.MapFS }

type endless struct{ fs.File }

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

func (l lyingFS) Open(name string) (fs.File, error) {
	f, err := l.MapFS.Open(name)
	if err != nil || name == "." {
		return f, err
	}
	return endless{f}, nil
}

func TestLoadStopsReadingAtLimit(t *testing.T) {
	fsys := lyingFS{fstest.MapFS{"grows.yaml": {Data: []byte("id: x\n")}}}
	msg := loadErr(t, fsys, prompts.Options{MaxFileSize: 1000})
	if !strings.Contains(msg, "grows.yaml: file is over the limit of 1000 bytes") {
		t.Errorf("error = %s", msg)
	}
}

func TestLoadDirHostileFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("good.yaml", goodSeq)
	// A 50 MB sparse file: refused by its size.
	if err := os.Truncate(filepath.Join(dir, "good.yaml"), 0); err != nil {
		t.Fatal(err)
	}
	write("good.yaml", goodSeq)
	f, err := os.Create(filepath.Join(dir, "huge.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(50 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	// A named pipe would block a reader forever.
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.yaml"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	set, err := prompts.LoadDir(dir, prompts.Options{})
	if set != nil || err == nil {
		t.Fatal("LoadDir succeeded")
	}
	for _, want := range []string{"huge.yaml: file is 52428800 bytes, over the limit", "pipe.yaml: not a regular file"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestLoadHostileYAML(t *testing.T) {
	var bomb strings.Builder
	bomb.WriteString(`a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]` + "\n")
	for i, c := range "bcdefghijklmnopq" {
		prev := string("abcdefghijklmnopq"[i])
		bomb.WriteString(string(c) + ": &" + string(c) + " [" + strings.Repeat("*"+prev+",", 8) + "*" + prev + "]\n")
	}
	tests := []struct {
		name, content, want string
	}{
		{"alias bomb", bomb.String(), "YAML aliases (*a) are not supported"},
		{"merge key", "id: s\nbase: &b {language: en}\n<<: *b\n", "YAML aliases (*b) are not supported"},
		{"deep flow", "id: " + strings.Repeat("[", 100000), "invalid YAML"},
		{"deep block", deepBlock(2000), "unknown field"},
		{"deep mapping in a known field", "id: s\nlanguage: en\nname: S\ndays:\n  - day: 0\n    questions:\n      - id: a\n        text: " + strings.Repeat("{a: ", 5000) + strings.Repeat("}", 5000) + "\n", "expected a text"},
		{"many keys", strings.Repeat("nope: 1\n", 100000), "too many problems; stopped after 49"},
		{"binary", "\x00\x01\x02\xff\xfe", "not a text file"},
		{"nul in text", "id: a\x00b\n", "not a text file"},
		{"not utf-8", "id: caf\xe9\n", "not a text file"},
		{"scalar", "just words", "expected keys such as id"},
		{"huge int", "id: s\nlanguage: en\nname: S\ndays: [{day: 99999999999999999999999, questions: [{id: a, text: A}]}]\n", "expected a whole number"},
		{"big day", "id: s\nlanguage: en\nname: S\ndays: [{day: 1000000, questions: [{id: a, text: A}]}]\n", "1000000 is out of range (-999999 to 999999)"},
		{"custom tag", "id: !!binary aGVsbG8=\nlanguage: en\nname: S\ndays: [{day: 0, questions: [{id: a, text: A}]}]\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			set, err := prompts.Load(mapFS(map[string]string{"f.yaml": tt.content}), prompts.Options{MaxFileSize: 4 << 20})
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("Load took %v", d)
			}
			if tt.want == "" {
				return // only: no panic, no hang
			}
			if set != nil || err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load = %v, %v; want an error containing %q", set, clipErr(err), tt.want)
			}
		})
	}
}

func clipErr(err error) string {
	if err == nil {
		return "<nil>"
	}
	s := err.Error()
	if len(s) > 600 {
		s = s[:600] + "..."
	}
	return s
}

// deepBlock is a mapping nested n levels deep by indentation.
func deepBlock(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(strings.Repeat(" ", i))
		b.WriteString("k:\n")
	}
	return b.String()
}

// errFS fails to read its only file.
type errFS struct{ fstest.MapFS }

type errFile struct{ fs.File }

func (errFile) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func (e errFS) Open(name string) (fs.File, error) {
	f, err := e.MapFS.Open(name)
	if err != nil || name == "." {
		return f, err
	}
	return errFile{f}, nil
}

func TestLoadReadError(t *testing.T) {
	msg := loadErr(t, errFS{fstest.MapFS{"a.yaml": {Data: []byte(goodSeq)}}}, prompts.Options{})
	if !strings.Contains(msg, "a.yaml: cannot read: unexpected EOF") {
		t.Errorf("error = %s", msg)
	}
}
