package mcpclient

import (
	"errors"
	"fmt"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

func TestAsRefusal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		err    error
		status int
	}{
		{"unauthenticated", &jsonrpc.Error{Code: -33401, Message: "API key has been revoked"}, 401},
		{"permission denied, wrapped", fmt.Errorf("calling tools/call: %w", &jsonrpc.Error{Code: -33403, Message: "denied"}), 403},
		{"concealed", &jsonrpc.Error{Code: -33404, Message: "server not found"}, 404},
		{"rate limited", &jsonrpc.Error{Code: -33429, Message: "retry"}, 429},
		{"invalid params", &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: "unknown tool"}, 0},
		{"internal error", &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: "fault"}, 0},
		{"the Go SDK's own code", &jsonrpc.Error{Code: -32003, Message: "client is closing"}, 0},
		{"below the refusals", &jsonrpc.Error{Code: -33200, Message: "200 is no refusal"}, 0},
		{"no JSON-RPC error", errors.New("connection refused"), 0},
		{"nil", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			refusal, ok := AsRefusal(tt.err)
			if ok != (tt.status != 0) || refusal.Status != tt.status {
				t.Fatalf("AsRefusal(%v) = %+v, %v; want status %d", tt.err, refusal, ok, tt.status)
			}
			if ok && refusal.Message == "" {
				t.Error("a refusal without its message")
			}
		})
	}
}
