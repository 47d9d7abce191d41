package server

import (
	"sync"
	"sync/atomic"
	"time"
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

// take spends one token of key's bucket. When none is left it returns false
// and how long until one will be.
func (l *rateLimiter) take(key string, now time.Time) (bool, time.Duration) {
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
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	l.refused.Add(1)
	return false, time.Duration((1 - b.tokens) / l.perSecond * float64(time.Second))
}
