package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
	"github.com/horizonhq/terraform-provider-horizon/internal/mcpclient"
)

// The MCP endpoint as real clients see it: the official Go SDK's client over
// Streamable HTTP, with an http.Client that adds the bearer key.

// statusRecorder remembers the last response's status and WWW-Authenticate
// header.
type statusRecorder struct {
	mu              sync.Mutex
	status          int
	wwwAuthenticate string
}

func (t *statusRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil {
		t.mu.Lock()
		t.status, t.wwwAuthenticate = resp.StatusCode, resp.Header.Get("WWW-Authenticate")
		t.mu.Unlock()
	}
	return resp, err
}

func (t *statusRecorder) last() (status int, wwwAuthenticate string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.status, t.wwwAuthenticate
}

// mcpClient is one Go SDK client of one server's endpoint.
type mcpClient struct {
	t         *testing.T
	key       string
	transport *statusRecorder
	endpoint  string
}

func (e *testEnv) mcpClient(key, serverID string) *mcpClient {
	return &mcpClient{t: e.t, key: key, transport: &statusRecorder{}, endpoint: e.srv.URL() + mcpPathPrefix + serverID}
}

// connect runs the SDK's handshake; protocolVersion "" lets the client
// choose.
func (c *mcpClient) connect(protocolVersion string) (*mcp.ClientSession, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return mcpclient.Connect(ctx, c.endpoint, c.key, mcpclient.Options{Transport: c.transport, ProtocolVersion: protocolVersion})
}

func (c *mcpClient) mustConnect() *mcp.ClientSession {
	c.t.Helper()
	session, err := c.connect("")
	if err != nil {
		c.t.Fatalf("connect to %s: %v", c.endpoint, err)
	}
	c.t.Cleanup(func() { _ = session.Close() })
	return session
}

// wantMCPError checks that err carries the server's JSON-RPC error, with its
// code, a message that contains want and data.reason.
func wantMCPError(t *testing.T, err error, code int64, want, reason string) {
	t.Helper()
	var rpcErr *jsonrpc.Error
	if !errors.As(err, &rpcErr) {
		t.Fatalf("error %v does not carry the server's JSON-RPC error", err)
	}
	if rpcErr.Code != code || !strings.Contains(rpcErr.Message, want) {
		t.Fatalf("JSON-RPC error %d %q, want %d with %q", rpcErr.Code, rpcErr.Message, code, want)
	}
	var data struct{ Reason string }
	if err := json.Unmarshal(rpcErr.Data, &data); err != nil || data.Reason != reason {
		t.Fatalf("error data %s, want reason %q", rpcErr.Data, reason)
	}
}

