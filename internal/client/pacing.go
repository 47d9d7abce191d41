package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"math"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Pacing, in one place. Horizon applies one rate limit to a whole organization,
// so every request refused with 429 is capacity taken from the organization's
// other pipelines. Every request of this process to one endpoint and
// organization therefore waits its turn at one shared pacer, whose pace comes
// from what the server says:
//
//   - RateLimit-Policy gives the organization's sustained rate (q per w seconds).
//     The pacer allows all of it while at least half of the quota is left
//     (RateLimit r >= q/2), and proportionally less below that, down to
//     minShare; what is left above that half may go at once, after a gap. Every client sharing the organization, in this process or
//     another, sees the same r, so together they settle where their requests
//     match the limit and the quota is not used up: with k of them, near
//     r = q/(2k).
//   - A quota used up (r = 0) holds every request for the effective window t; a
//     429 holds them for its Retry-After, which takes precedence (the draft's rule).
//   - Until the first response arrives, only one request goes (and its
//     retries): the others wait for what it says about the limit, at most
//     probeTimeout, so a new provider process does not open with a burst into
//     an organization that others use.
//   - A server that sends no RateLimit fields is paced from its 429s alone: the
//     pace becomes the rate it accepted over the last estimateWindow (if it
//     accepted any), and then grows by probeStep with every accepted request,
//     to find a raised limit.
//
// The retry policy (retry.go) still handles the 429s that pacing cannot
// prevent, such as another organization member's burst.
const (
	fullSpeedShare = 0.5
	minShare       = 0.1
	estimateWindow = time.Second
	probeStep      = 0.02
	// defaultRateLimitPause holds requests after a 429 without Retry-After.
	defaultRateLimitPause = time.Second
	// probeTimeout bounds the wait for the first response.
	probeTimeout = time.Second
)

// slowestPace is the floor of any pace, so that a server claiming a quota of
// zero slows the client down instead of stopping it for good.
var slowestPace = rate.Every(10 * time.Second)

// paceState is what a pacer has learned about its organization's quota, and
// the pace it sets from that.
type paceState struct {
	// limit is the allowed rate in requests per second; rate.Inf until the
	// server says otherwise.
	limit rate.Limit
	// burst is how many requests may go at once, after a gap.
	burst int
	// pauseUntil holds every request until then.
	pauseUntil time.Time
	// policies are the quota policies the server announced, kept for
	// responses that carry only RateLimit.
	policies map[string]quotaPolicy
	// fields is set once the server has sent RateLimit fields; until then
	// the pace is learned from 429s.
	fields bool
	// accepted holds the times of the responses other than 429 within the
	// last estimateWindow, while fields is not set.
	accepted []time.Time
	// answered is set by the first response; until then, probeUntil holds the
	// requests after the first.
	answered   bool
	probeUntil time.Time
}

func newPaceState() paceState {
	return paceState{limit: rate.Inf, burst: 1, policies: map[string]quotaPolicy{}}
}

// observe updates the state from one response received at now, and returns
// the pause it began (zero if none).
func (s *paceState) observe(now time.Time, status int, h http.Header) time.Duration {
	s.answered = true
	var pause time.Duration
	if f := parseRateLimitFields(h); f.present() {
		s.fields = true
		maps.Copy(s.policies, f.policies)
		s.limit, s.burst, pause = paceFromFields(s.policies, f.limits)
	} else if !s.fields {
		s.learnFromStatus(now, status)
	}
	if status == http.StatusTooManyRequests {
		pause = defaultRateLimitPause
		if wait, ok := retryAfter(h.Get("Retry-After")); ok {
			pause = wait
		}
	}
	pause = min(pause, maxRetryAfter)
	if until := now.Add(pause); pause > 0 && until.After(s.pauseUntil) {
		s.pauseUntil = until
		return pause
	}
	return 0
}

// paceFromFields is the pace that a response's RateLimit fields ask for: the
// tightest over the named policies, and the longest pause. The burst is the
// quota left above the half kept for others (at least one request), so a
// client whose requests came with gaps can make up for them without
// touching that half.
func paceFromFields(policies map[string]quotaPolicy, limits map[string]serviceLimit) (limit rate.Limit, burst int, pause time.Duration) {
	limit, burst = rate.Inf, math.MaxInt
	for name, policy := range policies {
		share, spare := 1.0, 1
		if current, ok := limits[name]; ok && policy.quota > 0 {
			reserve := fullSpeedShare * float64(policy.quota)
			share = min(1, max(minShare, float64(current.remaining)/reserve))
			spare = max(1, int(float64(current.remaining)-math.Ceil(reserve)))
		}
		limit, burst = min(limit, rate.Limit(policy.perSecond()*share)), min(burst, spare)
	}
	for name, current := range limits {
		switch _, known := policies[name]; {
		case current.remaining == 0:
			pause = max(pause, current.reset)
		case !known && current.reset > 0:
			// Without a policy, the draft's own rule: no more than r within t.
			limit = min(limit, rate.Limit(float64(current.remaining)/current.reset.Seconds()))
		}
	}
	if burst == math.MaxInt {
		burst = 1
	}
	return max(limit, slowestPace), burst, pause
}

