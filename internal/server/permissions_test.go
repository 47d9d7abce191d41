package server

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

// statuses are the expected HTTP statuses of one operation as an
// organization viewer, member, admin and owner. The first three are service
// accounts; the owner is the bootstrap user.
type statuses [4]int

var permissionRoles = [4]Role{api.RoleViewer, api.RoleMember, api.RoleAdmin, api.RoleOwner}

// accessScenario is what the service-account actors hold on the target
// server: a grant, or nothing and the organization's default_server_role.
type accessScenario string

const (
	noGrant       accessScenario = "no grant, default none"
	viewerGrant   accessScenario = "viewer grant"
	userGrant     accessScenario = "user grant"
	userToolsOnly accessScenario = "user grant, tools only"
	adminPrompts  accessScenario = "admin grant, prompts only"
	defaultViewer accessScenario = "no grant, default viewer"
	defaultUser   accessScenario = "no grant, default user"
)

var accessScenarios = []struct {
	scenario     accessScenario
	defaultRole  AccessRole
	grantRole    AccessRole // empty: no grant
	capabilities []Capability
}{
	{noGrant, api.ServerRoleNone, "", nil},
	{viewerGrant, api.ServerRoleNone, api.ServerRoleViewer, nil},
	{userGrant, api.ServerRoleNone, api.ServerRoleUser, nil},
	{userToolsOnly, api.ServerRoleNone, api.ServerRoleUser, []Capability{api.CapabilityTools}},
	{adminPrompts, api.ServerRoleNone, api.ServerRoleAdmin, []Capability{api.CapabilityPrompts}},
	{defaultViewer, api.ServerRoleViewer, "", nil},
	{defaultUser, api.ServerRoleUser, "", nil},
}

// everywhere is the expectation of an operation that no grant affects.
func everywhere(want statuses) map[accessScenario]statuses {
	m := map[accessScenario]statuses{}
	for _, s := range accessScenarios {
		m[s.scenario] = want
	}
	return m
}

// permissionFixture is one scenario's server: the actors, the target server
// on which they hold the scenario's grant, and a subject account whose grant
// on the target the grant operations read.
type permissionFixture struct {
	e       *testEnv
	actors  [4]*apiClient
	server  string
	subject string
	created int
}

func (f *permissionFixture) unique(prefix string) string {
	f.created++
	return fmt.Sprintf("%s-%d", prefix, f.created)
}

func (f *permissionFixture) newTarget() string {
	return f.e.createSA(f.unique("target"), api.RoleViewer)
}

type permissionOperation struct {
	name string
	mcp  bool
	run  func(f *permissionFixture, c *apiClient) response
	want map[accessScenario]statuses
	// refusal is what a 403's details hold, when not the roles.
	refusal map[string]any
}

// personalKeysRefusal is the 403 of a service account on /me/api-keys.
var personalKeysRefusal = map[string]any{"actor_type": api.ActorServiceAccount, "required_actor_type": api.ActorUser}

func mcpOperation(method string, params any, want map[accessScenario]statuses) permissionOperation {
	return permissionOperation{name: "MCP " + method, mcp: true, want: want, run: func(f *permissionFixture, c *apiClient) response {
		return c.mcp(f.server, method, params)
	}}
}