func TestMCPGoSDKConnectListCallReadGet(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	session := e.mcpClient(e.srv.BootstrapKey(), e.serverID("weather")).mustConnect()

	init := session.InitializeResult()
	if init.ProtocolVersion != "2025-11-25" || init.ServerInfo.Name != "weather" || init.ServerInfo.Title != "Weather" || init.ServerInfo.Version == "" {
		t.Errorf("initialize: version %q, server %+v", init.ProtocolVersion, init.ServerInfo)
	}
	if caps := init.Capabilities; caps.Tools == nil || caps.Resources == nil || caps.Prompts == nil {
		t.Errorf("the owner may use every capability; initialize advertises %+v", caps)
	}
	if err := session.Ping(ctx, nil); err != nil {
		t.Errorf("ping: %v", err)
	}

	tools, err := session.ListTools(ctx, nil)
	if err != nil || len(tools.Tools) != 1 || tools.Tools[0].Name != "echo" || tools.Tools[0].Description == "" {
		t.Fatalf("tools/list = %+v, %v", tools, err)
	}
	called, err := session.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hello", "n": []int{1, 2}}})
	if err != nil || called.IsError || len(called.Content) != 1 {
		t.Fatalf("tools/call = %+v, %v", called, err)
	}
	if text, ok := called.Content[0].(*mcp.TextContent); !ok || text.Text != `{"n":[1,2],"text":"hello"}` {
		t.Errorf("echo returned %#v", called.Content[0])
	}
	if _, err := session.CallTool(ctx, &mcp.CallToolParams{Name: "rm"}); err == nil || !strings.Contains(err.Error(), `unknown tool "rm"`) {
		t.Errorf("an unknown tool: %v", err)
	}

	resources, err := session.ListResources(ctx, nil)
	if err != nil || len(resources.Resources) != 1 || resources.Resources[0].URI != "horizon://weather/readme" {
		t.Fatalf("resources/list = %+v, %v", resources, err)
	}
	read, err := session.ReadResource(ctx, &mcp.ReadResourceParams{URI: "horizon://weather/readme"})
	if err != nil || len(read.Contents) != 1 {
		t.Fatalf("resources/read = %+v, %v", read, err)
	}
	if c := read.Contents[0]; c.MIMEType != "text/markdown" || !strings.HasPrefix(c.Text, "# Weather\n") || !strings.Contains(c.Text, "Forecasts") {
		t.Errorf("readme = %+v", c)
	}
	if _, err := session.ReadResource(ctx, &mcp.ReadResourceParams{URI: "horizon://search/readme"}); err == nil {
		t.Error("another server's readme was readable here")
	}

	prompts, err := session.ListPrompts(ctx, nil)
	if err != nil || len(prompts.Prompts) != 1 || prompts.Prompts[0].Name != "summarize" {
		t.Fatalf("prompts/list = %+v, %v", prompts, err)
	}
	got, err := session.GetPrompt(ctx, &mcp.GetPromptParams{Name: "summarize", Arguments: map[string]string{"text": "It rains."}})
	if err != nil || len(got.Messages) != 1 || got.Messages[0].Role != "user" {
		t.Fatalf("prompts/get = %+v, %v", got, err)
	}
	if text, ok := got.Messages[0].Content.(*mcp.TextContent); !ok || !strings.HasSuffix(text.Text, "It rains.") {
		t.Errorf("prompt message %#v", got.Messages[0].Content)
	}
	_, err = session.GetPrompt(ctx, &mcp.GetPromptParams{Name: "summarize"})
	var rpcErr *jsonrpc.Error
	if !errors.As(err, &rpcErr) || rpcErr.Code != jsonrpc.CodeInvalidParams || !strings.Contains(rpcErr.Message, `"text"`) {
		t.Errorf("prompts/get without its argument: %v", err)
	}
}

func TestMCPGoSDKNegotiatesBothProtocolVersions(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	weather := e.serverID("weather")
	for _, version := range []string{"2025-06-18", "2025-11-25"} {
		session, err := e.mcpClient(e.srv.BootstrapKey(), weather).connect(version)
		if err != nil {
			t.Fatalf("connect with %s: %v", version, err)
		}
		if got := session.InitializeResult().ProtocolVersion; got != version {
			t.Errorf("asked for %s, negotiated %s", version, got)
		}
		if _, err := session.ListTools(context.Background(), nil); err != nil {
			t.Errorf("tools/list at %s: %v", version, err)
		}
		_ = session.Close()
	}
}

// TestMCPGoSDKRefusedCapability: a grant without resources and prompts. The
// handshake advertises tools only; a resources or prompts method is an MCP
// error naming the capability, and the session goes on working.
func TestMCPGoSDKRefusedCapability(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	weather := e.serverID("weather")
	member := e.actor(api.RoleMember)
	e.grant(member.saID, weather, api.ServerRoleUser, api.CapabilityTools)
	session := e.mcpClient(member.key, weather).mustConnect()

	if caps := session.InitializeResult().Capabilities; caps.Tools == nil || caps.Resources != nil || caps.Prompts != nil {
		t.Errorf("initialize advertises %+v; the grant allows tools only", caps)
	}
	_, err := session.ListResources(ctx, nil)
	wantMCPError(t, err, -33403, "resources/list requires the resources capability on this server; the caller may use only tools (from its server grant)", "capability")
	_, err = session.GetPrompt(ctx, &mcp.GetPromptParams{Name: "summarize", Arguments: map[string]string{"text": "x"}})
	wantMCPError(t, err, -33403, "prompts/get requires the prompts capability", "capability")

	if _, err := session.CallTool(ctx, &mcp.CallToolParams{Name: "echo"}); err != nil {
		t.Errorf("tools/call after a refusal: %v", err)
	}
	if err := session.Ping(ctx, nil); err != nil {
		t.Errorf("ping after a refusal: %v", err)
	}
}

