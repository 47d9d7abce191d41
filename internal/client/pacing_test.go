package client

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

var paceStart = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func rateLimitHeader(pairs ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(pairs); i += 2 {
		h.Add(pairs[i], pairs[i+1])
	}
	return h
}

func TestParseRateLimitFields(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name         string
		header       http.Header
		wantPolicies map[string]quotaPolicy
		wantLimits   map[string]serviceLimit
	}{
		{"none", http.Header{}, map[string]quotaPolicy{}, map[string]serviceLimit{}},
		{"the reference server's",
			rateLimitHeader("RateLimit-Policy", `"organization";q=10;w=1`, "RateLimit", `"organization";r=7;t=1`),
			map[string]quotaPolicy{"organization": {quota: 10, window: time.Second}},
			map[string]serviceLimit{"organization": {remaining: 7, reset: time.Second}}},
		{"the draft's examples, several policies, split over two fields",
			rateLimitHeader("RateLimit-Policy", `"permin";q=50;w=60`, "RateLimit-Policy", `"perhr";q=1000;w=3600, "daily";q=5;w=86400;qu="requests"`,
				"RateLimit", `"default";r=50;t=30`),
			map[string]quotaPolicy{"permin": {50, time.Minute}, "perhr": {1000, time.Hour}, "daily": {5, 24 * time.Hour}},
			map[string]serviceLimit{"default": {remaining: 50, reset: 30 * time.Second}}},
		{"partition keys and unknown parameters are comments",
			rateLimitHeader("RateLimit-Policy", `"peruser";q=100;w=60;pk=:cHsdsRa894==:;acme-burst=3`, "RateLimit", `"peruser";r=999;pk=:dHJpYWwxMjEzMjM=:`),
			map[string]quotaPolicy{"peruser": {100, time.Minute}},
			map[string]serviceLimit{"peruser": {remaining: 999}}},
		{"a quota in another unit says nothing about requests",
			rateLimitHeader("RateLimit-Policy", `"bytes";q=65535;qu="content-bytes";w=10`),
			map[string]quotaPolicy{}, map[string]serviceLimit{}},
		{"items without a required parameter, or with a wrong type, are ignored",
			rateLimitHeader("RateLimit-Policy", `"nowindow";q=10, "zero";q=10;w=0, "text";q="10";w=1, "negative";q=-1;w=1, token;q=1;w=1`,
				"RateLimit", `"missing";t=1, "decimal";r=1.5`),
			map[string]quotaPolicy{}, map[string]serviceLimit{}},
		{"a field that is not a Structured Field list is ignored whole",
			rateLimitHeader("RateLimit-Policy", `"organization";q=10;w=1`, "RateLimit", `limit=10, remaining=7`),
			map[string]quotaPolicy{"organization": {10, time.Second}}, map[string]serviceLimit{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := parseRateLimitFields(tc.header)
			if !reflect.DeepEqual(got.policies, tc.wantPolicies) {
				t.Errorf("policies = %v, want %v", got.policies, tc.wantPolicies)
			}
			if !reflect.DeepEqual(got.limits, tc.wantLimits) {
				t.Errorf("limits = %v, want %v", got.limits, tc.wantLimits)
			}
		})
	}
}

