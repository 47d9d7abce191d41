package client

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/horizonhq/terraform-provider-horizon/internal/keyshape"
)

// Whatever a server says can end up in a diagnostic, a plan's output or a
// TRACE log: a server whose error message echoes the Authorization header
// would put the key there. So everything a server says passes through the
// redactor before it becomes part of an error of this package: the
// configured key, and anything shaped like a Horizon key (see keyshape), are
// replaced with fmcp_REDACTED.
type redactor struct {
	apiKey string
}

// text masks the configured key and every key-shaped string in s.
func (r redactor) text(s string) string {
	if r.apiKey != "" {
		s = strings.ReplaceAll(s, r.apiKey, keyshape.Redacted)
	}
	return keyshape.Redact(s)
}

// json masks every string, member names included, of a JSON value. It masks
// the decoded strings, so an escaped key (\u0066mcp_...) is masked too. A
// value that is not JSON is dropped: nothing reads it but the typed accessors.
func (r redactor) json(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return raw
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil
	}
	clean, err := json.Marshal(r.value(v))
	if err != nil {
		return nil
	}
	return clean
}

func (r redactor) value(v any) any {
	switch v := v.(type) {
	case string:
		return r.text(v)
	case []any:
		for i := range v {
			v[i] = r.value(v[i])
		}
		return v
	case map[string]any:
		clean := make(map[string]any, len(v))
		for name, member := range v {
			clean[r.text(name)] = r.value(member)
		}
		return clean
	default:
		return v
	}
}

// redactedError keeps an error for errors.Is and errors.As and masks its text:
// the errors of net/http may quote what a server sent (a malformed status
// line, a header).
type redactedError struct {
	err  error
	text string
}

func (e *redactedError) Error() string { return e.text }

func (e *redactedError) Unwrap() error { return e.err }

func (r redactor) error(err error) error {
	if err == nil {
		return nil
	}
	text := r.text(err.Error())
	if text == err.Error() {
		return err
	}
	return &redactedError{err: err, text: text}
}