// TestMCPGoSDKAccessChangesMidSession: access is evaluated on every message,
// so a narrowed grant, a disabled account and a revoked key apply to the next
// call of a session that is already open.
func TestMCPGoSDKAccessChangesMidSession(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	weather := e.serverID("weather")
	member := e.actor(api.RoleMember)
	e.grant(member.saID, weather, api.ServerRoleUser)
	keyID := e.keyIDOf(member)
	client := e.mcpClient(member.key, weather)
	session := client.mustConnect()
	echo := func() error {
		_, err := session.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hi"}})
		return err
	}
	if err := echo(); err != nil {
		t.Fatalf("echo: %v", err)
	}

	e.grant(member.saID, weather, api.ServerRoleUser, api.CapabilityResources)
	wantMCPError(t, echo(), -33403, "tools/call requires the tools capability", "capability")
	if _, err := session.ReadResource(ctx, &mcp.ReadResourceParams{URI: "horizon://weather/readme"}); err != nil {
		t.Errorf("resources/read with the narrowed grant: %v", err)
	}

	e.grant(member.saID, weather, api.ServerRoleViewer)
	wantMCPError(t, echo(), -33403, "requires server role user or higher; the caller has server role viewer on this server (from its server grant)", "server_role")

	e.grant(member.saID, weather, api.ServerRoleUser)
	e.owner.do(http.MethodPatch, saPath(member.saID), map[string]any{"disabled": true}).want(http.StatusOK)
	wantMCPError(t, echo(), -33401, "disabled", "unauthenticated")
	e.owner.do(http.MethodPatch, saPath(member.saID), map[string]any{"disabled": false}).want(http.StatusOK)
	if err := echo(); err != nil {
		t.Errorf("echo after the account was enabled again: %v", err)
	}

	e.owner.do(http.MethodDelete, keyPath(member.saID, keyID), nil).want(http.StatusOK)
	wantMCPError(t, echo(), -33401, "API key has been revoked", "unauthenticated")
	if status, challenge := client.transport.last(); status != http.StatusUnauthorized || !strings.HasPrefix(challenge, "Bearer") {
		t.Errorf("revoked key: status %d, WWW-Authenticate %q", status, challenge)
	}
}

// keyIDOf returns the id of the one key of an actor made by actor.
func (e *testEnv) keyIDOf(c *apiClient) string {
	e.t.Helper()
	var keys apiKeyListJSON
	e.owner.do(http.MethodGet, saPath(c.saID, "/api-keys"), nil).want(http.StatusOK).decode(&keys)
	if len(keys.APIKeys) != 1 {
		e.t.Fatalf("%d keys, want 1", len(keys.APIKeys))
	}
	return keys.APIKeys[0].ID
}

// TestMCPGoSDKConnectRefusals: what a client sees when it may not connect.
func TestMCPGoSDKConnectRefusals(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	weather := e.serverID("weather")
	member, viewer := e.actor(api.RoleMember), e.actor(api.RoleViewer)
	e.grant(viewer.saID, weather, api.ServerRoleUser)
	grantedViewer := e.namedActor("granted-viewer", api.RoleMember)
	e.grant(grantedViewer.saID, weather, api.ServerRoleViewer)

	tests := []struct {
		name     string
		key      string
		serverID string
		status   int
		code     int64
		message  string
		reason   string
	}{
		{"no key", "", weather, http.StatusUnauthorized, -33401, "missing API key", "unauthenticated"},
		{"unknown key", "fmcp_unknown-key-0000000000", weather, http.StatusUnauthorized, -33401, "not recognized", "unauthenticated"},
		{"concealed server", member.key, weather, http.StatusNotFound, -33404, "server not found", "not_found"},
		{"no such server", e.srv.BootstrapKey(), "srv_aaaaaaaaaaaaaaaa", http.StatusNotFound, -33404, "server not found", "not_found"},
		{"viewer organization role", viewer.key, weather, http.StatusOK, -33403, "to call MCP servers requires role member or higher; the caller has role viewer", "organization_role"},
		{"viewer server role", grantedViewer.key, weather, http.StatusOK, -33403, "requires server role user", "server_role"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := e.mcpClient(tt.key, tt.serverID)
			_, err := client.connect("")
			wantMCPError(t, err, tt.code, tt.message, tt.reason)
			status, challenge := client.transport.last()
			if status != tt.status {
				t.Errorf("status %d, want %d", status, tt.status)
			}
			if (status == http.StatusUnauthorized) != strings.HasPrefix(challenge, "Bearer") {
				t.Errorf("status %d with WWW-Authenticate %q", status, challenge)
			}
		})
	}
}