func TestPaceFromRateLimitFields(t *testing.T) {
	t.Parallel()
	const policy = `"organization";q=10;w=1`
	cases := []struct {
		name      string
		status    int
		header    http.Header
		wantLimit rate.Limit
		wantPause time.Duration
	}{
		{"no fields, no 429: unpaced", http.StatusOK, http.Header{}, rate.Inf, 0},
		{"the policy alone: its rate", http.StatusOK, rateLimitHeader("RateLimit-Policy", `"organization";q=120;w=60`), 2, 0},
		{"half the quota or more left: the full rate", http.StatusOK,
			rateLimitHeader("RateLimit-Policy", policy, "RateLimit", `"organization";r=5;t=1`), 10, 0},
		{"less than half left: proportionally slower", http.StatusOK,
			rateLimitHeader("RateLimit-Policy", policy, "RateLimit", `"organization";r=2;t=1`), 4, 0},
		{"used up: the slowest share, and a pause for the effective window", http.StatusOK,
			rateLimitHeader("RateLimit-Policy", policy, "RateLimit", `"organization";r=0;t=3`), 1, 3 * time.Second},
		{"a 429's Retry-After takes precedence over the window", http.StatusTooManyRequests,
			rateLimitHeader("RateLimit-Policy", policy, "RateLimit", `"organization";r=0;t=1`, "Retry-After", "2"), 1, 2 * time.Second},
		{"a 429 without Retry-After pauses a second", http.StatusTooManyRequests,
			rateLimitHeader("RateLimit-Policy", policy, "RateLimit", `"organization";r=0;t=1`), 1, time.Second},
		{"a Retry-After beyond reason is capped", http.StatusTooManyRequests,
			rateLimitHeader("Retry-After", "86400"), rate.Inf, maxRetryAfter},
		{"the tightest of several policies", http.StatusOK,
			rateLimitHeader("RateLimit-Policy", `"burst";q=100;w=1, "minute";q=600;w=60`, "RateLimit", `"burst";r=90;t=1, "minute";r=600;t=60`), 10, 0},
		{"no policy: no more than r within t", http.StatusOK, rateLimitHeader("RateLimit", `"default";r=50;t=10`), 5, 0},
		{"a quota of zero slows down but never stops", http.StatusOK,
			rateLimitHeader("RateLimit-Policy", `"none";q=0;w=1`), slowestPace, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newPaceState()
			pause := s.observe(paceStart, tc.status, tc.header)
			if s.limit != tc.wantLimit || pause != tc.wantPause {
				t.Errorf("limit %v, pause %v; want %v, %v", s.limit, pause, tc.wantLimit, tc.wantPause)
			}
			if want := paceStart.Add(tc.wantPause); tc.wantPause > 0 && !s.pauseUntil.Equal(want) {
				t.Errorf("pauseUntil = %v, want %v", s.pauseUntil, want)
			}
		})
	}
}

// What is left above the half of the quota kept for others may go at once.
func TestPaceBurst(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		header http.Header
		want   int
	}{
		{rateLimitHeader("RateLimit-Policy", `"organization";q=20;w=1`, "RateLimit", `"organization";r=19;t=1`), 9},
		{rateLimitHeader("RateLimit-Policy", `"organization";q=20;w=1`, "RateLimit", `"organization";r=10;t=1`), 1},
		{rateLimitHeader("RateLimit-Policy", `"organization";q=20;w=1`, "RateLimit", `"organization";r=0;t=1`), 1},
		{rateLimitHeader("RateLimit-Policy", `"organization";q=20;w=1`), 1},
		{rateLimitHeader("RateLimit-Policy", `"second";q=20;w=1, "minute";q=600;w=60`, "RateLimit", `"second";r=20;t=0, "minute";r=303;t=60`), 3},
		{http.Header{}, 1},
	} {
		s := newPaceState()
		s.observe(paceStart, http.StatusOK, tc.header)
		if s.burst != tc.want {
			t.Errorf("burst %d after %v, want %d", s.burst, tc.header, tc.want)
		}
	}
}

// Clients sharing an organization see the same remaining quota, so the same
// pace: two of them at r = q/4 each send half the limit, together all of it.
func TestPaceSharesTheLimit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		clients   int
		remaining string
	}{{1, "19"}, {2, "5"}, {5, "2"}} {
		s := newPaceState()
		s.observe(paceStart, http.StatusOK, rateLimitHeader("RateLimit-Policy", `"organization";q=20;w=1`, "RateLimit", `"organization";r=`+tc.remaining+`;t=1`))
		if together := float64(s.limit) * float64(tc.clients); together < 19 || together > 20 {
			t.Errorf("%d clients at r=%s send %.1f requests/s together, want about the limit of 20", tc.clients, tc.remaining, together)
		}
	}
}

