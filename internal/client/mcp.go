package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// MCPError is a JSON-RPC error returned by a server's MCP endpoint.
type MCPError struct {
	// StatusCode is the HTTP status that carried the error (401, 403, 404, or 200 for method errors).
	StatusCode int
	Code       int             `json:"code"`
	Message    string          `json:"message"`
	Data       json.RawMessage `json:"data,omitempty"`
}

func (e *MCPError) Error() string {
	return fmt.Sprintf("MCP error %d (HTTP %d): %s", e.Code, e.StatusCode, e.Message)
}

// CallMCP sends one JSON-RPC 2.0 request to an MCP endpoint (a server's url) with
// the client's key, and decodes its result into out. MCP calls are not creates:
// they carry no Idempotency-Key, so only 429s are retried.
func (c *Client) CallMCP(ctx context.Context, endpointURL, method string, params, out any) error {
	u, err := url.Parse(endpointURL)
	if err != nil || u.Host != c.base.Host || u.Scheme != c.base.Scheme {
		// The key is a credential for this Horizon only; never send it elsewhere.
		return fmt.Errorf("MCP endpoint %q is not on %s", endpointURL, c.base.Redacted())
	}
	request := map[string]any{"jsonrpc": "2.0", "id": 1, "method": method}
	if params != nil {
		request["params"] = params
	}
	status, data, err := c.send(ctx, http.MethodPost, u.String(), u.Path, request, false)
	if err != nil {
		return err
	}
	var envelope struct {
		Result json.RawMessage `json:"result"`
		Error  *MCPError       `json:"error"`
	}
	if err := json.Unmarshal(data, &envelope); err != nil {
		return fmt.Errorf("MCP %s: HTTP %d with a body that is not JSON-RPC: %w", method, status, err)
	}
	if envelope.Error != nil {
		envelope.Error.StatusCode = status
		return envelope.Error
	}
	if status != http.StatusOK {
		return fmt.Errorf("MCP %s: HTTP %d without a JSON-RPC error", method, status)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(envelope.Result, out)
}
