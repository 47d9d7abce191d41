package server

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

// visibleSlugs lists the slugs of the servers c may discover.
func visibleSlugs(c *apiClient) []string {
	c.t.Helper()
	var list serverListJSON
	c.do(http.MethodGet, serverCollection, nil).want(http.StatusOK).decode(&list)
	slugs := []string{}
	for _, srv := range list.Servers {
		slugs = append(slugs, srv.Slug)
	}
	slices.Sort(slugs)
	return slugs
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	weather, search := e.serverID("weather"), e.serverID("search")
	member := e.actor(api.RoleMember)
	hidden := map[string]any{"resource": "server"}

	// No grant and default none: the servers do not exist for the member.
	member.do(http.MethodGet, serverCollection+"/"+weather, nil).wantError(http.StatusNotFound, "not_found", hidden)
	if got := visibleSlugs(member); len(got) != 0 {
		t.Errorf("member without grants sees %v", got)
	}
	member.mcp(weather, "initialize", nil).wantRPCError(http.StatusNotFound, -33404, hidden)
	if got := visibleSlugs(e.actor(api.RoleAdmin)); strings.Join(got, ",") != "internal-tools,search,weather" {
		t.Errorf("admin sees %v, want every server", got)
	}

	// A viewer grant: visible, not callable.
	e.grant(member.saID, weather, api.ServerRoleViewer)
	member.do(http.MethodGet, serverCollection+"/"+weather, nil).want(http.StatusOK)
	if got := visibleSlugs(member); strings.Join(got, ",") != "weather" {
		t.Errorf("member with a viewer grant on weather sees %v", got)
	}
	member.mcp(weather, "tools/list", nil).wantRPCError(http.StatusOK, -33403, map[string]any{"reason": "server_role", "required_role": "user"})
	member.do(http.MethodGet, serverCollection+"/"+search, nil).wantError(http.StatusNotFound, "not_found", hidden)

	// A user grant limited to tools: tools work, resources do not.
	e.grant(member.saID, weather, api.ServerRoleUser, api.CapabilityTools)
	var called struct {
		Content []struct{ Text string } `json:"content"`
	}
	member.mcp(weather, "tools/call", map[string]any{"name": "echo", "arguments": map[string]any{"text": "hi"}}).result(&called)
	if len(called.Content) != 1 || called.Content[0].Text != `{"text":"hi"}` {
		t.Errorf("tools/call = %+v", called)
	}
	reply := member.mcp(weather, "resources/list", nil).
		wantRPCError(http.StatusOK, -33403, map[string]any{"reason": "capability", "required_capability": "resources"})
	if !strings.Contains(reply.Error.Message, "resources capability") {
		t.Errorf("message %q does not name the capability", reply.Error.Message)
	}

	// Grants on hidden servers are left out of another account's grant list.
	subject := e.createSA("subject", api.RoleMember)
	e.grant(subject, weather, api.ServerRoleUser)
	e.grant(subject, search, api.ServerRoleUser)
	var grants serverGrantListJSON
	member.do(http.MethodGet, saPath(subject, "/server-grants"), nil).want(http.StatusOK).decode(&grants)
	if len(grants.ServerGrants) != 1 || grants.ServerGrants[0].ServerID != weather {
		t.Errorf("member sees grants %+v, want only the one on weather", grants.ServerGrants)
	}
	member.do(http.MethodGet, grantPath(subject, search), nil).wantError(http.StatusNotFound, "not_found", hidden)
}

func TestDefaultServerRole(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		role     string
		callable bool
	}{{"viewer", false}, {"user", true}} {
		t.Run(tt.role, func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t, WithDefaultServerRole(tt.role))
			var org api.Organization
			e.owner.do(http.MethodGet, "/api/v0/organizations/current", nil).want(http.StatusOK).decode(&org)
			if org.DefaultServerRole != tt.role {
				t.Errorf("default_server_role = %q, want %q", org.DefaultServerRole, tt.role)
			}
			member := e.actor(api.RoleMember)
			if got := visibleSlugs(member); strings.Join(got, ",") != "internal-tools,search,weather" {
				t.Errorf("member sees %v, want every server", got)
			}
			res := member.mcp(e.serverID("weather"), "tools/call", map[string]any{"name": "echo"})
			if tt.callable {
				res.want(http.StatusOK)
			} else {
				res.wantRPCError(http.StatusOK, -33403, map[string]any{"reason": "server_role", "actor_role": "viewer"})
			}
			// An explicit grant replaces the default, even when it is narrower.
			e.grant(member.saID, e.serverID("search"), api.ServerRoleViewer)
			member.mcp(e.serverID("search"), "ping", nil).wantRPCError(http.StatusOK, -33403, map[string]any{"reason": "server_role"})
		})
	}
}

// TestAccessChangesTakeEffectOnNextRequest: every request is evaluated from
// current state, so a changed grant or role applies to the very next call.
func TestAccessChangesTakeEffectOnNextRequest(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	weather := e.serverID("weather")
	member := e.actor(api.RoleMember)
	call := func() response { return member.mcp(weather, "tools/call", map[string]any{"name": "echo"}) }

	e.grant(member.saID, weather, api.ServerRoleUser)
	call().want(http.StatusOK)

	e.owner.do(http.MethodDelete, grantPath(member.saID, weather), nil).want(http.StatusNoContent)
	call().wantRPCError(http.StatusNotFound, -33404, map[string]any{"resource": "server"})

	e.grant(member.saID, weather, api.ServerRoleViewer)
	call().wantRPCError(http.StatusOK, -33403, map[string]any{"reason": "server_role"})

	e.grant(member.saID, weather, api.ServerRoleUser, api.CapabilityResources)
	call().wantRPCError(http.StatusOK, -33403, map[string]any{"reason": "capability", "required_capability": "tools"})

	e.grant(member.saID, weather, api.ServerRoleUser)
	call().want(http.StatusOK)

	e.owner.do(http.MethodPatch, saPath(member.saID), map[string]any{"role": "viewer"}).want(http.StatusOK)
	call().wantRPCError(http.StatusOK, -33403, map[string]any{"reason": "organization_role", "actor_role": "viewer"})

	e.owner.do(http.MethodPatch, saPath(member.saID), map[string]any{"role": "admin"}).want(http.StatusOK)
	e.owner.do(http.MethodDelete, grantPath(member.saID, weather), nil).want(http.StatusNoContent)
	call().want(http.StatusOK) // admins need no grant
}
