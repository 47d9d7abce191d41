package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

func serverPath(id string) string { return serverCollection + "/" + id }

// createServer creates a server as the owner.
func (e *testEnv) createServer(name, slug string) api.Server {
	e.t.Helper()
	var srv api.Server
	e.owner.do(http.MethodPost, serverCollection, map[string]any{"name": name, "slug": slug}).want(http.StatusCreated).decode(&srv)
	return srv
}

func TestUpdateServer(t *testing.T) {
	e := newTestEnv(t)
	srv := e.createServer("Billing", "billing")

	var renamed api.Server
	e.owner.do(http.MethodPatch, serverPath(srv.ID), map[string]any{"name": "Billing v2", "description": "invoices"}).
		want(http.StatusOK).decode(&renamed)
	if renamed.Name != "Billing v2" || renamed.Description != "invoices" || renamed.Slug != "billing" ||
		renamed.ID != srv.ID || renamed.URL != srv.URL || renamed.CreatedAt != srv.CreatedAt {
		t.Errorf("renamed = %+v, from %+v", renamed, srv)
	}
	var read api.Server
	e.owner.do(http.MethodGet, serverPath(srv.ID), nil).want(http.StatusOK).decode(&read)
	if read != renamed {
		t.Errorf("read back %+v, want %+v", read, renamed)
	}

	// Only the fields sent change; an empty body changes nothing.
	var same api.Server
	e.owner.do(http.MethodPatch, serverPath(srv.ID), map[string]any{}).want(http.StatusOK).decode(&same)
	if same != renamed {
		t.Errorf("empty PATCH changed %+v into %+v", renamed, same)
	}
	e.owner.do(http.MethodPatch, serverPath(srv.ID), map[string]any{"description": ""}).want(http.StatusOK).decode(&same)
	if same.Description != "" || same.Name != "Billing v2" {
		t.Errorf("clearing the description gave %+v", same)
	}
}

func TestUpdateServerErrors(t *testing.T) {
	e := newTestEnv(t)
	srv := e.createServer("Billing", "billing")
	path := serverPath(srv.ID)

	msg := e.owner.do(http.MethodPatch, path, map[string]any{"slug": "invoices"}).
		wantError(http.StatusBadRequest, "invalid_request", map[string]any{"field": "slug"}).Error.Message
	if !strings.Contains(msg, "immutable") {
		t.Errorf("slug refusal %q does not say that the slug is immutable", msg)
	}
	// Sending the current slug is refused too: a slug is never part of an update.
	e.owner.do(http.MethodPatch, path, map[string]any{"name": "x", "slug": "billing"}).
		wantError(http.StatusBadRequest, "invalid_request", map[string]any{"field": "slug"})
	e.owner.do(http.MethodPatch, path, map[string]any{"name": ""}).
		wantError(http.StatusBadRequest, "invalid_request", map[string]any{"field": "name"})
	e.owner.do(http.MethodPatch, path, map[string]any{"description": strings.Repeat("d", maxDescriptionLength+1)}).
		wantError(http.StatusBadRequest, "invalid_request", map[string]any{"field": "description"})
	e.owner.do(http.MethodPatch, path, map[string]any{"name": "Weather"}).
		wantError(http.StatusConflict, "name_conflict", map[string]any{"field": "name"})
	e.owner.do(http.MethodPatch, serverPath("srv_aaaaaaaaaaaaaaaa"), map[string]any{"name": "x"}).
		wantError(http.StatusNotFound, "not_found", map[string]any{"resource": "server"})

	var unchanged api.Server
	e.owner.do(http.MethodGet, path, nil).want(http.StatusOK).decode(&unchanged)
	if unchanged.Name != "Billing" || unchanged.Slug != "billing" {
		t.Errorf("refused updates changed the server: %+v", unchanged)
	}
}

// Only organization admins and owners manage servers. A caller who may not
// discover the server gets a 404, as on every path that names it.
func TestServerManagementPermissions(t *testing.T) {
	e := newTestEnv(t)
	srv := e.createServer("Billing", "billing")
	admin, member := e.actor(api.RoleAdmin), e.actor(api.RoleMember)

	member.do(http.MethodPatch, serverPath(srv.ID), map[string]any{"name": "x"}).
		wantError(http.StatusNotFound, "not_found", map[string]any{"resource": "server"})
	member.do(http.MethodDelete, serverPath(srv.ID), nil).
		wantError(http.StatusNotFound, "not_found", map[string]any{"resource": "server"})

	// With a grant, even an admin grant on the server, a member may discover it but not manage it.
	e.grant(member.saID, srv.ID, api.ServerRoleAdmin)
	member.do(http.MethodPatch, serverPath(srv.ID), map[string]any{"name": "x"}).
		wantError(http.StatusForbidden, "permission_denied", map[string]any{"actor_role": "member", "required_role": "admin"})
	member.do(http.MethodDelete, serverPath(srv.ID), nil).
		wantError(http.StatusForbidden, "permission_denied", map[string]any{"actor_role": "member", "required_role": "admin"})

	admin.do(http.MethodPatch, serverPath(srv.ID), map[string]any{"name": "Billing by admin"}).want(http.StatusOK)
	admin.do(http.MethodDelete, serverPath(srv.ID), nil).want(http.StatusNoContent)
}

// Deleting a server removes its grants in the same step: the keys of the
// accounts that held them lose access at once, and the slug is free again.
func TestDeleteServerRemovesGrants(t *testing.T) {
	e := newTestEnv(t)
	srv := e.createServer("Billing", "billing")
	agent := e.actor(api.RoleMember)
	e.grant(agent.saID, srv.ID, api.ServerRoleUser)
	weather := e.serverID("weather")
	e.grant(agent.saID, weather, api.ServerRoleUser)
	echo := map[string]any{"name": "echo", "arguments": map[string]any{"text": "hi"}}
	var result map[string]any
	agent.mcp(srv.ID, "tools/call", echo).result(&result)

	e.owner.do(http.MethodDelete, serverPath(srv.ID), nil).want(http.StatusNoContent)

	agent.mcp(srv.ID, "tools/call", echo).wantRPCError(http.StatusNotFound, -33404, map[string]any{"resource": "server"})
	e.owner.do(http.MethodGet, serverPath(srv.ID), nil).wantError(http.StatusNotFound, "not_found", map[string]any{"resource": "server"})
	e.owner.do(http.MethodGet, grantPath(agent.saID, srv.ID), nil).wantError(http.StatusNotFound, "not_found", map[string]any{"resource": "server"})
	e.owner.do(http.MethodDelete, serverPath(srv.ID), nil).wantError(http.StatusNotFound, "not_found", map[string]any{"resource": "server"})
	var grants serverGrantListJSON
	e.owner.do(http.MethodGet, saPath(agent.saID, "/server-grants"), nil).want(http.StatusOK).decode(&grants)
	if len(grants.ServerGrants) != 1 || grants.ServerGrants[0].ServerID != weather {
		t.Errorf("grants after the delete = %+v, want only the one on weather", grants.ServerGrants)
	}
	for _, g := range e.srv.store.Snapshot().ServerGrants {
		if g.ServerID == srv.ID {
			t.Errorf("the store still holds a grant on the deleted server: %+v", g)
		}
	}
	agent.mcp(weather, "tools/call", echo).result(&result)

	again := e.createServer("Billing", "billing")
	if again.ID == srv.ID {
		t.Errorf("the new server reuses the deleted one's id %s", srv.ID)
	}
	agent.mcp(again.ID, "tools/call", echo).wantRPCError(http.StatusNotFound, -33404, map[string]any{"resource": "server"})
}
