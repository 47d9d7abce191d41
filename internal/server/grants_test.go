package server

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

func TestServerGrantLifecycle(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	saID := e.createSA("ci", api.RoleMember)
	weather, search := e.serverID("weather"), e.serverID("search")

	var created api.ServerGrant
	e.owner.do(http.MethodPut, grantPath(saID, weather), map[string]any{"role": "user"}).want(http.StatusCreated).decode(&created)
	want := api.ServerGrant{
		ServiceAccountID: saID, ServerID: weather, OrganizationID: e.srv.OrganizationID(), Role: api.ServerRoleUser,
		Capabilities: []string{api.CapabilityTools, api.CapabilityResources, api.CapabilityPrompts},
		CreatedAt:    "2030-01-02T15:04:05Z", UpdatedAt: "2030-01-02T15:04:05Z",
	}
	assertGrant(t, created, want)

	e.clock.Advance(time.Minute)
	var got api.ServerGrant
	e.owner.do(http.MethodPut, grantPath(saID, weather), map[string]any{"role": "user", "capabilities": nil}).want(http.StatusOK).decode(&got)
	assertGrant(t, got, want) // a PUT that changes nothing leaves updated_at alone

	e.clock.Advance(time.Minute)
	e.owner.do(http.MethodPut, grantPath(saID, weather), map[string]any{"role": "admin", "capabilities": []string{"prompts", "tools"}}).
		want(http.StatusOK).decode(&got)
	want.Role, want.Capabilities, want.UpdatedAt = api.ServerRoleAdmin, []string{api.CapabilityTools, api.CapabilityPrompts}, "2030-01-02T15:06:05Z"
	assertGrant(t, got, want)
	e.owner.do(http.MethodGet, grantPath(saID, weather), nil).want(http.StatusOK).decode(&got)
	assertGrant(t, got, want)

	e.grant(saID, search, api.ServerRoleViewer, api.CapabilityResources)
	var list serverGrantListJSON
	e.owner.do(http.MethodGet, saPath(saID, "/server-grants"), nil).want(http.StatusOK).decode(&list)
	if len(list.ServerGrants) != 2 || list.ServerGrants[0].ServerID > list.ServerGrants[1].ServerID {
		t.Fatalf("list = %+v, want two grants ordered by server_id", list.ServerGrants)
	}

	res := e.owner.do(http.MethodDelete, grantPath(saID, weather), nil).want(http.StatusNoContent)
	if len(res.body) != 0 {
		t.Errorf("DELETE body = %q, want none", res.body)
	}
	notFound := map[string]any{"resource": "server_grant"}
	e.owner.do(http.MethodGet, grantPath(saID, weather), nil).wantError(http.StatusNotFound, "not_found", notFound)
	e.owner.do(http.MethodDelete, grantPath(saID, weather), nil).wantError(http.StatusNotFound, "not_found", notFound)
	e.owner.do(http.MethodGet, saPath(saID, "/server-grants"), nil).want(http.StatusOK).decode(&list)
	if len(list.ServerGrants) != 1 || list.ServerGrants[0].ServerID != search {
		t.Errorf("list after delete = %+v", list.ServerGrants)
	}

	empty := e.createSA("empty", api.RoleMember)
	res = e.owner.do(http.MethodGet, saPath(empty, "/server-grants"), nil).want(http.StatusOK)
	if strings.TrimSpace(string(res.body)) != `{"server_grants":[]}` {
		t.Errorf("empty list = %s", res.body)
	}
}

func assertGrant(t *testing.T, got, want api.ServerGrant) {
	t.Helper()
	if got.ServiceAccountID != want.ServiceAccountID || got.ServerID != want.ServerID || got.OrganizationID != want.OrganizationID ||
		got.Role != want.Role || !slices.Equal(got.Capabilities, want.Capabilities) ||
		got.CreatedAt != want.CreatedAt || got.UpdatedAt != want.UpdatedAt {
		t.Errorf("grant = %+v, want %+v", got, want)
	}
}