func TestPaceKeepsThePolicyAndTheLongerPause(t *testing.T) {
	t.Parallel()
	s := newPaceState()
	s.observe(paceStart, http.StatusOK, rateLimitHeader("RateLimit-Policy", `"organization";q=10;w=1`))
	s.observe(paceStart, http.StatusOK, rateLimitHeader("RateLimit", `"organization";r=1;t=1`))
	if s.limit != 2 {
		t.Errorf("limit = %v, want 2: the policy of an earlier response with this one's r", s.limit)
	}
	if pause := s.observe(paceStart, http.StatusTooManyRequests, rateLimitHeader("Retry-After", "5")); pause != 5*time.Second {
		t.Fatalf("pause = %v, want 5s", pause)
	}
	if pause := s.observe(paceStart.Add(time.Second), http.StatusTooManyRequests, rateLimitHeader("Retry-After", "1")); pause != 0 {
		t.Errorf("a shorter pause inside a longer one began: %v", pause)
	}
	if want := paceStart.Add(5 * time.Second); !s.pauseUntil.Equal(want) {
		t.Errorf("pauseUntil = %v, want %v", s.pauseUntil, want)
	}
	// Once RateLimit fields were seen, a response without them (a 401 is
	// answered before the limit) changes nothing.
	s.observe(paceStart, http.StatusUnauthorized, http.Header{})
	if s.limit != 2 {
		t.Errorf("a response without fields changed the limit to %v", s.limit)
	}
}

// Without RateLimit fields, the pace is learned from 429s: the rate the
// server accepted over the last second, raised by probeStep per acceptance.
func TestPaceFromRetryAfterAlone(t *testing.T) {
	t.Parallel()
	s := newPaceState()
	at := func(ms int) time.Time { return paceStart.Add(time.Duration(ms) * time.Millisecond) }
	for i := range 8 {
		s.observe(at(100*i), http.StatusOK, http.Header{})
	}
	if s.limit != rate.Inf {
		t.Fatalf("limit %v before any 429, want unpaced", s.limit)
	}
	// At 1000 ms, the accepted responses of the last second are those at
	// 100..700 ms: seven.
	pause := s.observe(at(1000), http.StatusTooManyRequests, rateLimitHeader("Retry-After", "1"))
	if s.limit != 7 || pause != time.Second {
		t.Fatalf("after a 429: limit %v, pause %v; want 7, 1s", s.limit, pause)
	}
	s.observe(at(2000), http.StatusOK, http.Header{})
	probed := s.limit
	if want := 7 * (1 + probeStep); math.Abs(float64(probed)-want) > 1e-9 {
		t.Errorf("after an accepted request: limit %v, want %v", probed, want)
	}
	// A 429 with nothing accepted in the last second teaches no rate.
	s.observe(at(9000), http.StatusTooManyRequests, rateLimitHeader("Retry-After", "0"))
	if s.limit != probed {
		t.Errorf("a 429 after a quiet second changed the limit from %v to %v", probed, s.limit)
	}
}

// The pacer turns the state into waits: one request until the first answer,
// then a burst of one and one request per 1/limit; nothing during a pause; a
// cancelled wait gives its turn back; and a change of pace tells the request
// first in line to book again.
func TestPacerAdmits(t *testing.T) {
	t.Parallel()
	p := newPacer()
	// Before any response, one request goes and the rest wait for its answer.
	if d, _, _ := p.admit(paceStart, false); d != 0 {
		t.Fatalf("the first request waits %v", d)
	}
	d, booked, answered := p.admit(paceStart.Add(100*time.Millisecond), false)
	if booked != nil || d != probeTimeout-100*time.Millisecond {
		t.Errorf("before the first answer: wait %v, booked %v; want the rest of probeTimeout, nothing booked", d, booked != nil)
	}
	if d, _, _ := p.admit(paceStart.Add(200*time.Millisecond), true); d != 0 {
		t.Errorf("a retry of the first request (it got no answer) waits %v", d)
	}
	if d, _, _ := p.admit(paceStart.Add(probeTimeout), false); d != 0 {
		t.Errorf("a request after probeTimeout without an answer waits %v", d)
	}
	p.observe(paceStart, http.StatusOK, http.Header{})
	select {
	case <-answered:
	default:
		t.Error("the first answer did not tell the waiting")
	}
	for range 3 {
		if d, _, _ := p.admit(paceStart, false); d != 0 {
			t.Fatalf("unpaced request waits %v", d)
		}
	}
	p.observe(paceStart, http.StatusOK, rateLimitHeader("RateLimit-Policy", `"organization";q=4;w=1`, "RateLimit", `"organization";r=3;t=1`))
	var delays []time.Duration
	for range 3 {
		d, booked, _ := p.admit(paceStart, false)
		if booked == nil {
			t.Fatal("no reservation outside a pause")
		}
		delays = append(delays, d)
	}
	if want := []time.Duration{0, 250 * time.Millisecond, 500 * time.Millisecond}; !reflect.DeepEqual(delays, want) {
		t.Errorf("delays %v, want %v", delays, want)
	}
	_, last, changed := p.admit(paceStart, false)
	last.CancelAt(paceStart)
	if d, _, _ := p.admit(paceStart, false); d != 750*time.Millisecond {
		t.Errorf("after a cancelled turn the next waits %v, want 750ms", d)
	}

	// The same pace again changes nothing; a new one tells the waiting.
	p.observe(paceStart, http.StatusOK, rateLimitHeader("RateLimit", `"organization";r=3;t=1`))
	select {
	case <-changed:
		t.Error("the same pace again signalled a change")
	default:
	}
	p.observe(paceStart, http.StatusOK, rateLimitHeader("RateLimit", `"organization";r=1;t=1`))
	select {
	case <-changed:
	default:
		t.Error("a slower pace did not signal a change")
	}

	p.observe(paceStart, http.StatusTooManyRequests, rateLimitHeader("Retry-After", "2"))
	d, booked, _ = p.admit(paceStart.Add(time.Second), false)
	if booked != nil || d != time.Second {
		t.Errorf("during a pause: wait %v, booked %v; want 1s and nothing booked", d, booked != nil)
	}
}

