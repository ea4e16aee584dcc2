package telegramtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

type queuedUpdate struct {
	id   int64
	kind string // message, callback_query, ...
	raw  json.RawMessage
}

type poller struct {
	kick chan struct{} // closed when a newer getUpdates call takes over
}

// defaultExcluded are the update kinds Telegram sends only when asked for
// in allowed_updates.
var defaultExcluded = map[string]bool{
	"chat_member": true, "message_reaction": true, "message_reaction_count": true,
}

// enqueueLocked queues an update of one kind; payload is encoded at once.
func (s *Server) enqueueLocked(kind string, payload any) int64 {
	b, err := json.Marshal(payload)
	if err != nil {
		// Payloads are the package's own wire structs, which always marshal.
		b = []byte("{}")
	}
	s.nextUpdate++
	id := s.nextUpdate
	raw, err := json.Marshal(map[string]json.RawMessage{
		"update_id": json.RawMessage(fmt.Sprint(id)),
		kind:        b,
	})
	if err != nil {
		raw = []byte(fmt.Sprintf(`{"update_id":%d}`, id))
	}
	s.queue = append(s.queue, queuedUpdate{id: id, kind: kind, raw: raw})
	s.notifyLocked()
	return id
}

// RawUpdate queues an update of a kind the simulated people cannot produce,
// such as my_chat_member or message_reaction. update is a JSON object with
// exactly one field besides update_id, which the server assigns and returns.
func (s *Server) RawUpdate(update []byte) (int64, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(update, &fields); err != nil {
		return 0, fmt.Errorf("raw update: %w", err)
	}
	delete(fields, "update_id")
	if len(fields) != 1 {
		return 0, fmt.Errorf("raw update: want exactly one field besides update_id, have %d", len(fields))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for kind, payload := range fields {
		return s.enqueueLocked(kind, payload), nil
	}
	return 0, errors.New("raw update: unreachable")
}

func (s *Server) setAllowedLocked(kinds []string) {
	if len(kinds) == 0 {
		s.allowed = nil
		return
	}
	s.allowed = make(map[string]bool, len(kinds))
	for _, k := range kinds {
		s.allowed[k] = true
	}
}

func (s *Server) allowedLocked(kind string) bool {
	if s.allowed == nil {
		return !defaultExcluded[kind]
	}
	return s.allowed[kind]
}

// confirmLocked forgets the updates getUpdates confirms with offset: those
// below a positive offset, or all but the last -offset for a negative one.
func (s *Server) confirmLocked(offset int64) {
	before := len(s.queue)
	switch {
	case offset > 0:
		i := 0
		for i < len(s.queue) && s.queue[i].id < offset {
			i++
		}
		s.queue = s.queue[i:]
	case offset < 0:
		if keep := int(-offset); keep < len(s.queue) {
			s.queue = s.queue[len(s.queue)-keep:]
		}
	}
	if len(s.queue) != before {
		s.notifyLocked()
	}
}

// deliverableLocked returns up to limit queued updates the bot asked for;
// updates of kinds it did not ask for are dropped, as Telegram never keeps them.
func (s *Server) deliverableLocked(limit int) []json.RawMessage {
	for i := 0; i < len(s.queue); i++ {
		if !s.allowedLocked(s.queue[i].kind) {
			s.queue = append(s.queue[:i:i], s.queue[i+1:]...)
			i--
			s.notifyLocked()
		}
	}
	out := make([]json.RawMessage, 0, min(limit, len(s.queue)))
	for _, u := range s.queue[:min(limit, len(s.queue))] {
		out = append(out, u.raw)
	}
	return out
}

// getUpdates answers getUpdates, long polling for timeout seconds when
// nothing is queued. answered is false when the client left first.
func (s *Server) getUpdates(req *request) (rep reply, answered bool) {
	q, bad := readPollParams(req.params)
	if bad != nil {
		return *bad, true
	}
	offset, limit, timeout, allowed, setAllowed := q.offset, q.limit, q.timeout, q.allowed, q.setAllowed

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.webhook.URL != "" {
		return apiErr(http.StatusConflict, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"), true
	}
	if setAllowed {
		s.setAllowedLocked(allowed)
	}
	s.confirmLocked(offset)

	if s.poll != nil {
		close(s.poll.kick) // Telegram ends the older call with 409
	}
	me := &poller{kick: make(chan struct{})}
	s.poll = me
	defer func() {
		if s.poll == me {
			s.poll = nil
		}
	}()

	ups := s.deliverableLocked(int(limit))
	if len(ups) > 0 || timeout <= 0 {
		return ok(ups), true
	}
	timer := time.NewTimer(time.Duration(timeout) * time.Second)
	defer timer.Stop()
	s.polling++
	s.notifyLocked()
	defer func() {
		s.polling--
		s.notifyLocked()
	}()
	return s.waitForUpdatesLocked(req, me, timer.C, int(limit))
}

// waitForUpdatesLocked holds a long poll until updates can be delivered,
// the poll times out or the server closes (an answer), another poll kicks
// this one (409), or the client goes away (no answer). s.mu is held on
// entry and on return.
func (s *Server) waitForUpdatesLocked(req *request, me *poller, timeout <-chan time.Time, limit int) (reply, bool) {
	for {
		wake := s.changed
		s.mu.Unlock()
		var done, gone, kicked bool
		select {
		case <-wake:
		case <-timeout:
			done = true
		case <-req.ctx.Done():
			gone = true
		case <-me.kick:
			kicked = true
		case <-s.closed:
			done = true
		}
		s.mu.Lock()
		switch {
		case gone:
			return reply{}, false
		case kicked:
			return apiErr(http.StatusConflict, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"), true
		}
		ups := s.deliverableLocked(limit)
		if len(ups) > 0 || done {
			return ok(ups), true
		}
	}
}

// pollParams are getUpdates' parameters, read.
type pollParams struct {
	offset, limit, timeout int64
	allowed                []string
	setAllowed             bool
}

// readPollParams reads getUpdates' parameters as Telegram does: a limit
// outside 1..100 is 100, and the timeout is capped at a day.
func readPollParams(p params) (pollParams, *reply) {
	var q pollParams
	var r *reply
	if q.offset, r = p.int64("offset"); r != nil {
		return q, r
	}
	if q.limit, r = p.int64("limit"); r != nil {
		return q, r
	}
	if q.limit <= 0 || q.limit > 100 {
		q.limit = 100
	}
	if q.timeout, r = p.int64("timeout"); r != nil {
		return q, r
	}
	q.timeout = min(q.timeout, 24*60*60) // keeps the duration from overflowing
	set, err := p.json("allowed_updates", &q.allowed)
	if set && err != nil {
		bad := badRequest("can't parse allowed updates")
		return q, &bad
	}
	q.setAllowed = set
	return q, nil
}
