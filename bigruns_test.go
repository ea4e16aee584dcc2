//go:build bigruns

// The two large runs of issue 14, against the built binary and the fake
// Telegram. They take minutes and gigabytes, so they are kept out of
// go test ./... by the bigruns build tag:
//
//	go test -tags bigruns -run 'TestBigRun1M' -v -count=1 -timeout 30m . -args -bigruns.db=/tmp/kindling-1m.db
//
// (the database is built at -bigruns.db once and copied for each start).
//
//	go test -tags bigruns -run 'TestBigRunDay100k' -v -count=1 -timeout 30m .
//
// BENCHMARKS.md ("large runs (issue 14)") has the figures.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"kindling/store"
	"kindling/telegramtest"
)

var (
	bigDBPath = flag.String("bigruns.db", "", "the 1,000,000-client database: reused if it exists, built there if not (default: a temporary file)")
	bigStarts = flag.Int("bigruns.starts", 3, "how many times TestBigRun1M starts the binary on the same database")
	bigRounds = flag.Int("bigruns.rounds", 5, "how many /clients and /journal each start of TestBigRun1M times")
	bigTick   = flag.String("bigruns.tick", "", "schedule.tick for TestBigRunDay100k (default: the default, 1m)")
)

const (
	bigClients   = 1_000_000
	bigCoach     = int64(900_001)
	bigCoachEach = bigClients / 100 // every 10,000th client is the coach's
	bigFirstChat = int64(2_000_000)
)

// startBig starts the built binary with config (YAML) against srv, the
// store at dbPath, its log in dir.
func startBig(t *testing.T, srv *telegramtest.Server, dir, dbPath, config string) *exec.Cmd {
	return startKindling(t, dir, binaryRun{srv: srv, config: config, logLevel: "info",
		env: []string{"KINDLING_STORE_PATH=" + dbPath}, appendLog: true, logTail: 20000})
}

// stopBig ends the binary with SIGTERM and waits for it, at most 60 s.
func stopBig(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("kindling run after SIGTERM: %v", err)
		}
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Error("kindling run did not stop within 60 s of SIGTERM")
	}
}

// loadavg is /proc/loadavg's first three figures.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// tickMetrics reads kindling_tick_duration_seconds' sum and count from the
// binary's /metrics.
func tickMetrics(t *testing.T, addr string) (sum float64, count int) {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("get /metrics: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("/metrics answered %s: %s", resp.Status, b)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	var haveSum, haveCount bool
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			continue
		}
		switch f[0] {
		case "kindling_tick_duration_seconds_sum":
			v, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				t.Fatalf("tick duration sum %q: %v", f[1], err)
			}
			sum, haveSum = v, true
		case "kindling_tick_duration_seconds_count":
			v, err := strconv.Atoi(f[1])
			if err != nil {
				t.Fatalf("tick duration count %q: %v", f[1], err)
			}
			count, haveCount = v, true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read /metrics: %v", err)
	}
	if !haveSum || !haveCount {
		t.Fatal("/metrics has no kindling_tick_duration_seconds")
	}
	return sum, count
}

// spread is min / median / max of ds, formatted.
func spread(ds []time.Duration) string {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return "none"
	}
	r := func(d time.Duration) time.Duration {
		if d < time.Millisecond {
			return d.Round(time.Microsecond)
		}
		return d.Round(100 * time.Microsecond)
	}
	return fmt.Sprintf("%v / %v / %v", r(s[0]), r(s[len(s)/2]), r(s[len(s)-1]))
}

func spreadF(vs []float64, format string) string {
	s := slices.Clone(vs)
	slices.Sort(s)
	if len(s) == 0 {
		return "none"
	}
	return fmt.Sprintf(format+" / "+format+" / "+format, s[0], s[len(s)/2], s[len(s)-1])
}

