// Package client is a Go client for the Horizon API. It knows nothing about
// Terraform: the provider adapts its errors and log events.
package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// DefaultMaxRetries is how often a failed idempotent request is retried when the
// configuration does not say.
const DefaultMaxRetries = 4

// CurrentOrganization addresses the organization of the calling key's owner.
const CurrentOrganization = "current"

// APIPath is where Horizon's API lives under its base URL, the endpoint.
const APIPath = "/api/v0"

// Config configures a Client.
type Config struct {
	// Endpoint is the base URL of Horizon, such as https://horizon.example.com.
	Endpoint string
	// APIKey is the bearer key (fmcp_...). It is sent only in the Authorization header.
	APIKey string
	// OrganizationID selects the organization; empty means the key owner's.
	OrganizationID string
	// MaxRetries bounds retries of 5xx and transport errors per request.
	MaxRetries int
	// MaxWait bounds how long one request may take before its last attempt
	// begins: the attempts before it and every wait between them (default
	// DefaultMaxWait; see retry.go).
	MaxWait time.Duration
	// UserAgent is sent with every request.
	UserAgent string
	// Logger receives one event per attempt; nil discards them.
	Logger Logger
	// RetryWaitMin and RetryWaitMax bound the exponential backoff (defaults 250ms, 4s).
	RetryWaitMin, RetryWaitMax time.Duration
	// RequestTimeout bounds one attempt (default 30s).
	RequestTimeout time.Duration
}

// Logger receives request events. Fields never include credentials or bodies.
type Logger interface {
	Debug(ctx context.Context, msg string, fields map[string]any)
	Warn(ctx context.Context, msg string, fields map[string]any)
}

// Client calls the Horizon API. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	apiKey    string
	org       string
	ua        string
	max       int
	wait      time.Duration
	log       Logger
	retryable *retryablehttp.Client
	clock     serverClock
	redact    redactor
	// pacer is shared by every client of this process for the same endpoint
	// and organization (pacing.go).
	pacer *pacer
}

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	base, err := url.Parse(strings.TrimRight(cfg.Endpoint, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("endpoint %q is not an absolute http or https URL", cfg.Endpoint)
	}
	if base.User != nil {
		// Credentials in the URL would end up in error messages; the API key is the only credential.
		return nil, fmt.Errorf("endpoint %q must not contain user information", base.Redacted())
	}
	if cfg.MaxRetries < 0 {
		return nil, fmt.Errorf("max_retries must be 0 or more, got %d", cfg.MaxRetries)
	}
	if cfg.MaxWait < 0 {
		return nil, fmt.Errorf("the wait budget must be 0 (the default, %s) or more, got %s", DefaultMaxWait, cfg.MaxWait)
	}
	c := &Client{
		base:   base,
		apiKey: cfg.APIKey,
		org:    cfg.OrganizationID,
		ua:     cfg.UserAgent,
		max:    cfg.MaxRetries,
		wait:   orDefault(cfg.MaxWait, DefaultMaxWait),
		log:    cfg.Logger,
		redact: redactor{apiKey: cfg.APIKey},
	}
	if c.org == "" {
		c.org = CurrentOrganization
	}
	if c.ua == "" {
		c.ua = "horizon-go-client"
	}
	c.pacer = sharedPacer(base.String(), c.org, cfg.APIKey)
	timeout := cfg.RequestTimeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	transport := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   5 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   32,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: timeout,
	}
	rc := retryablehttp.NewClient()
	rc.HTTPClient = &http.Client{
		Transport: transport,
		Timeout:   timeout,
		// Horizon's API does not redirect; following one could send the key elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	rc.Logger = nil
	rc.RetryWaitMin = orDefault(cfg.RetryWaitMin, 250*time.Millisecond)
	rc.RetryWaitMax = orDefault(cfg.RetryWaitMax, 4*time.Second)
	// checkRetry enforces the real budgets; RetryMax only has to stay out of its way.
	rc.RetryMax = cfg.MaxRetries + maxRateLimitRetries + 1
	rc.CheckRetry = checkRetry
	rc.Backoff = waitBefore
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler
	// Every attempt, a retry too, waits for the pacer and teaches it.
	rc.RequestLogHook = c.beforeAttempt
	rc.ResponseLogHook = c.afterResponse
	c.retryable = rc
	return c, nil
}

func orDefault(v, def time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return def
}

// OrganizationID is the organization the client addresses ("current" when unset).
func (c *Client) OrganizationID() string { return c.org }