func TestServerGrantErrors(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	saID := e.createSA("ci", api.RoleMember)
	weather := e.serverID("weather")
	member := e.actor(api.RoleMember)
	path := grantPath(saID, weather)
	field := func(name string) map[string]any { return map[string]any{"field": name} }
	resource := func(name string) map[string]any { return map[string]any{"resource": name} }

	tests := []struct {
		name    string
		client  *apiClient // nil: the owner
		method  string
		path    string
		body    any
		status  int
		details map[string]any
		message string // a fragment the message must hold
	}{
		{name: "role missing", method: "PUT", path: path, body: `{}`, status: 400, details: field("role"), message: "viewer, user or admin"},
		{name: "role none", method: "PUT", path: path, body: map[string]any{"role": "none"}, status: 400, details: field("role")},
		{name: "role owner", method: "PUT", path: path, body: map[string]any{"role": "owner"}, status: 400, details: field("role")},
		{name: "role wrong type", method: "PUT", path: path, body: `{"role":1}`, status: 400, details: field("role")},
		{name: "capabilities empty", method: "PUT", path: path, body: map[string]any{"role": "user", "capabilities": []string{}}, status: 400, details: field("capabilities"), message: "at least one capability"},
		{name: "capabilities duplicate", method: "PUT", path: path, body: map[string]any{"role": "user", "capabilities": []string{"tools", "tools"}}, status: 400, details: field("capabilities"), message: `"tools" is listed more than once`},
		{name: "capabilities unknown", method: "PUT", path: path, body: map[string]any{"role": "user", "capabilities": []string{"sampling"}}, status: 400, details: field("capabilities"), message: `unknown capability "sampling"`},
		{name: "capabilities too many", method: "PUT", path: path, body: map[string]any{"role": "user", "capabilities": []string{"tools", "resources", "prompts", "tools"}}, status: 400, details: field("capabilities"), message: "at most 3"},
		{name: "capabilities not a list", method: "PUT", path: path, body: `{"role":"user","capabilities":"tools"}`, status: 400, details: field("capabilities"), message: "an array of strings"},
		{name: "capabilities of numbers", method: "PUT", path: path, body: `{"role":"user","capabilities":[1]}`, status: 400, details: field("capabilities"), message: "an array of strings"},
		{name: "capabilities with null", method: "PUT", path: path, body: `{"role":"user","capabilities":[null]}`, status: 400, details: field("capabilities")},
		{name: "unknown field", method: "PUT", path: path, body: `{"role":"user","scope":"all"}`, status: 400, details: field("scope")},

		{name: "put for unknown account", method: "PUT", path: grantPath("sa_aaaaaaaaaaaaaaaa", weather), body: map[string]any{"role": "user"}, status: 404, details: resource("service_account")},
		{name: "put for a user", method: "PUT", path: grantPath(e.mustMe().Actor.ID, weather), body: map[string]any{"role": "user"}, status: 404, details: resource("service_account")},
		{name: "put on unknown server", method: "PUT", path: grantPath(saID, "srv_aaaaaaaaaaaaaaaa"), body: map[string]any{"role": "user"}, status: 404, details: resource("server")},
		{name: "get for unknown account", method: "GET", path: grantPath("sa_aaaaaaaaaaaaaaaa", weather), status: 404, details: resource("service_account")},
		{name: "get on unknown server", method: "GET", path: grantPath(saID, "srv_aaaaaaaaaaaaaaaa"), status: 404, details: resource("server")},
		{name: "get missing grant", method: "GET", path: path, status: 404, details: resource("server_grant")},
		{name: "delete missing grant", method: "DELETE", path: path, status: 404, details: resource("server_grant")},
		{name: "list for unknown account", method: "GET", path: saPath("sa_aaaaaaaaaaaaaaaa", "/server-grants"), status: 404, details: resource("service_account")},
		{name: "member gets grant on hidden server", client: member, method: "GET", path: path, status: 404, details: resource("server")},
		{name: "member puts grant on hidden server", client: member, method: "PUT", path: path, body: map[string]any{"role": "user"}, status: 404, details: resource("server")},
		{name: "post to grant", method: "POST", path: path, body: `{}`, status: 405, details: map[string]any{"allowed_methods": []string{"GET", "PUT", "DELETE"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.client(e.srv.BootstrapKey())
			if tt.client != nil {
				c = e.client(tt.client.key)
			}
			c.t = t
			code := map[int]string{400: "invalid_request", 404: "not_found", 405: "method_not_allowed"}[tt.status]
			got := c.do(tt.method, tt.path, tt.body).wantError(tt.status, code, tt.details)
			if !strings.Contains(got.Error.Message, tt.message) {
				t.Errorf("message %q lacks %q", got.Error.Message, tt.message)
			}
		})
	}
	if grants := e.srv.Store().Snapshot().ServerGrants; len(grants) != 0 {
		t.Errorf("failed PUTs stored grants: %+v", grants)
	}
}

func TestDeletingServiceAccountRemovesGrants(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	saID := e.createSA("ci", api.RoleMember)
	keep := e.createSA("keep", api.RoleMember)
	e.grant(saID, e.serverID("weather"), api.ServerRoleUser)
	e.grant(saID, e.serverID("search"), api.ServerRoleViewer)
	e.grant(keep, e.serverID("weather"), api.ServerRoleUser)

	e.owner.do(http.MethodDelete, saPath(saID), nil).want(http.StatusNoContent)
	grants := e.srv.Store().Snapshot().ServerGrants
	if len(grants) != 1 || grants[0].ServiceAccountID != keep {
		t.Errorf("grants after delete = %+v, want only the other account's", grants)
	}
	e.owner.do(http.MethodGet, saPath(saID, "/server-grants"), nil).wantError(http.StatusNotFound, "not_found", map[string]any{"resource": "service_account"})

	again := e.createSA("ci", api.RoleMember) // same name, new account: nothing carried over
	var list serverGrantListJSON
	e.owner.do(http.MethodGet, saPath(again, "/server-grants"), nil).want(http.StatusOK).decode(&list)
	if len(list.ServerGrants) != 0 {
		t.Errorf("a new account with the old name has grants: %+v", list.ServerGrants)
	}
}

// TestConcurrentGrantPutAndDelete races grant PUTs against deleting the
// account: whatever the interleaving, no grant may outlive the account.
func TestConcurrentGrantPutAndDelete(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	servers := []string{e.serverID("weather"), e.serverID("search"), e.serverID("internal-tools")}
	for round := range 20 {
		saID := e.createSA(fmt.Sprintf("ci-%d", round), api.RoleMember)
		var wg sync.WaitGroup
		for i := range 6 {
			wg.Go(func() {
				res := e.owner.do(http.MethodPut, grantPath(saID, servers[i%len(servers)]), map[string]any{"role": grantRoles[i%len(grantRoles)]})
				if res.status != http.StatusCreated && res.status != http.StatusOK && res.status != http.StatusNotFound {
					t.Errorf("put: status %d: %s", res.status, res.body)
				}
			})
		}
		wg.Go(func() { e.owner.do(http.MethodDelete, saPath(saID), nil).want(http.StatusNoContent) })
		wg.Wait()
		for _, g := range e.srv.Store().Snapshot().ServerGrants {
			if g.ServiceAccountID == saID {
				t.Fatalf("round %d: grant on %s outlived its deleted account", round, g.ServerID)
			}
		}
	}
}

func TestGrantPutFaults(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, WithFailRate(1))
	e.owner.http = noRetryClient()
	// The create's response is dropped; its idempotent replay is not.
	create := func() (response, error) {
		return e.owner.send(http.MethodPost, saCollection, map[string]any{"name": "ci"}, "Idempotency-Key", "create-ci")
	}
	if _, err := create(); err == nil {
		t.Fatal("the create's response arrived despite a fail rate of 1")
	}
	res, err := create()
	if err != nil {
		t.Fatal(err)
	}
	var sa api.ServiceAccount
	res.want(http.StatusCreated).decode(&sa)
	saID := sa.ID
	weather := e.serverID("weather")

	if _, err := e.owner.send(http.MethodPut, grantPath(saID, weather), map[string]any{"role": "user"}); err == nil {
		t.Fatal("the response of a PUT that created a grant arrived despite a fail rate of 1")
	}
	// The grant was committed; repeating the PUT changes nothing and is
	// therefore answered.
	var got api.ServerGrant
	e.owner.do(http.MethodPut, grantPath(saID, weather), map[string]any{"role": "user"}).want(http.StatusOK).decode(&got)
	if got.Role != api.ServerRoleUser {
		t.Errorf("grant = %+v", got)
	}
	if _, err := e.owner.send(http.MethodPut, grantPath(saID, weather), map[string]any{"role": "viewer"}); err == nil {
		t.Error("the response of a PUT that changed a grant arrived despite a fail rate of 1")
	}
}