// learnFromStatus paces a server that sends no RateLimit fields.
func (s *paceState) learnFromStatus(now time.Time, status int) {
	cutoff := now.Add(-estimateWindow)
	kept := s.accepted[:0]
	for _, t := range s.accepted {
		if t.After(cutoff) {
			kept = append(kept, t)
		}
	}
	s.accepted = kept
	if status == http.StatusTooManyRequests {
		// With nothing accepted lately there is no rate to learn: the
		// Retry-After pause is all the server said.
		if len(s.accepted) > 0 {
			s.limit = max(rate.Limit(float64(len(s.accepted))/estimateWindow.Seconds()), slowestPace)
		}
		return
	}
	s.accepted = append(s.accepted, now)
	if s.limit != rate.Inf {
		s.limit *= 1 + probeStep
	}
}

// pacer holds one organization's paceState and the limiter that enforces it.
//
// Requests wait in line, and only the first of the line books a turn with the
// limiter: a line of requests that all booked turns at a slow pace would keep
// them however fast the pace became. When the pace changes, the first request
// books again at the new one.
type pacer struct {
	line    chan struct{} // holds a value while a request is first in line
	mu      sync.Mutex
	state   paceState
	limiter *rate.Limiter
	// changed is closed, and replaced, whenever the pace or the pause changes.
	changed chan struct{}
}

func newPacer() *pacer {
	return &pacer{
		line:    make(chan struct{}, 1),
		state:   newPaceState(),
		limiter: rate.NewLimiter(rate.Inf, 1),
		changed: make(chan struct{}),
	}
}

// observe learns from a response received at now and returns the pause it
// began (zero if none).
func (p *pacer) observe(now time.Time, status int, h http.Header) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	before, burst, answered := p.state.limit, p.state.burst, p.state.answered
	pause := p.state.observe(now, status, h)
	if p.state.limit != before {
		p.limiter.SetLimitAt(now, p.state.limit)
	}
	if p.state.burst != burst {
		p.limiter.SetBurstAt(now, p.state.burst)
	}
	if p.state.limit != before || p.state.burst != burst || pause > 0 || !answered {
		close(p.changed)
		p.changed = make(chan struct{})
	}
	return pause
}

// admit books a request at now and returns how long it must wait before it
// is sent, with the reservation to cancel if it gives up or books again, and
// a channel closed when the pace changes. While the pacer is paused, or waits
// for the first response, it books nothing: the reservation is nil and the
// caller asks again when the wait is over or the pace changes.
func (p *pacer) admit(now time.Time, retry bool) (time.Duration, *rate.Reservation, <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state.pauseUntil.After(now) {
		return p.state.pauseUntil.Sub(now), nil, p.changed
	}
	if !p.state.answered && !retry {
		if p.state.probeUntil.After(now) {
			return p.state.probeUntil.Sub(now), nil, p.changed
		}
		p.state.probeUntil = now.Add(probeTimeout)
	}
	r := p.limiter.ReserveN(now, 1)
	return r.DelayFrom(now), r, p.changed
}

// paceBeyondBudget is the answer of wait when the pace asks for a wait that
// would end after the request's budget.
type paceBeyondBudget struct {
	delay time.Duration
}

func (e *paceBeyondBudget) Error() string {
	return "the organization's rate limit would hold the request for " + e.delay.Round(time.Millisecond).String()
}

// wait blocks until the pace allows one more request, or ctx ends. A retry
// is the retry of a request that was sent. A wait that would end after
// deadline (unless zero) is not begun: wait returns a *paceBeyondBudget.
func (p *pacer) wait(ctx context.Context, retry bool, deadline time.Time) error {
	select {
	case p.line <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-p.line }()
	for {
		now := time.Now()
		delay, booked, changed := p.admit(now, retry)
		if delay <= 0 {
			return nil
		}
		if !deadline.IsZero() && now.Add(delay).After(deadline) {
			if booked != nil {
				booked.Cancel()
			}
			return &paceBeyondBudget{delay: delay}
		}
		timer := time.NewTimer(delay)
		select {
		case <-timer.C:
			if booked != nil {
				return nil
			}
		case <-changed:
			timer.Stop()
			if booked != nil {
				booked.Cancel()
			}
		case <-ctx.Done():
			timer.Stop()
			if booked != nil {
				booked.Cancel()
			}
			return ctx.Err()
		}
	}
}

// pacers holds one pacer per endpoint and organization for the whole
// process: a plan may configure the provider more than once (aliases), and
// every client sharing an organization shares its limit.
var pacers sync.Map

// sharedPacer returns the process's pacer for an organization of endpoint.
// A client that addresses its key owner's organization ("current") does not
// know which one that is, so it shares with the clients using the same key
// only; the key enters the map only as a hash.
func sharedPacer(endpoint, org, apiKey string) *pacer {
	id := "org:" + org
	if org == CurrentOrganization {
		sum := sha256.Sum256([]byte(apiKey))
		id = "key:" + hex.EncodeToString(sum[:])
	}
	p, _ := pacers.LoadOrStore(endpoint+"\x00"+id, newPacer())
	return p.(*pacer)
}
