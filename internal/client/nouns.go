package client

import (
	"context"
	"net/http"
	"net/url"
)

// Me returns the calling actor and its organizations.
func (c *Client) Me(ctx context.Context) (*Me, error) {
	return call[Me](ctx, c, http.MethodGet, "/api/v0/me", nil)
}

// GetOrganization returns the client's organization.
func (c *Client) GetOrganization(ctx context.Context) (*Organization, error) {
	return call[Organization](ctx, c, http.MethodGet, c.orgPath(), nil)
}

// UpdateOrganization changes the client's organization's settings.
func (c *Client) UpdateOrganization(ctx context.Context, req UpdateOrganizationRequest) (*Organization, error) {
	return call[Organization](ctx, c, http.MethodPatch, c.orgPath(), req)
}

const personalKeysPath = "/api/v0/me/api-keys"

// ListPersonalAPIKeys returns the metadata of every personal key of the calling user, in one request.
func (c *Client) ListPersonalAPIKeys(ctx context.Context) ([]APIKey, error) {
	return collect(c.AllPersonalAPIKeys(ctx, 0))
}

// GetPersonalAPIKey returns the metadata of one personal key of the calling user.
func (c *Client) GetPersonalAPIKey(ctx context.Context, keyID string) (*APIKey, error) {
	return call[APIKey](ctx, c, http.MethodGet, personalKeysPath+"/"+url.PathEscape(keyID), nil)
}

// CreatePersonalAPIKey issues a personal key of the calling user; the response is the only place its secret appears.
func (c *Client) CreatePersonalAPIKey(ctx context.Context, req CreateAPIKeyRequest) (*APIKey, error) {
	return call[APIKey](ctx, c, http.MethodPost, personalKeysPath, req)
}

// UpdatePersonalAPIKey renames a personal key or brings its expiry forward.
func (c *Client) UpdatePersonalAPIKey(ctx context.Context, keyID string, req UpdateAPIKeyRequest) (*APIKey, error) {
	return call[APIKey](ctx, c, http.MethodPatch, personalKeysPath+"/"+url.PathEscape(keyID), req)
}

// RevokePersonalAPIKey revokes a personal key at once; revoking a revoked key succeeds.
func (c *Client) RevokePersonalAPIKey(ctx context.Context, keyID string) (*APIKey, error) {
	return call[APIKey](ctx, c, http.MethodDelete, personalKeysPath+"/"+url.PathEscape(keyID), nil)
}

// ListServiceAccounts returns every service account of the organization, in one request.
func (c *Client) ListServiceAccounts(ctx context.Context) ([]ServiceAccount, error) {
	return collect(c.AllServiceAccounts(ctx, 0))
}

// GetServiceAccount returns one service account.
func (c *Client) GetServiceAccount(ctx context.Context, id string) (*ServiceAccount, error) {
	return call[ServiceAccount](ctx, c, http.MethodGet, c.orgPath("service-accounts", id), nil)
}

// CreateServiceAccount creates a service account without an initial key.
func (c *Client) CreateServiceAccount(ctx context.Context, req CreateServiceAccountRequest) (*ServiceAccount, error) {
	return call[ServiceAccount](ctx, c, http.MethodPost, c.orgPath("service-accounts"), req)
}

// UpdateServiceAccount changes the fields set in req.
func (c *Client) UpdateServiceAccount(ctx context.Context, id string, req UpdateServiceAccountRequest) (*ServiceAccount, error) {
	return call[ServiceAccount](ctx, c, http.MethodPatch, c.orgPath("service-accounts", id), req)
}

// DeleteServiceAccount deletes a service account, revoking its keys and grants.
func (c *Client) DeleteServiceAccount(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, c.orgPath("service-accounts", id), nil, nil)
}

// ListAPIKeys returns the metadata of every key of a service account, revoked and expired included, in one request.
func (c *Client) ListAPIKeys(ctx context.Context, serviceAccountID string) ([]APIKey, error) {
	return collect(c.AllAPIKeys(ctx, serviceAccountID, 0))
}

// GetAPIKey returns the metadata of one key.
func (c *Client) GetAPIKey(ctx context.Context, serviceAccountID, keyID string) (*APIKey, error) {
	return call[APIKey](ctx, c, http.MethodGet, c.orgPath("service-accounts", serviceAccountID, "api-keys", keyID), nil)
}

// CreateAPIKey issues a key; the response is the only place its secret appears.
func (c *Client) CreateAPIKey(ctx context.Context, serviceAccountID string, req CreateAPIKeyRequest) (*APIKey, error) {
	return call[APIKey](ctx, c, http.MethodPost, c.orgPath("service-accounts", serviceAccountID, "api-keys"), req)
}

// UpdateAPIKey renames a key or brings its expiry forward.
func (c *Client) UpdateAPIKey(ctx context.Context, serviceAccountID, keyID string, req UpdateAPIKeyRequest) (*APIKey, error) {
	return call[APIKey](ctx, c, http.MethodPatch, c.orgPath("service-accounts", serviceAccountID, "api-keys", keyID), req)
}

// RevokeAPIKey revokes a key at once; revoking a revoked key succeeds.
func (c *Client) RevokeAPIKey(ctx context.Context, serviceAccountID, keyID string) (*APIKey, error) {
	return call[APIKey](ctx, c, http.MethodDelete, c.orgPath("service-accounts", serviceAccountID, "api-keys", keyID), nil)
}

// call sends one request and decodes the object in its response.
func call[T any](ctx context.Context, c *Client, method, path string, in any) (*T, error) {
	var out T
	if err := c.do(ctx, method, path, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetServerGrant returns the grant of a service account on one server.
func (c *Client) GetServerGrant(ctx context.Context, serviceAccountID, serverID string) (*ServerGrant, error) {
	return call[ServerGrant](ctx, c, http.MethodGet, c.orgPath("service-accounts", serviceAccountID, "server-grants", serverID), nil)
}

// CreateServerGrant creates the grant of a service account on one server, and
// only creates: when the account has a grant there already, Horizon changes
// nothing and the error is ErrGrantExists.
func (c *Client) CreateServerGrant(ctx context.Context, serviceAccountID, serverID string, req PutServerGrantRequest) (*ServerGrant, error) {
	var out ServerGrant
	path := c.orgPath("service-accounts", serviceAccountID, "server-grants", serverID)
	if err := c.doWith(ctx, http.MethodPut, path, nil, createOnly, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PutServerGrant creates or replaces the grant of a service account on one server.
func (c *Client) PutServerGrant(ctx context.Context, serviceAccountID, serverID string, req PutServerGrantRequest) (*ServerGrant, error) {
	return call[ServerGrant](ctx, c, http.MethodPut, c.orgPath("service-accounts", serviceAccountID, "server-grants", serverID), req)
}

// DeleteServerGrant removes the grant of a service account on one server.
func (c *Client) DeleteServerGrant(ctx context.Context, serviceAccountID, serverID string) error {
	return c.do(ctx, http.MethodDelete, c.orgPath("service-accounts", serviceAccountID, "server-grants", serverID), nil, nil)
}
