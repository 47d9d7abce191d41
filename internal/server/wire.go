package server

import (
	"time"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

// The JSON shapes of API.md. Conversions from the domain live here and nowhere
// else, so the wire format has one definition.

type serverListJSON struct {
	Servers []api.Server `json:"servers"`
	// NextPageToken is set when a request with a limit left items for a next page.
	NextPageToken string `json:"next_page_token,omitempty"`
}

type serviceAccountListJSON struct {
	ServiceAccounts []api.ServiceAccount `json:"service_accounts"`
	// NextPageToken is set when a request with a limit left items for a next page.
	NextPageToken string `json:"next_page_token,omitempty"`
}

type apiKeyListJSON struct {
	APIKeys []api.Key `json:"api_keys"`
	// NextPageToken is set when a request with a limit left items for a next page.
	NextPageToken string `json:"next_page_token,omitempty"`
}

type activeKeyJSON struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	CreatedAt string  `json:"created_at"`
	ExpiresAt *string `json:"expires_at"`
}

type serverGrantListJSON struct {
	ServerGrants []api.ServerGrant `json:"server_grants"`
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

func toOrganizationJSON(org Organization) api.Organization {
	return api.Organization{ID: org.ID, Name: org.Name, DefaultServerRole: string(org.DefaultServerRole), CreatedAt: formatTime(org.CreatedAt)}
}

func toActorJSON(a Actor) api.Actor {
	return api.Actor{ID: a.ID, Type: string(a.Type), Name: a.Name, Role: string(a.Role), OrganizationID: a.OrganizationID}
}

// toServerJSON derives the MCP endpoint's url from the listener and the id
// rather than storing it, so it is stable and never disagrees with URL().
func (s *Server) toServerJSON(srv MCPServer) api.Server {
	return api.Server{
		ID:             srv.ID,
		OrganizationID: srv.OrganizationID,
		Name:           srv.Name,
		Slug:           srv.Slug,
		Description:    srv.Description,
		URL:            s.baseURL + mcpPathPrefix + srv.ID,
		CreatedAt:      formatTime(srv.CreatedAt),
	}
}

func toServiceAccountJSON(sa ServiceAccount) api.ServiceAccount {
	return api.ServiceAccount{
		ID:             sa.ID,
		OrganizationID: sa.OrganizationID,
		Name:           sa.Name,
		Description:    sa.Description,
		Role:           string(sa.Role),
		Disabled:       sa.Disabled,
		CreatedAt:      formatTime(sa.CreatedAt),
		UpdatedAt:      formatTime(sa.UpdatedAt),
	}
}

// toAPIKeyJSON names the key's owner in service_account_id, or, for a
// personal key, user_id.
func toAPIKeyJSON(k APIKey, owner KeyOwner, now time.Time) api.Key {
	j := api.Key{
		ID:             k.ID,
		OrganizationID: k.OrganizationID,
		Name:           k.Name,
		MaskedSecret:   k.MaskedSecret,
		Status:         string(k.Status(now)),
		CreatedAt:      formatTime(k.CreatedAt),
		ExpiresAt:      formatOptionalTime(k.ExpiresAt),
		RevokedAt:      formatOptionalTime(k.RevokedAt),
		LastUsedAt:     formatOptionalTime(k.LastUsedAt),
	}
	if owner.Type == api.ActorUser {
		j.UserID = k.OwnerID
	} else {
		j.ServiceAccountID = k.OwnerID
	}
	return j
}

func toServerGrantJSON(g Grant) api.ServerGrant {
	return api.ServerGrant{
		ServiceAccountID: g.ServiceAccountID,
		ServerID:         g.ServerID,
		OrganizationID:   g.OrganizationID,
		Role:             string(g.Role),
		Capabilities:     g.Capabilities.List(),
		CreatedAt:        formatTime(g.CreatedAt),
		UpdatedAt:        formatTime(g.UpdatedAt),
	}
}
