package server

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"
)

// maxBodyBytes caps request bodies; every valid request is far smaller.
const maxBodyBytes = 64 << 10

// lastUsedGranularity coarsens last_used_at so that a busy key does not take
// the store's write lock on every request.
const lastUsedGranularity = time.Minute

// route is one row of the routing table: the pattern, the action the caller's
// role must allow, the success status and the handler. A pattern with a
// {server} wildcard names a server, which the caller must be able to discover.
type route struct {
	pattern string
	action  action
	status  int
	handle  func(*call) (any, error)
}

func (s *Server) routes() []route {
	const org = "/api/v0/organizations/{org}"
	return []route{
		{"GET /api/v0/me", actionRead, http.StatusOK, s.getMe},
		{"GET " + org, actionRead, http.StatusOK, s.getOrganization},

		{"GET " + org + "/servers", actionRead, http.StatusOK, s.listServers},
		{"POST " + org + "/servers", actionManageServers, http.StatusCreated, s.createServer},
		{"GET " + org + "/servers/{server}", actionRead, http.StatusOK, s.getServer},

		{"GET " + org + "/service-accounts", actionRead, http.StatusOK, s.listServiceAccounts},
		{"POST " + org + "/service-accounts", actionManageServiceAccounts, http.StatusCreated, s.createServiceAccount},
		{"GET " + org + "/service-accounts/{sa}", actionRead, http.StatusOK, s.getServiceAccount},
		{"PATCH " + org + "/service-accounts/{sa}", actionManageServiceAccounts, http.StatusOK, s.updateServiceAccount},
		{"DELETE " + org + "/service-accounts/{sa}", actionManageServiceAccounts, http.StatusNoContent, s.deleteServiceAccount},

		{"GET " + org + "/service-accounts/{sa}/api-keys", actionRead, http.StatusOK, s.listAPIKeys},
		{"POST " + org + "/service-accounts/{sa}/api-keys", actionManageAPIKeys, http.StatusCreated, s.createAPIKey},
		{"GET " + org + "/service-accounts/{sa}/api-keys/{key}", actionRead, http.StatusOK, s.getAPIKey},
		{"PATCH " + org + "/service-accounts/{sa}/api-keys/{key}", actionManageAPIKeys, http.StatusOK, s.updateAPIKey},
		{"DELETE " + org + "/service-accounts/{sa}/api-keys/{key}", actionManageAPIKeys, http.StatusOK, s.revokeAPIKey},

		{"GET " + org + "/service-accounts/{sa}/server-grants", actionRead, http.StatusOK, s.listServerGrants},
		{"PUT " + org + "/service-accounts/{sa}/server-grants/{server}", actionManageGrants, http.StatusOK, s.putServerGrant},
		{"GET " + org + "/service-accounts/{sa}/server-grants/{server}", actionRead, http.StatusOK, s.getServerGrant},
		{"DELETE " + org + "/service-accounts/{sa}/server-grants/{server}", actionManageGrants, http.StatusNoContent, s.deleteServerGrant},
	}
}

// call is what a handler sees: an authenticated, authorized request with its
// body already read.
type call struct {
	r     *http.Request
	actor Actor
	org   Organization
	body  []byte
	now   time.Time
	// server and access are set when the path names a server: the server,
	// and what the caller may do on it.
	server MCPServer
	access serverAccess
	// unchanged is set by handlers whose mutation turned out to be a no-op,
	// so the fault injector leaves their response alone.
	unchanged bool
	// status, when set, replaces the route's success status, for a PUT
	// that created rather than replaced.
	status int
}

func (c *call) param(name string) string { return c.r.PathValue(name) }

func (c *call) decode(dst any) error { return decodeBody(c.body, dst) }

func (c *call) mutated() bool {
	return c.r.Method != http.MethodGet && c.r.Method != http.MethodHead && !c.unchanged
}

func (s *Server) newHandler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.pattern, s.adapt(rt))
	}
	mux.Handle(mcpPattern, http.HandlerFunc(s.serveMCP))
	mux.Handle("/", s.noRoute(mux))
	return s.observe(s.injectFaults(mux))
}

