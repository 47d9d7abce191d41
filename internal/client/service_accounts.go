package client

import (
	"context"
	"iter"
	"net/http"
)

// ListServiceAccounts returns every service account of the organization, in one request.
func (c *Client) ListServiceAccounts(ctx context.Context) ([]ServiceAccount, error) {
	return collect(c.AllServiceAccounts(ctx, 0))
}

// AllServiceAccounts iterates over the organization's service accounts, pageSize per request.
func (c *Client) AllServiceAccounts(ctx context.Context, pageSize int) iter.Seq2[ServiceAccount, error] {
	return pages[ServiceAccount](ctx, c, c.orgPath("service-accounts"), "service_accounts", pageSize)
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
