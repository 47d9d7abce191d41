package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// The retry policy, in one place:
//
//   - 429 is always retried after the Retry-After the server asks for. The server
//     refused before doing anything, so the retry is safe for every method, and it
//     does not use up MaxRetries (a busy organization slows an apply down, it does
//     not fail it); maxRateLimitRetries bounds how often.
//   - 5xx (but 501) and transport errors are retried up to MaxRetries times, but only
//     for idempotent requests: GET, PUT, PATCH and DELETE, and a POST that carries an
//     Idempotency-Key (every create this client sends does), because the server
//     replays the original response instead of creating a second object. A POST
//     without one is never retried after it may have reached the server.
//   - Nothing else is retried: 400, 401, 403, 404 and 409 are answers, not faults.
//   - Errors that cannot heal (bad URL scheme, TLS certificate, an https:// endpoint
//     that answers in plain HTTP, too many redirects) are never retried.
//   - Every request has a wait budget, MaxWait: no wait (a Retry-After, a backoff,
//     the pacer's turn) begins that would end past MaxWait after the request
//     began. The request ends instead, with a *WaitBudgetError that says how long
//     it took and what it would have waited for: a server that answers 429 with
//     Retry-After: 999999 ends it at once, one that asks for 30 s again and again
//     ends it within MaxWait. An attempt under way is never cut off by the budget
//     (a create may have been committed): MaxWait bounds the time until the last
//     attempt begins, and RequestTimeout that attempt.
//
// checkRetry decides, and checks the wait against the budget; retryablehttp
// then waits what waitBefore says, which is never longer than what checkRetry
// checked.
const maxRateLimitRetries = 60

// DefaultMaxWait is the wait budget of one request when the configuration does
// not say: a few minutes, long enough to ride out a rate limit shared with other
// pipelines, short enough that a hostile or broken server cannot hold an apply.
const DefaultMaxWait = 5 * time.Minute

// attemptBudget counts, per logical request, the retries spent on faults and on
// rate limits, and the time the request may take before its last attempt.
type attemptBudget struct {
	idempotent  bool
	maxRetries  int
	faults      int
	rateLimited int
	// start and deadline bound the request's waits: none ends after deadline.
	start, deadline time.Time
	// minWait and maxWait bound the exponential backoff.
	minWait, maxWait time.Duration
	// exhausted is set when a wait would have passed the deadline.
	exhausted *WaitBudgetError
	// abort ends the attempt about to be sent, before it is sent: the pacer
	// waits in a hook that cannot stop the attempt otherwise.
	abort context.CancelFunc
	// lastStatus and lastErr are the outcome of the last attempt, for a
	// request that runs out of its budget while the pacer holds its retry.
	lastStatus int
	lastErr    error
}

// outOfBudget ends the request here, saying what it would have waited for.
func (b *attemptBudget) outOfBudget(now time.Time, reason string, wait time.Duration, last error) {
	b.exhausted = &WaitBudgetError{
		Budget: b.deadline.Sub(b.start), Elapsed: now.Sub(b.start), Attempts: b.attempts() - 1,
		Reason: reason, Wait: wait, Last: last,
	}
}

type budgetKey struct{}

func withBudget(ctx context.Context, b *attemptBudget) context.Context {
	return context.WithValue(ctx, budgetKey{}, b)
}

// checkRetry implements the policy above for retryablehttp.
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return false, ctxErr
	}
	b, _ := ctx.Value(budgetKey{}).(*attemptBudget)
	if b == nil {
		return false, err
	}
	if !b.retryable(resp, err) {
		return false, err
	}
	b.lastErr, b.lastStatus = err, 0
	if resp != nil {
		b.lastStatus = resp.StatusCode
	}
	wait, reason := b.longestWait(resp)
	if now := time.Now(); now.Add(wait).After(b.deadline) {
		b.outOfBudget(now, reason, wait, err)
		return false, b.exhausted
	}
	return true, err
}

// retryable applies the policy to one outcome, and counts the retry it allows.
func (b *attemptBudget) retryable(resp *http.Response, err error) bool {
	if err != nil {
		return retryableTransportError(err) && b.spendFault()
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		if b.rateLimited >= maxRateLimitRetries {
			return false
		}
		b.rateLimited++
		return true
	case resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented:
		return b.spendFault()
	}
	return false
}

