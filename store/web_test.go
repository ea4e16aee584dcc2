package store_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"kindling/store"
)

func TestWebLinkOpensOnce(t *testing.T) {
	db := mustOpen(t)
	update(t, db, func(tx *store.Tx) error {
		return tx.PutWebLink("secret-code", store.WebLink{Coach: 11, CreatedAt: t0, ExpiresAt: t0.Add(10 * time.Minute)})
	})
	use := func(code string, at time.Time) (store.WebLink, error) {
		var l store.WebLink
		err := db.Update(func(tx *store.Tx) error {
			var err error
			l, err = tx.UseWebLink(code, at)
			if errors.Is(err, store.ErrLinkUsed) || errors.Is(err, store.ErrLinkExpired) || errors.Is(err, store.ErrNotFound) {
				return nil // keep the transaction: the test looks at err below
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var again error
		view(t, db, func(tx *store.Tx) error { _, again = tx.UseWebLink(code, at); return nil })
		return l, again
	}
	if _, err := use("wrong", t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown code: %v, want ErrNotFound", err)
	}
	l, err := use("secret-code", t0.Add(time.Minute))
	if l.Coach != 11 || !errors.Is(err, store.ErrLinkUsed) {
		t.Errorf("first use: coach %d, then %v; want coach 11, then ErrLinkUsed", l.Coach, err)
	}
	update(t, db, func(tx *store.Tx) error {
		return tx.PutWebLink("late", store.WebLink{Coach: 11, CreatedAt: t0, ExpiresAt: t0.Add(10 * time.Minute)})
	})
	if _, err := use("late", t0.Add(10*time.Minute)); !errors.Is(err, store.ErrLinkExpired) {
		t.Errorf("at its expiry: %v, want ErrLinkExpired", err)
	}
	// The store keeps only the hash of a code.
	view(t, db, func(tx *store.Tx) error {
		if _, ok := tx.Get("web-link", "secret-code"); ok {
			t.Error("the code itself is a key")
		}
		return nil
	})
}

func TestWebSessions(t *testing.T) {
	db := mustOpen(t)
	put := func(token string, coach int64, expires time.Time) {
		update(t, db, func(tx *store.Tx) error {
			return tx.PutWebSession(token, store.WebSession{Coach: coach, CSRF: "c-" + token, CreatedAt: t0, ExpiresAt: expires})
		})
	}
	put("a1", 11, t0.Add(time.Hour))
	put("a2", 11, t0.Add(2*time.Hour))
	put("old", 11, t0.Add(-time.Minute))
	put("b1", 22, t0.Add(time.Hour))
	view(t, db, func(tx *store.Tx) error {
		s, err := tx.WebSession("a1", t0)
		if err != nil || s.Coach != 11 || s.CSRF != "c-a1" {
			t.Errorf("a1: %+v %v", s, err)
		}
		if _, err := tx.WebSession("a1", t0.Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a1 at its expiry: %v, want ErrNotFound", err)
		}
		if _, err := tx.WebSession("", t0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("empty token: %v", err)
		}
		return nil
	})
	update(t, db, func(tx *store.Tx) error {
		n, err := tx.DeleteWebSessions(11, t0)
		if n != 2 {
			t.Errorf("ended %d live sessions of coach 11, want 2", n)
		}
		return err
	})
	view(t, db, func(tx *store.Tx) error {
		for _, tok := range []string{"a1", "a2"} {
			if _, err := tx.WebSession(tok, t0); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s after logout: %v", tok, err)
			}
		}
		if _, err := tx.WebSession("b1", t0); err != nil {
			t.Errorf("the other coach's session ended too: %v", err)
		}
		return nil
	})
	// An expired session is swept from the file, not only refused.
	stored := func(token string) bool {
		sum := sha256.Sum256([]byte(token))
		var ok bool
		view(t, db, func(tx *store.Tx) error { _, ok = tx.Get("web-session", hex.EncodeToString(sum[:])); return nil })
		return ok
	}
	if !stored("b1") {
		t.Fatal("b1 is not stored under the hash of its token")
	}
	update(t, db, func(tx *store.Tx) error { return tx.SweepWeb(t0.Add(30 * time.Minute)) })
	if !stored("b1") {
		t.Error("the sweep removed a live session")
	}
	update(t, db, func(tx *store.Tx) error { return tx.SweepWeb(t0.Add(3 * time.Hour)) })
	if stored("b1") {
		t.Error("the sweep kept an expired session")
	}
}

func TestWebViewsGoWithTheClient(t *testing.T) {
	db := mustOpen(t)
	update(t, db, func(tx *store.Tx) error {
		for _, v := range []store.WebView{
			{ChatID: 7, Coach: 11, At: t0.Add(2 * time.Hour), What: "client"},
			{ChatID: 8, Coach: 11, At: t0.Add(time.Hour), What: "voice"},
			{ChatID: 7, Coach: 22, At: t0, What: "export"},
		} {
			if err := tx.AddWebView(v); err != nil {
				return err
			}
		}
		return tx.AddPromptSave(store.PromptSave{Coach: 11, At: t0, File: "a.yaml", Bytes: 3})
	})
	var views []store.WebView
	view(t, db, func(tx *store.Tx) error { var err error; views, err = tx.WebViews(t0.Add(time.Minute)); return err })
	if len(views) != 2 || views[0].ChatID != 8 || views[1].ChatID != 7 {
		t.Fatalf("views since t0+1m: %+v, want client 8 then client 7", views)
	}
	if err := db.Forget(7); err != nil {
		t.Fatal(err)
	}
	view(t, db, func(tx *store.Tx) error { var err error; views, err = tx.WebViews(time.Time{}); return err })
	if len(views) != 1 || views[0].ChatID != 8 {
		t.Errorf("views after forgetting client 7: %+v, want only client 8's", views)
	}
	var saves []store.PromptSave
	view(t, db, func(tx *store.Tx) error { var err error; saves, err = tx.PromptSaves(0); return err })
	if len(saves) != 1 || saves[0].File != "a.yaml" {
		t.Errorf("prompt saves after a forget: %+v", saves)
	}
}

func TestPromptSavesNewestFirst(t *testing.T) {
	db := mustOpen(t)
	update(t, db, func(tx *store.Tx) error {
		for i, f := range []string{"one.yaml", "two.yaml", "three.yaml"} {
			if err := tx.AddPromptSave(store.PromptSave{Coach: 11, At: t0.Add(time.Duration(i) * time.Minute), File: f}); err != nil {
				return err
			}
		}
		// Other namespaces after this one must not be read as saves.
		return tx.Put("zzz", "x", []byte("not json"))
	})
	var saves []store.PromptSave
	view(t, db, func(tx *store.Tx) error { var err error; saves, err = tx.PromptSaves(2); return err })
	if len(saves) != 2 || saves[0].File != "three.yaml" || saves[1].File != "two.yaml" {
		t.Errorf("newest two saves: %+v", saves)
	}
	if err := db.Update(func(tx *store.Tx) error { return tx.AddPromptSave(store.PromptSave{Coach: 11, File: "../x.yaml"}) }); err == nil {
		t.Error("a save naming a path: no error")
	}
}

func TestExportOfOneCoach(t *testing.T) {
	db := mustOpen(t)
	update(t, db, func(tx *store.Tx) error {
		for id, coach := range map[int64]int64{1: 11, 2: 22, 3: 11} {
			c := client(id, time.Time{})
			c.Coach = coach
			if err := tx.PutClient(c); err != nil {
				return err
			}
			if err := tx.AddReply(&store.Reply{ChatID: id, Kind: "journal", Answer: "entry of " + c.Name}); err != nil {
				return err
			}
		}
		return nil
	})
	var buf strings.Builder
	if err := db.Export(&buf, store.ExportOptions{Coach: 11, Format: "json"}); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	for _, want := range []string{"entry of client 1", "entry of client 3"} {
		if !strings.Contains(got, want) {
			t.Errorf("coach 11's export lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "entry of client 2") {
		t.Errorf("coach 11's export holds another coach's client:\n%s", got)
	}
	buf.Reset()
	if err := db.Export(&buf, store.ExportOptions{Coach: 99, Format: "json"}); err != nil || buf.String() != "[]\n" {
		t.Errorf("export of a coach without clients: %q %v, want an empty list", buf.String(), err)
	}
}

func TestScaleAnswersAndLatestReplyAt(t *testing.T) {
	db := mustOpen(t)
	seven, three := 7, 3
	update(t, db, func(tx *store.Tx) error {
		if err := tx.PutClient(client(5, time.Time{})); err != nil {
			return err
		}
		for _, r := range []store.Reply{
			{ChatID: 5, At: t0, LocalDate: "2026-03-01", Day: 1, QuestionID: "mood", Kind: "scale", Answer: "7", Value: &seven},
			// The client's words hold the field's name: it is not read as the value.
			{ChatID: 5, At: t0.Add(time.Hour), LocalDate: "2026-03-01", Day: 1, QuestionID: "note", Kind: "text", Answer: `my "value": 99`},
			{ChatID: 5, At: t0.Add(24 * time.Hour), LocalDate: "2026-03-02", Day: 2, QuestionID: "mood", Kind: "text", Answer: `"value":12`},
			{ChatID: 5, At: t0.Add(48*time.Hour + 5), LocalDate: "2026-03-03", Day: 3, QuestionID: "mood", Kind: "scale", Answer: "3", Value: &three},
		} {
			if err := tx.AddReply(&r); err != nil {
				return err
			}
		}
		return nil
	})
	var got []string
	var at time.Time
	view(t, db, func(tx *store.Tx) error {
		err := tx.ScaleAnswers(5, "2026-03-01", "mood", func(a store.ScaleAnswer) error {
			v := "nil"
			if a.Value != nil {
				v = fmt.Sprint(*a.Value)
			}
			got = append(got, a.LocalDate+"="+v)
			return nil
		})
		if err != nil {
			return err
		}
		var ok bool
		at, ok, err = tx.LatestReplyAt(5)
		if !ok {
			t.Error("no latest reply")
		}
		return err
	})
	if want := "[2026-03-01=7 2026-03-02=nil 2026-03-03=3]"; fmt.Sprint(got) != want {
		t.Errorf("scale answers %v, want %s", got, want)
	}
	if !at.Equal(t0.Add(48*time.Hour + 5)) {
		t.Errorf("latest reply at %s", at)
	}
}

// TestWebRecordsNeedNoMigration: the web workspace's records live in the
// kv bucket, which every schema since version 1 has: a file written by
// raw bbolt at schema 1 opens (migrated as before, to SchemaVersion, no
// further) and takes sessions, links and views; Check finds it whole.
func TestWebRecordsNeedNoMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	writeV1(t, path, 10)
	db := mustOpenAt(t, path, store.Options{})
	update(t, db, func(tx *store.Tx) error {
		if err := tx.PutWebLink("code", store.WebLink{Coach: 9, CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)}); err != nil {
			return err
		}
		if err := tx.PutWebSession("token", store.WebSession{Coach: 9, CSRF: "c", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
			return err
		}
		return tx.AddWebView(store.WebView{ChatID: 1, Coach: 9, At: t0, What: "client"})
	})
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if got := rawSchema(t, path); got != strconv.Itoa(store.SchemaVersion) {
		t.Errorf("schema %s after web records, want %d", got, store.SchemaVersion)
	}
	db = mustOpenAt(t, path, store.Options{})
	view(t, db, func(tx *store.Tx) error {
		if s, err := tx.WebSession("token", t0); err != nil || s.Coach != 9 {
			t.Errorf("session after reopening: %+v %v", s, err)
		}
		return nil
	})
}
