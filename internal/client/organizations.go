package client

import (
	"context"
	"net/http"
)

// GetOrganization returns the client's organization.
func (c *Client) GetOrganization(ctx context.Context) (*Organization, error) {
	return call[Organization](ctx, c, http.MethodGet, c.orgPath(), nil)
}

// UpdateOrganization changes the client's organization's settings.
func (c *Client) UpdateOrganization(ctx context.Context, req UpdateOrganizationRequest) (*Organization, error) {
	return call[Organization](ctx, c, http.MethodPatch, c.orgPath(), req)
}
