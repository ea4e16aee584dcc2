package telegramtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultToken is the bot token a server accepts unless WithToken says otherwise.
const DefaultToken = "100000001:AAFakeKindlingTokenForTestsOnly0000"

// ErrClosed is returned by the waiting methods when the server is closed first.
var ErrClosed = errors.New("telegramtest: server closed")

// ErrNoMessage is returned by a simulated action aimed at a message that does
// not exist in the chat, or that the actor could not touch in Telegram.
var ErrNoMessage = errors.New("telegramtest: no such message")

// ErrNoButton is returned by Press when the message has no inline button with
// the given callback data, so a real person could not have pressed it.
var ErrNoButton = errors.New("telegramtest: no such button")

// Server is a fake Telegram Bot API server. Its methods are safe for
// concurrent use.
type Server struct {
	// Now is the clock for message dates, deleteMessage's 48-hour limit
	// and LimitRate; nil means time.Now. Set it before the first request
	// and leave it: a test that moves time moves it inside the function.
	Now func() time.Time

	token    string
	bot      wireUser
	url      string
	hs       *http.Server
	closed   chan struct{}
	closing  sync.Once
	handlers sync.WaitGroup

	mu       sync.Mutex
	shutdown bool
	changed  chan struct{} // closed and replaced on every state change

	// Updates.
	queue      []queuedUpdate
	nextUpdate int64
	allowed    map[string]bool // nil means Telegram's default set
	poll       *poller         // the getUpdates call currently waiting, if any
	polling    int             // getUpdates calls parked in a long poll
	inflight   int             // requests other than getUpdates being handled

	// Chats, people and what was said.
	users     map[int64]*userState
	chats     map[int64]*chatState
	files     map[string]*fileRecord
	paths     map[string]*fileRecord
	nextFile  int
	callbacks map[string]*callbackRecord
	nextQuery int
	events    []Message

	// Bot settings.
	commands map[commandKey][]Command
	webhook  Webhook

	// Inspection and faults.
	calls     []*Call
	responses map[int]int
	faults    []*faultRule
	rate      rateLimiter
}

// Option configures a Server at construction.
type Option func(*Server)

// WithToken makes the server accept token instead of DefaultToken. The bot's
// user id is the number before the colon, as in Telegram.
func WithToken(token string) Option {
	return func(s *Server) { s.token = token }
}

// WithBotUsername sets the username getMe reports, "kindling_test_bot" by default.
func WithBotUsername(username string) Option {
	return func(s *Server) { s.bot.Username = username }
}

// New starts a server on a random loopback port. Like httptest.NewServer it
// panics only if the machine cannot listen on 127.0.0.1 at all.
func New(opts ...Option) *Server {
	s, err := Listen("127.0.0.1:0", opts...)
	if err != nil {
		panic(fmt.Sprintf("telegramtest: %v", err))
	}
	return s
}

// TB is the part of testing.TB that NewTB needs; it keeps this package free
// of the testing package.
type TB interface {
	Helper()
	Cleanup(func())
}

// NewTB starts a server with New and closes it when the test ends.
func NewTB(tb TB, opts ...Option) *Server {
	tb.Helper()
	s := New(opts...)
	tb.Cleanup(s.Close)
	return s
}

// Listen starts a server on addr, which must be a loopback address such as
// "127.0.0.1:8081" or "localhost:0": the fake never listens beyond the machine.
func Listen(addr string, opts ...Option) (*Server, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("listen %q: %w", addr, err)
	}
	if host != "localhost" {
		ip := net.ParseIP(host)
		if ip == nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("listen %q: not a loopback address", addr)
		}
	}
	s := &Server{
		token:      DefaultToken,
		bot:        wireUser{IsBot: true, FirstName: "kindling", Username: "kindling_test_bot"},
		closed:     make(chan struct{}),
		changed:    make(chan struct{}),
		nextUpdate: 100000000,
		users:      make(map[int64]*userState),
		chats:      make(map[int64]*chatState),
		files:      make(map[string]*fileRecord),
		paths:      make(map[string]*fileRecord),
		callbacks:  make(map[string]*callbackRecord),
		commands:   make(map[commandKey][]Command),
		responses:  make(map[int]int),
	}
	for _, o := range opts {
		o(s)
	}
	idPart, _, _ := strings.Cut(s.token, ":")
	s.bot.ID, _ = strconv.ParseInt(idPart, 10, 64)

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %q: %w", addr, err)
	}
	s.url = "http://" + ln.Addr().String()
	s.hs = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go func() {
		// Serve returns http.ErrServerClosed after Close; any other error
		// ends the listener, and the requests that follow fail visibly.
		_ = s.hs.Serve(ln)
	}()
	return s, nil
}

// URL returns the base URL to give a client, such as bot.WithServerURL(s.URL()).
func (s *Server) URL() string { return s.url }

