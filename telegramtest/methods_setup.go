package telegramtest

import (
	"encoding/json"
	_ "image/gif" // sendPhoto accepts GIF, JPEG and PNG
	_ "image/jpeg"
	_ "image/png"
	"net/http"
	"regexp"
	"strings"
)

var commandName = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

// commandScope reads the scope field into the key CommandsFor takes.
func commandScope(p params) (string, *reply) {
	var scope struct {
		Type   string          `json:"type"`
		ChatID json.RawMessage `json:"chat_id"`
		UserID json.RawMessage `json:"user_id"`
	}
	found, err := p.json("scope", &scope)
	if !found {
		return "default", nil
	}
	if err != nil || scope.Type == "" {
		rep := badRequest("can't parse BotCommandScope JSON object")
		return "", &rep
	}
	key := scope.Type
	if len(scope.ChatID) > 0 {
		key += ":" + strings.Trim(string(scope.ChatID), `"`)
	}
	if len(scope.UserID) > 0 {
		key += ":" + string(scope.UserID)
	}
	return key, nil
}

func (s *Server) setMyCommands(req *request) reply {
	p := req.params
	var cmds []Command
	if found, err := p.json("commands", &cmds); !found || err != nil {
		return badRequest("can't parse commands JSON object")
	}
	for _, c := range cmds {
		if !commandName.MatchString(c.Command) {
			return badRequest("BOT_COMMAND_INVALID")
		}
	}
	scope, rep := commandScope(p)
	if rep != nil {
		return *rep
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := commandKey{scope: scope, language: p.str("language_code")}
	if len(cmds) == 0 {
		delete(s.commands, key)
	} else {
		s.commands[key] = cmds
	}
	s.notifyLocked()
	return ok(true)
}

func (s *Server) getMyCommands(req *request) reply {
	scope, rep := commandScope(req.params)
	if rep != nil {
		return *rep
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cmds := s.commands[commandKey{scope: scope, language: req.params.str("language_code")}]
	if cmds == nil {
		cmds = []Command{}
	}
	return ok(cmds)
}

func (s *Server) deleteMyCommands(req *request) reply {
	scope, rep := commandScope(req.params)
	if rep != nil {
		return *rep
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.commands, commandKey{scope: scope, language: req.params.str("language_code")})
	s.notifyLocked()
	return ok(true)
}

func (s *Server) setWebhook(req *request) reply {
	p := req.params
	url := strings.TrimSpace(p.str("url"))
	if url != "" && !strings.HasPrefix(strings.ToLower(url), "https://") {
		return badRequest("bad webhook: An HTTPS URL must be provided for webhook")
	}
	maxConn, rep := p.int64("max_connections")
	if rep != nil {
		return *rep
	}
	var allowed []string
	if found, err := p.json("allowed_updates", &allowed); found && err != nil {
		return badRequest("can't parse allowed updates")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.bool("drop_pending_updates") {
		s.queue = nil
	}
	if url == "" {
		was := s.webhook.URL
		s.webhook = Webhook{}
		s.notifyLocked()
		if was == "" {
			return reply{status: http.StatusOK, result: true, description: "Webhook is already deleted"}
		}
		return reply{status: http.StatusOK, result: true, description: "Webhook was deleted"}
	}
	if maxConn == 0 {
		maxConn = 40
	}
	s.webhook = Webhook{
		URL: url, SecretToken: p.str("secret_token"), MaxConnections: int(maxConn),
		AllowedUpdates: allowed, IPAddress: p.str("ip_address"),
	}
	if allowed != nil {
		s.setAllowedLocked(allowed)
	}
	s.notifyLocked()
	return reply{status: http.StatusOK, result: true, description: "Webhook was set"}
}

func (s *Server) deleteWebhook(req *request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	if req.params.bool("drop_pending_updates") {
		s.queue = nil
	}
	was := s.webhook.URL
	s.webhook = Webhook{}
	s.notifyLocked()
	if was == "" {
		return reply{status: http.StatusOK, result: true, description: "Webhook is already deleted"}
	}
	return reply{status: http.StatusOK, result: true, description: "Webhook was deleted"}
}

func (s *Server) getWebhookInfo(*request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	info := wireWebhookInfo{URL: s.webhook.URL, PendingUpdateCount: len(s.queue)}
	if info.URL != "" {
		info.MaxConnections = s.webhook.MaxConnections
		info.AllowedUpdates = s.webhook.AllowedUpdates
		info.IPAddress = s.webhook.IPAddress
	}
	return ok(info)
}
