package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
	"github.com/horizonhq/terraform-provider-horizon/internal/testutil"
)

var testStart = time.Date(2030, 1, 2, 15, 4, 5, 0, time.UTC)

// testEnv is one reference server per test, on a free loopback port, with a
// manual clock and a captured log.
type testEnv struct {
	t     *testing.T
	srv   *Server
	clock *ManualClock
	logs  *testutil.SyncBuffer
	owner *apiClient
}

func newTestEnv(t *testing.T, opts ...Option) *testEnv {
	t.Helper()
	clock := NewManualClock(testStart)
	logs := &testutil.SyncBuffer{}
	srv, err := New(append([]Option{WithClock(clock), WithLogOutput(logs)}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(srv.Stop)
	e := &testEnv{t: t, srv: srv, clock: clock, logs: logs}
	e.owner = e.client(srv.BootstrapKey())
	return e
}

func (e *testEnv) client(key string) *apiClient {
	return &apiClient{t: e.t, env: e, key: key, http: http.DefaultClient}
}

// saPath returns the path of a service account, or of something under it.
func saPath(saID string, rest ...string) string {
	return "/api/v0/organizations/current/service-accounts/" + saID + strings.Join(rest, "")
}

func keyPath(saID, keyID string) string { return saPath(saID, "/api-keys/", keyID) }

const saCollection = "/api/v0/organizations/current/service-accounts"

// createSA creates a service account as the owner and returns its id.
func (e *testEnv) createSA(name string, role Role) string {
	e.t.Helper()
	var sa api.ServiceAccount
	e.owner.do(http.MethodPost, saCollection, map[string]any{"name": name, "role": role}).want(http.StatusCreated).decode(&sa)
	return sa.ID
}

// createKey creates a key as the owner and returns the key as created.
func (e *testEnv) createKey(saID, name string) api.Key {
	e.t.Helper()
	var key api.Key
	e.owner.do(http.MethodPost, saPath(saID, "/api-keys"), map[string]any{"name": name}).want(http.StatusCreated).decode(&key)
	return key
}

// actor returns a client acting with role: the bootstrap owner, or a new
// service account with that role and a key of its own.
func (e *testEnv) actor(role Role) *apiClient {
	e.t.Helper()
	if role == api.RoleOwner {
		return e.owner
	}
	return e.namedActor("actor-"+string(role), role)
}

// namedActor returns a client acting as a new service account with that
// name and role, and a key of its own.
func (e *testEnv) namedActor(name string, role Role) *apiClient {
	e.t.Helper()
	saID := e.createSA(name, role)
	c := e.client(e.createKey(saID, "actor").Secret)
	c.saID = saID
	return c
}

const serverCollection = "/api/v0/organizations/current/servers"

func grantPath(saID, serverID string) string { return saPath(saID, "/server-grants/", serverID) }

// serverID returns the id of the seeded server with slug.
func (e *testEnv) serverID(slug string) string {
	e.t.Helper()
	var list serverListJSON
	e.owner.do(http.MethodGet, serverCollection, nil).want(http.StatusOK).decode(&list)
	for _, srv := range list.Servers {
		if srv.Slug == slug {
			return srv.ID
		}
	}
	e.t.Fatalf("no server with slug %q", slug)
	return ""
}

// grant puts a grant as the owner; no capabilities means the default, all.
func (e *testEnv) grant(saID, serverID string, role AccessRole, capabilities ...Capability) api.ServerGrant {
	e.t.Helper()
	body := map[string]any{"role": role}
	if len(capabilities) > 0 {
		body["capabilities"] = capabilities
	}
	res := e.owner.do(http.MethodPut, grantPath(saID, serverID), body)
	if res.status != http.StatusCreated {
		res.want(http.StatusOK)
	}
	var g api.ServerGrant
	res.decode(&g)
	return g
}

type apiClient struct {
	t    *testing.T
	env  *testEnv
	key  string
	http *http.Client
	// saID is the service account behind key, for clients made by actor.
	saID string
}

// mcpAccept is the Accept header that the Streamable HTTP transport requires
// of every POST.
const mcpAccept = "application/json, text/event-stream"

// mcpInitializeParams are the params of a client's initialize request.
var mcpInitializeParams = map[string]any{
	"protocolVersion": "2025-11-25",
	"capabilities":    map[string]any{},
	"clientInfo":      map[string]any{"name": "horizon-test", "version": "1.0.0"},
}

// mcp sends one JSON-RPC request to a server's MCP endpoint; params nil
// means none.
func (c *apiClient) mcp(serverID, method string, params any) response {
	c.t.Helper()
	msg := map[string]any{"jsonrpc": "2.0", "id": 1, "method": method}
	if params != nil {
		msg["params"] = params
	}
	return c.mcpPost(serverID, msg)
}

// mcpPost posts body (a raw string or a value to encode) to a server's MCP
// endpoint with the headers an MCP client sends, then headers.
func (c *apiClient) mcpPost(serverID string, body any, headers ...string) response {
	c.t.Helper()
	return c.do(http.MethodPost, mcpPathPrefix+serverID, body, append([]string{"Accept", mcpAccept}, headers...)...)
}

// rpcReply is a JSON-RPC response as a client reads it.
type rpcReply struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  json.RawMessage `json:"result"`
	Error   *struct {
		Code    int            `json:"code"`
		Message string         `json:"message"`
		Data    map[string]any `json:"data"`
	} `json:"error"`
}

func (r response) rpc() rpcReply {
	r.t.Helper()
	var reply rpcReply
	r.decode(&reply)
	if reply.JSONRPC != "2.0" || (reply.Result == nil) == (reply.Error == nil) {
		r.t.Fatalf("not a JSON-RPC 2.0 response with exactly one of result and error: %s", r.body)
	}
	return reply
}

// wantRPCError checks the HTTP status, the JSON-RPC code and that error.data
// holds wantData (compared as printed values).
func (r response) wantRPCError(status, code int, wantData map[string]any) rpcReply {
	r.t.Helper()
	r.want(status)
	reply := r.rpc()
	if reply.Error == nil || reply.Error.Code != code || reply.Error.Message == "" {
		r.t.Fatalf("want JSON-RPC error %d with a message; body %s", code, r.body)
	}
	for name, want := range wantData {
		got, ok := reply.Error.Data[name]
		if !ok {
			r.t.Fatalf("error.data lacks %q; body %s", name, r.body)
		}
		if g, w := fmt.Sprint(got), fmt.Sprint(want); g != w {
			r.t.Fatalf("error.data.%s = %s, want %s; body %s", name, g, w, r.body)
		}
	}
	return reply
}

// result decodes a successful JSON-RPC result into v.
func (r response) result(v any) {
	r.t.Helper()
	r.want(http.StatusOK)
	reply := r.rpc()
	if reply.Error != nil {
		r.t.Fatalf("JSON-RPC error: %s", r.body)
	}
	if err := json.Unmarshal(reply.Result, v); err != nil {
		r.t.Fatalf("decode result %s: %v", reply.Result, err)
	}
}

type response struct {
	t      *testing.T
	status int
	header http.Header
	body   []byte
}

// do sends a request; body is nil, a raw string, or a value to encode as
// JSON; headers are name, value pairs.
func (c *apiClient) do(method, path string, body any, headers ...string) response {
	c.t.Helper()
	resp, err := c.send(method, path, body, headers...)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

func (c *apiClient) send(method, path string, body any, headers ...string) (response, error) {
	c.t.Helper()
	var reader io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		reader = strings.NewReader(b)
	default:
		encoded, err := json.Marshal(b)
		if err != nil {
			c.t.Fatalf("encode body: %v", err)
		}
		reader = bytes.NewReader(encoded)
	}
	req, err := http.NewRequest(method, c.env.srv.URL()+path, reader)
	if err != nil {
		c.t.Fatalf("new request: %v", err)
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Host" {
			req.Host = headers[i+1]
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, err
	}
	return response{t: c.t, status: resp.StatusCode, header: resp.Header, body: raw}, nil
}

func (r response) want(status int) response {
	r.t.Helper()
	if r.status != status {
		r.t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	return r
}

func (r response) decode(v any) {
	r.t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		r.t.Fatalf("decode %s: %v", r.body, err)
	}
}

type errorResponse struct {
	Error struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	} `json:"error"`
}

func (r response) apiError() errorResponse {
	r.t.Helper()
	var e errorResponse
	r.decode(&e)
	if e.Error.Code == "" || e.Error.Message == "" || e.Error.Details == nil {
		r.t.Fatalf("error body lacks code, message or details: %s", r.body)
	}
	return e
}

// wantError checks the status, the code and that details hold wantDetails
// (compared as their JSON encodings).
func (r response) wantError(status int, code string, wantDetails map[string]any) errorResponse {
	r.t.Helper()
	r.want(status)
	e := r.apiError()
	if e.Error.Code != code {
		r.t.Fatalf("code %q, want %q; body %s", e.Error.Code, code, r.body)
	}
	for name, want := range wantDetails {
		got, ok := e.Error.Details[name]
		if !ok {
			r.t.Fatalf("details lack %q; body %s", name, r.body)
		}
		if g, w := fmt.Sprint(got), fmt.Sprint(want); g != w {
			r.t.Fatalf("details.%s = %s, want %s; body %s", name, g, w, r.body)
		}
	}
	return e
}
