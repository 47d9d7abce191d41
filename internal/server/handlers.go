package server

import (
	"time"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
	"github.com/horizonhq/terraform-provider-horizon/internal/names"
)

// Handlers answer with an apiResponse (status, body, whether something
// changed) or an error; the adapter in routes.go renders either. Each has
// already passed the route's permission check and, when its path names a
// server, found it discoverable (c.server, c.access).

func (s *Server) getMe(c *call) (apiResponse, error) {
	return ok(api.Me{Actor: toActorJSON(c.actor), Organizations: []api.Organization{toOrganizationJSON(c.org)}}), nil
}

func (s *Server) getOrganization(c *call) (apiResponse, error) {
	return ok(toOrganizationJSON(c.org)), nil
}

// updateOrganization changes the organization's default_server_role; every
// request after it is evaluated with the new role, since each request reads
// the organization afresh.
func (s *Server) updateOrganization(c *call) (apiResponse, error) {
	var req api.UpdateOrganizationRequest
	if err := c.decode(&req); err != nil {
		return apiResponse{}, err
	}
	var patch OrganizationPatch
	if req.DefaultServerRole != nil {
		role, err := parseDefaultServerRole(*req.DefaultServerRole)
		if err != nil {
			return apiResponse{}, err
		}
		patch.DefaultServerRole = &role
	}
	org, changed, err := c.store.UpdateOrganization(c.org.ID, patch)
	if err != nil {
		return apiResponse{}, err
	}
	return updated(toOrganizationJSON(org), changed), nil
}

func (s *Server) listServers(c *call) (apiResponse, error) {
	p, err := parsePage(c.r)
	if err != nil {
		return apiResponse{}, err
	}
	servers, err := c.store.ListMCPServers(c.org.ID)
	if err != nil {
		return apiResponse{}, err
	}
	callerGrants, err := c.store.ServerGrantsOf(c.actor.ID)
	if err != nil {
		return apiResponse{}, err
	}
	visible := servers[:0]
	for _, srv := range servers {
		if c.accessTo(srv.ID, callerGrants).discoverable() {
			visible = append(visible, srv)
		}
	}
	servers, next := paginate(visible, p, func(srv MCPServer) string { return creationKey(srv.CreatedAt, srv.ID) })
	list := serverListJSON{Servers: make([]api.Server, 0, len(servers)), NextPageToken: next}
	for _, srv := range servers {
		list.Servers = append(list.Servers, s.toServerJSON(srv))
	}
	return ok(list), nil
}

func (s *Server) createServer(c *call) (apiResponse, error) {
	var req api.CreateServerRequest
	if err := c.decode(&req); err != nil {
		return apiResponse{}, err
	}
	req.Name = names.Normalize(req.Name)
	if err := firstError(validateServerName(req.Name), validateServerSlug(req.Slug), validateDescription(req.Description)); err != nil {
		return apiResponse{}, err
	}
	srv := MCPServer{
		ID:             newID("srv_"),
		OrganizationID: c.org.ID,
		Name:           req.Name,
		Slug:           req.Slug,
		Description:    req.Description,
		CreatedAt:      c.now,
	}
	if err := c.store.CreateMCPServer(srv); err != nil {
		return apiResponse{}, err
	}
	return created(s.toServerJSON(srv)), nil
}

// getServer returns the server that begin resolved, which the caller may
// discover.
func (s *Server) getServer(c *call) (apiResponse, error) {
	return ok(s.toServerJSON(c.server)), nil
}

func (s *Server) updateServer(c *call) (apiResponse, error) {
	var req api.UpdateServerRequest
	if err := c.decode(&req); err != nil {
		return apiResponse{}, err
	}
	if req.Slug != nil {
		return apiResponse{}, invalidField("slug", "slug is immutable: clients address the server by it; create a new server for a new slug")
	}
	if req.Name != nil {
		*req.Name = names.Normalize(*req.Name)
		if err := validateServerName(*req.Name); err != nil {
			return apiResponse{}, err
		}
	}
	if req.Description != nil {
		if err := validateDescription(*req.Description); err != nil {
			return apiResponse{}, err
		}
	}
	srv, changed, err := c.store.UpdateMCPServer(c.org.ID, c.server.ID, MCPServerPatch{Name: req.Name, Description: req.Description})
	if err != nil {
		return apiResponse{}, err
	}
	return updated(s.toServerJSON(srv), changed), nil
}

