package client

import (
	"context"
	"iter"
	"net/http"
)

// ListAPIKeys returns the metadata of every key of a service account, revoked and expired included, in one request.
func (c *Client) ListAPIKeys(ctx context.Context, serviceAccountID string) ([]APIKey, error) {
	return collect(c.AllAPIKeys(ctx, serviceAccountID, 0))
}

// AllAPIKeys iterates over the metadata of a service account's keys, whatever their status, pageSize per request.
func (c *Client) AllAPIKeys(ctx context.Context, serviceAccountID string, pageSize int) iter.Seq2[APIKey, error] {
	return pages[APIKey](ctx, c, c.orgPath("service-accounts", serviceAccountID, "api-keys"), "api_keys", pageSize)
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
