package web_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kindling/prompts"
	"kindling/store"
	"kindling/web"
)

// benchServer is a workspace over a database seeded by seed, with a
// signed-in session of coach A; it returns the handler and the cookie.
func benchServer(b *testing.B, seed func(tx *store.Tx) error) (http.Handler, *http.Cookie) {
	b.Helper()
	now := func() time.Time { return t0 }
	db, err := store.Open(filepath.Join(b.TempDir(), "kindling.db"), store.Options{NoSync: true, Now: now})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.Update(func(tx *store.Tx) error {
		if err := seed(tx); err != nil {
			return err
		}
		return tx.PutWebSession("bench-token", store.WebSession{Coach: coachA, CSRF: "c", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
	}); err != nil {
		b.Fatal(err)
	}
	srv, err := web.New(web.Options{
		DB: db, BaseURL: "http://127.0.0.1:8091", Coaches: []web.Coach{{ID: coachA, Name: "Sam", TimeZone: "Europe/Madrid"}},
		Prompts: prompts.Default, Now: now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		b.Fatal(err)
	}
	return srv.Handler(), &http.Cookie{Name: "kindling_session", Value: "bench-token"}
}

// serve times GET path, the handler's time only (no network).
func serve(b *testing.B, h http.Handler, ck *http.Cookie, path, want string) {
	b.Helper()
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8091"+path, nil)
	req.AddCookie(ck)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), want) {
		b.Fatalf("GET %s: %d, want 200 with %q", path, rec.Code, want)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s: %d", path, rec.Code)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/page")
}

// addDays gives the client a session days before t0 and, each day
// since, the questions of a day: a mood answer and perDay-1 others.
func addDays(tx *store.Tx, chat int64, days, perDay int) error {
	first := t0.AddDate(0, 0, -days)
	session := first.Format("2006-01-02")
	if err := tx.AddSession(store.Session{ChatID: chat, Date: session, Intention: "to listen", CreatedAt: first}); err != nil {
		return err
	}
	for d := 1; d <= days; d++ {
		at := first.AddDate(0, 0, d)
		date := at.Format("2006-01-02")
		ids := []string{"mood"}
		for q := 1; q < perDay; q++ {
			ids = append(ids, fmt.Sprintf("q%d", q))
		}
		if err := tx.PutDelivery(store.Delivery{ChatID: chat, LocalDate: date, Day: d, SessionDate: session, Sequence: "after-session",
			Language: "en", Questions: ids, Next: len(ids), State: store.DeliveryDone, CreatedAt: at}); err != nil {
			return err
		}
		for i, q := range ids {
			r := store.Reply{ChatID: chat, At: at.Add(time.Duration(i) * time.Minute), LocalDate: date, Day: d, SessionDate: session,
				QuestionID: q, Question: "A question of the day, as it was asked", Kind: "text",
				Answer: "An answer of a few words, as most are, sometimes a little longer than that."}
			if q == "mood" {
				v := 1 + (d*7+int(chat))%10
				r.Kind, r.Answer, r.Value = "scale", fmt.Sprint(v), &v
			}
			if err := tx.AddReply(&r); err != nil {
				return err
			}
		}
	}
	return nil
}

// BenchmarkClientsPage is the clients page of a coach with 500 clients,
// each with 30 days of two answers a day (and another coach's 100 in the
// same file).
func BenchmarkClientsPage(b *testing.B) {
	h, ck := benchServer(b, func(tx *store.Tx) error {
		for i := range 600 {
			chat := int64(10_000 + i)
			coach := coachA
			if i >= 500 {
				coach = coachB // another coach's clients are in the file too
			}
			if err := tx.PutClient(store.Client{ChatID: chat, Name: fmt.Sprintf("Client %03d", i), Language: "en", TimeZone: "Europe/Madrid",
				SendTime: "09:00", Sequence: "after-session", Status: store.StatusActive, Coach: coach, ConsentAt: t0, CreatedAt: t0}); err != nil {
				return err
			}
			if err := addDays(tx, chat, 30, 2); err != nil {
				return err
			}
		}
		return nil
	})
	serve(b, h, ck, "/", "500 clients")
}

// BenchmarkClientPage is one client's month when they have 3,000 answers:
// ten a day for 300 days.
func BenchmarkClientPage(b *testing.B) {
	h, ck := benchServer(b, func(tx *store.Tx) error {
		if err := tx.PutClient(store.Client{ChatID: mayaID, Name: "Maya", Language: "en", TimeZone: "Europe/Madrid",
			SendTime: "09:00", Sequence: "after-session", Status: store.StatusActive, Coach: coachA, ConsentAt: t0, CreatedAt: t0}); err != nil {
			return err
		}
		return addDays(tx, mayaID, 300, 10)
	})
	serve(b, h, ck, fmt.Sprintf("/clients/%d", mayaID), "November 2026")
}
