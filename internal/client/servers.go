package client

import (
	"context"
	"iter"
	"net/http"
)

// ListServers returns the servers the caller may discover, in one request.
func (c *Client) ListServers(ctx context.Context) ([]Server, error) {
	return collect(c.AllServers(ctx, 0))
}

// AllServers iterates over the servers the caller may discover, pageSize per request.
func (c *Client) AllServers(ctx context.Context, pageSize int) iter.Seq2[Server, error] {
	return pages[Server](ctx, c, c.orgPath("servers"), "servers", pageSize)
}

// GetServer returns one server.
func (c *Client) GetServer(ctx context.Context, id string) (*Server, error) {
	return call[Server](ctx, c, http.MethodGet, c.orgPath("servers", id), nil)
}

// CreateServer creates a server; it needs an organization admin or owner.
func (c *Client) CreateServer(ctx context.Context, req CreateServerRequest) (*Server, error) {
	return call[Server](ctx, c, http.MethodPost, c.orgPath("servers"), req)
}

// UpdateServer renames or describes a server; its slug cannot change.
func (c *Client) UpdateServer(ctx context.Context, id string, req UpdateServerRequest) (*Server, error) {
	return call[Server](ctx, c, http.MethodPatch, c.orgPath("servers", id), req)
}

// DeleteServer deletes a server and, in the same step, every grant on it.
func (c *Client) DeleteServer(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, c.orgPath("servers", id), nil, nil)
}
