package server

import (
	"encoding/json"
	"net/http"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// Horizon's refusals on the MCP endpoint are JSON-RPC errors whose code is
// -33000 minus the HTTP status the API would answer (-33401, -33403, -33404,
// -33408, -33413, -33429, -33503): outside -32768 to -32000, the range that
// JSON-RPC reserves and in which the MCP SDKs define their own codes (the Go
// SDK's -32003 "client is closing", the TypeScript SDK's -32000 "connection
// closed", ...), so that no client mistakes a refusal for its own failure.
// A message the server cannot accept (400) and a server fault keep JSON-RPC's
// own -32600 and -32603.
const refusalCodeBase = -33000

func rpcErrorCode(status int) int64 {
	switch status {
	case http.StatusBadRequest:
		return jsonrpc.CodeInvalidRequest
	case http.StatusInternalServerError:
		return jsonrpc.CodeInternalError
	default:
		return refusalCodeBase - int64(status)
	}
}

// writeMCPError answers with the HTTP status of err and a JSON-RPC error
// body. id names the request when it is known; otherwise the body has no id,
// as the transport specification allows for a message the server could not
// accept.
func (s *Server) writeMCPError(w http.ResponseWriter, r *http.Request, id jsonrpc.ID, err error) {
	apiErr := toAPIError(err)
	if apiErr.status == http.StatusInternalServerError {
		s.logger.Error("request failed", "method", r.Method, "path", redactPath(r.URL.Path), "error", err)
	}
	for name, values := range apiErr.header {
		w.Header()[name] = values
	}
	writeJSONBytes(w, apiErr.status, rpcErrorBody(id, apiErr))
}

// rpcErrorBody encodes a JSON-RPC error response. Its data says why, for
// programs: the reason (unauthenticated, not_found, organization_role,
// server_role, capability, ...) and the API's details (required_role,
// required_capability, resource, ...).
func rpcErrorBody(id jsonrpc.ID, apiErr *apiError) []byte {
	reason := apiErr.reason
	if reason == "" {
		reason = apiErr.code
	}
	data := map[string]any{"reason": reason}
	for name, value := range apiErr.details {
		data[name] = value
	}
	encodedData, err := json.Marshal(data)
	if err != nil {
		encodedData = nil
	}
	body, err := jsonrpc.EncodeMessage(&jsonrpc.Response{
		ID:    id,
		Error: &jsonrpc.Error{Code: rpcErrorCode(apiErr.status), Message: apiErr.message, Data: encodedData},
	})
	if err != nil {
		return []byte(`{"jsonrpc":"2.0","error":{"code":-32603,"message":"internal error"}}`)
	}
	return body
}
