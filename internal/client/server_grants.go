package client

import (
	"context"
	"iter"
	"net/http"
)

// AllServerGrants iterates over a service account's grants on servers the caller may discover, pageSize per request.
func (c *Client) AllServerGrants(ctx context.Context, serviceAccountID string, pageSize int) iter.Seq2[ServerGrant, error] {
	return pages[ServerGrant](ctx, c, c.orgPath("service-accounts", serviceAccountID, "server-grants"), "server_grants", pageSize)
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
