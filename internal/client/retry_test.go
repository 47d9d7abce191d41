package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

// sentinels are every sentinel error the package exports; outcomes are checked
// against all of them so that a status never matches one it should not.
var sentinels = []error{
	ErrNotFound, ErrUnauthenticated, ErrPermissionDenied, ErrConflict,
	ErrKeyLimitExceeded, ErrRateLimited, ErrUnreachable, ErrGrantExists,
}

// methodCall is one client operation per HTTP method.
type methodCall struct {
	method string
	call   func(context.Context, *Client) error
}

var methodCalls = []methodCall{
	{http.MethodGet, func(ctx context.Context, c *Client) error {
		_, err := c.GetServiceAccount(ctx, "sa_a")
		return err
	}},
	{http.MethodPut, func(ctx context.Context, c *Client) error {
		_, err := c.PutServerGrant(ctx, "sa_a", "srv_b", PutServerGrantRequest{Role: "user", Capabilities: &[]string{"tools"}})
		return err
	}},
	{http.MethodPatch, func(ctx context.Context, c *Client) error {
		name := "renamed"
		_, err := c.UpdateAPIKey(ctx, "sa_a", "key_b", UpdateAPIKeyRequest{Name: &name})
		return err
	}},
	{http.MethodDelete, func(ctx context.Context, c *Client) error {
		return c.DeleteServiceAccount(ctx, "sa_a")
	}},
	{http.MethodPost, func(ctx context.Context, c *Client) error {
		_, err := c.CreateAPIKey(ctx, "sa_a", CreateAPIKeyRequest{Name: "primary"})
		return err
	}},
}

func TestRetryPolicy(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name         string
		maxRetries   int
		script       []reply
		wantRequests int
		wantStatus   int // 0: success
		wantCode     string
		wantIs       []error
	}{
		{name: "500 500 200 retried", maxRetries: 4, script: seq(fail(500), fail(500), ok()), wantRequests: 3},
		{name: "502 then 200 retried", maxRetries: 4, script: seq(fail(502), ok()), wantRequests: 2},
		{name: "503 with Retry-After then 200 retried", maxRetries: 4,
			script: seq(reply{status: 503, code: "internal", retryAfter: "0"}, ok()), wantRequests: 2},
		{name: "504 then 200 retried", maxRetries: 1, script: seq(fail(504), ok()), wantRequests: 2},
		{name: "429 does not use up MaxRetries", maxRetries: 1,
			script: seq(times(10, rateLimited()), ok()), wantRequests: 11},
		{name: "429 with MaxRetries 0", maxRetries: 0,
			script: seq(times(3, rateLimited()), ok()), wantRequests: 4},
		{name: "429 and 5xx have separate budgets", maxRetries: 1,
			script: seq(rateLimited(), fail(500), rateLimited(), rateLimited(), ok()), wantRequests: 5},
		{name: "5xx budget exhausted", maxRetries: 2, script: seq(fail(500)),
			wantRequests: 3, wantStatus: 500, wantCode: "internal"},
		{name: "5xx budget exhausted despite interleaved 429", maxRetries: 1,
			script:       seq(fail(500), rateLimited(), fail(500), ok()),
			wantRequests: 3, wantStatus: 500, wantCode: "internal"},
		{name: "MaxRetries 0 never retries 5xx", maxRetries: 0, script: seq(fail(503), ok()),
			wantRequests: 1, wantStatus: 503, wantCode: "internal"},
		{name: "429 forever gives up after the rate-limit bound", maxRetries: 1, script: seq(rateLimited()),
			wantRequests: maxRateLimitRetries + 1, wantStatus: 429, wantCode: api.CodeRateLimited, wantIs: []error{ErrRateLimited}},
		{name: "400 is an answer", maxRetries: 4, script: seq(fail(400), ok()),
			wantRequests: 1, wantStatus: 400, wantCode: api.CodeInvalidRequest},
		{name: "401 is an answer", maxRetries: 4, script: seq(fail(401), ok()),
			wantRequests: 1, wantStatus: 401, wantCode: api.CodeUnauthenticated, wantIs: []error{ErrUnauthenticated}},
		{name: "403 is an answer", maxRetries: 4, script: seq(fail(403), ok()),
			wantRequests: 1, wantStatus: 403, wantCode: api.CodePermissionDenied, wantIs: []error{ErrPermissionDenied}},
		{name: "404 is an answer", maxRetries: 4, script: seq(fail(404), ok()),
			wantRequests: 1, wantStatus: 404, wantCode: api.CodeNotFound, wantIs: []error{ErrNotFound}},
		{name: "409 name_conflict is an answer", maxRetries: 4, script: seq(fail(409), ok()),
			wantRequests: 1, wantStatus: 409, wantCode: api.CodeNameConflict, wantIs: []error{ErrConflict}},
		{name: "409 key_limit_exceeded is an answer", maxRetries: 4,
			script:       seq(withCode(fail(409), api.CodeKeyLimitExceeded), ok()),
			wantRequests: 1, wantStatus: 409, wantCode: api.CodeKeyLimitExceeded, wantIs: []error{ErrConflict, ErrKeyLimitExceeded}},
		{name: "413 is an answer", maxRetries: 4, script: seq(fail(413), ok()),
			wantRequests: 1, wantStatus: 413, wantCode: "payload_too_large"},
		{name: "501 is not retried", maxRetries: 4, script: seq(fail(501), ok()),
			wantRequests: 1, wantStatus: 501, wantCode: "internal"},
	}
	for _, m := range methodCalls {
		for _, tc := range cases {
			t.Run(m.method+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				srv, log := scriptedServer(t, tc.script...)
				c := newTestClient(t, srv.URL, maxRetries(tc.maxRetries))

				err := m.call(t.Context(), c)

				seen := log.all()
				if len(seen) != tc.wantRequests {
					t.Errorf("server saw %d requests, want %d", len(seen), tc.wantRequests)
				}
				for i, r := range seen {
					if r.method != m.method {
						t.Errorf("request %d: method %s, want %s", i, r.method, m.method)
					}
				}
				if m.method == http.MethodPost {
					assertOneIdempotencyKey(t, seen)
				}
				assertOutcome(t, err, tc.wantStatus, tc.wantCode, tc.wantIs)
			})
		}
	}
}