// permissionOperations is the permission table of API.md as a test: every
// operation, as every organization role, in every access scenario.
var permissionOperations = []permissionOperation{
	{name: "read organization", want: everywhere(statuses{200, 200, 200, 200}), run: func(f *permissionFixture, c *apiClient) response {
		return c.do(http.MethodGet, "/api/v0/organizations/current", nil)
	}},
	{name: "change organization settings", want: everywhere(statuses{403, 403, 200, 200}), run: func(f *permissionFixture, c *apiClient) response {
		// The scenario's own default_server_role again, so the fixture stays as it is.
		var org api.Organization
		f.e.owner.do(http.MethodGet, "/api/v0/organizations/current", nil).want(http.StatusOK).decode(&org)
		return c.do(http.MethodPatch, "/api/v0/organizations/current", map[string]any{"default_server_role": org.DefaultServerRole})
	}},
	// Personal keys belong to users: the actors below the owner are service accounts.
	{name: "list personal keys", want: everywhere(statuses{403, 403, 403, 200}), refusal: personalKeysRefusal, run: func(f *permissionFixture, c *apiClient) response {
		return c.do(http.MethodGet, personalKeys, nil)
	}},
	{name: "create personal key", want: everywhere(statuses{403, 403, 403, 201}), refusal: personalKeysRefusal, run: func(f *permissionFixture, c *apiClient) response {
		return c.do(http.MethodPost, personalKeys, map[string]any{"name": f.unique("laptop")})
	}},
	{name: "list servers", want: everywhere(statuses{200, 200, 200, 200}), run: func(f *permissionFixture, c *apiClient) response {
		return c.do(http.MethodGet, serverCollection, nil)
	}},
	{name: "create server", want: everywhere(statuses{403, 403, 201, 201}), run: func(f *permissionFixture, c *apiClient) response {
		slug := f.unique("s")
		return c.do(http.MethodPost, serverCollection, map[string]any{"name": slug, "slug": slug})
	}},
	{name: "list service accounts", want: everywhere(statuses{200, 200, 200, 200}), run: func(f *permissionFixture, c *apiClient) response {
		return c.do(http.MethodGet, saCollection, nil)
	}},
	{name: "read service account", want: everywhere(statuses{200, 200, 200, 200}), run: func(f *permissionFixture, c *apiClient) response {
		return c.do(http.MethodGet, saPath(f.subject), nil)
	}},
	{name: "create service account", want: everywhere(statuses{403, 403, 201, 201}), run: func(f *permissionFixture, c *apiClient) response {
		return c.do(http.MethodPost, saCollection, map[string]any{"name": f.unique("created")})
	}},
	{name: "update service account", want: everywhere(statuses{403, 403, 200, 200}), run: func(f *permissionFixture, c *apiClient) response {
		return c.do(http.MethodPatch, saPath(f.newTarget()), map[string]any{"description": "changed"})
	}},
	{name: "delete service account", want: everywhere(statuses{403, 403, 204, 204}), run: func(f *permissionFixture, c *apiClient) response {
		return c.do(http.MethodDelete, saPath(f.newTarget()), nil)
	}},
	{name: "list keys", want: everywhere(statuses{200, 200, 200, 200}), run: func(f *permissionFixture, c *apiClient) response {
		return c.do(http.MethodGet, saPath(f.subject, "/api-keys"), nil)
	}},
	{name: "read key", want: everywhere(statuses{200, 200, 200, 200}), run: func(f *permissionFixture, c *apiClient) response {
		sa := f.newTarget()
		return c.do(http.MethodGet, keyPath(sa, f.e.createKey(sa, "k").ID), nil)
	}},
	{name: "create key", want: everywhere(statuses{403, 403, 201, 201}), run: func(f *permissionFixture, c *apiClient) response {
		return c.do(http.MethodPost, saPath(f.newTarget(), "/api-keys"), map[string]any{"name": "k"})
	}},
	{name: "rename key", want: everywhere(statuses{403, 403, 200, 200}), run: func(f *permissionFixture, c *apiClient) response {
		sa := f.newTarget()
		return c.do(http.MethodPatch, keyPath(sa, f.e.createKey(sa, "k").ID), map[string]any{"name": "renamed"})
	}},
	{name: "revoke key", want: everywhere(statuses{403, 403, 200, 200}), run: func(f *permissionFixture, c *apiClient) response {
		sa := f.newTarget()
		return c.do(http.MethodDelete, keyPath(sa, f.e.createKey(sa, "k").ID), nil)
	}},
	{name: "list grants", want: everywhere(statuses{200, 200, 200, 200}), run: func(f *permissionFixture, c *apiClient) response {
		return c.do(http.MethodGet, saPath(f.subject, "/server-grants"), nil)
	}},

	// Operations that name the target server: a hidden server is a 404,
	// before any 403.
	{name: "get server", run: func(f *permissionFixture, c *apiClient) response {
		return c.do(http.MethodGet, serverCollection+"/"+f.server, nil)
	}, want: map[accessScenario]statuses{
		noGrant:       {404, 404, 200, 200},
		viewerGrant:   {200, 200, 200, 200},
		userGrant:     {200, 200, 200, 200},
		userToolsOnly: {200, 200, 200, 200},
		adminPrompts:  {200, 200, 200, 200},
		defaultViewer: {200, 200, 200, 200},
		defaultUser:   {200, 200, 200, 200},
	}},
	{name: "get grant", run: func(f *permissionFixture, c *apiClient) response {
		return c.do(http.MethodGet, grantPath(f.subject, f.server), nil)
	}, want: map[accessScenario]statuses{
		noGrant:       {404, 404, 200, 200},
		viewerGrant:   {200, 200, 200, 200},
		userGrant:     {200, 200, 200, 200},
		userToolsOnly: {200, 200, 200, 200},
		adminPrompts:  {200, 200, 200, 200},
		defaultViewer: {200, 200, 200, 200},
		defaultUser:   {200, 200, 200, 200},
	}},
	{name: "put grant", run: func(f *permissionFixture, c *apiClient) response {
		return c.do(http.MethodPut, grantPath(f.newTarget(), f.server), map[string]any{"role": "user"})
	}, want: map[accessScenario]statuses{
		noGrant:       {404, 404, 201, 201},
		viewerGrant:   {403, 403, 201, 201},
		userGrant:     {403, 403, 201, 201},
		userToolsOnly: {403, 403, 201, 201},
		adminPrompts:  {403, 403, 201, 201},
		defaultViewer: {403, 403, 201, 201},
		defaultUser:   {403, 403, 201, 201},
	}},
	{name: "delete grant", run: func(f *permissionFixture, c *apiClient) response {
		sa := f.newTarget()
		f.e.grant(sa, f.server, api.ServerRoleViewer)
		return c.do(http.MethodDelete, grantPath(sa, f.server), nil)
	}, want: map[accessScenario]statuses{
		noGrant:       {404, 404, 204, 204},
		viewerGrant:   {403, 403, 204, 204},
		userGrant:     {403, 403, 204, 204},
		userToolsOnly: {403, 403, 204, 204},
		adminPrompts:  {403, 403, 204, 204},
		defaultViewer: {403, 403, 204, 204},
		defaultUser:   {403, 403, 204, 204},
	}},

	// MCP: organization role member or higher, server role user or admin,
	// and the method's capability. Organization admins and owners are never
	// restricted by grants.
	mcpOperation("initialize", mcpInitializeParams, map[accessScenario]statuses{
		noGrant:       {404, 404, 200, 200},
		viewerGrant:   {403, 403, 200, 200},
		userGrant:     {403, 200, 200, 200},
		userToolsOnly: {403, 200, 200, 200},
		adminPrompts:  {403, 200, 200, 200},
		defaultViewer: {403, 403, 200, 200},
		defaultUser:   {403, 200, 200, 200},
	}),
	mcpOperation("tools/list", nil, map[accessScenario]statuses{
		noGrant:       {404, 404, 200, 200},
		viewerGrant:   {403, 403, 200, 200},
		userGrant:     {403, 200, 200, 200},
		userToolsOnly: {403, 200, 200, 200},
		adminPrompts:  {403, 403, 200, 200},
		defaultViewer: {403, 403, 200, 200},
		defaultUser:   {403, 200, 200, 200},
	}),
	mcpOperation("tools/call", map[string]any{"name": "echo", "arguments": map[string]any{"text": "hi"}}, map[accessScenario]statuses{
		noGrant:       {404, 404, 200, 200},
		viewerGrant:   {403, 403, 200, 200},
		userGrant:     {403, 200, 200, 200},
		userToolsOnly: {403, 200, 200, 200},
		adminPrompts:  {403, 403, 200, 200},
		defaultViewer: {403, 403, 200, 200},
		defaultUser:   {403, 200, 200, 200},
	}),
	mcpOperation("resources/list", nil, map[accessScenario]statuses{
		noGrant:       {404, 404, 200, 200},
		viewerGrant:   {403, 403, 200, 200},
		userGrant:     {403, 200, 200, 200},
		userToolsOnly: {403, 403, 200, 200},
		adminPrompts:  {403, 403, 200, 200},
		defaultViewer: {403, 403, 200, 200},
		defaultUser:   {403, 200, 200, 200},
	}),
	mcpOperation("prompts/list", nil, map[accessScenario]statuses{
		noGrant:       {404, 404, 200, 200},
		viewerGrant:   {403, 403, 200, 200},
		userGrant:     {403, 200, 200, 200},
		userToolsOnly: {403, 403, 200, 200},
		adminPrompts:  {403, 200, 200, 200},
		defaultViewer: {403, 403, 200, 200},
		defaultUser:   {403, 200, 200, 200},
	}),
}