// beforeAttempt waits for the pacer, then logs the attempt. A context that
// ends during the wait ends the attempt too, as soon as it starts. A turn
// that would come after the request's wait budget ends the request: the
// attempt is aborted before it is sent.
func (c *Client) beforeAttempt(_ retryablehttp.Logger, req *http.Request, attempt int) {
	b, _ := req.Context().Value(budgetKey{}).(*attemptBudget)
	var deadline time.Time
	if b != nil {
		deadline = b.deadline
	}
	var beyond *paceBeyondBudget
	if err := c.pacer.wait(req.Context(), attempt > 0, deadline); errors.As(err, &beyond) && b != nil {
		b.outOfBudget(time.Now(), beyond.Error(), beyond.delay, b.lastErr)
		b.abort()
		return
	}
	if c.log == nil {
		return
	}
	fields := map[string]any{"method": req.Method, "path": req.URL.Path, "attempt": attempt + 1}
	if attempt == 0 {
		c.log.Debug(req.Context(), "Horizon API request", fields)
		return
	}
	c.log.Warn(req.Context(), "Retrying Horizon API request", fields)
}

// afterResponse teaches the pacer what the response says about the rate
// limit, then logs it.
func (c *Client) afterResponse(_ retryablehttp.Logger, resp *http.Response) {
	pause := c.pacer.observe(time.Now(), resp.StatusCode, resp.Header)
	if c.log == nil || resp.Request == nil {
		return
	}
	ctx := resp.Request.Context()
	fields := map[string]any{"method": resp.Request.Method, "path": resp.Request.URL.Path, "status": resp.StatusCode}
	c.log.Debug(ctx, "Horizon API response", fields)
	if pause > 0 {
		c.log.Debug(ctx, "Pausing Horizon API requests for the organization's rate limit", map[string]any{"pause": pause.String()})
	}
}

// orgPath builds a path under the client's organization from escaped segments.
func (c *Client) orgPath(segments ...string) string {
	var b strings.Builder
	b.WriteString(APIPath + "/organizations/")
	b.WriteString(url.PathEscape(c.org))
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

// do sends one logical API request, retried per the policy in retry.go, and
// decodes a 2xx body into out (when out is not nil).
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	return c.doWith(ctx, method, path, nil, nil, in, out)
}

// doQuery is do with query parameters.
func (c *Client) doQuery(ctx context.Context, method, path string, query url.Values, in, out any) error {
	return c.doWith(ctx, method, path, query, nil, in, out)
}

// call sends one request and decodes the object in its response.
func call[T any](ctx context.Context, c *Client, method, path string, in any) (*T, error) {
	var out T
	if err := c.do(ctx, method, path, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// createOnly is the header of a PUT that only creates: Horizon answers 412
// instead of replacing an object that exists.
var createOnly = http.Header{"If-None-Match": {"*"}}

// doWith is do with query parameters and extra request headers.
func (c *Client) doWith(ctx context.Context, method, path string, query url.Values, header http.Header, in, out any) error {
	// path arrives escaped (orgPath escapes each segment). Set both forms so that
	// URL.String keeps that escaping instead of escaping its '%' signs a second time.
	u := *c.base
	u.RawPath = c.base.EscapedPath() + path
	unescaped, err := url.PathUnescape(u.RawPath)
	if err != nil {
		return fmt.Errorf("building %s %s request: %w", method, path, err)
	}
	u.Path = unescaped
	u.RawQuery = query.Encode()
	// Every POST of this API is a create, and so is a PUT with If-None-Match: *:
	// one Idempotency-Key per logical create, reused by every retry of it, makes
	// the server replay the first response instead of creating a second object
	// (or, for the PUT, finding its own object in place).
	isCreate := method == http.MethodPost || (method == http.MethodPut && header.Get("If-None-Match") == "*")
	status, data, err := c.send(ctx, method, u.String(), path, in, header, isCreate)
	if err != nil {
		return err
	}
	if status < 200 || status > 299 {
		apiErr := c.decodeAPIError(method, path, status, data)
		if status == http.StatusUnauthorized {
			apiErr.MaskedAPIKey = maskAPIKey(c.apiKey)
		}
		return apiErr
	}
	if out == nil || len(data) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decoding HTTP %d response: %w", method, path, status, err)
	}
	return nil
}

// send performs one logical request to an absolute URL and returns the final
// status and body. withIdempotencyKey makes a create safe to retry after faults.
func (c *Client) send(ctx context.Context, method, target, path string, in any, header http.Header, withIdempotencyKey bool) (int, []byte, error) {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return 0, nil, fmt.Errorf("encoding %s %s request: %w", method, path, err)
		}
	}
	start := time.Now()
	attemptCtx, abort := context.WithCancel(ctx)
	defer abort()
	budget := &attemptBudget{
		maxRetries: c.max, idempotent: method != http.MethodPost || withIdempotencyKey,
		start: start, deadline: start.Add(c.wait),
		minWait: c.retryable.RetryWaitMin, maxWait: c.retryable.RetryWaitMax,
		abort: abort,
	}
	req, err := retryablehttp.NewRequestWithContext(withBudget(attemptCtx, budget), method, target, bodyOrNil(body))
	if err != nil {
		return 0, nil, fmt.Errorf("building %s %s request: %w", method, path, err)
	}
	for name, values := range header {
		req.Header[name] = values
	}
	req.Header.Set("Authorization", "Bearer "+c.apiKey)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.ua)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if withIdempotencyKey {
		req.Header.Set("Idempotency-Key", newIdempotencyKey())
	}

	resp, err := c.retryable.Do(req)
	if budget.exhausted != nil {
		return 0, nil, c.gaveUp(budget, method, path, resp)
	}
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return 0, nil, fmt.Errorf("%s %s: %w", method, path, ctxErr)
		}
		return 0, nil, &TransportError{Method: method, Path: path, Endpoint: c.base.String(), Attempts: budget.attempts(), Err: c.redact.error(err)}
	}
	defer func() { _ = resp.Body.Close() }()
	c.clock.observe(resp.Header.Get("Date"))
	// One byte more than the limit tells a response at the limit from a
	// larger one, which would otherwise be cut off and fail to decode as
	// "unexpected end of JSON input".
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return 0, nil, &TransportError{Method: method, Path: path, Endpoint: c.base.String(), Attempts: budget.attempts(), Err: c.redact.error(err)}
	}
	if len(data) > maxResponseBytes {
		return 0, nil, &ResponseTooLargeError{Method: method, Path: path, StatusCode: resp.StatusCode, Limit: maxResponseBytes}
	}
	return resp.StatusCode, data, nil
}

