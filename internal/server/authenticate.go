package server

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

// lastUsedGranularity coarsens last_used_at so that a busy key does not take
// the store's write lock on every request.
const lastUsedGranularity = time.Minute

// identify authenticates the request, charges the rate limit and resolves
// the organization: the checks that the API and the MCP endpoint share.
// Under a rate limit, every response from here on carries the RateLimit
// fields, a refusal too.
func (s *Server) identify(w http.ResponseWriter, r *http.Request) (*call, error) {
	now := s.clock.Now()
	actor, err := s.authenticate(r, now)
	if err != nil {
		return nil, err
	}
	if s.limiter != nil {
		quota := s.limiter.take(actor.OrganizationID, now)
		s.limiter.setHeaders(w.Header(), quota)
		if !quota.allowed {
			return nil, rateLimited(quota.retryAfter)
		}
	}
	org, err := s.resolveOrganization(actor, r.PathValue("org"))
	if err != nil {
		return nil, err
	}
	return &call{r: r, store: s.store, actor: actor, org: org, now: now}, nil
}

// authenticate evaluates the bearer key against current state on every
// request, so revocation, expiry and disabling take effect immediately.
func (s *Server) authenticate(r *http.Request, now time.Time) (Actor, error) {
	if n := len(r.Header.Values("Authorization")); n > 1 {
		// Which one counts would be up to each hop: a proxy may check the
		// first while another reads the last.
		return Actor{}, &apiError{
			status:  http.StatusBadRequest,
			code:    api.CodeInvalidRequest,
			message: fmt.Sprintf("the request has %d Authorization headers; send exactly one: Authorization: Bearer fmcp_...", n),
			details: map[string]any{"field": "Authorization"},
		}
	}
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
	case api.KeyStatusRevoked:
		return Actor{}, unauthenticated("API key has been revoked")
	case api.KeyStatusExpired:
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