// Token returns the bot token the server accepts.
func (s *Server) Token() string { return s.token }

// BotID returns the bot's user id, taken from the token.
func (s *Server) BotID() int64 { return s.bot.ID }

// Close stops the server: long polls and delayed answers return at once,
// waiting methods return ErrClosed, and Close returns when every handler has.
func (s *Server) Close() {
	s.closing.Do(func() {
		s.mu.Lock()
		s.shutdown = true
		close(s.closed)
		s.notifyLocked()
		s.mu.Unlock()

		// Handlers were told to stop above, so a short grace is enough;
		// a connection opened but never used would otherwise hold
		// Shutdown for seconds.
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		if err := s.hs.Shutdown(ctx); err != nil {
			_ = s.hs.Close() // force the remaining connections shut
		}
		s.handlers.Wait()
	})
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// notifyLocked wakes everything waiting for a change. The caller holds s.mu.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// reply is what a method answers: a result or a Telegram error.
type reply struct {
	status      int
	result      any
	description string // on success, Telegram's optional description
	retryAfter  int
}

// ok answers with result, encoded at once: the caller may hold s.mu, and the
// result must not change between the answer and its encoding.
func ok(result any) reply {
	b, err := json.Marshal(result)
	if err != nil {
		// Results are the package's own wire structs, which always marshal.
		return apiErr(http.StatusInternalServerError, "Internal Server Error")
	}
	return reply{status: http.StatusOK, result: json.RawMessage(b)}
}

func apiErr(status int, description string) reply {
	return reply{status: status, description: description}
}

func badRequest(format string, args ...any) reply {
	return apiErr(http.StatusBadRequest, "Bad Request: "+fmt.Sprintf(format, args...))
}

func tooMany(retryAfter int) reply {
	return reply{
		status:      http.StatusTooManyRequests,
		description: fmt.Sprintf("Too Many Requests: retry after %d", retryAfter),
		retryAfter:  retryAfter,
	}
}

func (r reply) body() []byte {
	type parameters struct {
		RetryAfter int `json:"retry_after"`
	}
	type envelope struct {
		OK          bool        `json:"ok"`
		Result      any         `json:"result,omitempty"`
		ErrorCode   int         `json:"error_code,omitempty"`
		Description string      `json:"description,omitempty"`
		Parameters  *parameters `json:"parameters,omitempty"`
	}
	e := envelope{OK: r.status == http.StatusOK, Description: r.description}
	if e.OK {
		e.Result = r.result
	} else {
		e.ErrorCode = r.status
	}
	if r.retryAfter > 0 {
		e.Parameters = &parameters{RetryAfter: r.retryAfter}
	}
	b, err := json.Marshal(e)
	if err != nil {
		// Results are the package's own wire structs, which always marshal;
		// answer like a broken server rather than crash if that ever changes.
		return []byte(`{"ok":false,"error_code":500,"description":"Internal Server Error"}`)
	}
	return b
}

// ServeHTTP answers the Bot API: getMe, getUpdates, sendMessage,
// editMessageText, editMessageReplyMarkup, deleteMessage, answerCallbackQuery,
// setMyCommands, getMyCommands, deleteMyCommands, setWebhook, deleteWebhook,
// getWebhookInfo, sendDocument, sendPhoto, getFile and sendChatAction, plus
// file downloads. Method names are case-insensitive, as in Telegram.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.shutdown {
		s.mu.Unlock()
		writeReply(w, apiErr(http.StatusServiceUnavailable, "Service Unavailable"))
		return
	}
	s.handlers.Add(1)
	s.mu.Unlock()
	defer s.handlers.Done()

	path := r.URL.Path
	if rest, found := strings.CutPrefix(path, "/file/bot"); found {
		s.serveFile(w, rest)
		return
	}
	rest, found := strings.CutPrefix(path, "/bot")
	if !found {
		s.count(w, apiErr(http.StatusNotFound, "Not Found"))
		return
	}
	token, method, found := strings.Cut(rest, "/")
	if !found {
		s.count(w, apiErr(http.StatusNotFound, "Not Found"))
		return
	}
	if token != s.token {
		s.count(w, apiErr(http.StatusUnauthorized, "Unauthorized"))
		return
	}
	s.serveMethod(w, r, method)
}

// count writes a reply that is not a method call and counts its status.
func (s *Server) count(w http.ResponseWriter, rep reply) {
	s.mu.Lock()
	s.responses[rep.status]++
	s.notifyLocked()
	s.mu.Unlock()
	writeReply(w, rep)
}

func writeReply(w http.ResponseWriter, rep reply) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rep.status)
	// The client may be gone; there is no one left to tell.
	_, _ = w.Write(rep.body())
}

type handler func(s *Server, req *request) reply

