// Package mcpclient connects the official MCP Go SDK client to a Horizon
// server's MCP endpoint (the server's url) with an API key. The demo and the
// tests use it to show what a key may do; it knows nothing of the Horizon
// API or of Terraform.
package mcpclient

import (
	"context"
	"errors"
	"net/http"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Options adjust Connect.
type Options struct {
	// Transport carries the requests; nil means http.DefaultTransport.
	Transport http.RoundTripper
	// ProtocolVersion asks for an MCP revision; empty lets the SDK choose.
	ProtocolVersion string
}

// Connect opens an MCP session on endpoint over Streamable HTTP, sending key
// as the bearer token with every request of the session.
func Connect(ctx context.Context, endpoint, key string, opts Options) (*mcp.ClientSession, error) {
	base := opts.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "horizon-mcpclient", Version: "1.0.0"}, nil)
	return client.Connect(ctx, &mcp.StreamableClientTransport{
		Endpoint:   endpoint,
		HTTPClient: &http.Client{Transport: bearer{key: key, base: base}},
	}, &mcp.ClientSessionOptions{ProtocolVersion: opts.ProtocolVersion})
}

type bearer struct {
	key  string
	base http.RoundTripper
}

func (b bearer) RoundTrip(req *http.Request) (*http.Response, error) {
	if b.key != "" {
		req = req.Clone(req.Context())
		req.Header.Set("Authorization", "Bearer "+b.key)
	}
	return b.base.RoundTrip(req)
}

// refusalCodeBase is how Horizon codes a refusal on the MCP endpoint:
// -33000 minus the HTTP status that its API gives the same refusal.
const refusalCodeBase = -33000

// Refusal is Horizon refusing an MCP request: Status is the HTTP status its
// API gives the same refusal (401 unauthenticated, 403 a role or capability
// missing, 404 a server hidden or absent, 429, ...), Message says why.
type Refusal struct {
	Status  int
	Message string
}

// AsRefusal reports the refusal that err carries, and false when err is no
// Horizon refusal.
func AsRefusal(err error) (Refusal, bool) {
	var rpcErr *jsonrpc.Error
	if !errors.As(err, &rpcErr) {
		return Refusal{}, false
	}
	status := refusalCodeBase - rpcErr.Code
	if status < 400 || status > 599 {
		return Refusal{}, false
	}
	return Refusal{Status: int(status), Message: rpcErr.Message}, true
}