func TestMCPRecordsLastUsed(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, WithDefaultServerRole("user"))
	member := e.actor(api.RoleMember)
	e.mcpClient(member.key, e.serverID("weather")).mustConnect()
	var got api.Key
	e.owner.do(http.MethodGet, keyPath(member.saID, e.keyIDOf(member)), nil).want(http.StatusOK).decode(&got)
	if deref(got.LastUsedAt) != "2030-01-02T15:04:05Z" {
		t.Errorf("last_used_at = %s after an MCP session", deref(got.LastUsedAt))
	}
}

// TestMCPTransport pins what the transport specification requires of the
// server, on the wire: Origin and Host (DNS rebinding), MCP-Protocol-Version,
// the POST headers, notifications, batches and the methods other than POST.
func TestMCPTransport(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	weather := e.serverID("weather")
	const ping = `{"jsonrpc":"2.0","id":7,"method":"ping"}`

	for _, version := range []string{"2025-06-18", "2025-11-25"} {
		e.owner.mcpPost(weather, ping, "MCP-Protocol-Version", version).want(http.StatusOK)
	}
	for _, version := range []string{"1999-01-01", "2025-03-26", "2024-11-05", "9999-01-01", "latest"} {
		e.owner.mcpPost(weather, ping, "MCP-Protocol-Version", version).want(http.StatusBadRequest)
	}

	// A browser's cross-origin request is refused before anything else, with
	// or without a key: a JSON-RPC error without an id.
	for _, c := range []*apiClient{e.owner, e.client("")} {
		reply := c.mcpPost(weather, ping, "Origin", "http://evil.example.com").
			wantRPCError(http.StatusForbidden, -33403, map[string]any{"reason": "cross_origin"})
		if reply.ID != nil {
			t.Errorf("cross-origin refusal with id %s", reply.ID)
		}
	}
	e.owner.mcpPost(weather, ping, "Sec-Fetch-Site", "cross-site").want(http.StatusForbidden)
	e.owner.mcpPost(weather, ping, "Origin", e.srv.URL()).want(http.StatusOK)
	// DNS rebinding: a foreign name for this loopback listener (the SDK's check).
	e.owner.mcpPost(weather, ping, "Host", "evil.example.com", "Origin", "http://evil.example.com").want(http.StatusForbidden)

	res := e.owner.mcpPost(weather, ping).want(http.StatusOK)
	if ct := res.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if id := string(res.rpc().ID); id != "7" {
		t.Errorf("id = %s, want 7", id)
	}
	if res.header.Get("Mcp-Session-Id") != "" {
		t.Error("a stateless endpoint set Mcp-Session-Id")
	}
	e.owner.do(http.MethodPost, mcpPathPrefix+weather, ping).want(http.StatusBadRequest) // no Accept
	e.owner.mcpPost(weather, ping, "Content-Type", "text/plain").want(http.StatusUnsupportedMediaType)

	if res := e.owner.mcpPost(weather, `{"jsonrpc":"2.0","method":"notifications/initialized"}`).want(http.StatusAccepted); len(res.body) != 0 {
		t.Errorf("202 with body %q", res.body)
	}
	e.owner.mcpPost(weather, `[`+ping+`]`).wantRPCError(http.StatusBadRequest, -32600, map[string]any{"reason": "invalid_request"})
	e.owner.mcpPost(weather, `{"jsonrpc":`).want(http.StatusBadRequest)

	for _, method := range []string{http.MethodGet, http.MethodDelete} {
		res := e.owner.do(method, mcpPathPrefix+weather, nil, "Accept", "text/event-stream").want(http.StatusMethodNotAllowed)
		if allow := res.header.Get("Allow"); allow != "POST" {
			t.Errorf("%s: Allow = %q", method, allow)
		}
	}
}

