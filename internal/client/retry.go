package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
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
//     not fail it); maxRateLimitRetries bounds the wait so nothing hangs forever.
//   - 5xx (but 501) and transport errors are retried up to MaxRetries times, but only
//     for idempotent requests: GET, PUT, PATCH and DELETE, and a POST that carries an
//     Idempotency-Key (every create this client sends does), because the server
//     replays the original response instead of creating a second object. A POST
//     without one is never retried after it may have reached the server.
//   - Nothing else is retried: 400, 401, 403, 404 and 409 are answers, not faults.
//   - Errors that cannot heal (bad URL scheme, TLS certificate, an https:// endpoint
//     that answers in plain HTTP, too many redirects) are never retried.
const maxRateLimitRetries = 60

// attemptBudget counts, per logical request, the retries spent on faults.
type attemptBudget struct {
	idempotent  bool
	maxRetries  int
	faults      int
	rateLimited int
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
	if err != nil {
		if !retryableTransportError(err) {
			return false, err
		}
		return b.spendFault(), err
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		if b.rateLimited >= maxRateLimitRetries {
			return false, nil
		}
		b.rateLimited++
		return true, nil
	case resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented:
		return b.spendFault(), nil
	}
	return false, nil
}

// attempts is how many times the request was sent.
func (b *attemptBudget) attempts() int { return 1 + b.faults + b.rateLimited }

func (b *attemptBudget) spendFault() bool {
	if !b.idempotent || b.faults >= b.maxRetries {
		return false
	}
	b.faults++
	return true
}

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

// backoff waits as long as a 429 or 503 asks (Retry-After, capped at max), and
// otherwise grows exponentially from min to max with full jitter so that parallel
// resource operations do not retry in lockstep.
func backoff(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if wait, ok := retryAfter(resp.Header.Get("Retry-After")); ok {
			return min(wait, maxRetryAfter)
		}
	}
	wait := minWait << min(attempt, 16)
	if wait <= 0 || wait > maxWait {
		wait = maxWait
	}
	return wait/2 + rand.N(wait/2+1) //nolint:gosec // G404: jitter needs no cryptographic randomness
}

// maxRetryAfter bounds how long one Retry-After may pause a request.
const maxRetryAfter = 30 * time.Second

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
