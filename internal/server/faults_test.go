package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
	"github.com/horizonhq/terraform-provider-horizon/internal/testutil"
)

// noRetryClient uses a fresh connection per request: net/http retries a
// request carrying an Idempotency-Key by itself when a reused connection
// breaks, which would hide the dropped response from the test.
func noRetryClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
}

func TestFailRateDropsCommittedResponses(t *testing.T) {
	e := newTestEnv(t, WithFailRate(1))
	c := e.owner
	c.http = noRetryClient()
	body := map[string]any{"name": "ci"}

	if _, err := c.send(http.MethodPost, saCollection, body, "Idempotency-Key", "create-ci"); err == nil {
		t.Fatal("the create's response arrived despite a fail rate of 1")
	}
	var list serviceAccountListJSON
	c.do(http.MethodGet, saCollection, nil).want(http.StatusOK).decode(&list)
	if len(list.ServiceAccounts) != 1 || list.ServiceAccounts[0].Name != "ci" {
		t.Fatalf("service accounts = %+v, want the one whose response was dropped", list.ServiceAccounts)
	}

	replay := c.do(http.MethodPost, saCollection, body, "Idempotency-Key", "create-ci").want(http.StatusCreated)
	var sa api.ServiceAccount
	replay.decode(&sa)
	if sa.ID != list.ServiceAccounts[0].ID || replay.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay = %s, want the dropped create", replay.body)
	}

	// Errors and no-op changes are never dropped.
	c.do(http.MethodPost, saCollection, body).wantError(http.StatusConflict, "name_conflict", nil)
	c.do(http.MethodPatch, saPath(sa.ID), map[string]any{"name": "ci"}).want(http.StatusOK)
	if _, err := c.send(http.MethodPatch, saPath(sa.ID), map[string]any{"name": "renamed"}); err == nil {
		t.Error("a PATCH that changed something kept its response")
	}
	if !strings.Contains(e.logs.String(), "status=201 duration=") || !strings.Contains(e.logs.String(), "dropped=true") {
		t.Errorf("the access log does not record the dropped response:\n%s", e.logs)
	}
}

func TestFaultSeedIsDeterministic(t *testing.T) {
	sequence := func() []bool {
		f := newFaults(0.5, 0, 42)
		var drops []bool
		for range 32 {
			drops = append(drops, f.dropResponse())
		}
		return drops
	}
	a, b := sequence(), sequence()
	dropped := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("the same seed gave different fault sequences")
		}
		if a[i] {
			dropped++
		}
	}
	if dropped == 0 || dropped == len(a) {
		t.Errorf("a fail rate of 0.5 dropped %d of %d", dropped, len(a))
	}
}

func TestRateLimit(t *testing.T) {
	e := newTestEnv(t, WithRateLimit(2))
	e.owner.do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK)
	e.owner.do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK)
	res := e.owner.do(http.MethodGet, "/api/v0/me", nil)
	res.wantError(http.StatusTooManyRequests, "rate_limited", map[string]any{"retry_after_seconds": 1})
	if res.header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After = %q, want 1", res.header.Get("Retry-After"))
	}

	// Unauthenticated requests are answered before the limiter.
	e.client("fmcp_unknown-key-0000000000").do(http.MethodGet, "/api/v0/me", nil).wantError(http.StatusUnauthorized, "unauthenticated", nil)

	e.clock.Advance(500 * time.Millisecond)
	e.owner.do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK)
	e.owner.do(http.MethodGet, "/api/v0/me", nil).wantError(http.StatusTooManyRequests, "rate_limited", nil)

	e.clock.Advance(time.Hour) // the bucket refills to its burst, no further
	for range 2 {
		e.owner.do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK)
	}
	e.owner.do(http.MethodGet, "/api/v0/me", nil).wantError(http.StatusTooManyRequests, "rate_limited", nil)
}

func TestRateLimiterRetryAfter(t *testing.T) {
	l := newRateLimiter(1)
	now := testStart
	if q := l.take("org", now); !q.allowed {
		t.Fatal("first request refused")
	}
	q := l.take("org", now.Add(250*time.Millisecond))
	if q.allowed || q.retryAfter != 750*time.Millisecond {
		t.Errorf("take = %+v; want refused, retry after 750ms", q)
	}
	if q := l.take("other-org", now); !q.allowed {
		t.Error("organizations share a bucket")
	}
	if q := l.take("org", now.Add(-time.Hour)); q.allowed {
		t.Error("a clock set backwards refilled the bucket")
	}
}