// assertOneIdempotencyKey checks that every attempt of one create carried the same key.
func assertOneIdempotencyKey(t *testing.T, seen []seenRequest) {
	t.Helper()
	if len(seen) == 0 {
		return
	}
	first := seen[0].header.Get("Idempotency-Key")
	if first == "" {
		t.Fatal("create sent no Idempotency-Key")
	}
	for i, r := range seen {
		if got := r.header.Values("Idempotency-Key"); len(got) != 1 || got[0] != first {
			t.Errorf("attempt %d: Idempotency-Key %q, want the first attempt's %q", i+1, got, first)
		}
	}
}

func assertOutcome(t *testing.T, err error, wantStatus int, wantCode string, wantIs []error) {
	t.Helper()
	if wantStatus == 0 {
		if err != nil {
			t.Fatalf("err = %v, want success", err)
		}
		return
	}
	apiErr, isAPIErr := AsAPIError(err)
	if !isAPIErr {
		t.Fatalf("err = %v (%T), want *APIError", err, err)
	}
	if apiErr.StatusCode != wantStatus || apiErr.Code != wantCode {
		t.Errorf("APIError status %d code %q, want %d %q", apiErr.StatusCode, apiErr.Code, wantStatus, wantCode)
	}
	assertSentinels(t, err, wantIs)
}

func assertSentinels(t *testing.T, err error, wantIs []error) {
	t.Helper()
	for _, s := range sentinels {
		want := false
		for _, w := range wantIs {
			want = want || errors.Is(w, s)
		}
		if got := errors.Is(err, s); got != want {
			t.Errorf("errors.Is(err, %q) = %v, want %v (err: %v)", s, got, want, err)
		}
	}
}

