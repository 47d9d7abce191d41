package client

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

// TestHostileRetryAfterEndsAtOnce is the attack that found it: a server that
// answers every request with 429 and Retry-After: 999999 held an apply for
// half an hour (60 retries of 30 s each; max_retries does not count 429s).
// A wait longer than the whole budget is not begun: the request ends at once,
// saying what the server asked for.
func TestHostileRetryAfterEndsAtOnce(t *testing.T) {
	t.Parallel()
	srv, log := scriptedServer(t, reply{status: http.StatusTooManyRequests, code: api.CodeRateLimited, retryAfter: "999999"})
	c := newTestClient(t, srv.URL) // the default budget, DefaultMaxWait
	// A safety net only: without the budget, the request would wait here.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	_, err := c.GetServiceAccount(ctx, "sa_a")

	var budget *WaitBudgetError
	if !errors.As(err, &budget) {
		t.Fatalf("err = %v (%T), want a *WaitBudgetError", err, err)
	}
	if log.count() != 1 || budget.Attempts != 1 {
		t.Errorf("%d requests, %d attempts; want one of each: a wait past the budget is not begun", log.count(), budget.Attempts)
	}
	if budget.Budget != DefaultMaxWait || budget.Wait != 999999*time.Second {
		t.Errorf("budget %s, wait %s; want %s and 999999s", budget.Budget, budget.Wait, DefaultMaxWait)
	}
	for _, want := range []string{"gave up after", "1 attempt", "429", "Retry-After: 999999", "5m0s"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if !errors.Is(err, ErrRateLimited) {
		t.Errorf("errors.Is(err, ErrRateLimited) = false for %v", err)
	}
}

// TestRepeatedRetryAfterEndsWithinTheBudget: a server that keeps asking for a
// short wait gets waited for until the next wait would pass the budget.
func TestRepeatedRetryAfterEndsWithinTheBudget(t *testing.T) {
	t.Parallel()
	srv, log := scriptedServer(t, reply{status: http.StatusTooManyRequests, code: api.CodeRateLimited, retryAfter: "1"})
	c := newTestClient(t, srv.URL, func(cfg *Config) { cfg.MaxWait = 2500 * time.Millisecond })

	start := time.Now()
	_, err := c.GetServiceAccount(t.Context(), "sa_a")
	took := time.Since(start)

	var budget *WaitBudgetError
	if !errors.As(err, &budget) {
		t.Fatalf("err = %v (%T), want a *WaitBudgetError", err, err)
	}
	// Waits of 1 s at 0, 1 and 2 s fit; the third would end at 3 s.
	if log.count() != 3 || budget.Attempts != 3 {
		t.Errorf("%d requests, %d attempts; want 3", log.count(), budget.Attempts)
	}
	if took > budget.Budget || budget.Elapsed > took {
		t.Errorf("took %s, elapsed %s: want both within the budget of %s", took, budget.Elapsed, budget.Budget)
	}
}

// TestBudgetBoundsBackoffToo: retries of 5xx and of lost responses stay
// within the budget, however many max_retries allows.
func TestBudgetBoundsBackoffToo(t *testing.T) {
	t.Parallel()
	for name, script := range map[string]reply{"500": fail(http.StatusInternalServerError), "lost response": drop()} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv, log := scriptedServer(t, script)
			c := newTestClient(t, srv.URL, maxRetries(10), func(cfg *Config) {
				cfg.RetryWaitMin, cfg.RetryWaitMax = 400*time.Millisecond, 400*time.Millisecond
				cfg.MaxWait = time.Second
			})
			_, err := c.GetServiceAccount(t.Context(), "sa_a")
			var budget *WaitBudgetError
			if !errors.As(err, &budget) {
				t.Fatalf("err = %v (%T), want a *WaitBudgetError", err, err)
			}
			// Backoffs of 200 to 400 ms: at most four attempts fit in a second.
			if n := log.count(); n < 2 || n > 5 {
				t.Errorf("%d requests within a budget of 1s and backoffs of at least 200ms", n)
			}
			if script.drop && !errors.Is(err, ErrUnreachable) {
				t.Errorf("a request that got no response should still be ErrUnreachable: %v", err)
			}
		})
	}
}

func TestNegativeWaitBudgetIsRefused(t *testing.T) {
	t.Parallel()
	if _, err := New(Config{Endpoint: "http://127.0.0.1:1", APIKey: testAPIKey, MaxWait: -time.Second}); err == nil {
		t.Error("New accepted a negative MaxWait")
	}
}

// TestBudgetBoundsPacing: a turn at the pacer that would come after the
// budget ends the request before it is sent. The server said its quota is
// used up for a minute; with ten seconds to spend, the next request does
// not wait for it.
func TestBudgetBoundsPacing(t *testing.T) {
	t.Parallel()
	exhausted := http.Header{}
	exhausted.Set(headerRateLimitPolicy, `"organization";q=10;w=1`)
	exhausted.Set(headerRateLimit, `"organization";r=0;t=60`)
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		requests.Add(1)
		maps.Copy(w.Header(), exhausted)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"sa_a"}`))
	}))
	t.Cleanup(srv.Close)
	c := newTestClient(t, srv.URL, func(cfg *Config) { cfg.MaxWait = 10 * time.Second })
	if _, err := c.GetServiceAccount(t.Context(), "sa_a"); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	_, err := c.GetServiceAccount(t.Context(), "sa_a")

	var budget *WaitBudgetError
	if !errors.As(err, &budget) {
		t.Fatalf("err = %v (%T), want a *WaitBudgetError", err, err)
	}
	if took := time.Since(start); took > budget.Budget || budget.Attempts != 0 || requests.Load() != 1 {
		t.Errorf("took %s, %d attempts, the server saw %d requests; want no wait and no second request", took, budget.Attempts, requests.Load())
	}
	if !strings.Contains(err.Error(), "rate limit would hold the request") {
		t.Errorf("error %q does not say that the pace would hold it", err)
	}
}