// Under a rate limit every response to an authenticated request carries the
// draft's RateLimit-Policy and RateLimit fields: the quota, what is left and
// when the bucket is full again; a 429 keeps Retry-After, never earlier.
func TestRateLimitHeaders(t *testing.T) {
	e := newTestEnv(t, WithRateLimit(4))
	wantFields := func(res response, remaining, reset int) {
		t.Helper()
		if got, want := res.header.Get("RateLimit-Policy"), `"organization";q=4;w=1`; got != want {
			t.Errorf("RateLimit-Policy = %q, want %q", got, want)
		}
		if got, want := res.header.Get("RateLimit"), fmt.Sprintf(`"organization";r=%d;t=%d`, remaining, reset); got != want {
			t.Errorf("RateLimit = %q, want %q", got, want)
		}
	}
	wantFields(e.owner.do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK), 3, 1)
	wantFields(e.owner.do(http.MethodGet, "/api/v0/organizations/current/service-accounts/sa_missing", nil).want(http.StatusNotFound), 2, 1)
	e.owner.do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK)
	wantFields(e.owner.do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK), 0, 1)
	refused := e.owner.do(http.MethodGet, "/api/v0/me", nil)
	refused.wantError(http.StatusTooManyRequests, "rate_limited", nil)
	wantFields(refused, 0, 1)
	if refused.header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After = %q, want 1", refused.header.Get("Retry-After"))
	}

	e.clock.Advance(time.Hour) // full again: nothing to wait for
	wantFields(e.owner.do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK), 3, 1)

	// A 401 is answered before the limiter: it says nothing about a quota.
	unknown := e.client("fmcp_unknown-key-0000000000").do(http.MethodGet, "/api/v0/me", nil)
	unknown.wantError(http.StatusUnauthorized, "unauthenticated", nil)
	if unknown.header.Get("RateLimit") != "" || unknown.header.Get("RateLimit-Policy") != "" {
		t.Errorf("a 401 carries RateLimit fields: %v", unknown.header)
	}
}

func TestNoRateLimitHeadersWithoutALimit(t *testing.T) {
	e := newTestEnv(t)
	res := e.owner.do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK)
	if res.header.Get("RateLimit") != "" || res.header.Get("RateLimit-Policy") != "" {
		t.Errorf("RateLimit fields without -rate-limit: %v", res.header)
	}
}

func TestAccessLogHoldsNoSecrets(t *testing.T) {
	e := newTestEnv(t)
	saID := e.createSA("ci", api.RoleMember)
	var created api.CreatedServiceAccount
	e.owner.do(http.MethodPost, saCollection, map[string]any{"name": "ui", "create_key": true}, "Idempotency-Key", "idem-secret-123").
		want(http.StatusCreated).decode(&created)
	key := e.createKey(saID, "k")
	c := e.client(key.Secret)
	c.do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK)
	c.do(http.MethodGet, "/api/v0/"+key.Secret+"?token="+key.Secret, nil).want(http.StatusNotFound)
	e.client(key.Secret+"x").do(http.MethodGet, "/api/v0/me", nil).want(http.StatusUnauthorized)
	e.owner.do(http.MethodDelete, keyPath(saID, key.ID), nil).want(http.StatusOK)
	c.do(http.MethodGet, "/api/v0/me", nil).want(http.StatusUnauthorized)
	if err := e.srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	logs := e.logs.String()
	for name, secret := range map[string]string{
		"bootstrap key":   e.srv.BootstrapKey(),
		"created secret":  key.Secret,
		"initial secret":  created.APIKey.Secret,
		"random part":     strings.TrimPrefix(key.Secret, "fmcp_"),
		"Idempotency-Key": "idem-secret-123",
		"Authorization":   "Bearer",
	} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains the %s:\n%s", name, logs)
		}
	}
	for _, want := range []string{
		"msg=request method=POST path=/api/v0/organizations/current/service-accounts status=201 duration=",
		"path=/api/v0/fmcp_REDACTED status=404",
		"method=GET path=/api/v0/me status=401",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %q:\n%s", want, logs)
		}
	}
	if got, want := strings.Count(logs, "msg=request "), int(e.srv.RequestCount()); got != want {
		t.Errorf("%d access log lines for %d requests", got, want)
	}
}