func TestTransportErrorRetries(t *testing.T) {
	t.Parallel()
	create := func(ctx context.Context, c *Client) error {
		_, err := c.CreateServiceAccount(ctx, CreateServiceAccountRequest{Name: "ci", Role: "member"})
		return err
	}
	get := func(ctx context.Context, c *Client) error {
		_, err := c.GetServiceAccount(ctx, "sa_a")
		return err
	}
	createGrant := func(ctx context.Context, c *Client) error {
		_, err := c.CreateServerGrant(ctx, "sa_a", "srv_b", PutServerGrantRequest{Role: "user"})
		return err
	}
	cases := []struct {
		name         string
		method       string
		call         func(context.Context, *Client) error
		maxRetries   int
		script       []reply
		wantRequests int
		wantSuccess  bool
	}{
		{name: "GET lost response retried up to MaxRetries", method: http.MethodGet, call: get,
			maxRetries: 2, script: seq(drop()), wantRequests: 3},
		{name: "GET lost response with MaxRetries 0", method: http.MethodGet, call: get,
			maxRetries: 0, script: seq(drop()), wantRequests: 1},
		{name: "GET lost response then success", method: http.MethodGet, call: get,
			maxRetries: 2, script: seq(drop(), ok()), wantRequests: 2, wantSuccess: true},
		{name: "POST create lost response retried up to MaxRetries", method: http.MethodPost, call: create,
			maxRetries: 2, script: seq(drop()), wantRequests: 3},
		{name: "POST create lost response then replayed", method: http.MethodPost, call: create,
			maxRetries: 4, script: seq(drop(), drop(), reply{status: 201}), wantRequests: 3, wantSuccess: true},
		{name: "create-only PUT lost response then replayed", method: http.MethodPut, call: createGrant,
			maxRetries: 4, script: seq(drop(), reply{status: 201}), wantRequests: 2, wantSuccess: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, log := scriptedServer(t, tc.script...)
			c := newTestClient(t, srv.URL, maxRetries(tc.maxRetries))

			err := tc.call(t.Context(), c)

			seen := log.all()
			if len(seen) != tc.wantRequests {
				t.Errorf("server saw %d requests, want %d", len(seen), tc.wantRequests)
			}
			if tc.method != http.MethodGet {
				// Every create: its retries carry the first attempt's key.
				assertOneIdempotencyKey(t, seen)
			}
			if tc.wantSuccess {
				if err != nil {
					t.Fatalf("err = %v, want success", err)
				}
				return
			}
			var transportErr *TransportError
			if !errors.As(err, &transportErr) {
				t.Fatalf("err = %v (%T), want *TransportError", err, err)
			}
			if transportErr.Attempts != tc.wantRequests || transportErr.Method != tc.method {
				t.Errorf("TransportError{Method: %s, Attempts: %d}, want %s, %d",
					transportErr.Method, transportErr.Attempts, tc.method, tc.wantRequests)
			}
			assertSentinels(t, err, []error{ErrUnreachable})
		})
	}
}

func TestUnreachableEndpoint(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{Endpoint: "http://" + addr, APIKey: testAPIKey, MaxRetries: DefaultMaxRetries})
	if err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	_, err = c.Me(t.Context())
	elapsed := time.Since(start)

	if elapsed > 10*time.Second {
		t.Errorf("gave up after %s, want well under 10s", elapsed)
	}
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("err = %v, want ErrUnreachable", err)
	}
	var transportErr *TransportError
	if !errors.As(err, &transportErr) {
		t.Fatalf("err = %T, want *TransportError", err)
	}
	if transportErr.Attempts != DefaultMaxRetries+1 {
		t.Errorf("Attempts = %d, want %d", transportErr.Attempts, DefaultMaxRetries+1)
	}
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("error %q does not name the endpoint %s", err, addr)
	}
}

// An https:// endpoint whose server speaks plain HTTP can never answer: the
// client gives up after the first attempt and says why.
func TestHTTPSEndpointOnPlainHTTPServer(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	t.Cleanup(srv.Close)
	c, err := New(Config{Endpoint: strings.Replace(srv.URL, "http://", "https://", 1), APIKey: testAPIKey, MaxRetries: DefaultMaxRetries})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Me(t.Context())
	var transportErr *TransportError
	if !errors.As(err, &transportErr) {
		t.Fatalf("err = %v (%T), want *TransportError", err, err)
	}
	if transportErr.Attempts != 1 || !transportErr.PlainHTTP() {
		t.Errorf("Attempts = %d, PlainHTTP = %v; want one attempt, recognised as plain HTTP (err: %v)",
			transportErr.Attempts, transportErr.PlainHTTP(), err)
	}
}