func TestPacerWaitEndsWithItsContext(t *testing.T) {
	t.Parallel()
	p := newPacer()
	p.observe(time.Now(), http.StatusTooManyRequests, rateLimitHeader("Retry-After", "30"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.wait(ctx, false, time.Time{}); !errors.Is(err, context.Canceled) {
		t.Errorf("wait = %v, want context.Canceled", err)
	}
}

// One pacer per endpoint and organization for the whole process; a client of
// the key owner's organization ("current") shares only with the same key.
func TestSharedPacer(t *testing.T) {
	t.Parallel()
	const a, b = "http://horizon-a.test", "http://horizon-b.test"
	same := func(p, q *pacer) bool { return p == q }
	if !same(sharedPacer(a, "org_1", "fmcp_one"), sharedPacer(a, "org_1", "fmcp_two")) {
		t.Error("two keys of one organization do not share")
	}
	if same(sharedPacer(a, "org_1", "fmcp_one"), sharedPacer(b, "org_1", "fmcp_one")) {
		t.Error("two endpoints share")
	}
	if same(sharedPacer(a, "org_1", "fmcp_one"), sharedPacer(a, "org_2", "fmcp_one")) {
		t.Error("two organizations share")
	}
	if !same(sharedPacer(a, CurrentOrganization, "fmcp_one"), sharedPacer(a, CurrentOrganization, "fmcp_one")) {
		t.Error("one key of the current organization does not share")
	}
	if same(sharedPacer(a, CurrentOrganization, "fmcp_one"), sharedPacer(a, CurrentOrganization, "fmcp_two")) {
		t.Error("two keys whose organizations are unknown share")
	}
}

// Every response a client receives teaches the pacer it shares, and every
// client of the same organization waits at it.
func TestClientsShareThePace(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("RateLimit-Policy", `"organization";q=8;w=1`)
		w.Header().Set("RateLimit", `"organization";r=2;t=1`)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"servers": []}`))
	}))
	t.Cleanup(srv.Close)
	first, err := New(Config{Endpoint: srv.URL, APIKey: testAPIKey, OrganizationID: "org_shared"})
	if err != nil {
		t.Fatal(err)
	}
	second, err := New(Config{Endpoint: srv.URL + "/", APIKey: "fmcp_anotherKeyOfTheSameOrganization00000", OrganizationID: "org_shared"})
	if err != nil {
		t.Fatal(err)
	}
	if first.pacer != second.pacer {
		t.Fatal("two clients of one endpoint and organization have separate pacers")
	}
	if _, err := first.ListServers(context.Background()); err != nil {
		t.Fatal(err)
	}
	second.pacer.mu.Lock()
	defer second.pacer.mu.Unlock()
	if got := second.pacer.state.limit; got != 4 {
		t.Errorf("the shared pace is %v, want 4 (8 per second, a quarter of it left)", got)
	}
}