func TestPanicBecomes500(t *testing.T) {
	logs := &testutil.SyncBuffer{}
	srv, err := New(WithLogOutput(logs))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	handler := srv.observe(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	req := httptest.NewRequest(http.MethodGet, "/api/v0/me", nil)
	req.Header.Set("Authorization", "Bearer "+srv.BootstrapKey())
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)

	res := response{t: t, status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	res.wantError(http.StatusInternalServerError, "internal", nil)
	if !strings.Contains(logs.String(), "panic=boom") || !strings.Contains(logs.String(), "status=500") {
		t.Errorf("the panic was not logged:\n%s", logs)
	}
	if strings.Contains(logs.String(), srv.BootstrapKey()) {
		t.Error("the panic log contains the request's credential")
	}
}

func TestErrorRateFailsBeforeAnything(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, WithErrorRate(1), WithRateLimit(1))
	before := e.srv.Store().Snapshot()
	for range 3 {
		res := e.owner.do(http.MethodPost, saCollection, map[string]any{"name": "ci"}, "Idempotency-Key", "create-ci")
		res.wantError(http.StatusServiceUnavailable, "unavailable", nil)
		if res.header.Get("Retry-After") != "0" {
			t.Errorf("Retry-After = %q, want 0", res.header.Get("Retry-After"))
		}
	}
	e.client("").do(http.MethodGet, "/api/v0/me", nil).wantError(http.StatusServiceUnavailable, "unavailable", nil)
	e.owner.do(http.MethodGet, "/api/v0/nothing", nil).wantError(http.StatusServiceUnavailable, "unavailable", nil)
	res := e.owner.mcpPost("srv_aaaaaaaaaaaaaaaa", `{"jsonrpc":"2.0","id":1,"method":"ping"}`)
	res.wantRPCError(http.StatusServiceUnavailable, -33503, map[string]any{"reason": "unavailable"})
	if res.header.Get("Retry-After") != "0" {
		t.Errorf("MCP Retry-After = %q, want 0", res.header.Get("Retry-After"))
	}
	// Nothing was authenticated, counted or changed: not even the owner
	// key's last_used_at, and the rate limit (one request per second) was
	// never charged, or some of these would have been 429s.
	if after := e.srv.Store().Snapshot(); !reflect.DeepEqual(before, after) {
		t.Errorf("injected failures changed the store:\nbefore %+v\nafter  %+v", before, after)
	}
	if strings.Contains(e.logs.String(), "status=429") || strings.Count(e.logs.String(), "status=503") != 6 {
		t.Errorf("want six 503s in the access log and no 429:\n%s", e.logs)
	}
}

func TestErrorRateIsDeterministic(t *testing.T) {
	t.Parallel()
	statuses := func() []int {
		e := newTestEnv(t, WithErrorRate(0.5), WithFaultSeed(7))
		var got []int
		for range 40 {
			got = append(got, e.owner.do(http.MethodGet, "/api/v0/me", nil).status)
		}
		return got
	}
	a, b := statuses(), statuses()
	if !slices.Equal(a, b) {
		t.Fatalf("the same seed gave %v and %v", a, b)
	}
	if failed := slices.Index(a, http.StatusServiceUnavailable); failed < 0 || !slices.Contains(a, http.StatusOK) {
		t.Errorf("an error rate of 0.5 gave %v", a)
	}

	// The two faults draw from separate streams: turning one on does not
	// move the other's sequence.
	alone, together := newFaults(0.5, 0, 42), newFaults(0.5, 0.5, 42)
	for i := range 32 {
		together.failRequest()
		if alone.dropResponse() != together.dropResponse() {
			t.Fatalf("draw %d: the error rate changed the fail rate's sequence", i)
		}
	}
}

func TestLatencyHoldsEveryRequest(t *testing.T) {
	t.Parallel()
	const latency = 150 * time.Millisecond
	e := newTestEnv(t, WithLatency(latency))
	weather := e.serverID("weather")
	for name, send := range map[string]func() response{
		"GET": func() response { return e.owner.do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK) },
		"POST": func() response {
			return e.owner.do(http.MethodPost, saCollection, map[string]any{"name": "ci"}).want(http.StatusCreated)
		},
		"MCP": func() response { return e.owner.mcp(weather, "ping", nil).want(http.StatusOK) },
		"401": func() response {
			return e.client("").do(http.MethodGet, "/api/v0/me", nil).want(http.StatusUnauthorized)
		},
		"413 after it": func() response {
			return e.owner.do(http.MethodPost, saCollection, strings.Repeat(" ", maxBodyBytes+1)).want(http.StatusRequestEntityTooLarge)
		},
	} {
		start := time.Now()
		send()
		if took := time.Since(start); took < latency {
			t.Errorf("%s took %v, want at least the latency %v", name, took, latency)
		}
	}
}

// TestLatencyClientGivesUp: a client that gives up while the request is held
// ends the wait, and the request is not handled.
func TestLatencyClientGivesUp(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, WithLatency(time.Hour))
	for _, method := range []string{http.MethodPost, http.MethodGet} {
		ctx, cancel := context.WithCancel(context.Background())
		req, err := http.NewRequestWithContext(ctx, method, e.srv.URL()+saCollection, strings.NewReader(`{"name":"ci"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+e.srv.BootstrapKey())
		count := e.srv.RequestCount()
		done := make(chan error, 1)
		go func() {
			resp, err := noRetryClient().Do(req)
			if err == nil {
				resp.Body.Close()
			}
			done <- err
		}()
		waitFor(t, "the request to arrive", func() bool { return e.srv.RequestCount() > count })
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("%s: %v, want the client's cancellation", method, err)
		}
		waitFor(t, "the held request to end", func() bool {
			return strings.Count(e.logs.String(), "status=503") == int(e.srv.RequestCount())
		})
	}
	if n := len(e.srv.Store().Snapshot().ServiceAccounts); n != 0 {
		t.Errorf("a request whose client gave up created %d service accounts", n)
	}
}

// waitFor polls cond until it holds, for conditions that only the server's
// own goroutines can make true.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