// adapt turns a route's handler into an http.Handler: it runs the checks every
// request shares, renders the handler's value or error as JSON, and applies
// idempotency and fault injection.
func (s *Server) adapt(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := s.begin(w, r, rt.action)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if key := r.Header.Get("Idempotency-Key"); key != "" && r.Method == http.MethodPost {
			s.serveIdempotent(w, rt, c, key)
			return
		}
		status, body, err := run(rt, c)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.respond(w, status, body, c.mutated())
	})
}

// begin runs the checks that precede every handler, in the order their
// failures are reported: 401, 429, 404 (organization), 404 (server), 403, 413.
// A hidden server is a 404 before any 403, so that a refusal never confirms
// that it exists.
func (s *Server) begin(w http.ResponseWriter, r *http.Request, a action) (*call, error) {
	c, err := s.identify(r)
	if err != nil {
		return nil, err
	}
	if c.param("server") != "" {
		if err := s.resolveServer(c); err != nil {
			return nil, err
		}
	}
	if err := authorize(c.actor, a); err != nil {
		return nil, err
	}
	if c.body, err = readBody(w, r); err != nil {
		return nil, err
	}
	return c, nil
}

// identify authenticates the request, charges the rate limit and resolves
// the organization: the checks that the API and the MCP endpoint share.
func (s *Server) identify(r *http.Request) (*call, error) {
	now := s.clock.Now()
	actor, err := s.authenticate(r, now)
	if err != nil {
		return nil, err
	}
	if s.limiter != nil {
		if ok, wait := s.limiter.take(actor.OrganizationID, now); !ok {
			return nil, rateLimited(wait)
		}
	}
	org, err := s.resolveOrganization(actor, r.PathValue("org"))
	if err != nil {
		return nil, err
	}
	return &call{r: r, actor: actor, org: org, now: now}, nil
}

// resolveServer loads the server that the path names, with the caller's
// access to it, from current state. A server the caller may not discover is
// reported exactly like one that does not exist.
func (s *Server) resolveServer(c *call) error {
	srv, err := s.store.GetMCPServer(c.org.ID, c.param("server"))
	if err != nil {
		return err
	}
	grants, err := s.store.ServerGrantsOf(c.actor.ID)
	if err != nil {
		return err
	}
	access := c.accessTo(srv.ID, grants)
	if !access.discoverable() {
		return &NotFoundError{Resource: resourceServer}
	}
	c.server, c.access = srv, access
	return nil
}

// accessTo is the caller's effective access to a server, given the grants
// that the caller holds.
func (c *call) accessTo(serverID string, callerGrants map[string]Grant) serverAccess {
	var grant *Grant
	if g, ok := callerGrants[serverID]; ok {
		grant = &g
	}
	return effectiveServerAccess(c.actor, c.org, grant)
}

// hasBody reports whether requests of a method carry a body that the
// server reads.
func hasBody(method string) bool {
	return method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch
}

// readBody reads at most maxBodyBytes, however the body is framed: a
// Content-Length or chunks.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if !hasBody(r.Method) {
		return nil, nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		return nil, bodyReadError(err)
	}
	return body, nil
}

// bodyReadError tells the client's faults apart from the server's: a body
// that is too large (413), too slow (408, after the server's read timeout) or
// cut off or badly chunked (400).
func bodyReadError(err error) error {
	var (
		tooLarge *http.MaxBytesError
		netErr   net.Error
	)
	switch {
	case errors.As(err, &tooLarge):
		return err
	case errors.As(err, &netErr) && netErr.Timeout():
		return &apiError{
			status:  http.StatusRequestTimeout,
			code:    "request_timeout",
			message: "the request body did not arrive in time; send the whole request within the server's read timeout",
		}
	default:
		return invalidBody("the request body could not be read: %s", err.Error())
	}
}

