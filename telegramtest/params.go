package telegramtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxBody is the largest request body read: Telegram's 50 MB upload limit
// plus room for the other fields.
const maxBody = 51 << 20

// params holds a request's fields as text, whichever way they came: a form
// field as sent, a JSON string unquoted, any other JSON value as its JSON
// text. That is how Telegram treats them: reply_markup may be an object in a
// JSON body or the JSON text of one in a form.
type params struct {
	values map[string]string
	files  map[string]upload
}

type upload struct {
	name        string
	contentType string
	data        []byte
}

func parseParams(r *http.Request) (params, *reply) {
	p := params{values: make(map[string]string)}
	for k, v := range r.URL.Query() {
		if len(v) > 0 {
			p.values[k] = v[0]
		}
	}
	if r.Body == nil {
		return p, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		rep := badRequest("can't read request body")
		return p, &rep
	}
	if len(body) > maxBody {
		rep := apiErr(http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return p, &rep
	}
	if len(body) == 0 {
		return p, nil // go-telegram/bot sends an empty multipart body for no parameters
	}
	ct := r.Header.Get("Content-Type")
	mediaType, ctParams, err := mime.ParseMediaType(ct)
	if err != nil {
		rep := badRequest("unsupported Content-Type %q", ct)
		return p, &rep
	}
	switch mediaType {
	case "application/json":
		if err := p.addJSON(body); err != nil {
			rep := badRequest("can't parse JSON object")
			return p, &rep
		}
	case "multipart/form-data":
		if err := p.addMultipart(body, ctParams["boundary"]); err != nil {
			rep := badRequest("can't parse multipart/form-data body")
			return p, &rep
		}
	case "application/x-www-form-urlencoded":
		q, err := url.ParseQuery(string(body))
		if err != nil {
			rep := badRequest("can't parse url-encoded body")
			return p, &rep
		}
		for k, v := range q {
			p.values[k] = v[0]
		}
	default:
		rep := badRequest("unsupported Content-Type %q", mediaType)
		return p, &rep
	}
	return p, nil
}

func (p *params) addJSON(body []byte) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return err
	}
	for k, raw := range fields {
		raw = bytes.TrimSpace(raw)
		switch {
		case bytes.Equal(raw, []byte("null")):
		case len(raw) > 0 && raw[0] == '"':
			var str string
			if err := json.Unmarshal(raw, &str); err != nil {
				return err
			}
			p.values[k] = str
		default:
			p.values[k] = string(raw)
		}
	}
	return nil
}

func (p *params) addMultipart(body []byte, boundary string) error {
	if boundary == "" {
		return errors.New("no boundary")
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return err
		}
		if part.FileName() != "" {
			if p.files == nil {
				p.files = make(map[string]upload)
			}
			p.files[part.FormName()] = upload{
				name:        part.FileName(),
				contentType: part.Header.Get("Content-Type"),
				data:        data,
			}
			continue
		}
		p.values[part.FormName()] = string(data)
	}
}

func (p params) str(name string) string { return p.values[name] }

// int64 reads an integer field; a missing field is 0.
func (p params) int64(name string) (int64, *reply) {
	v, found := p.values[name]
	if !found || v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		rep := badRequest("invalid %s specified", name)
		return 0, &rep
	}
	return n, nil
}

func (p params) bool(name string) bool {
	switch strings.ToLower(strings.TrimSpace(p.values[name])) {
	case "true", "1":
		return true
	}
	return false
}

// json decodes a field holding JSON text into dest; found reports whether
// the field was there at all.
func (p params) json(name string, dest any) (found bool, err error) {
	v, found := p.values[name]
	if !found {
		return false, nil
	}
	return true, json.Unmarshal([]byte(v), dest)
}
