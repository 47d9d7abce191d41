package server

import "time"

// The JSON shapes of API.md. Conversions from the domain live here and nowhere
// else, so the wire format has one definition.

type organizationJSON struct {
	ID                string     `json:"id"`
	Name              string     `json:"name"`
	DefaultServerRole AccessRole `json:"default_server_role"`
	CreatedAt         string     `json:"created_at"`
}

type actorJSON struct {
	ID             string    `json:"id"`
	Type           ActorType `json:"type"`
	Name           string    `json:"name"`
	Role           Role      `json:"role"`
	OrganizationID string    `json:"organization_id"`
}

type meJSON struct {
	Actor         actorJSON          `json:"actor"`
	Organizations []organizationJSON `json:"organizations"`
}

type serverJSON struct {
	ID             string `json:"id"`
	OrganizationID string `json:"organization_id"`
	Name           string `json:"name"`
	Slug           string `json:"slug"`
	Description    string `json:"description"`
	URL            string `json:"url"`
	CreatedAt      string `json:"created_at"`
}

type serverListJSON struct {
	Servers []serverJSON `json:"servers"`
	// NextPageToken is set when a request with a limit left items for a next page.
	NextPageToken string `json:"next_page_token,omitempty"`
}

type serviceAccountJSON struct {
	ID             string `json:"id"`
	OrganizationID string `json:"organization_id"`
	Name           string `json:"name"`
	Description    string `json:"description"`
	Role           Role   `json:"role"`
	Disabled       bool   `json:"disabled"`
	CreatedAt      string `json:"created_at"`
	UpdatedAt      string `json:"updated_at"`
}

type createdServiceAccountJSON struct {
	serviceAccountJSON
	APIKey *apiKeyJSON `json:"api_key,omitempty"`
}

type serviceAccountListJSON struct {
	ServiceAccounts []serviceAccountJSON `json:"service_accounts"`
	// NextPageToken is set when a request with a limit left items for a next page.
	NextPageToken string `json:"next_page_token,omitempty"`
}

type apiKeyJSON struct {
	ID               string    `json:"id"`
	OrganizationID   string    `json:"organization_id"`
	ServiceAccountID string    `json:"service_account_id,omitempty"`
	UserID           string    `json:"user_id,omitempty"`
	Name             string    `json:"name"`
	MaskedSecret     string    `json:"masked_secret"`
	Status           KeyStatus `json:"status"`
	CreatedAt        string    `json:"created_at"`
	ExpiresAt        *string   `json:"expires_at"`
	RevokedAt        *string   `json:"revoked_at"`
	LastUsedAt       *string   `json:"last_used_at"`
	Secret           string    `json:"secret,omitempty"`
}

type apiKeyListJSON struct {
	APIKeys []apiKeyJSON `json:"api_keys"`
	// NextPageToken is set when a request with a limit left items for a next page.
	NextPageToken string `json:"next_page_token,omitempty"`
}

type activeKeyJSON struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	CreatedAt string  `json:"created_at"`
	ExpiresAt *string `json:"expires_at"`
}

type serverGrantJSON struct {
	ServiceAccountID string       `json:"service_account_id"`
	ServerID         string       `json:"server_id"`
	OrganizationID   string       `json:"organization_id"`
	Role             AccessRole   `json:"role"`
	Capabilities     []Capability `json:"capabilities"`
	CreatedAt        string       `json:"created_at"`
	UpdatedAt        string       `json:"updated_at"`
}

type serverGrantListJSON struct {
	ServerGrants []serverGrantJSON `json:"server_grants"`
	// NextPageToken is set when a request with a limit left items for a next page.
	NextPageToken string `json:"next_page_token,omitempty"`
}

type errorJSON struct {
	Error errorDetailJSON `json:"error"`
}

type errorDetailJSON struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details"`
}

func formatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}

func formatOptionalTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := formatTime(t)
	return &s
}

func toOrganizationJSON(org Organization) organizationJSON {
	return organizationJSON{ID: org.ID, Name: org.Name, DefaultServerRole: org.DefaultServerRole, CreatedAt: formatTime(org.CreatedAt)}
}

func toActorJSON(a Actor) actorJSON {
	return actorJSON{ID: a.ID, Type: a.Type, Name: a.Name, Role: a.Role, OrganizationID: a.OrganizationID}
}

// toServerJSON derives the MCP endpoint's url from the listener and the id
// rather than storing it, so it is stable and never disagrees with URL().
func (s *Server) toServerJSON(srv MCPServer) serverJSON {
	return serverJSON{
		ID:             srv.ID,
		OrganizationID: srv.OrganizationID,
		Name:           srv.Name,
		Slug:           srv.Slug,
		Description:    srv.Description,
		URL:            s.baseURL + mcpPathPrefix + srv.ID,
		CreatedAt:      formatTime(srv.CreatedAt),
	}
}

func toServiceAccountJSON(sa ServiceAccount) serviceAccountJSON {
	return serviceAccountJSON{
		ID:             sa.ID,
		OrganizationID: sa.OrganizationID,
		Name:           sa.Name,
		Description:    sa.Description,
		Role:           sa.Role,
		Disabled:       sa.Disabled,
		CreatedAt:      formatTime(sa.CreatedAt),
		UpdatedAt:      formatTime(sa.UpdatedAt),
	}
}

// toAPIKeyJSON names the key's owner in service_account_id, or, for a
// personal key, user_id.
func toAPIKeyJSON(k APIKey, owner KeyOwner, now time.Time) apiKeyJSON {
	j := apiKeyJSON{
		ID:             k.ID,
		OrganizationID: k.OrganizationID,
		Name:           k.Name,
		MaskedSecret:   k.MaskedSecret,
		Status:         k.Status(now),
		CreatedAt:      formatTime(k.CreatedAt),
		ExpiresAt:      formatOptionalTime(k.ExpiresAt),
		RevokedAt:      formatOptionalTime(k.RevokedAt),
		LastUsedAt:     formatOptionalTime(k.LastUsedAt),
	}
	if owner.Type == ActorUser {
		j.UserID = k.OwnerID
	} else {
		j.ServiceAccountID = k.OwnerID
	}
	return j
}

func toServerGrantJSON(g Grant) serverGrantJSON {
	return serverGrantJSON{
		ServiceAccountID: g.ServiceAccountID,
		ServerID:         g.ServerID,
		OrganizationID:   g.OrganizationID,
		Role:             g.Role,
		Capabilities:     g.Capabilities.List(),
		CreatedAt:        formatTime(g.CreatedAt),
		UpdatedAt:        formatTime(g.UpdatedAt),
	}
}