// authenticate evaluates the bearer key against current state on every
// request, so revocation, expiry and disabling take effect immediately.
func (s *Server) authenticate(r *http.Request, now time.Time) (Actor, error) {
	token, ok := bearerToken(r.Header.Get("Authorization"))
	if !ok {
		return Actor{}, unauthenticated("missing API key: send the header Authorization: Bearer fmcp_...")
	}
	if !strings.HasPrefix(token, secretPrefix) {
		return Actor{}, unauthenticated("malformed API key: Horizon API keys start with fmcp_")
	}
	hash := hashSecret(token)
	key, actor, err := s.store.ResolveAPIKey(hash)
	if errors.Is(err, ErrNotFound) {
		return Actor{}, unauthenticated("API key not recognized")
	}
	if err != nil {
		return Actor{}, err
	}
	// The map lookup already matched the hash; the constant-time comparison
	// keeps the final decision independent of where two hashes differ (see
	// secrets.go for every place a secret is compared).
	if subtle.ConstantTimeCompare(key.SecretHash[:], hash[:]) != 1 {
		return Actor{}, unauthenticated("API key not recognized")
	}
	switch key.Status(now) {
	case KeyRevoked:
		return Actor{}, unauthenticated("API key has been revoked")
	case KeyExpired:
		return Actor{}, unauthenticated(fmt.Sprintf("API key expired at %s", formatTime(key.ExpiresAt)))
	}
	if actor.Disabled {
		return Actor{}, unauthenticated("the service account that owns this API key is disabled")
	}
	if now.Sub(key.LastUsedAt) >= lastUsedGranularity {
		if err := s.store.MarkAPIKeyUsed(key.ID, now); err != nil {
			return Actor{}, err
		}
	}
	return actor, nil
}

func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// resolveOrganization maps {org} to the caller's organization. Any other
// organization is reported as missing rather than forbidden, so ids of other
// organizations cannot be probed.
func (s *Server) resolveOrganization(actor Actor, param string) (Organization, error) {
	if param != "" && param != "current" && param != actor.OrganizationID {
		return Organization{}, &NotFoundError{Resource: resourceOrganization}
	}
	return s.store.GetOrganization(actor.OrganizationID)
}

// run calls the handler and encodes its value; a nil value means no body.
func run(rt route, c *call) (status int, body []byte, err error) {
	v, err := rt.handle(c)
	if err != nil {
		return 0, nil, err
	}
	status = rt.status
	if c.status != 0 {
		status = c.status
	}
	if v == nil {
		return status, nil, nil
	}
	body, err = json.Marshal(v)
	return status, body, err
}

func (s *Server) serveIdempotent(w http.ResponseWriter, rt route, c *call, key string) {
	if err := validateIdempotencyKey(key); err != nil {
		s.writeError(w, c.r, err)
		return
	}
	lookupID := idempotencyLookupID(c.actor.ID, key)
	fingerprint := requestFingerprint(c.r.Method, c.r.URL.Path, c.body)
	unlock := s.idempotency.locks.lock(lookupID)
	defer unlock()

	rec, found, err := s.idempotency.lookup(lookupID, c.now)
	if err != nil {
		s.writeError(w, c.r, err)
		return
	}
	if found {
		if rec.Fingerprint != fingerprint {
			s.writeError(w, c.r, errIdempotencyKeyReused)
			return
		}
		body, err := s.idempotency.open(rec, key)
		if err != nil {
			s.writeError(w, c.r, err)
			return
		}
		writeReplay(w, rec.Status, body)
		return
	}

	status, body, err := run(rt, c)
	if err != nil {
		s.writeError(w, c.r, err)
		return
	}
	// Only successes are stored: a failed request changed nothing, so a retry
	// deserves a fresh evaluation (the key limit may have been lifted since).
	if err := s.idempotency.save(lookupID, key, fingerprint, status, body, c.now); err != nil {
		s.writeError(w, c.r, err)
		return
	}
	s.respond(w, status, body, c.mutated())
}

