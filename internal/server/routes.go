package server

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

// route is one row of the routing table: the pattern, the action the caller's
// role must allow and the handler. A pattern with a {server} wildcard names a
// server, which the caller must be able to discover.
type route struct {
	pattern string
	action  action
	handle  handler
}

// handler answers an authenticated, authorized call.
type handler func(*call) (apiResponse, error)

func (s *Server) routes() []route {
	const org = "/api/v0/organizations/{org}"
	return []route{
		{"GET /api/v0/me", actionRead, s.getMe},
		{"GET /api/v0/me/api-keys", actionManagePersonalKeys, s.listAPIKeys(personalKeysOf)},
		{"POST /api/v0/me/api-keys", actionManagePersonalKeys, s.createAPIKey(personalKeysOf)},
		{"GET /api/v0/me/api-keys/{key}", actionManagePersonalKeys, s.getAPIKey(personalKeysOf)},
		{"PATCH /api/v0/me/api-keys/{key}", actionManagePersonalKeys, s.updateAPIKey(personalKeysOf)},
		{"DELETE /api/v0/me/api-keys/{key}", actionManagePersonalKeys, s.revokeAPIKey(personalKeysOf)},

		{"GET " + org, actionRead, s.getOrganization},
		{"PATCH " + org, actionManageOrganization, s.updateOrganization},

		{"GET " + org + "/servers", actionRead, s.listServers},
		{"POST " + org + "/servers", actionManageServers, s.createServer},
		{"GET " + org + "/servers/{server}", actionRead, s.getServer},
		{"PATCH " + org + "/servers/{server}", actionManageServers, s.updateServer},
		{"DELETE " + org + "/servers/{server}", actionManageServers, s.deleteServer},

		{"GET " + org + "/service-accounts", actionRead, s.listServiceAccounts},
		{"POST " + org + "/service-accounts", actionManageServiceAccounts, s.createServiceAccount},
		{"GET " + org + "/service-accounts/{sa}", actionRead, s.getServiceAccount},
		{"PATCH " + org + "/service-accounts/{sa}", actionManageServiceAccounts, s.updateServiceAccount},
		{"DELETE " + org + "/service-accounts/{sa}", actionManageServiceAccounts, s.deleteServiceAccount},

		{"GET " + org + "/service-accounts/{sa}/api-keys", actionRead, s.listAPIKeys(serviceAccountKeysOf)},
		{"POST " + org + "/service-accounts/{sa}/api-keys", actionManageAPIKeys, s.createAPIKey(serviceAccountKeysOf)},
		{"GET " + org + "/service-accounts/{sa}/api-keys/{key}", actionRead, s.getAPIKey(serviceAccountKeysOf)},
		{"PATCH " + org + "/service-accounts/{sa}/api-keys/{key}", actionManageAPIKeys, s.updateAPIKey(serviceAccountKeysOf)},
		{"DELETE " + org + "/service-accounts/{sa}/api-keys/{key}", actionManageAPIKeys, s.revokeAPIKey(serviceAccountKeysOf)},

		{"GET " + org + "/service-accounts/{sa}/server-grants", actionRead, s.listServerGrants},
		{"PUT " + org + "/service-accounts/{sa}/server-grants/{server}", actionManageGrants, s.putServerGrant},
		{"GET " + org + "/service-accounts/{sa}/server-grants/{server}", actionRead, s.getServerGrant},
		{"DELETE " + org + "/service-accounts/{sa}/server-grants/{server}", actionManageGrants, s.deleteServerGrant},
	}
}

// call is what a handler sees: an authenticated, authorized request with its
// body already read. It only carries the request in; handlers answer with
// their return value.
type call struct {
	r *http.Request
	// store is where the handler reads and writes: the server's store, or
	// the view of it that an idempotent create commits with its record.
	store Store
	actor Actor
	org   Organization
	body  []byte
	now   time.Time
	// server and access are set when the path names a server: the server,
	// and what the caller may do on it.
	server MCPServer
	access serverAccess
}

func (c *call) param(name string) string { return c.r.PathValue(name) }

func (c *call) decode(dst any) error { return decodeBody(c.body, dst) }

func (s *Server) newHandler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.pattern, s.adapt(rt))
	}
	mux.Handle(mcpPattern, s.newMCPHandler())
	mux.Handle("/", s.noRoute(mux))
	return s.observe(s.injectFaults(mux))
}

// adapt turns a route's handler into an http.Handler: it runs the checks every
// request shares, dispatches a create with an Idempotency-Key through the
// idempotency records, and renders the handler's response or error as JSON.
func (s *Server) adapt(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := s.begin(w, r, rt.action)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if key := r.Header.Get("Idempotency-Key"); key != "" && isCreate(r) {
			s.serveIdempotent(w, rt, c, key)
			return
		}
		res, body, err := run(rt, c)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.respond(w, res, body)
	})
}

// isCreate reports whether a request creates an object, and so takes an
// Idempotency-Key: every POST, and a PUT with If-None-Match: *, which only
// creates.
func isCreate(r *http.Request) bool {
	if r.Method == http.MethodPut {
		createOnly, err := createOnlyPut(r)
		return createOnly && err == nil
	}
	return r.Method == http.MethodPost
}

// begin runs the checks that precede every handler, in the order their
// failures are reported: 401, 429, 404 (organization), 404 (server), 403, 413.
// A hidden server is a 404 before any 403, so that a refusal never confirms
// that it exists.
func (s *Server) begin(w http.ResponseWriter, r *http.Request, a action) (*call, error) {
	c, err := s.identify(w, r)
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
				code:    api.CodeMethodNotAllowed,
				message: fmt.Sprintf("%s is not supported on %s; use %s", r.Method, path, strings.Join(allowed, ", ")),
				details: map[string]any{"allowed_methods": allowed},
				header:  http.Header{"Allow": {strings.Join(allowed, ", ")}},
			})
			return
		}
		s.writeError(w, r, &apiError{status: http.StatusNotFound, code: api.CodeNotFound, message: "no API endpoint at " + path})
	})
}