// A PUT with If-None-Match: * only creates: on a grant that exists it
// changes nothing and answers 412 grant_exists, so a client that creates
// grants this way never takes over one that something else made.
func TestCreateOnlyGrantPut(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	saID := e.createSA("ci", api.RoleMember)
	weather := e.serverID("weather")
	createOnly := []string{"If-None-Match", "*"}

	var first api.ServerGrant
	e.owner.do(http.MethodPut, grantPath(saID, weather), map[string]any{"role": "viewer"}, createOnly...).
		want(http.StatusCreated).decode(&first)
	e.clock.Advance(time.Minute)
	e.owner.do(http.MethodPut, grantPath(saID, weather), map[string]any{"role": "admin"}, createOnly...).
		wantError(http.StatusPreconditionFailed, "grant_exists", map[string]any{"service_account_id": saID, "server_id": weather})
	var got api.ServerGrant
	e.owner.do(http.MethodGet, grantPath(saID, weather), nil).want(http.StatusOK).decode(&got)
	assertGrant(t, got, first)

	// A missing account or server is a 404 first, as for any grant PUT.
	e.owner.do(http.MethodPut, grantPath("sa_aaaaaaaaaaaaaaaa", weather), map[string]any{"role": "user"}, createOnly...).
		wantError(http.StatusNotFound, "not_found", map[string]any{"resource": "service_account"})
	e.owner.do(http.MethodPut, grantPath(saID, "srv_aaaaaaaaaaaaaaaa"), map[string]any{"role": "user"}, createOnly...).
		wantError(http.StatusNotFound, "not_found", map[string]any{"resource": "server"})
	// Horizon has no ETags: any other If-None-Match is refused, not ignored.
	e.owner.do(http.MethodPut, grantPath(saID, weather), map[string]any{"role": "user"}, "If-None-Match", `"v1"`).
		wantError(http.StatusBadRequest, "invalid_request", map[string]any{"field": "If-None-Match"})
	// Without the header, a PUT still replaces.
	e.owner.do(http.MethodPut, grantPath(saID, weather), map[string]any{"role": "user"}).want(http.StatusOK)
}

// A create-only PUT is a create, so an Idempotency-Key makes its retry after a
// lost response replay the 201 instead of finding its own grant in place.
func TestCreateOnlyGrantPutIsIdempotent(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	saID := e.createSA("ci", api.RoleMember)
	search := e.serverID("search")
	headers := []string{"If-None-Match", "*", "Idempotency-Key", "grant-1"}
	first := e.owner.do(http.MethodPut, grantPath(saID, search), map[string]any{"role": "user"}, headers...).want(http.StatusCreated)
	replay := e.owner.do(http.MethodPut, grantPath(saID, search), map[string]any{"role": "user"}, headers...).want(http.StatusCreated)
	if string(replay.body) != string(first.body) || replay.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay = %s (Idempotent-Replayed %q), want the first response %s replayed",
			replay.body, replay.header.Get("Idempotent-Replayed"), first.body)
	}
	e.owner.do(http.MethodPut, grantPath(saID, search), map[string]any{"role": "admin"}, headers...).
		wantError(http.StatusConflict, "idempotency_key_reused", nil)
}