// deleteServer removes the server and its grants in one store call, so the
// next request of an account that held a grant on it finds no access.
func (s *Server) deleteServer(c *call) (apiResponse, error) {
	if err := c.store.DeleteMCPServer(c.org.ID, c.server.ID); err != nil {
		return apiResponse{}, err
	}
	return deleted(), nil
}

func (s *Server) listServiceAccounts(c *call) (apiResponse, error) {
	p, err := parsePage(c.r)
	if err != nil {
		return apiResponse{}, err
	}
	accounts, err := c.store.ListServiceAccounts(c.org.ID)
	if err != nil {
		return apiResponse{}, err
	}
	accounts, next := paginate(accounts, p, func(sa ServiceAccount) string { return creationKey(sa.CreatedAt, sa.ID) })
	list := serviceAccountListJSON{ServiceAccounts: make([]api.ServiceAccount, 0, len(accounts)), NextPageToken: next}
	for _, sa := range accounts {
		list.ServiceAccounts = append(list.ServiceAccounts, toServiceAccountJSON(sa))
	}
	return ok(list), nil
}

// initialKeyName names the key issued by "create_key": true.
const initialKeyName = "initial"

func (s *Server) createServiceAccount(c *call) (apiResponse, error) {
	var req api.CreateServiceAccountRequest
	if err := c.decode(&req); err != nil {
		return apiResponse{}, err
	}
	req.Name = names.Normalize(req.Name)
	if err := firstError(validateServiceAccountName(req.Name), validateDescription(req.Description)); err != nil {
		return apiResponse{}, err
	}
	role, err := parseServiceAccountRole(req.Role)
	if err != nil {
		return apiResponse{}, err
	}
	if err := authorizeRoleAssignment(c.actor, role); err != nil {
		return apiResponse{}, err
	}
	sa := ServiceAccount{
		ID:             newID("sa_"),
		OrganizationID: c.org.ID,
		Name:           req.Name,
		Description:    req.Description,
		Role:           role,
		CreatedAt:      c.now,
		UpdatedAt:      c.now,
	}
	var (
		key    *APIKey
		secret string
	)
	if req.CreateKey {
		secret = newSecret()
		k := newAPIKey(sa.OrganizationID, sa.ID, initialKeyName, secret, c.now, time.Time{})
		key = &k
	}
	if err := c.store.CreateServiceAccount(sa, key); err != nil {
		return apiResponse{}, err
	}
	account := api.CreatedServiceAccount{ServiceAccount: toServiceAccountJSON(sa)}
	if key != nil {
		keyJSON := toAPIKeyJSON(*key, ServiceAccountKeys(sa.ID), c.now)
		keyJSON.Secret = secret
		account.APIKey = &keyJSON
	}
	return created(account), nil
}

func (s *Server) getServiceAccount(c *call) (apiResponse, error) {
	sa, err := c.store.GetServiceAccount(c.org.ID, c.param("sa"))
	if err != nil {
		return apiResponse{}, err
	}
	return ok(toServiceAccountJSON(sa)), nil
}

func (s *Server) updateServiceAccount(c *call) (apiResponse, error) {
	var req api.UpdateServiceAccountRequest
	if err := c.decode(&req); err != nil {
		return apiResponse{}, err
	}
	patch := ServiceAccountPatch{Name: req.Name, Description: req.Description, Disabled: req.Disabled}
	if req.Name != nil {
		*req.Name = names.Normalize(*req.Name)
		if err := validateServiceAccountName(*req.Name); err != nil {
			return apiResponse{}, err
		}
	}
	if req.Description != nil {
		if err := validateDescription(*req.Description); err != nil {
			return apiResponse{}, err
		}
	}
	if req.Role != nil {
		if *req.Role == "" {
			return apiResponse{}, invalidField("role", "role must be one of viewer, member or admin (service accounts cannot be owners)")
		}
		role, err := parseServiceAccountRole(*req.Role)
		if err != nil {
			return apiResponse{}, err
		}
		if err := authorizeRoleAssignment(c.actor, role); err != nil {
			return apiResponse{}, err
		}
		patch.Role = &role
	}
	sa, changed, err := c.store.UpdateServiceAccount(c.org.ID, c.param("sa"), patch, c.now)
	if err != nil {
		return apiResponse{}, err
	}
	return updated(toServiceAccountJSON(sa), changed), nil
}

