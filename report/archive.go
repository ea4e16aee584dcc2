package report

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"kindling/internal/langtag"
	"kindling/internal/oneline"
	"kindling/store"
)

// ArchiveFile is one file of a client's data archive: generated contents
// (Data) or a file on disk stored as it is (Path, such as a voice note).
type ArchiveFile struct {
	Name     string    // its path inside the archive, with forward slashes
	Modified time.Time // taken from the records, so the archive is the same every time
	Data     []byte    // the contents, deflated in the archive; or
	Path     string    // a file whose Size bytes are stored uncompressed
	Size     int64
}

// Archive is a client's data as one or more zip files, each of them
// complete on its own and at most a limit in size.
type Archive struct {
	parts [][]packedFile
}

type packedFile struct {
	ArchiveFile
	stored int64 // the bytes of its contents in the zip, compressed or not
}

// compression is the deflate level of generated files, in planning and in
// writing alike, so the sizes planned are the sizes written.
const compression = flate.DefaultCompression

func newDeflater(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, compression) }

// deflatedSize is how many bytes data takes once deflated.
func deflatedSize(data []byte) (int64, error) {
	var n countingWriter
	w, err := newDeflater(&n)
	if err != nil {
		return 0, err
	}
	if _, err := w.Write(data); err != nil {
		return 0, err
	}
	if err := w.Close(); err != nil {
		return 0, err
	}
	return int64(n), nil
}

type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

// zipOverhead bounds what archive/zip writes around one file's bytes:
// its local header, data descriptor and central directory record, each
// with the name and the extended timestamp (zip64 fields included).
func zipOverhead(name string) int64 { return 2*int64(len(name)) + 256 }

// zipEnd bounds the end of a zip file (zip64 records included).
const zipEnd = 128

// NewArchive measures each file as it will be zipped (generated files are
// deflated, files on disk stored as they are) and groups them, in order,
// into parts of at most limit bytes each. A file too
// large for any part gets a part of its own (Telegram refuses it, but
// the rest still goes out).
func NewArchive(files []ArchiveFile, limit int64) (*Archive, error) {
	a := &Archive{}
	var part []packedFile
	size := int64(zipEnd)
	for _, f := range files {
		if !fs.ValidPath(f.Name) || f.Name == "." || strings.Contains(f.Name, "\\") {
			return nil, fmt.Errorf("archive: bad file name %q", f.Name)
		}
		p := packedFile{ArchiveFile: f, stored: f.Size}
		if f.Path == "" {
			n, err := deflatedSize(f.Data)
			if err != nil {
				return nil, fmt.Errorf("archive %s: %w", f.Name, err)
			}
			p.stored = n
		}
		n := p.stored + zipOverhead(f.Name)
		if len(part) > 0 && size+n > limit {
			a.parts = append(a.parts, part)
			part, size = nil, zipEnd
		}
		part = append(part, p)
		size += n
	}
	if len(part) > 0 || len(a.parts) == 0 {
		a.parts = append(a.parts, part)
	}
	return a, nil
}

// Parts is how many zip files the archive takes.
func (a *Archive) Parts() int { return len(a.parts) }

// Names lists the files of part i, in order.
func (a *Archive) Names(i int) []string {
	var names []string
	for _, p := range a.parts[i] {
		names = append(names, p.Name)
	}
	return names
}