// copyBig copies the file at from to to, streaming it.
func copyBig(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		t.Fatalf("copy %s: %v", from, err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// buildMillion writes the 1,000,000-client database at path: every client
// with a session and a due time more than a day away (none is due while
// the run lasts), spread over 5,000 coaches; coach bigCoach has 100 of
// them, named "Coached 000" to "Coached 099", and "Coached 000" has a week
// of answered days for /journal.
func buildMillion(t *testing.T, path string) {
	t.Helper()
	db, err := store.Open(path, store.Options{Timeout: time.Second, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	session := now.AddDate(0, 0, -8).Format("2006-01-02")
	const chunk = 50_000
	for start := 0; start < bigClients; start += chunk {
		err := db.Update(func(tx *store.Tx) error {
			for i := start; i < start+chunk; i++ {
				id := bigFirstChat + int64(i)
				c := store.Client{ChatID: id, UserID: id, Name: "Client " + strconv.Itoa(i), Language: "en",
					TimeZone: "Europe/Berlin", SendTime: "09:00", Sequence: "after-session", Status: store.StatusActive,
					Coach: int64(10_000 + i%5000), ConsentAt: now.AddDate(0, 0, -9), CreatedAt: now.AddDate(0, 0, -9),
					Due: now.Add(26*time.Hour + time.Duration(i)*time.Second)}
				if i%bigCoachEach == 0 {
					c.Coach, c.Name = bigCoach, fmt.Sprintf("Coached %03d", i/bigCoachEach)
				}
				if err := tx.PutClient(c); err != nil {
					return err
				}
				if err := tx.AddSession(store.Session{ChatID: id, Date: session, CreatedAt: c.CreatedAt}); err != nil {
					return err
				}
				if i != 0 {
					continue
				}
				for d := 7; d >= 1; d-- {
					at := now.AddDate(0, 0, -d)
					date := at.Format("2006-01-02")
					err := tx.PutDelivery(store.Delivery{ChatID: id, LocalDate: date, Day: 8 - d, SessionDate: session,
						Sequence: "after-session", Language: "en", Questions: []string{"mood", "still-with-you"}, Next: 2,
						Messages: map[string]int{"mood": 100 + d, "still-with-you": 200 + d}, State: store.DeliveryDone,
						CreatedAt: at, SentAt: at})
					if err != nil {
						return err
					}
					v := 6
					for j, r := range []store.Reply{
						{Kind: "scale", QuestionID: "mood", Answer: "6", Value: &v},
						{Kind: "text", QuestionID: "still-with-you", Answer: strings.Repeat("a few words of the day ", 6)},
					} {
						r.ChatID, r.At, r.LocalDate, r.Day, r.SessionDate = id, at.Add(time.Duration(j+1)*time.Minute), date, 8-d, session
						r.Question, r.MessageID = "a question as it was asked", 300+d*10+j
						if err := tx.AddReply(&r); err != nil {
							return err
						}
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("write clients %d-%d: %v", start, start+chunk-1, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestBigRun1M starts the binary on a database of 1,000,000 clients and
// reports the file's size, the time from start to the first getUpdates,
// resident memory once polling, the tick's duration (none due), and how
// long a coach with 100 clients waits for /clients and for /journal of one
// client, from the command sent to the reply in the fake.
func TestBigRun1M(t *testing.T) {
	if _, err := crashBinary(); err != nil {
		t.Fatal(err)
	}
	path := *bigDBPath
	if path == "" {
		path = filepath.Join(t.TempDir(), "kindling-1m.db")
	}
	if _, err := os.Stat(path); os.IsNotExist(err) {
		began := time.Now()
		buildMillion(t, path)
		t.Logf("built %d clients in %s (load %s)", bigClients, time.Since(began).Round(100*time.Millisecond), loadavg())
	} else if err != nil {
		t.Fatal(err)
	} else {
		t.Logf("reusing %s", path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("database file: %.0f MB (%d bytes)", float64(fi.Size())/(1<<20), fi.Size())

	var firstPoll, clients, journal, clientsWhole, journalWhole []time.Duration
	var rss, hwm, rssEnd, hwmEnd, tickUS []float64
	for start := range *bigStarts {
		dir := t.TempDir()
		// Each start gets its own copy: the built file stays as built, and
		// the update ids the fake numbers afresh are not taken for replays
		// of an earlier start's.
		work := filepath.Join(dir, "kindling.db")
		copyBig(t, path, work)
		srv := telegramtest.NewTB(t)
		coach := srv.User(bigCoach, "Coach", "en")
		admin := freeAddr(t)
		config := fmt.Sprintf("admin:\n  listen: %q\nbackup:\n  schedule: \"\"\nenrollment: open\nschedule:\n  tick: 1s\n"+
			"coaches:\n  - id: %d\n    name: config.Coach\n", admin, bigCoach)
		load := loadavg()
		began := time.Now()
		cmd := startBig(t, srv, dir, work, config)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		if err := srv.Wait(ctx, func() bool { return len(srv.Calls("getUpdates")) >= 1 }); err != nil {
			cancel()
			t.Fatalf("start %d: no getUpdates within 5 minutes: %v", start+1, err)
		}
		first := srv.Calls("getUpdates")[0].At.Sub(began)
		// Polling: the first (empty) long poll has come back and the next
		// has begun; by then several 1 s ticks have run.
		if err := srv.Wait(ctx, func() bool { return len(srv.Calls("getUpdates")) >= 2 }); err != nil {
			cancel()
			t.Fatalf("start %d: no second getUpdates: %v", start+1, err)
		}
		pid := cmd.Process.Pid
		r, h := procStatusKB(t, pid, "VmRSS")/1024, procStatusKB(t, pid, "VmHWM")/1024
		anon, file := procStatusKB(t, pid, "RssAnon")/1024, procStatusKB(t, pid, "RssFile")/1024
		sum, n := tickMetrics(t, admin)
		if n == 0 {
			cancel()
			t.Fatalf("start %d: no tick counted", start+1)
		}
		firstPoll, rss, hwm = append(firstPoll, first), append(rss, r), append(hwm, h)
		tickUS = append(tickUS, sum/float64(n)*1e6)
		t.Logf("start %d (load %s): first getUpdates after %s; VmRSS %.1f MB (RssAnon %.1f, RssFile %.1f), VmHWM %.1f MB; %d ticks, mean %.1f µs",
			start+1, load, first.Round(time.Millisecond), r, anon, file, h, n, sum/float64(n)*1e6)

		// timeReply sends text as the coach and returns how long the first
		// message of the reply took, and the whole reply (done says when the
		// messages since the command hold all of it). Long replies come in
		// parts, one a second in a chat, as Telegram's per-chat limit asks.
		timeReply := func(text string, done func(string) bool) (first, whole time.Duration) {
			// The sender sends at most one message a second in a chat: let
			// that second pass since the last reply, so that the time is the
			// command's own and not the pacing of the one before.
			time.Sleep(1200 * time.Millisecond)
			have := len(coach.Messages())
			wait, cancelWait := context.WithTimeout(ctx, time.Minute)
			defer cancelWait()
			sent := time.Now()
			coach.Send(text)
			if _, err := srv.WaitMessages(wait, bigCoach, have+1); err != nil {
				t.Errorf("start %d: %s: no reply within a minute: %v", start+1, text, err)
				return -1, -1
			}
			first = time.Since(sent)
			var joined string
			err := srv.Wait(wait, func() bool {
				var parts []string
				for _, m := range coach.Messages()[have:] {
					parts = append(parts, m.Text)
				}
				joined = strings.Join(parts, "\n")
				return done(joined)
			})
			if err != nil {
				t.Errorf("start %d: %s: the reply is not whole within a minute: %v\n%.500s", start+1, text, err, joined)
				return first, -1
			}
			return first, time.Since(sent)
		}
		for range *bigRounds {
			f, w := timeReply("/clients", func(s string) bool { return strings.Count(s, "Coached ") >= 100 })
			if f < 0 || w < 0 {
				break
			}
			clients, clientsWhole = append(clients, f), append(clientsWhole, w)
			f, w = timeReply("/journal Coached 000", func(s string) bool {
				return strings.Contains(s, "Answers of Coached 000") && strings.Contains(s, "(day 7)")
			})
			if f < 0 || w < 0 {
				break
			}
			journal, journalWhole = append(journal, f), append(journalWhole, w)
		}
		rssEnd = append(rssEnd, procStatusKB(t, pid, "VmRSS")/1024)
		hwmEnd = append(hwmEnd, procStatusKB(t, pid, "VmHWM")/1024)
		t.Logf("start %d after the coach commands: VmRSS %.1f MB (RssAnon %.1f, RssFile %.1f), VmHWM %.1f MB; so far /clients %s, /journal %s",
			start+1, rssEnd[len(rssEnd)-1], procStatusKB(t, pid, "RssAnon")/1024, procStatusKB(t, pid, "RssFile")/1024,
			hwmEnd[len(hwmEnd)-1], spread(clients), spread(journal))
		cancel()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "kindling.log"))
			t.Fatalf("start %d failed; kindling log:\n%s", start+1, b)
		}
		stopBig(t, cmd)
		if b, err := os.ReadFile(filepath.Join(dir, "kindling.log")); err == nil && strings.Contains(string(b), "level=ERROR") {
			t.Errorf("start %d: the log has errors:\n%s", start+1, b)
		}
		srv.Close()
	}
	t.Logf("1,000,000 clients, %d starts; min / median / max:", *bigStarts)
	t.Logf("  start to first getUpdates: %s", spread(firstPoll))
	t.Logf("  VmRSS once polling: %s MB; VmHWM %s MB", spreadF(rss, "%.1f"), spreadF(hwm, "%.1f"))
	t.Logf("  VmRSS after the coach commands: %s MB; VmHWM %s MB", spreadF(rssEnd, "%.1f"), spreadF(hwmEnd, "%.1f"))
	t.Logf("  tick (none due), mean of each start: %s µs", spreadF(tickUS, "%.1f"))
	t.Logf("  /clients, command to the reply's first message (%d): %s; to the whole reply: %s", len(clients), spread(clients), spread(clientsWhole))
	t.Logf("  /journal, command to the reply's first message (%d): %s; to the whole reply: %s", len(journal), spread(journal), spread(journalWhole))
	t.Logf("load average at the end: %s", loadavg())
}

const (
	dayClients   = 100_000
	dayFirstChat = int64(3_000_000)
	dayProbes    = 50
	dayProbeChat = int64(4_000_000)
)

// TestBigRunDay100k is one day of 100,000 clients whose first question is
// due in the same minute, through the fake limited to 1,000 sends a second
// and kindling's rate at 960. It measures when every first question is
// out (target: within 105 s of the start), the binary's peak resident
// memory (under 150 MB), and /help from 50 clients who are not due, spread
// over the run (p99 within 1 s).
func TestBigRunDay100k(t *testing.T) {
	if _, err := crashBinary(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "kindling.db")
	db, err := store.Open(path, store.Options{Timeout: time.Second, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	at := now.Truncate(time.Minute) // the minute they are all due in
	session := at.AddDate(0, 0, -1).Format("2006-01-02")
	put := func(tx *store.Tx, id int64, due time.Time) error {
		c := store.Client{ChatID: id, UserID: id, Name: "C" + strconv.FormatInt(id, 10), Language: "en",
			TimeZone: "UTC", SendTime: at.Format("15:04"), Sequence: "after-session", Status: store.StatusActive,
			ConsentAt: at.AddDate(0, 0, -2), CreatedAt: at.AddDate(0, 0, -2), Due: due}
		if err := tx.PutClient(c); err != nil {
			return err
		}
		return tx.AddSession(store.Session{ChatID: id, Date: session, CreatedAt: c.CreatedAt})
	}
	for start := 0; start < dayClients; start += 10_000 {
		err := db.Update(func(tx *store.Tx) error {
			for i := start; i < start+10_000; i++ {
				if err := put(tx, dayFirstChat+int64(i), at); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	err = db.Update(func(tx *store.Tx) error {
		for i := range dayProbes { // not due while the run lasts
			if err := put(tx, dayProbeChat+int64(i), at.Add(20*time.Hour)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	srv := telegramtest.NewTB(t)
	srv.LimitRate(1000, 0)
	for i := range dayClients {
		srv.User(dayFirstChat+int64(i), "C", "en")
	}
	probes := make([]*telegramtest.User, dayProbes)
	for i := range probes {
		probes[i] = srv.User(dayProbeChat+int64(i), "P", "en")
	}

	// Every message the bot sends, as it arrives: the first to each due
	// client, and the answers to the probes.
	subCtx, stopSub := context.WithCancel(context.Background())
	defer stopSub()
	var mu sync.Mutex
	firstAt := make(map[int64]time.Time, dayClients)
	probeAnswered := make([]time.Time, dayProbes)
	var lastFirst time.Time
	allOut := make(chan struct{})
	events := srv.Subscribe(subCtx)
	var consumer sync.WaitGroup
	consumer.Go(func() {
		for m := range events {
			got := time.Now()
			mu.Lock()
			switch {
			case m.ChatID >= dayProbeChat && m.ChatID < dayProbeChat+dayProbes:
				if i := m.ChatID - dayProbeChat; probeAnswered[i].IsZero() {
					probeAnswered[i] = got
				}
			case m.ChatID >= dayFirstChat && m.ChatID < dayFirstChat+dayClients:
				if _, seen := firstAt[m.ChatID]; !seen {
					firstAt[m.ChatID] = got
					lastFirst = got
					if len(firstAt) == dayClients {
						close(allOut)
					}
				}
			}
			mu.Unlock()
		}
	})

	load := loadavg()
	config := "admin:\n  listen: \"\"\nbackup:\n  schedule: \"\"\nenrollment: open\ntelegram:\n  rate_per_second: 960\n"
	if *bigTick != "" {
		config += "schedule:\n  tick: " + *bigTick + "\n"
	}
	began := time.Now()
	cmd := startBig(t, srv, dir, path, config)
	pid := cmd.Process.Pid

	// The probes: one /help every 2 s from a different client, and the
	// binary's resident memory sampled meanwhile.
	probeSent := make([]time.Time, dayProbes)
	var maxRSS, maxAnon, maxFile float64
	ticker := time.NewTicker(2 * time.Second)
	defer ticker.Stop()
	deadline := time.After(6 * time.Minute)
	next := 0
	finished := false
probing:
	for !finished || next < dayProbes {
		select {
		case <-allOut:
			finished = true
			allOut = nil
		case <-ticker.C:
			maxRSS = max(maxRSS, procStatusKB(t, pid, "VmRSS")/1024)
			maxAnon = max(maxAnon, procStatusKB(t, pid, "RssAnon")/1024)
			maxFile = max(maxFile, procStatusKB(t, pid, "RssFile")/1024)
			if next < dayProbes {
				mu.Lock()
				probeSent[next] = time.Now()
				mu.Unlock()
				probes[next].Send("/help")
				next++
			}
		case <-deadline:
			mu.Lock()
			n := len(firstAt)
			mu.Unlock()
			t.Errorf("after 6 minutes %d of %d first questions are out, %d of %d probes sent", n, dayClients, next, dayProbes)
			break probing
		}
	}
	// The last probe's answer.
	wait, cancelWait := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancelWait()
	err = srv.Wait(wait, func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, a := range probeAnswered {
			if a.IsZero() {
				return false
			}
		}
		return true
	})
	if err != nil {
		t.Errorf("not every probe's /help was answered within 30 s of the last: %v", err)
	}
	peak := procStatusKB(t, pid, "VmHWM") / 1024
	maxRSS = max(maxRSS, procStatusKB(t, pid, "VmRSS")/1024)
	stopBig(t, cmd)
	stopSub()
	consumer.Wait()

	mu.Lock()
	defer mu.Unlock()
	var earliest time.Time
	for _, at := range firstAt {
		if earliest.IsZero() || at.Before(earliest) {
			earliest = at
		}
	}
	var lat []time.Duration
	for i := range dayProbes {
		if !probeAnswered[i].IsZero() {
			lat = append(lat, probeAnswered[i].Sub(probeSent[i]))
		}
	}
	slices.Sort(lat)
	out := lastFirst.Sub(began)
	times := make([]time.Time, 0, len(firstAt))
	for _, at := range firstAt {
		times = append(times, at)
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	for _, q := range []int{1, 20_000, 40_000, 60_000, 80_000, 100_000} {
		if q <= len(times) {
			t.Logf("first question %d out %s after the start", q, times[q-1].Sub(began).Round(100*time.Millisecond))
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "kindling.log")); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, "msg=tick") || strings.Contains(line, "level=ERROR") {
				t.Log(line)
			}
		}
	}
	sends := len(srv.Calls("sendMessage"))
	t.Logf("load average at the start %s, at the end %s", load, loadavg())
	t.Logf("%d of %d first questions out, the last %s after the start (first at %s; %.0f a second from first to last)", len(firstAt), dayClients,
		out.Round(100*time.Millisecond), earliest.Sub(began).Round(100*time.Millisecond),
		float64(dayClients-1)/lastFirst.Sub(earliest).Seconds())
	t.Logf("sendMessage calls %d, 429 answers %d", sends, srv.Responses(http.StatusTooManyRequests))
	t.Logf("VmHWM %.1f MB, largest VmRSS sampled %.1f MB: of it, largest RssAnon (heap, stacks) %.1f MB, largest RssFile (the mapped database file and the binary) %.1f MB",
		peak, maxRSS, maxAnon, maxFile)
	if len(lat) > 0 {
		p99 := lat[min(len(lat)-1, (len(lat)*99+99)/100-1)]
		t.Logf("/help probes answered %d of %d: min / median / p99 / max %s / %s / %s / %s", len(lat), dayProbes,
			lat[0].Round(time.Millisecond), lat[len(lat)/2].Round(time.Millisecond), p99.Round(time.Millisecond),
			lat[len(lat)-1].Round(time.Millisecond))
		if p99 > time.Second {
			t.Errorf("p99 of /help is %s, target within 1 s", p99.Round(time.Millisecond))
		}
	}
	if out > 105*time.Second {
		t.Errorf("the last first question went out %s after the start, target within 105 s", out.Round(100*time.Millisecond))
	}
	if peak > 150 {
		t.Errorf("peak resident memory %.1f MB, target under 150 MB", peak)
	}
	if n := srv.Responses(http.StatusTooManyRequests); n > 0 {
		t.Errorf("%d answers of 429 from the fake's limit", n)
	}
}