func TestCheckRetry(t *testing.T) {
	t.Parallel()
	dialErr := &url.Error{Op: "Post", URL: "http://127.0.0.1:1/x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}
	lostErr := &url.Error{Op: "Get", URL: "http://127.0.0.1:1/x", Err: io.EOF}
	tlsErr := &url.Error{Op: "Get", URL: "https://127.0.0.1:1/x", Err: x509.UnknownAuthorityError{}}
	plainHTTPErr := &url.Error{Op: "Get", URL: "https://127.0.0.1:1/x", Err: http.ErrSchemeMismatch}
	notTLSErr := &url.Error{Op: "Get", URL: "https://127.0.0.1:1/x", Err: tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}}
	cases := []struct {
		name       string
		budget     *attemptBudget
		status     int // 0: use err
		err        error
		wantRetry  bool
		wantFaults int
	}{
		{name: "POST without idempotency: transport error", budget: &attemptBudget{maxRetries: 4}, err: lostErr},
		{name: "POST without idempotency: dial error", budget: &attemptBudget{maxRetries: 4}, err: dialErr},
		{name: "POST without idempotency: 500", budget: &attemptBudget{maxRetries: 4}, status: 500},
		{name: "POST without idempotency: 502", budget: &attemptBudget{maxRetries: 4}, status: 502},
		{name: "POST without idempotency: 503", budget: &attemptBudget{maxRetries: 4}, status: 503},
		{name: "POST without idempotency: 429 was refused, so safe", budget: &attemptBudget{maxRetries: 4}, status: 429, wantRetry: true},
		{name: "idempotent: transport error", budget: &attemptBudget{idempotent: true, maxRetries: 4}, err: lostErr, wantRetry: true, wantFaults: 1},
		{name: "idempotent: dial error", budget: &attemptBudget{idempotent: true, maxRetries: 4}, err: dialErr, wantRetry: true, wantFaults: 1},
		{name: "idempotent: TLS authority never heals", budget: &attemptBudget{idempotent: true, maxRetries: 4}, err: tlsErr},
		{name: "idempotent: https to a plain-HTTP server never heals", budget: &attemptBudget{idempotent: true, maxRetries: 4}, err: plainHTTPErr},
		{name: "idempotent: https to a server without TLS never heals", budget: &attemptBudget{idempotent: true, maxRetries: 4}, err: notTLSErr},
		{name: "idempotent: 500", budget: &attemptBudget{idempotent: true, maxRetries: 4}, status: 500, wantRetry: true, wantFaults: 1},
		{name: "idempotent: 599", budget: &attemptBudget{idempotent: true, maxRetries: 4}, status: 599, wantRetry: true, wantFaults: 1},
		{name: "idempotent: 501", budget: &attemptBudget{idempotent: true, maxRetries: 4}, status: 501},
		{name: "idempotent: budget spent", budget: &attemptBudget{idempotent: true, maxRetries: 2, faults: 2}, status: 500, wantFaults: 2},
		{name: "idempotent: budget spent on transport error", budget: &attemptBudget{idempotent: true, maxRetries: 2, faults: 2}, err: lostErr, wantFaults: 2},
		{name: "429 with fault budget spent", budget: &attemptBudget{idempotent: true, maxRetries: 0}, status: 429, wantRetry: true},
		{name: "429 bound reached", budget: &attemptBudget{idempotent: true, maxRetries: 4, rateLimited: maxRateLimitRetries}, status: 429},
		{name: "200", budget: &attemptBudget{idempotent: true, maxRetries: 4}, status: 200},
		{name: "204", budget: &attemptBudget{idempotent: true, maxRetries: 4}, status: 204},
		{name: "400", budget: &attemptBudget{idempotent: true, maxRetries: 4}, status: 400},
		{name: "401", budget: &attemptBudget{idempotent: true, maxRetries: 4}, status: 401},
		{name: "403", budget: &attemptBudget{idempotent: true, maxRetries: 4}, status: 403},
		{name: "404", budget: &attemptBudget{idempotent: true, maxRetries: 4}, status: 404},
		{name: "409", budget: &attemptBudget{idempotent: true, maxRetries: 4}, status: 409},
		{name: "no budget in context", status: 500},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			if tc.budget != nil {
				tc.budget.deadline = time.Now().Add(time.Hour)
				ctx = withBudget(ctx, tc.budget)
			}
			var resp *http.Response
			if tc.status != 0 {
				resp = &http.Response{StatusCode: tc.status, Header: http.Header{}}
			}

			retry, err := checkRetry(ctx, resp, tc.err)

			if retry != tc.wantRetry {
				t.Errorf("retry = %v, want %v", retry, tc.wantRetry)
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("err = %v, want %v", err, tc.err)
			}
			if tc.budget != nil && tc.budget.faults != tc.wantFaults {
				t.Errorf("faults = %d, want %d", tc.budget.faults, tc.wantFaults)
			}
		})
	}
}

func TestCheckRetryStopsOnCanceledContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(withBudget(t.Context(), &attemptBudget{idempotent: true, maxRetries: 4}))
	cancel()

	retry, err := checkRetry(ctx, &http.Response{StatusCode: http.StatusServiceUnavailable}, nil)

	if retry || !errors.Is(err, context.Canceled) {
		t.Errorf("checkRetry = %v, %v; want false, context.Canceled", retry, err)
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	const minWait, maxWait = 10 * time.Millisecond, 80 * time.Millisecond
	cases := []struct {
		name     string
		attempt  int
		min, max time.Duration
	}{
		{name: "first retry", min: minWait / 2, max: minWait},
		{name: "third retry", attempt: 2, min: 2 * minWait, max: 4 * minWait},
		{name: "capped at max", attempt: 10, min: maxWait / 2, max: maxWait},
		{name: "huge attempt does not overflow", attempt: 200, min: maxWait / 2, max: maxWait},
		{name: "negative attempt is the first", attempt: -1, min: minWait / 2, max: minWait},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for range 50 {
				got := backoff(minWait, maxWait, tc.attempt)
				if got < tc.min || got > tc.max {
					t.Fatalf("backoff = %s, want within [%s, %s]", got, tc.min, tc.max)
				}
			}
		})
	}
}

// TestWaitBefore: a Retry-After is waited as long as it asks, however long:
// the wait budget, not a cap, decides whether it is waited at all; checkRetry
// checks the longest wait that waitBefore may choose.
func TestWaitBefore(t *testing.T) {
	t.Parallel()
	const minWait, maxWait = 10 * time.Millisecond, 80 * time.Millisecond
	response := func(status int, retryAfter string) *http.Response {
		h := http.Header{}
		if retryAfter != "" {
			h.Set("Retry-After", retryAfter)
		}
		return &http.Response{StatusCode: status, Header: h}
	}
	cases := []struct {
		name     string
		resp     *http.Response
		min, max time.Duration
		reason   string
	}{
		{name: "429 Retry-After seconds", resp: response(429, "3"), min: 3 * time.Second, max: 3 * time.Second, reason: "Retry-After: 3"},
		{name: "429 Retry-After 0", resp: response(429, "0"), min: 0, max: 0, reason: "Retry-After: 0"},
		{name: "503 Retry-After seconds", resp: response(503, "2"), min: 2 * time.Second, max: 2 * time.Second, reason: "answered 503"},
		{name: "a hostile Retry-After is taken at its word", resp: response(429, "999999"), min: 999999 * time.Second, max: 999999 * time.Second, reason: "277h46m39s"},
		{name: "Retry-After date in the past", resp: response(429, "Mon, 02 Jan 2006 15:04:05 GMT"), min: 0, max: 0},
		{name: "429 without Retry-After backs off", resp: response(429, ""), min: minWait / 2, max: minWait, reason: "backoff"},
		{name: "429 invalid Retry-After backs off", resp: response(429, "soon"), min: minWait / 2, max: minWait},
		{name: "500 ignores Retry-After", resp: response(500, "3"), min: minWait / 2, max: minWait, reason: "answered 500"},
		{name: "transport error", resp: nil, min: minWait / 2, max: minWait, reason: "no response"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// The first retry, as retryable counted it.
			b := &attemptBudget{minWait: minWait, maxWait: maxWait, faults: 1}
			if tc.resp != nil && tc.resp.StatusCode == http.StatusTooManyRequests {
				b.faults, b.rateLimited = 0, 1
			}
			longest, reason := b.longestWait(tc.resp)
			if longest != tc.max || !strings.Contains(reason, tc.reason) {
				t.Fatalf("longestWait = %s, %q; want %s, saying %q", longest, reason, tc.max, tc.reason)
			}
			for range 50 {
				if got := waitBefore(minWait, maxWait, 0, tc.resp); got < tc.min || got > tc.max {
					t.Fatalf("waitBefore = %s, want within [%s, %s]", got, tc.min, tc.max)
				}
			}
		})
	}
}

func TestRetryAfterParsing(t *testing.T) {
	t.Parallel()
	future := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
	cases := []struct {
		value  string
		wantOK bool
		min    time.Duration
		max    time.Duration
	}{
		{value: "", wantOK: false},
		{value: "0", wantOK: true},
		{value: "7", wantOK: true, min: 7 * time.Second, max: 7 * time.Second},
		{value: "-1", wantOK: false},
		{value: "1.5", wantOK: false},
		{value: "later", wantOK: false},
		{value: future, wantOK: true, min: 58 * time.Minute, max: time.Hour},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%q", tc.value), func(t *testing.T) {
			t.Parallel()
			got, gotOK := retryAfter(tc.value)
			if gotOK != tc.wantOK || got < tc.min || got > tc.max {
				t.Errorf("retryAfter(%q) = %s, %v; want [%s, %s], %v", tc.value, got, gotOK, tc.min, tc.max, tc.wantOK)
			}
		})
	}
}
