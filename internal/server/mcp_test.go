package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestMCPMethods(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	weather := e.serverID("weather")

	var initialized struct {
		ProtocolVersion string                         `json:"protocolVersion"`
		ServerInfo      struct{ Name, Version string } `json:"serverInfo"`
		Capabilities    map[string]map[string]any      `json:"capabilities"`
	}
	res := e.owner.mcp(weather, "initialize", map[string]any{"protocolVersion": "2025-06-18", "capabilities": map[string]any{}, "clientInfo": map[string]any{"name": "test", "version": "1"}})
	res.result(&initialized)
	if initialized.ProtocolVersion != "2025-06-18" || initialized.ServerInfo.Name != "weather" || initialized.ServerInfo.Version == "" {
		t.Errorf("initialize = %+v", initialized)
	}
	for _, c := range []string{"tools", "resources", "prompts"} {
		if _, ok := initialized.Capabilities[c]; !ok {
			t.Errorf("initialize capabilities lack %s: %s", c, res.body)
		}
	}
	if id := string(res.rpc().ID); id != "1" {
		t.Errorf("id = %s, want 1", id)
	}
	if ct := res.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}

	var tools struct {
		Tools []struct {
			Name        string `json:"name"`
			InputSchema struct {
				Type       string                       `json:"type"`
				Properties map[string]map[string]string `json:"properties"`
			} `json:"inputSchema"`
		} `json:"tools"`
	}
	e.owner.mcp(weather, "tools/list", nil).result(&tools)
	if len(tools.Tools) != 1 || tools.Tools[0].Name != "echo" || tools.Tools[0].InputSchema.Type != "object" ||
		tools.Tools[0].InputSchema.Properties["text"]["type"] != "string" {
		t.Errorf("tools/list = %+v", tools)
	}

	var called struct {
		Content []struct{ Type, Text string } `json:"content"`
	}
	e.owner.mcp(weather, "tools/call", map[string]any{"name": "echo", "arguments": map[string]any{"text": "hello", "n": []int{1, 2}}}).result(&called)
	if len(called.Content) != 1 || called.Content[0].Type != "text" || called.Content[0].Text != `{"n":[1,2],"text":"hello"}` {
		t.Errorf("tools/call = %+v", called)
	}
	e.owner.mcp(weather, "tools/call", map[string]any{"name": "echo"}).result(&called)
	if called.Content[0].Text != `{}` {
		t.Errorf("tools/call without arguments = %+v", called)
	}

	var resources struct {
		Resources []struct{ URI, Name string } `json:"resources"`
	}
	e.owner.mcp(weather, "resources/list", nil).result(&resources)
	if len(resources.Resources) != 1 || resources.Resources[0].URI != "horizon://weather/readme" {
		t.Errorf("resources/list = %+v", resources)
	}

	var prompts struct {
		Prompts []struct{ Name string } `json:"prompts"`
	}
	e.owner.mcp(weather, "prompts/list", nil).result(&prompts)
	if len(prompts.Prompts) == 0 || prompts.Prompts[0].Name == "" {
		t.Errorf("prompts/list = %+v", prompts)
	}

	var pong map[string]any
	e.owner.mcp(weather, "ping", nil).result(&pong)
	if len(pong) != 0 {
		t.Errorf("ping = %v, want {}", pong)
	}
}

// TestMCPProtocolErrors sends raw bodies: malformed messages fail the HTTP
// exchange (400); well-formed requests that fail do so inside a 200.
func TestMCPProtocolErrors(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	path := mcpPathPrefix + e.serverID("weather")
	tests := []struct {
		name    string
		body    string
		status  int
		code    int
		id      string
		message string
	}{
		{"not JSON", `{"jsonrpc":`, 400, -32700, "null", "not valid JSON"},
		{"empty body", ``, 400, -32700, "null", "not valid JSON"},
		{"batch", `[{"jsonrpc":"2.0","id":1,"method":"ping"}]`, 400, -32600, "null", "batches are not supported"},
		{"string", `"ping"`, 400, -32600, "null", "JSON object"},
		{"null", `null`, 400, -32600, "null", "JSON object"},
		{"no jsonrpc", `{"id":7,"method":"ping"}`, 400, -32600, "7", `jsonrpc must be "2.0"`},
		{"old jsonrpc", `{"jsonrpc":"1.0","id":"a","method":"ping"}`, 400, -32600, `"a"`, `jsonrpc must be "2.0"`},
		{"null id", `{"jsonrpc":"2.0","id":null,"method":"ping"}`, 400, -32600, "null", "id must be a string or a number"},
		{"object id", `{"jsonrpc":"2.0","id":{},"method":"ping"}`, 400, -32600, "null", "id must be a string or a number"},
		{"method not a string", `{"jsonrpc":"2.0","id":2,"method":5}`, 400, -32600, "2", "method must be a non-empty string"},
		{"no method", `{"jsonrpc":"2.0","id":2}`, 400, -32600, "2", "method must be a non-empty string"},
		{"unknown method", `{"jsonrpc":"2.0","id":3,"method":"resources/read"}`, 200, -32601, "3", `method not found: "resources/read"`},
		{"params not an object", `{"jsonrpc":"2.0","id":4,"method":"tools/list","params":[1]}`, 200, -32602, "4", "params must be an object"},
		{"unknown tool", `{"jsonrpc":"2.0","id":"x","method":"tools/call","params":{"name":"rm"}}`, 200, -32602, `"x"`, `unknown tool "rm"`},
		{"tool name missing", `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{}}`, 200, -32602, "5", "name is required"},
		{"tool name not a string", `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":1}}`, 200, -32602, "5", "tools/call takes"},
		{"arguments not an object", `{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"echo","arguments":[1]}}`, 200, -32602, "6", "arguments must be an object"},
		{"number id echoed", `{"jsonrpc":"2.0","id":1.5e3,"method":"tools/call","params":{"name":"rm"}}`, 200, -32602, "1.5e3", "unknown tool"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.client(e.srv.BootstrapKey())
			c.t = t
			reply := c.do(http.MethodPost, path, tt.body).wantRPCError(tt.status, tt.code, nil)
			if string(reply.ID) != tt.id {
				t.Errorf("id = %s, want %s", reply.ID, tt.id)
			}
			if !strings.Contains(reply.Error.Message, tt.message) {
				t.Errorf("message %q lacks %q", reply.Error.Message, tt.message)
			}
		})
	}
}

