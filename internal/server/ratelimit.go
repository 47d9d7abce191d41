package server

import (
	"math"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dunglas/httpsfv"
)

// rateLimiter is a token bucket per organization with burst equal to the
// per-second rate. It reads time from the server's clock so tests can hold
// time still.
type rateLimiter struct {
	perSecond float64
	mu        sync.Mutex
	buckets   map[string]*tokenBucket
	// refused counts the requests answered with 429, for benchmarks.
	refused atomic.Int64
}

type tokenBucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(perSecond int) *rateLimiter {
	return &rateLimiter{perSecond: float64(perSecond), buckets: map[string]*tokenBucket{}}
}

// quotaState is an organization's bucket as one request left it.
type quotaState struct {
	// allowed says whether the request got a token.
	allowed bool
	// remaining is how many whole requests the bucket holds now.
	remaining int
	// untilFull is how long until the bucket is full again.
	untilFull time.Duration
	// retryAfter, for a refused request, is how long until a token is back.
	retryAfter time.Duration
}

// take spends one token of key's bucket, if there is one, and reports what
// is left.
func (l *rateLimiter) take(key string, now time.Time) quotaState {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		b = &tokenBucket{tokens: l.perSecond, last: now}
		l.buckets[key] = b
	}
	// A clock set backwards must not drain or overfill the bucket.
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(l.perSecond, b.tokens+elapsed.Seconds()*l.perSecond)
		b.last = now
	}
	state := quotaState{allowed: b.tokens >= 1}
	if state.allowed {
		b.tokens--
	} else {
		l.refused.Add(1)
		state.retryAfter = l.durationFor(1 - b.tokens)
	}
	state.remaining = int(b.tokens)
	state.untilFull = l.durationFor(l.perSecond - b.tokens)
	return state
}

func (l *rateLimiter) durationFor(tokens float64) time.Duration {
	return time.Duration(tokens / l.perSecond * float64(time.Second))
}

// rateLimitPolicyName names the one quota policy: every organization has its
// own bucket, and all its keys share it.
const rateLimitPolicyName = "organization"

// setHeaders writes the fields of the IETF httpapi draft "RateLimit header
// fields for HTTP" (Structured Field lists): the policy, a quota of q
// requests per window of w seconds, and the current limit, r requests left
// and t seconds until the bucket is full again (rounded up, as the draft's
// integers must be; a refusal's Retry-After is never earlier).
//
//	RateLimit-Policy: "organization";q=10;w=1
//	RateLimit: "organization";r=7;t=1
func (l *rateLimiter) setHeaders(h http.Header, state quotaState) {
	policy := httpsfv.NewItem(rateLimitPolicyName)
	policy.Params.Add("q", int64(l.perSecond))
	policy.Params.Add("w", int64(1))
	current := httpsfv.NewItem(rateLimitPolicyName)
	current.Params.Add("r", int64(state.remaining))
	current.Params.Add("t", int64(math.Ceil(state.untilFull.Seconds())))
	for name, item := range map[string]httpsfv.Item{"RateLimit-Policy": policy, "RateLimit": current} {
		if value, err := httpsfv.Marshal(httpsfv.List{item}); err == nil {
			h.Set(name, value)
		}
	}
}