// WritePart writes part i as a zip file to w. A file on disk that no
// longer holds the size it had is an error: the part would not be what
// was planned.
func (a *Archive) WritePart(w io.Writer, i int) error {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, newDeflater)
	for _, p := range a.parts[i] {
		fh := &zip.FileHeader{Name: p.Name, Modified: p.Modified.UTC(), Method: zip.Deflate}
		if p.Path != "" {
			fh.Method = zip.Store // audio does not compress
		}
		fw, err := zw.CreateHeader(fh)
		if err != nil {
			return fmt.Errorf("archive %s: %w", p.Name, err)
		}
		if p.Path == "" {
			_, err = fw.Write(p.Data)
		} else {
			err = copyFile(fw, p.Path, p.Size)
		}
		if err != nil {
			return fmt.Errorf("archive %s: %w", p.Name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	return nil
}

// copyFile copies exactly size bytes of the file at path to w.
func copyFile(w io.Writer, path string, size int64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := io.Copy(w, io.LimitReader(f, size+1))
	if err != nil {
		return err
	}
	if n != size {
		return errors.New("the file changed size")
	}
	return nil
}

// ArchiveReadme is the README.txt of a client's data archive, in their
// language: what each file is, and the voice notes that are not in it
// because they were never saved (missing: their replies).
func ArchiveReadme(d Data, lang string, missing []store.Reply) []byte {
	w := archiveWordsFor(lang)
	loc := time.UTC
	if l, err := time.LoadLocation(d.Client.TimeZone); err == nil && d.Client.TimeZone != "" {
		loc = l
	}
	letters, voices := false, 0
	for _, r := range d.Replies {
		letters = letters || r.SessionDate != ""
		if r.Voice != nil {
			voices++
		}
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, w.intro+"\n\n", d.ExportedAt.In(loc).Format("2006-01-02 15:04 MST"))
	b.WriteString(w.markdown + "\n" + w.json + "\n")
	if letters {
		b.WriteString(w.letters + "\n")
	}
	if voices > len(missing) {
		b.WriteString(w.voice + "\n")
	}
	b.WriteString("\n" + w.parts + "\n")
	if len(missing) > 0 {
		b.WriteString("\n" + w.missing + "\n")
		for _, r := range missing {
			asked := r.Question
			if asked == "" {
				asked = wordsFor(lang).journal
			}
			fmt.Fprintf(&b, "- %s — %s\n", r.At.In(loc).Format("2006-01-02 15:04 MST"), oneline.Of(asked))
		}
	}
	return bytes.ReplaceAll(b.Bytes(), []byte("\n"), []byte("\r\n")) // Notepad reads it too
}

type archiveWords struct {
	intro                          string // %s is when the data was exported
	markdown, json, letters, voice string // what each file or folder is
	parts                          string
	missing                        string
}

func archiveWordsFor(lang string) archiveWords {
	if w, ok := archiveText[langtag.Base(lang)]; ok {
		return w
	}
	return archiveText["en"]
}

var archiveText = map[string]archiveWords{
	"en": {
		intro:    "Everything kindling keeps about you, as it was on %s.",
		markdown: "kindling-mydata.md    your answers, sessions and settings, to read",
		json:     "kindling-mydata.json  the same, complete, for other programs",
		letters:  "letters/              the letter of each session, as a PDF",
		voice:    "voice/                your voice notes, as you recorded them (Ogg Opus audio)",
		parts:    "When your data came in several parts (kindling-mydata-part1-of-3.zip and so on), open each one: together they hold everything, each file once.",
		missing:  "These voice notes could not be saved from Telegram, so they are not here (their length and time are in kindling-mydata.md):",
	},
	"es": {
		intro:    "Todo lo que kindling guarda sobre ti, tal como estaba el %s.",
		markdown: "kindling-mydata.md    tus respuestas, sesiones y ajustes, para leer",
		json:     "kindling-mydata.json  lo mismo, completo, para otros programas",
		letters:  "letters/              la carta de cada sesión, en PDF",
		voice:    "voice/                tus notas de voz, tal como las grabaste (audio Ogg Opus)",
		parts:    "Si tus datos llegaron en varias partes (kindling-mydata-part1-of-3.zip, etc.), abre cada una: juntas lo contienen todo, cada archivo una vez.",
		missing:  "Estas notas de voz no se pudieron guardar desde Telegram, así que no están aquí (su duración y hora están en kindling-mydata.md):",
	},
}