func TestMCPNotifications(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	path := mcpPathPrefix + e.serverID("weather")
	for _, body := range []string{
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}`,
		`{"jsonrpc":"2.0","method":"tools/call","params":{"name":"rm"}}`,
	} {
		res := e.owner.do(http.MethodPost, path, body).want(http.StatusAccepted)
		if len(res.body) != 0 {
			t.Errorf("%s: body %q, want none", body, res.body)
		}
	}
	// A notification is still authenticated and authorized.
	e.client("").do(http.MethodPost, path, `{"jsonrpc":"2.0","method":"notifications/initialized"}`).
		wantRPCError(http.StatusUnauthorized, -32001, map[string]any{"reason": "unauthenticated"})
}

func TestMCPAuthentication(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, WithDefaultServerRole("user"))
	weather := e.serverID("weather")
	saID := e.createSA("ci", RoleMember)
	key := e.createKey(saID, "k")
	c := e.client(key.Secret)

	c.mcp(weather, "ping", nil).want(http.StatusOK)
	var got apiKeyJSON
	e.owner.do(http.MethodGet, keyPath(saID, key.ID), nil).want(http.StatusOK).decode(&got)
	if deref(got.LastUsedAt) != "2030-01-02T15:04:05Z" {
		t.Errorf("last_used_at = %s after an MCP call", deref(got.LastUsedAt))
	}

	disabledSA := e.createSA("disabled", RoleMember)
	disabled := e.client(e.createKey(disabledSA, "k").Secret)
	e.owner.do(http.MethodPatch, saPath(disabledSA), map[string]any{"disabled": true}).want(http.StatusOK)
	deletedSA := e.createSA("deleted", RoleMember)
	deleted := e.client(e.createKey(deletedSA, "k").Secret)
	e.owner.do(http.MethodDelete, saPath(deletedSA), nil).want(http.StatusNoContent)
	e.owner.do(http.MethodDelete, keyPath(saID, key.ID), nil).want(http.StatusOK)

	tests := []struct {
		name    string
		client  *apiClient
		message string
	}{
		{"no key", e.client(""), "missing API key"},
		{"unknown key", e.client("fmcp_unknown-key-0000000000"), "not recognized"},
		{"revoked key", c, "revoked"},
		{"disabled account", disabled, "disabled"},
		{"deleted account", deleted, "not recognized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.client.t = t
			res := tt.client.mcp(weather, "tools/list", nil)
			reply := res.wantRPCError(http.StatusUnauthorized, -32001, map[string]any{"reason": "unauthenticated"})
			if string(reply.ID) != "null" || !strings.Contains(reply.Error.Message, tt.message) {
				t.Errorf("reply = %s, want id null and a message saying %q", res.body, tt.message)
			}
			if res.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

// TestMCPRefusals pins the JSON-RPC bodies of refusals: the HTTP status, the
// code and data that say which role or capability is missing.
func TestMCPRefusals(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	weather := e.serverID("weather")
	viewer, member := e.actor(RoleViewer), e.actor(RoleMember)
	e.grant(viewer.saID, weather, AccessRoleUser)

	res := member.mcp(weather, "initialize", nil)
	reply := res.wantRPCError(http.StatusNotFound, -32004, map[string]any{"reason": "not_found", "resource": "server"})
	if !strings.Contains(reply.Error.Message, "server not found") {
		t.Errorf("404 message = %q", reply.Error.Message)
	}
	e.owner.mcp("srv_aaaaaaaaaaaaaaaa", "initialize", nil).wantRPCError(http.StatusNotFound, -32004, map[string]any{"resource": "server"})

	reply = viewer.mcp(weather, "initialize", nil).wantRPCError(http.StatusForbidden, -32003,
		map[string]any{"reason": "organization_role", "required_role": "member", "actor_role": "viewer"})
	if !strings.Contains(reply.Error.Message, "requires role member") {
		t.Errorf("organization role message = %q", reply.Error.Message)
	}

	e.grant(member.saID, weather, AccessRoleViewer)
	reply = member.mcp(weather, "initialize", nil).wantRPCError(http.StatusForbidden, -32003,
		map[string]any{"reason": "server_role", "required_role": "user", "actor_role": "viewer"})
	if !strings.Contains(reply.Error.Message, "requires server role user") || !strings.Contains(reply.Error.Message, "grant") {
		t.Errorf("server role message = %q", reply.Error.Message)
	}

	e.grant(member.saID, weather, AccessRoleUser, CapabilityTools)
	res = member.mcp(weather, "resources/list", nil)
	reply = res.wantRPCError(http.StatusForbidden, -32003,
		map[string]any{"reason": "capability", "required_capability": "resources", "granted_capabilities": []string{"tools"}})
	if string(reply.ID) != "1" || !strings.Contains(reply.Error.Message, "requires the resources capability") {
		t.Errorf("capability refusal = %s", res.body)
	}
	var exact map[string]any
	res.decode(&exact)
	if len(exact) != 3 || len(exact["error"].(map[string]any)) != 3 {
		t.Errorf("refusal has members beyond jsonrpc, id, error{code, message, data}: %s", res.body)
	}
}

func TestMCPLimitsAndLog(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, WithRateLimit(1), WithFailRate(1))
	weather := e.serverID("weather") // spends the only token
	e.clock.Advance(time.Second)

	// MCP calls change nothing, so the fail rate never drops them.
	e.owner.mcp(weather, "tools/call", map[string]any{"name": "echo"}).want(http.StatusOK)
	res := e.owner.mcp(weather, "tools/call", map[string]any{"name": "echo"})
	res.wantRPCError(http.StatusTooManyRequests, -32029, map[string]any{"reason": "rate_limited", "retry_after_seconds": 1})
	if res.header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After = %q", res.header.Get("Retry-After"))
	}
	e.owner.do(http.MethodGet, "/api/v0/me", nil).wantError(http.StatusTooManyRequests, "rate_limited", nil) // one bucket per organization

	e.clock.Advance(time.Second)
	large := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"` + strings.Repeat("a", 64<<10) + `"}}}`
	e.owner.do(http.MethodPost, mcpPathPrefix+weather, large).
		wantRPCError(http.StatusRequestEntityTooLarge, -32013, map[string]any{"reason": "payload_too_large", "limit_bytes": 65536})

	e.clock.Advance(time.Second)
	e.owner.do(http.MethodGet, mcpPathPrefix+weather, nil).wantError(http.StatusMethodNotAllowed, "method_not_allowed", map[string]any{"allowed_methods": []string{"POST"}})

	logs := e.logs.String()
	if !strings.Contains(logs, "method=POST path=/mcp/"+weather+" status=200 duration=") {
		t.Errorf("no access log line for the MCP call:\n%s", logs)
	}
	if strings.Contains(logs, e.srv.BootstrapKey()) || strings.Contains(logs, "Bearer") {
		t.Errorf("the log holds a credential:\n%s", logs)
	}
}