// gaveUp completes the error of a request that ran out of its wait budget
// with the last answer it got, masked like any other.
func (c *Client) gaveUp(b *attemptBudget, method, path string, resp *http.Response) error {
	e := b.exhausted
	e.Method, e.Path = method, path
	switch {
	case resp != nil:
		defer func() { _ = resp.Body.Close() }()
		data, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
		e.Last = c.decodeAPIError(method, path, resp.StatusCode, data)
	case e.Last != nil:
		e.Last = &TransportError{Method: method, Path: path, Endpoint: c.base.String(), Attempts: e.Attempts, Err: c.redact.error(e.Last)}
	case b.lastStatus != 0:
		// The pacer held the retry of an answer whose body is gone.
		e.Last = &APIError{StatusCode: b.lastStatus, Method: method, Path: path}
	}
	e.Reason = c.redact.text(e.Reason)
	return e
}

// maxResponseBytes bounds what the client reads of one response; Horizon's
// largest (a list of every service account) is far smaller.
const maxResponseBytes = 16 << 20

// ResponseTooLargeError is returned when a response body is larger than the
// client reads.
type ResponseTooLargeError struct {
	Method, Path string
	StatusCode   int
	Limit        int
}

func (e *ResponseTooLargeError) Error() string {
	return fmt.Sprintf("%s %s: the HTTP %d response is larger than %d MiB, the most this client reads of one response; "+
		"check that the endpoint is a Horizon API", e.Method, e.Path, e.StatusCode, e.Limit>>20)
}

func bodyOrNil(b []byte) any {
	if b == nil {
		return nil
	}
	return bytes.NewReader(b)
}

// decodeAPIError reads an error body. Its message and details are the
// server's words, so they are masked (redact.go) before anyone sees them.
func (c *Client) decodeAPIError(method, path string, status int, data []byte) *APIError {
	var envelope struct {
		Error struct {
			Code    string          `json:"code"`
			Message string          `json:"message"`
			Details json.RawMessage `json:"details"`
		} `json:"error"`
	}
	apiErr := &APIError{StatusCode: status, Method: method, Path: path}
	if json.Unmarshal(data, &envelope) == nil {
		apiErr.Code = c.redact.text(envelope.Error.Code)
		apiErr.Message = c.redact.text(envelope.Error.Message)
		apiErr.Details = c.redact.json(envelope.Error.Details)
	}
	return apiErr
}

// TransportError is returned when no HTTP response could be obtained.
type TransportError struct {
	Method, Path, Endpoint string
	Attempts               int
	Err                    error
}

func (e *TransportError) Error() string {
	return fmt.Sprintf("%s %s: no response from %s after %d attempt(s): %v", e.Method, e.Path, e.Endpoint, e.Attempts, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// PlainHTTP reports whether the endpoint answered a TLS handshake in plain
// HTTP: an https:// endpoint whose server has no TLS, which no retry heals.
func (e *TransportError) PlainHTTP() bool { return answeredWithoutTLS(e.Err) }

// Is makes errors.Is(err, ErrUnreachable) true for transport failures.
func (e *TransportError) Is(target error) bool { return target == ErrUnreachable }

func newIdempotencyKey() string { return rand.Text() }

// maskAPIKey renders a key as Horizon renders a secret it shows
// (fmcp_AbCd...wXyZ: the first and last four characters after the prefix), so
// a message can say which key was refused without holding it. A key too short
// to hide most of itself that way shows only its prefix.
func maskAPIKey(key string) string {
	const prefix = "fmcp_"
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok {
		return ""
	}
	if len(rest) < 20 {
		return prefix + "..."
	}
	return prefix + rest[:4] + "..." + rest[len(rest)-4:]
}