// TestPermissions runs every operation as every organization role in every
// access scenario and checks the exact status, and that each refusal says
// what is missing.
func TestPermissions(t *testing.T) {
	t.Parallel()
	for _, sc := range accessScenarios {
		t.Run(string(sc.scenario), func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t, WithDefaultServerRole(string(sc.defaultRole)))
			f := &permissionFixture{e: e, server: e.serverID("weather")}
			for i, role := range permissionRoles {
				f.actors[i] = e.actor(role)
				if sc.grantRole != "" && role != api.RoleOwner {
					e.grant(f.actors[i].saID, f.server, sc.grantRole, sc.capabilities...)
				}
			}
			f.subject = e.createSA("subject", api.RoleMember)
			e.grant(f.subject, f.server, api.ServerRoleViewer)
			e.createKey(f.subject, "k")

			for _, op := range permissionOperations {
				want, ok := op.want[sc.scenario]
				if !ok {
					t.Fatalf("%s has no expectation for %q", op.name, sc.scenario)
				}
				for i, role := range permissionRoles {
					t.Run(op.name+"/"+string(role), func(t *testing.T) {
						c := e.client(f.actors[i].key)
						c.t = t
						res := op.run(f, c)
						switch {
						case want[i] < 400:
							res.want(want[i])
						case op.mcp && want[i] == http.StatusForbidden:
							// A refused method is an MCP error in a normal response.
							res.wantRPCError(http.StatusOK, -33403, nil)
						case op.mcp:
							res.wantRPCError(want[i], -33000-want[i], nil)
						case want[i] == http.StatusForbidden && op.refusal != nil:
							res.wantError(want[i], "permission_denied", op.refusal)
						case want[i] == http.StatusForbidden:
							res.wantError(want[i], "permission_denied", map[string]any{"actor_role": role, "required_role": api.RoleAdmin})
						default:
							res.wantError(want[i], "not_found", map[string]any{"resource": "server"})
						}
					})
				}
			}
		})
	}
}
