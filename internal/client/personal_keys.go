package client

import (
	"context"
	"iter"
	"net/http"
	"net/url"
)

// personalKeysPath is where the calling user's personal keys live.
const personalKeysPath = APIPath + "/me/api-keys"

// ListPersonalAPIKeys returns the metadata of every personal key of the calling user, in one request.
func (c *Client) ListPersonalAPIKeys(ctx context.Context) ([]APIKey, error) {
	return collect(c.AllPersonalAPIKeys(ctx, 0))
}

// AllPersonalAPIKeys iterates over the metadata of the calling user's personal keys, whatever their status, pageSize per request.
func (c *Client) AllPersonalAPIKeys(ctx context.Context, pageSize int) iter.Seq2[APIKey, error] {
	return pages[APIKey](ctx, c, personalKeysPath, "api_keys", pageSize)
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