// longestWait is the longest that waitBefore may wait before the retry that
// retryable allowed, and what for: the Retry-After of a 429 or 503, as long
// as it asks, or else the ceiling of the exponential backoff.
func (b *attemptBudget) longestWait(resp *http.Response) (time.Duration, string) {
	retry := b.faults + b.rateLimited - 1 // retryablehttp's number of the attempt that failed
	if resp == nil {
		return backoffCeiling(b.minWait, b.maxWait, retry), "no response from the server; the next attempt would begin after a backoff"
	}
	if wait, value, ok := askedWait(resp); ok {
		return wait, fmt.Sprintf("the server answered %d and asked to be retried after %s (Retry-After: %s)", resp.StatusCode, wait, value)
	}
	return backoffCeiling(b.minWait, b.maxWait, retry),
		fmt.Sprintf("the server answered %d; the next attempt would begin after a backoff", resp.StatusCode)
}

// waitBefore is retryablehttp's Backoff: the Retry-After that a 429 or 503
// asks for, as long as it asks (checkRetry has checked it against the
// budget), or else an exponential backoff.
func waitBefore(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
	if wait, _, ok := askedWait(resp); ok {
		return wait
	}
	return backoff(minWait, maxWait, attempt)
}

// askedWait is the wait that a 429 or 503 asks for in its Retry-After.
func askedWait(resp *http.Response) (time.Duration, string, bool) {
	if resp == nil || (resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable) {
		return 0, "", false
	}
	value := resp.Header.Get("Retry-After")
	wait, ok := retryAfter(value)
	return wait, value, ok
}

// attempts is how many times the request was sent, counting the retry that
// checkRetry just allowed.
func (b *attemptBudget) attempts() int { return 1 + b.faults + b.rateLimited }

func (b *attemptBudget) spendFault() bool {
	if !b.idempotent || b.faults >= b.maxRetries {
		return false
	}
	b.faults++
	return true
}

// WaitBudgetError ends a request that would have waited past its budget
// (Config.MaxWait) before its next attempt.
type WaitBudgetError struct {
	Method, Path string
	// Budget is the most a request may take before its last attempt, and
	// Elapsed how long this one had taken.
	Budget, Elapsed time.Duration
	// Attempts is how many times the request was sent.
	Attempts int
	// Reason says what the request would have waited for, and Wait how long.
	Reason string
	Wait   time.Duration
	// Last is the outcome of the last attempt: an *APIError, or the error of
	// an attempt that got no response.
	Last error
}

func (e *WaitBudgetError) Error() string {
	return fmt.Sprintf("%s %s: gave up after %s and %d attempt(s): %s, which would pass the %s that one request may take",
		e.Method, e.Path, e.Elapsed.Round(time.Millisecond), e.Attempts, e.Reason, e.Budget)
}

// maxRetryAfter bounds how long one Retry-After may pause the requests that a
// pacer holds for an organization; each request's own waits are bounded by
// its budget instead.
const maxRetryAfter = 30 * time.Second

// Unwrap gives the last attempt's outcome, so errors.Is(err, ErrRateLimited)
// holds for a request that gave up on 429s.
func (e *WaitBudgetError) Unwrap() error { return e.Last }

// retryableTransportError tells a fault that may heal (refused or reset connection,
// timeout, dropped response) from one that will not (a certificate Horizon's endpoint
// will never present correctly, or an https:// endpoint whose server answers in plain
// HTTP). New rejects endpoints with a scheme other than http or https, so the
// remaining permanent failures are TLS ones.
func retryableTransportError(err error) bool {
	var certInvalid x509.CertificateInvalidError
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var tlsVerify *tls.CertificateVerificationError
	return !errors.As(err, &certInvalid) && !errors.As(err, &unknownAuthority) &&
		!errors.As(err, &hostname) && !errors.As(err, &tlsVerify) && !answeredWithoutTLS(err)
}

// answeredWithoutTLS reports whether a TLS handshake was answered by a server
// that does not speak TLS: net/http reports ErrSchemeMismatch when the answer
// looks like HTTP, and the TLS record error otherwise.
func answeredWithoutTLS(err error) bool {
	var record tls.RecordHeaderError
	return errors.Is(err, http.ErrSchemeMismatch) || errors.As(err, &record)
}

// backoff grows exponentially from min to max with full jitter, so that
// parallel resource operations do not retry in lockstep: it is between half
// of backoffCeiling and all of it.
func backoff(minWait, maxWait time.Duration, attempt int) time.Duration {
	wait := backoffCeiling(minWait, maxWait, attempt)
	return wait/2 + rand.N(wait/2+1) //nolint:gosec // G404: jitter needs no cryptographic randomness
}

func backoffCeiling(minWait, maxWait time.Duration, attempt int) time.Duration {
	wait := minWait << min(max(attempt, 0), 16)
	if wait <= 0 || wait > maxWait {
		wait = maxWait
	}
	return wait
}

func retryAfter(value string) (time.Duration, bool) {
	if value == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(value); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second, true
	}
	if at, err := http.ParseTime(value); err == nil {
		return max(time.Until(at), 0), true
	}
	return 0, false
}