// TestMCPRefusalsOnTheWire pins the bodies of refusals: a refused method is a
// 200 carrying the request's id; a refused notification, which gets no
// response, is a 403; the HTTP-level refusals carry the id too.
func TestMCPRefusalsOnTheWire(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	weather := e.serverID("weather")
	member := e.actor(api.RoleMember)
	e.grant(member.saID, weather, api.ServerRoleUser, api.CapabilityTools)

	res := member.mcpPost(weather, `{"jsonrpc":"2.0","id":"r1","method":"resources/list"}`)
	reply := res.wantRPCError(http.StatusOK, -33403,
		map[string]any{"reason": "capability", "required_capability": "resources", "granted_capabilities": []string{"tools"}})
	if string(reply.ID) != `"r1"` {
		t.Errorf("id = %s, want \"r1\"", reply.ID)
	}
	var exact map[string]any
	res.decode(&exact)
	if len(exact) != 3 || len(exact["error"].(map[string]any)) != 3 {
		t.Errorf("refusal has members beyond jsonrpc, id, error{code, message, data}: %s", res.body)
	}
	member.mcpPost(weather, `{"jsonrpc":"2.0","method":"prompts/list"}`).
		wantRPCError(http.StatusForbidden, -33403, map[string]any{"reason": "capability"})

	reply = e.client("").mcpPost(weather, `{"jsonrpc":"2.0","id":3,"method":"ping"}`).
		wantRPCError(http.StatusUnauthorized, -33401, map[string]any{"reason": "unauthenticated"})
	if string(reply.ID) != "3" {
		t.Errorf("401 with id %s, want 3", reply.ID)
	}
	reply = e.namedActor("ungranted", api.RoleMember).mcpPost(weather, `{"jsonrpc":"2.0","id":4,"method":"ping"}`).
		wantRPCError(http.StatusNotFound, -33404, map[string]any{"reason": "not_found", "resource": "server"})
	if string(reply.ID) != "4" {
		t.Errorf("404 with id %s, want 4", reply.ID)
	}
}

func TestMCPLimitsAndLog(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, WithRateLimit(1), WithFailRate(1))
	weather := e.serverID("weather") // spends the only token
	e.clock.Advance(time.Second)

	// MCP calls change nothing, so the fail rate never drops them.
	ok := e.owner.mcp(weather, "tools/call", map[string]any{"name": "echo"}).want(http.StatusOK)
	if got := ok.header.Get("RateLimit"); got != `"organization";r=0;t=1` {
		t.Errorf("RateLimit = %q, want the organization's bucket, used up", got)
	}
	res := e.owner.mcp(weather, "tools/call", map[string]any{"name": "echo"})
	res.wantRPCError(http.StatusTooManyRequests, -33429, map[string]any{"reason": "rate_limited", "retry_after_seconds": 1})
	if res.header.Get("Retry-After") != "1" || res.header.Get("RateLimit-Policy") != `"organization";q=1;w=1` {
		t.Errorf("Retry-After = %q, RateLimit-Policy = %q", res.header.Get("Retry-After"), res.header.Get("RateLimit-Policy"))
	}
	e.owner.do(http.MethodGet, "/api/v0/me", nil).wantError(http.StatusTooManyRequests, "rate_limited", nil) // one bucket per organization

	e.clock.Advance(time.Second)
	large := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"` + strings.Repeat("a", 64<<10) + `"}}}`
	e.owner.mcpPost(weather, large).
		wantRPCError(http.StatusRequestEntityTooLarge, -33413, map[string]any{"reason": "payload_too_large", "limit_bytes": 65536})

	logs := e.logs.String()
	if !strings.Contains(logs, "method=POST path=/mcp/"+weather+" status=200 duration=") {
		t.Errorf("no access log line for the MCP call:\n%s", logs)
	}
	if strings.Contains(logs, e.srv.BootstrapKey()) || strings.Contains(logs, "Bearer") {
		t.Errorf("the log holds a credential:\n%s", logs)
	}
}

// TestMCPHostileBodies: no body may cause a server fault.
func TestMCPHostileBodies(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	weather := e.serverID("weather")
	bodies := []string{
		`null`, `true`, `12`, `[]`, `[[]]`, `{}`, `{"jsonrpc":"2.0"}`, `{"jsonrpc":"2.0","id":[],"method":"ping"}`,
		`{"jsonrpc":"2.0","id":"\ud800","method":"ping"}`, "{\"jsonrpc\":\"2.0\",\"id\":\"\xff\",\"method\":\"ping\"}",
		`{"jsonrpc":"2.0","id":1e400,"method":"ping"}`, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":null}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":"echo"}`, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":"x"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"a":1e400,"b":"\ud800"}}}`,
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":7}`, `{"jsonrpc":"2.0","id":1,"method":"` + strings.Repeat("x", 1000) + `"}`,
		`{"jsonrpc":"2.0","id":1,"method":"ping","method":"tools/list"}`, strings.Repeat("[", 10000), "\x00", `{"jsonrpc":"2.0","id":1,"method":"ping"} {}`,
		`{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"horizon://weather/../search/readme"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"summarize","arguments":{"text":7}}}`,
	}
	for _, body := range bodies {
		if res := e.owner.mcpPost(weather, body); res.status >= 500 {
			t.Errorf("%.40q: status %d, body %s", body, res.status, res.body)
		}
	}
}
