package client

import (
	"context"
	"net/http"
)

// Me returns the calling actor and its organizations.
func (c *Client) Me(ctx context.Context) (*Me, error) {
	return call[Me](ctx, c, http.MethodGet, APIPath+"/me", nil)
}
