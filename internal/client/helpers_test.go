package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

const testAPIKey = "fmcp_testApiKeyThatMustNeverBeLogged0000000000"

// reply is one scripted answer of a fake Horizon.
type reply struct {
	status     int
	code       string // error code of a non-2xx answer; without one its body is empty
	retryAfter string
	body       string // overrides the generated body when set
	drop       bool   // read the request, then close the connection without answering
}

func ok() reply             { return reply{status: http.StatusOK} }
func fail(status int) reply { return reply{status: status, code: defaultCode(status)} }
func drop() reply           { return reply{drop: true} }
func rateLimited() reply {
	return reply{status: http.StatusTooManyRequests, code: api.CodeRateLimited, retryAfter: "0"}
}
func withCode(r reply, c string) reply { r.code = c; return r }

func defaultCode(status int) string {
	switch status {
	case http.StatusBadRequest:
		return api.CodeInvalidRequest
	case http.StatusUnauthorized:
		return api.CodeUnauthenticated
	case http.StatusForbidden:
		return api.CodePermissionDenied
	case http.StatusNotFound:
		return api.CodeNotFound
	case http.StatusConflict:
		return api.CodeNameConflict
	case http.StatusRequestEntityTooLarge:
		return "payload_too_large"
	case http.StatusTooManyRequests:
		return api.CodeRateLimited
	}
	return "internal"
}

func times(n int, r reply) []reply {
	out := make([]reply, n)
	for i := range out {
		out[i] = r
	}
	return out
}

func seq(parts ...any) []reply {
	var out []reply
	for _, p := range parts {
		switch v := p.(type) {
		case reply:
			out = append(out, v)
		case []reply:
			out = append(out, v...)
		default:
			panic(fmt.Sprintf("seq: unexpected %T", p))
		}
	}
	return out
}

// seenRequest is what the fake recorded about one request.
type seenRequest struct {
	method     string
	requestURI string
	header     http.Header
	body       []byte
}

type requestLog struct {
	mu   sync.Mutex
	seen []seenRequest
}

func (l *requestLog) add(r seenRequest) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen = append(l.seen, r)
	return len(l.seen) - 1
}

func (l *requestLog) all() []seenRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]seenRequest(nil), l.seen...)
}

func (l *requestLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.seen)
}

// scriptedServer answers the n-th request with script[n], repeating the last
// reply once the script runs out. Every test starts its own.
func scriptedServer(t *testing.T, script ...reply) (*httptest.Server, *requestLog) {
	t.Helper()
	if len(script) == 0 {
		t.Fatal("scriptedServer needs at least one reply")
	}
	log := &requestLog{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		n := log.add(seenRequest{method: r.Method, requestURI: r.RequestURI, header: r.Header.Clone(), body: body})
		writeReply(t, w, script[min(n, len(script)-1)])
	}))
	t.Cleanup(srv.Close)
	return srv, log
}

func writeReply(t *testing.T, w http.ResponseWriter, r reply) {
	if r.drop {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		_ = conn.Close()
		return
	}
	if r.retryAfter != "" {
		w.Header().Set("Retry-After", r.retryAfter)
	}
	body := r.body
	switch {
	case body != "" || r.status == http.StatusNoContent:
	case r.status >= 200 && r.status <= 299:
		body = `{"id":"obj_1"}`
	case r.code != "":
		body = errorBody(r.code, "scripted failure", nil)
	}
	if body != "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(r.status)
	_, _ = io.WriteString(w, body)
}

func errorBody(code, message string, details any) string {
	e := map[string]any{"code": code, "message": message}
	if details != nil {
		e["details"] = details
	}
	b, err := json.Marshal(map[string]any{"error": e})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// newTestClient builds a client with waits short enough for unit tests.
func newTestClient(t *testing.T, endpoint string, configure ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		Endpoint:       endpoint,
		APIKey:         testAPIKey,
		MaxRetries:     DefaultMaxRetries,
		RetryWaitMin:   time.Millisecond,
		RetryWaitMax:   5 * time.Millisecond,
		RequestTimeout: 5 * time.Second,
	}
	for _, f := range configure {
		f(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func maxRetries(n int) func(*Config) { return func(c *Config) { c.MaxRetries = n } }

// recordingLogger keeps every event the client logs.
type recordingLogger struct {
	mu     sync.Mutex
	events []logEvent
}

type logEvent struct {
	level  string
	msg    string
	fields map[string]any
}

func (l *recordingLogger) Debug(_ context.Context, msg string, fields map[string]any) {
	l.record("debug", msg, fields)
}

func (l *recordingLogger) Warn(_ context.Context, msg string, fields map[string]any) {
	l.record("warn", msg, fields)
}

func (l *recordingLogger) record(level, msg string, fields map[string]any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	copied := make(map[string]any, len(fields))
	for k, v := range fields {
		copied[k] = v
	}
	l.events = append(l.events, logEvent{level: level, msg: msg, fields: copied})
}

func (l *recordingLogger) all() []logEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]logEvent(nil), l.events...)
}