func (s *Server) deleteServiceAccount(c *call) (apiResponse, error) {
	if err := c.store.DeleteServiceAccount(c.org.ID, c.param("sa"), c.now); err != nil {
		return apiResponse{}, err
	}
	return deleted(), nil
}

// keysOf names whose keys a key path addresses: the service account in the
// path, or, under /me/api-keys, the caller's own personal keys. One set of key
// handlers serves both, with the same validation, idempotency, expiry and
// PATCH rules; only the limit of active keys differs (KeyOwner).
type keysOf func(c *call) (KeyOwner, error)

func serviceAccountKeysOf(c *call) (KeyOwner, error) { return ServiceAccountKeys(c.param("sa")), nil }

// personalKeysOf refuses a service account: personal keys belong to users.
func personalKeysOf(c *call) (KeyOwner, error) {
	if c.actor.Type != api.ActorUser {
		return KeyOwner{}, errPersonalKeysOfServiceAccount
	}
	return PersonalKeys(c.actor.ID), nil
}

func (s *Server) listAPIKeys(of keysOf) handler {
	return func(c *call) (apiResponse, error) {
		owner, err := of(c)
		if err != nil {
			return apiResponse{}, err
		}
		p, err := parsePage(c.r)
		if err != nil {
			return apiResponse{}, err
		}
		keys, err := c.store.ListAPIKeys(c.org.ID, owner)
		if err != nil {
			return apiResponse{}, err
		}
		keys, next := paginate(keys, p, func(k APIKey) string { return creationKey(k.CreatedAt, k.ID) })
		list := apiKeyListJSON{APIKeys: make([]api.Key, 0, len(keys)), NextPageToken: next}
		for _, k := range keys {
			list.APIKeys = append(list.APIKeys, toAPIKeyJSON(k, owner, c.now))
		}
		return ok(list), nil
	}
}

func (s *Server) createAPIKey(of keysOf) handler {
	return func(c *call) (apiResponse, error) {
		owner, err := of(c)
		if err != nil {
			return apiResponse{}, err
		}
		var req api.CreateAPIKeyRequest
		if err := c.decode(&req); err != nil {
			return apiResponse{}, err
		}
		if err := validateAPIKeyName(req.Name); err != nil {
			return apiResponse{}, err
		}
		var expiresAt time.Time
		switch {
		case req.ExpiresAt != nil && req.TTLSeconds != nil:
			return apiResponse{}, invalidField("ttl_seconds", "expires_at and ttl_seconds are mutually exclusive; send one of them")
		case req.ExpiresAt != nil:
			expiresAt, err = parseExpiresAt(*req.ExpiresAt, c.now)
		case req.TTLSeconds != nil:
			expiresAt, err = parseTTLSeconds(*req.TTLSeconds, c.now)
		}
		if err != nil {
			return apiResponse{}, err
		}
		// The store checks that the owner exists under the same lock as the
		// key limit, so a concurrent delete cannot slip in between.
		secret := newSecret()
		key := newAPIKey(c.org.ID, owner.ID, req.Name, secret, c.now, expiresAt)
		if err := c.store.CreateAPIKey(owner, key); err != nil {
			return apiResponse{}, err
		}
		keyJSON := toAPIKeyJSON(key, owner, c.now)
		keyJSON.Secret = secret
		return created(keyJSON), nil
	}
}

func (s *Server) getAPIKey(of keysOf) handler {
	return func(c *call) (apiResponse, error) {
		owner, err := of(c)
		if err != nil {
			return apiResponse{}, err
		}
		key, err := c.store.GetAPIKey(c.org.ID, owner, c.param("key"))
		if err != nil {
			return apiResponse{}, err
		}
		return ok(toAPIKeyJSON(key, owner, c.now)), nil
	}
}

// updateAPIKey renames a key or brings its expiry forward: a key's life can
// be shortened (a grace period for a replaced key), never extended.
func (s *Server) updateAPIKey(of keysOf) handler {
	return func(c *call) (apiResponse, error) {
		owner, err := of(c)
		if err != nil {
			return apiResponse{}, err
		}
		var req api.UpdateAPIKeyRequest
		if err := c.decode(&req); err != nil {
			return apiResponse{}, err
		}
		var patch APIKeyPatch
		if req.Name != nil {
			if err := validateAPIKeyName(*req.Name); err != nil {
				return apiResponse{}, err
			}
			patch.Name = req.Name
		}
		if req.ExpiresAt != nil {
			expiresAt, err := parseExpiresAt(*req.ExpiresAt, c.now)
			if err != nil {
				return apiResponse{}, err
			}
			patch.ExpiresAt = &expiresAt
		}
		key, changed, err := c.store.UpdateAPIKey(c.org.ID, owner, c.param("key"), patch)
		if err != nil {
			return apiResponse{}, err
		}
		return updated(toAPIKeyJSON(key, owner, c.now), changed), nil
	}
}