// respond writes a success, unless fault injection decides that this
// committed change loses its response.
func (s *Server) respond(w http.ResponseWriter, status int, body []byte, mutated bool) {
	if mutated && s.commitLatency > 0 {
		select {
		case <-time.After(s.commitLatency):
		case <-s.stopping.Done():
		}
	}
	if mutated && s.faults.dropResponse() {
		if rec, ok := w.(*responseRecorder); ok {
			rec.status, rec.dropped = status, true
		}
		abortResponse(w)
		return
	}
	writeJSONBytes(w, status, body)
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	apiErr := toAPIError(err)
	// Only server faults are logged as errors: an injected 503 is what the
	// server was asked to do.
	if apiErr.status == http.StatusInternalServerError {
		s.logger.Error("request failed", "method", r.Method, "path", redactPath(r.URL.Path), "error", err)
	}
	for name, values := range apiErr.header {
		w.Header()[name] = values
	}
	details := apiErr.details
	if details == nil {
		details = map[string]any{}
	}
	body, marshalErr := json.Marshal(errorJSON{Error: errorDetailJSON{Code: apiErr.code, Message: apiErr.message, Details: details}})
	if marshalErr != nil {
		body = []byte(`{"error":{"code":"internal","message":"internal server error","details":{}}}`)
	}
	writeJSONBytes(w, apiErr.status, body)
}

func writeJSONBytes(w http.ResponseWriter, status int, body []byte) {
	if body == nil {
		w.WriteHeader(status)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	// Responses may carry a secret; no cache may keep one.
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n')) //nolint:gosec // G705: a JSON body with a JSON content type, not HTML
}

// noRoute answers requests that match no route with the JSON error shape,
// telling 405 (known path, other method) apart from 404.
func (s *Server) noRoute(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var allowed []string
		for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			probe := r.Clone(r.Context())
			probe.Method = method
			if _, pattern := mux.Handler(probe); pattern != "/" && pattern != "" {
				allowed = append(allowed, method)
			}
		}
		path := redactPath(r.URL.Path)
		if len(allowed) > 0 {
			s.writeError(w, r, &apiError{
				status:  http.StatusMethodNotAllowed,
				code:    "method_not_allowed",
				message: fmt.Sprintf("%s is not supported on %s; use %s", r.Method, path, strings.Join(allowed, ", ")),
				details: map[string]any{"allowed_methods": allowed},
				header:  http.Header{"Allow": {strings.Join(allowed, ", ")}},
			})
			return
		}
		s.writeError(w, r, &apiError{status: http.StatusNotFound, code: "not_found", message: "no API endpoint at " + path})
	})
}

// observe is the outermost layer: it counts requests, sets the Date header,
// turns panics into 500s and writes the access log line. It logs the method, path, status and
// duration only: never headers, bodies or the query string.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		start := time.Now()
		// The Date header tells clients the server's time, by which keys
		// expire; it follows the injected clock so tests see their own time.
		w.Header().Set("Date", s.clock.Now().UTC().Format(http.TimeFormat))
		rec := &responseRecorder{ResponseWriter: w}
		defer func() {
			p := recover()
			if err, isErr := p.(error); p != nil && (!isErr || !errors.Is(err, http.ErrAbortHandler)) {
				s.logger.Error("panic serving request", "method", r.Method, "path", redactPath(r.URL.Path), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if rec.wroteHeader {
					// Part of a response is out; only a cut connection tells the
					// client it is incomplete.
					p = http.ErrAbortHandler
				} else {
					s.writeError(rec, r, errors.New("handler panicked"))
					p = nil
				}
			}
			attrs := []any{"method", r.Method, "path", redactPath(r.URL.Path), "status", rec.status, "duration", time.Since(start)}
			if rec.dropped {
				attrs = append(attrs, "dropped", true)
			}
			s.logger.Info("request", attrs...)
			if p != nil {
				panic(p)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// responseRecorder remembers the status for the access log. Unwrap lets
// http.ResponseController reach the connection for hijacking.
type responseRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	dropped     bool
}

func (r *responseRecorder) WriteHeader(status int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = status, true
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *responseRecorder) Write(b []byte) (int, error) {
	if !r.wroteHeader {
		r.WriteHeader(http.StatusOK)
	}
	return r.ResponseWriter.Write(b)
}

func (r *responseRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