// TestMCPHostileBodies: no body may cause a server fault, and every refusal
// is a JSON-RPC error.
func TestMCPHostileBodies(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	path := mcpPathPrefix + e.serverID("weather")
	bodies := []string{
		`null`, `true`, `12`, `[]`, `[[]]`, `{}`, `{"jsonrpc":"2.0"}`, `{"jsonrpc":"2.0","id":[],"method":"ping"}`,
		`{"jsonrpc":"2.0","id":"\ud800","method":"ping"}`, "{\"jsonrpc\":\"2.0\",\"id\":\"\xff\",\"method\":\"ping\"}",
		`{"jsonrpc":"2.0","id":1e400,"method":"ping"}`, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":null}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":"echo"}`, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":"x"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"a":1e400,"b":"\ud800"}}}`,
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":7}`, `{"jsonrpc":"2.0","id":1,"method":"` + strings.Repeat("x", 1000) + `"}`,
		`{"jsonrpc":"2.0","id":1,"method":"ping","method":"tools/list"}`, strings.Repeat("[", 10000), "\x00", `{"jsonrpc":"2.0","id":1,"method":"ping"} {}`,
	}
	for _, body := range bodies {
		res := e.owner.do(http.MethodPost, path, body)
		if res.status >= 500 {
			t.Errorf("%.40q: status %d, body %s", body, res.status, res.body)
			continue
		}
		if res.status != http.StatusAccepted {
			var reply rpcReply
			if err := json.Unmarshal(res.body, &reply); err != nil || reply.JSONRPC != "2.0" {
				t.Errorf("%.40q: status %d, not a JSON-RPC body: %s", body, res.status, res.body)
			}
		}
	}
}