func (s *Server) revokeAPIKey(of keysOf) handler {
	return func(c *call) (apiResponse, error) {
		owner, err := of(c)
		if err != nil {
			return apiResponse{}, err
		}
		key, changed, err := c.store.RevokeAPIKey(c.org.ID, owner, c.param("key"), c.now)
		if err != nil {
			return apiResponse{}, err
		}
		return updated(toAPIKeyJSON(key, owner, c.now), changed), nil
	}
}

func (s *Server) listServerGrants(c *call) (apiResponse, error) {
	p, err := parsePage(c.r)
	if err != nil {
		return apiResponse{}, err
	}
	grants, err := c.store.ListServerGrants(c.org.ID, c.param("sa"))
	if err != nil {
		return apiResponse{}, err
	}
	callerGrants, err := c.store.ServerGrantsOf(c.actor.ID)
	if err != nil {
		return apiResponse{}, err
	}
	// A grant names its server, so grants on servers the caller may not
	// discover are left out, as the servers are from the server list.
	visible := grants[:0]
	for _, g := range grants {
		if c.accessTo(g.ServerID, callerGrants).discoverable() {
			visible = append(visible, g)
		}
	}
	grants, next := paginate(visible, p, func(g Grant) string { return g.ServerID })
	list := serverGrantListJSON{ServerGrants: make([]api.ServerGrant, 0, len(grants)), NextPageToken: next}
	for _, g := range grants {
		list.ServerGrants = append(list.ServerGrants, toServerGrantJSON(g))
	}
	return ok(list), nil
}

func (s *Server) putServerGrant(c *call) (apiResponse, error) {
	createOnly, err := createOnlyPut(c.r)
	if err != nil {
		return apiResponse{}, err
	}
	var req api.PutServerGrantRequest
	if err := c.decode(&req); err != nil {
		return apiResponse{}, err
	}
	role, err := parseGrantRole(req.Role)
	if err != nil {
		return apiResponse{}, err
	}
	capabilities, err := parseCapabilities(req.Capabilities)
	if err != nil {
		return apiResponse{}, err
	}
	if err := authorizeGrantAssignment(c.access, role); err != nil {
		return apiResponse{}, err
	}
	grant := Grant{
		ServiceAccountID: c.param("sa"),
		ServerID:         c.server.ID,
		OrganizationID:   c.org.ID,
		Role:             role,
		Capabilities:     capabilities,
	}
	if createOnly {
		grant, err := c.store.CreateServerGrant(grant, c.now)
		if err != nil {
			return apiResponse{}, err
		}
		return created(toServerGrantJSON(grant)), nil
	}
	grant, outcome, err := c.store.PutServerGrant(grant, c.now)
	if err != nil {
		return apiResponse{}, err
	}
	switch outcome {
	case PutCreated:
		return created(toServerGrantJSON(grant)), nil
	case PutUnchanged:
		return updated(toServerGrantJSON(grant), false), nil
	default:
		return updated(toServerGrantJSON(grant), true), nil
	}
}

func (s *Server) getServerGrant(c *call) (apiResponse, error) {
	grant, err := c.store.GetServerGrant(c.org.ID, c.param("sa"), c.server.ID)
	if err != nil {
		return apiResponse{}, err
	}
	return ok(toServerGrantJSON(grant)), nil
}

func (s *Server) deleteServerGrant(c *call) (apiResponse, error) {
	if err := c.store.DeleteServerGrant(c.org.ID, c.param("sa"), c.server.ID); err != nil {
		return apiResponse{}, err
	}
	return deleted(), nil
}

func newAPIKey(orgID, ownerID, name, secret string, now, expiresAt time.Time) APIKey {
	return APIKey{
		ID:             newID("key_"),
		OrganizationID: orgID,
		OwnerID:        ownerID,
		Name:           name,
		SecretHash:     hashSecret(secret),
		MaskedSecret:   maskSecret(secret),
		CreatedAt:      now,
		ExpiresAt:      expiresAt,
	}
}

// firstError returns the first non-nil error, so validation reports fields in
// the order the API documents them.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