var methods = map[string]handler{
	"getme":                  (*Server).getMe,
	"getupdates":             nil, // served by serveGetUpdates: it long polls
	"sendmessage":            (*Server).sendMessage,
	"editmessagetext":        (*Server).editMessageText,
	"editmessagereplymarkup": (*Server).editMessageReplyMarkup,
	"deletemessage":          (*Server).deleteMessage,
	"answercallbackquery":    (*Server).answerCallbackQuery,
	"setmycommands":          (*Server).setMyCommands,
	"getmycommands":          (*Server).getMyCommands,
	"deletemycommands":       (*Server).deleteMyCommands,
	"setwebhook":             (*Server).setWebhook,
	"deletewebhook":          (*Server).deleteWebhook,
	"getwebhookinfo":         (*Server).getWebhookInfo,
	"senddocument":           (*Server).sendDocument,
	"sendphoto":              (*Server).sendPhoto,
	"getfile":                (*Server).getFile,
	"sendchataction":         (*Server).sendChatAction,
}

var canonical = map[string]string{}

func init() {
	for _, m := range []string{
		"getMe", "getUpdates", "sendMessage", "editMessageText", "editMessageReplyMarkup",
		"deleteMessage", "answerCallbackQuery", "setMyCommands", "getMyCommands",
		"deleteMyCommands", "setWebhook", "deleteWebhook", "getWebhookInfo",
		"sendDocument", "sendPhoto", "getFile", "sendChatAction",
	} {
		canonical[strings.ToLower(m)] = m
	}
}

// request is one parsed method call.
type request struct {
	ctx    context.Context
	params params
	call   *Call
}

func (s *Server) serveMethod(w http.ResponseWriter, r *http.Request, method string) {
	lower := strings.ToLower(method)
	name, known := canonical[lower]
	if !known {
		name = method
	}
	isPoll := lower == "getupdates"

	s.mu.Lock()
	if !isPoll {
		s.inflight++
		s.notifyLocked()
	}
	s.mu.Unlock()
	defer func() {
		if !isPoll {
			s.mu.Lock()
			s.inflight--
			s.notifyLocked()
			s.mu.Unlock()
		}
	}()

	p, perr := parseParams(r)
	call := &Call{Method: name, Params: p.values, At: s.now()}
	if len(p.files) > 0 {
		call.Files = make(map[string]string, len(p.files))
		for field, f := range p.files {
			call.Files[field] = f.name
		}
	}
	if perr != nil {
		s.finish(w, call, *perr)
		return
	}
	if !known {
		s.finish(w, call, apiErr(http.StatusNotFound, "Not Found"))
		return
	}

	f := s.takeFault(name)
	if !s.applyFault(w, r, call, f) {
		return
	}

	req := &request{ctx: r.Context(), params: p, call: call}
	var rep reply
	if isPoll {
		var answered bool
		rep, answered = s.getUpdates(req)
		if !answered {
			s.record(call, 0, "") // the client went away while waiting
			return
		}
	} else {
		rep = methods[lower](s, req)
	}
	if f != nil && f.kind == faultDropResponse {
		s.drop(w, call)
		return
	}
	s.finish(w, call, rep)
}

// applyFault acts out a fault planned for the call before the method
// runs; false means the call was answered (or dropped) by it.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, call *Call, f *Fault) bool {
	switch {
	case f == nil:
	case f.kind == faultReply:
		s.finish(w, call, f.reply)
		return false
	case f.kind == faultDrop:
		s.drop(w, call)
		return false
	case f.kind == faultDelay:
		t := time.NewTimer(f.delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			s.record(call, 0, "") // the client gave up: nothing is done
			return false
		case <-s.closed:
			s.finish(w, call, apiErr(http.StatusServiceUnavailable, "Service Unavailable"))
			return false
		}
	}
	return true
}

// record stores a finished call before its answer is written, so a test that
// sees the answer also sees the call.
func (s *Server) record(call *Call, status int, description string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	call.Status = status
	call.Description = description
	s.calls = append(s.calls, call)
	if status != 0 {
		s.responses[status]++
	}
	s.notifyLocked()
}

func (s *Server) finish(w http.ResponseWriter, call *Call, rep reply) {
	desc := ""
	if rep.status != http.StatusOK {
		desc = rep.description
	}
	s.record(call, rep.status, desc)
	writeReply(w, rep)
}

// drop closes the connection without an answer, as a network failure would.
func (s *Server) drop(w http.ResponseWriter, call *Call) {
	s.record(call, 0, "")
	hj, canHijack := w.(http.Hijacker)
	if !canHijack {
		// Only HTTP/1 connections can be hijacked; failing the request
		// with a 502 is the closest a proxy in front of Telegram would do.
		writeReply(w, apiErr(http.StatusBadGateway, "Bad Gateway"))
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		writeReply(w, apiErr(http.StatusBadGateway, "Bad Gateway"))
		return
	}
	_ = conn.Close() // the point is to end it; a close error changes nothing
}
