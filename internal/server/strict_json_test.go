package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

// TestLenientJSONAttacks replays the bodies that once made the server act on
// another request than the one a proxy or an audit log would read: field
// names that matched case-insensitively and duplicate keys of which the last
// won. Each is now a 400 naming the field, and nothing is created.
func TestLenientJSONAttacks(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	for _, tt := range []struct {
		name, body, field, message string
	}{
		{"a second name and a key in other case", `{"name":"a","Create_Key":true,"NAME":"b"}`, "Create_Key", "case-sensitive"},
		{"a role in capitals", `{"name":"c","role":"viewer","ROLE":"admin"}`, "ROLE", "case-sensitive"},
		{"the role twice", `{"name":"d","role":"viewer","role":"admin"}`, "role", "more than once"},
		{"the name twice", `{"name":"e","name":"f"}`, "name", "more than once"},
		{"the same value twice", `{"name":"g","name":"g"}`, "name", "more than once"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := len(e.srv.Store().Snapshot().ServiceAccounts)
			res := e.owner.do(http.MethodPost, saCollection, tt.body).wantError(http.StatusBadRequest, "invalid_request", map[string]any{"field": tt.field})
			if !strings.Contains(res.Error.Message, tt.message) {
				t.Errorf("message %q does not say %q", res.Error.Message, tt.message)
			}
			if after := len(e.srv.Store().Snapshot().ServiceAccounts); after != before {
				t.Errorf("%d service accounts after a refused create, want %d", after, before)
			}
		})
	}
}

// TestEveryBodyIsDecodedStrictly sends a duplicate field, a field in other
// case and a string that is not UTF-8 to every route that reads a body. A
// route added without an entry here fails the test.
func TestEveryBodyIsDecodedStrictly(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	saID := e.createSA("ci", api.RoleMember)
	key := e.createKey(saID, "k")
	var personal api.Key
	e.owner.do(http.MethodPost, "/api/v0/me/api-keys", map[string]any{"name": "p"}).want(http.StatusCreated).decode(&personal)
	weather := e.serverID("weather")
	const org = "/api/v0/organizations/{org}"
	// One field of each route's body, and where the route lives.
	bodies := map[string]struct{ field, path string }{
		"POST /api/v0/me/api-keys":                                     {"name", "/api/v0/me/api-keys"},
		"PATCH /api/v0/me/api-keys/{key}":                              {"name", "/api/v0/me/api-keys/" + personal.ID},
		"PATCH " + org:                                                 {"default_server_role", "/api/v0/organizations/current"},
		"POST " + org + "/servers":                                     {"name", serverCollection},
		"PATCH " + org + "/servers/{server}":                           {"name", serverCollection + "/" + weather},
		"POST " + org + "/service-accounts":                            {"name", saCollection},
		"PATCH " + org + "/service-accounts/{sa}":                      {"name", saPath(saID)},
		"POST " + org + "/service-accounts/{sa}/api-keys":              {"name", saPath(saID, "/api-keys")},
		"PATCH " + org + "/service-accounts/{sa}/api-keys/{key}":       {"name", keyPath(saID, key.ID)},
		"PUT " + org + "/service-accounts/{sa}/server-grants/{server}": {"role", grantPath(saID, weather)},
	}
	covered := 0
	for _, rt := range e.srv.routes() {
		method, _, _ := strings.Cut(rt.pattern, " ")
		if !hasBody(method) {
			continue
		}
		b, ok := bodies[rt.pattern]
		if !ok {
			t.Errorf("%s reads a body and has no case here", rt.pattern)
			continue
		}
		covered++
		before := e.srv.Store().Snapshot()
		for _, attack := range []struct{ body, field string }{
			{`{"` + b.field + `":"x","` + b.field + `":"y"}`, b.field},
			{`{"` + strings.ToUpper(b.field) + `":"x"}`, strings.ToUpper(b.field)},
			{"{\"" + b.field + "\":\"\xff\xfe\"}", b.field},
			{`{"` + b.field + `":"\ud800"}`, b.field},
			{`{"` + b.field + `":"a\udc00b"}`, b.field},
		} {
			e.owner.do(method, b.path, attack.body).wantError(http.StatusBadRequest, "invalid_request", map[string]any{"field": attack.field})
		}
		if after := e.srv.Store().Snapshot(); len(after.ServiceAccounts) != len(before.ServiceAccounts) ||
			len(after.APIKeys) != len(before.APIKeys) || len(after.MCPServers) != len(before.MCPServers) || len(after.ServerGrants) != len(before.ServerGrants) {
			t.Errorf("%s: a refused body changed the store", rt.pattern)
		}
	}
	if covered != len(bodies) {
		t.Errorf("%d of the %d cases match a route", covered, len(bodies))
	}
}

// TestInvalidUTF8FieldName: a field name that is not UTF-8 has no name to
// give, so the whole body is refused, without details.field.
func TestInvalidUTF8FieldName(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	res := e.owner.do(http.MethodPost, saCollection, "{\"\xffname\":\"a\"}").want(http.StatusBadRequest).apiError()
	if _, ok := res.Error.Details["field"]; ok || !strings.Contains(res.Error.Message, "UTF-8") {
		t.Errorf("error %+v, want one without a field that says UTF-8", res.Error)
	}
}

// TestMCPRefusesDuplicateMembers: the SDK takes the last of two members with
// one name, a proxy may take the first; such a message is refused before
// anything reads it.
func TestMCPRefusesDuplicateMembers(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	weather := e.serverID("weather")
	for body, member := range map[string]string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/list","method":"tools/call","params":{"name":"echo"}}`:               "/method",
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"a","text":"b"}}}`: "/params/arguments/text",
	} {
		e.owner.mcpPost(weather, body).wantRPCError(http.StatusBadRequest, -32600, map[string]any{"reason": "invalid_request", "member": member})
	}
	// The same message with one method is served.
	e.owner.mcp(weather, "tools/list", nil).want(http.StatusOK)
}
