package server

import (
	"fmt"
	"strings"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

// This file holds every permission rule of the server, in the order API.md
// documents them: what an organization role allows, what an actor may do on
// one server, and what nobody may hand out.

// roleRank orders the organization roles; a role not in it ranks zero and is
// allowed nothing.
var roleRank = map[Role]int{
	api.RoleViewer: 1,
	api.RoleMember: 2,
	api.RoleAdmin:  3,
	api.RoleOwner:  4,
}

// serviceAccountRoles are the roles a service account may hold, lowest first:
// never owner, so an organization always stays in human hands.
var serviceAccountRoles = []Role{api.RoleViewer, api.RoleMember, api.RoleAdmin}

func (r Role) atLeast(min Role) bool {
	return roleRank[r] > 0 && roleRank[r] >= roleRank[min]
}

// action is something an actor does in its organization.
type action string

const (
	actionRead                  action = "read the organization, its servers, service accounts, API key metadata and server grants"
	actionManageServers         action = "create, update or delete servers"
	actionManageServiceAccounts action = "create, update or delete service accounts"
	actionManageAPIKeys         action = "create, rename or revoke API keys of service accounts"
	actionManageGrants          action = "create, change or remove server grants"
	actionCallServers           action = "call MCP servers"
	actionManageOrganization    action = "change the organization's settings (default_server_role)"
	// actionManagePersonalKeys is a user's work on its own personal keys,
	// which carry no more than the user's own access: any role may.
	actionManagePersonalKeys action = "manage its own personal API keys"
)

// minimumRole is the organization half of the permission table of API.md:
// the lowest organization role that may perform each action. Viewers only
// read, everywhere, so calling an MCP server needs member as well as a server
// role that allows it (authorizeServerCall below).
var minimumRole = map[action]Role{
	actionRead:                  api.RoleViewer,
	actionManageServers:         api.RoleAdmin,
	actionManageServiceAccounts: api.RoleAdmin,
	actionManageAPIKeys:         api.RoleAdmin,
	actionManageGrants:          api.RoleAdmin,
	actionCallServers:           api.RoleMember,
	actionManageOrganization:    api.RoleAdmin,
	actionManagePersonalKeys:    api.RoleViewer,
}

// permissionScope says which kind of role a permissionError is about.
type permissionScope string

const (
	scopeOrganization permissionScope = "organization_role"
	scopeServer       permissionScope = "server_role"
)

// permissionError is an authenticated actor being refused (403) for want of
// a role, in its organization or on one server.
type permissionError struct {
	scope        permissionScope
	actorRole    string
	requiredRole string
	what         string
	// why says where a server role comes from, so the caller knows what to
	// change: a grant, or the organization's default.
	why string
}

func (e *permissionError) Error() string {
	if e.scope == scopeServer {
		return fmt.Sprintf("permission denied: to %s requires server role %s or higher; the caller has server role %s on this server (%s)",
			e.what, e.requiredRole, e.actorRole, e.why)
	}
	return fmt.Sprintf("permission denied: to %s requires role %s or higher; the caller has role %s", e.what, e.requiredRole, e.actorRole)
}

func authorize(actor Actor, a action) error {
	required, ok := minimumRole[a]
	if !ok || !actor.Role.atLeast(required) {
		return &permissionError{scope: scopeOrganization, actorRole: string(actor.Role), requiredRole: string(required), what: string(a)}
	}
	return nil
}

// authorizeRoleAssignment stops an actor from handing out more power than it
// holds itself.
func authorizeRoleAssignment(actor Actor, target Role) error {
	if !actor.Role.atLeast(target) {
		return &permissionError{scope: scopeOrganization, actorRole: string(actor.Role), requiredRole: string(target), what: fmt.Sprintf("assign the %s role", target)}
	}
	return nil
}

// serverRoleRank orders the server roles; none, and anything unknown, ranks
// zero and is allowed nothing.
var serverRoleRank = map[AccessRole]int{
	api.ServerRoleViewer: 1,
	api.ServerRoleUser:   2,
	api.ServerRoleAdmin:  3,
}

// grantRoles are the roles a grant may hold, lowest first.
var grantRoles = []AccessRole{api.ServerRoleViewer, api.ServerRoleUser, api.ServerRoleAdmin}

// defaultServerRoles are the values of an organization's default_server_role:
// never admin, which only a grant or the organization role confers.
var defaultServerRoles = []AccessRole{api.ServerRoleNone, api.ServerRoleViewer, api.ServerRoleUser}

func (r AccessRole) atLeast(min AccessRole) bool {
	return serverRoleRank[r] > 0 && serverRoleRank[r] >= serverRoleRank[min]
}

// serverAccess is an actor's effective access to one server.
type serverAccess struct {
	role         AccessRole
	capabilities CapabilitySet
	// source names where role and capabilities come from, for messages.
	source string
}

// effectiveServerAccess is the server half of the permission table. Owners
// and admins manage the organization, so a grant never narrows what they may
// do; everyone else gets the grant if there is one (grant is nil when there
// is none), else the organization's default with every capability.
func effectiveServerAccess(actor Actor, org Organization, grant *Grant) serverAccess {
	switch {
	case actor.Role.atLeast(api.RoleAdmin):
		return serverAccess{role: api.ServerRoleAdmin, capabilities: AllCapabilities, source: fmt.Sprintf("from organization role %s", actor.Role)}
	case grant != nil:
		return serverAccess{role: grant.Role, capabilities: grant.Capabilities, source: "from its server grant"}
	default:
		return serverAccess{role: org.DefaultServerRole, capabilities: AllCapabilities, source: "from the organization's default_server_role; it has no server grant"}
	}
}

// discoverable reports whether the actor may know that the server exists.
// Where it may not, the server answers 404, never 403.
func (a serverAccess) discoverable() bool { return a.role.atLeast(api.ServerRoleViewer) }

// authorizeServerCall requires the server role that calling the MCP endpoint
// takes; the organization role is checked separately (actionCallServers).
func authorizeServerCall(a serverAccess) error {
	if !a.role.atLeast(api.ServerRoleUser) {
		return &permissionError{scope: scopeServer, actorRole: string(a.role), requiredRole: string(api.ServerRoleUser),
			what: "call this server's MCP endpoint", why: a.source}
	}
	return nil
}

// requiredCapability maps an MCP method to the capability it uses: tools/*
// needs tools, resources/* resources, prompts/* prompts. Other methods
// (initialize, ping) need the call permission only.
func requiredCapability(method string) (Capability, bool) {
	namespace, _, found := strings.Cut(method, "/")
	if !found {
		return "", false
	}
	for _, c := range capabilityOrder {
		if namespace == string(c) {
			return c, true
		}
	}
	return "", false
}

// capabilityError refuses an MCP method because the caller's access to the
// server does not include the capability it uses (403).
type capabilityError struct {
	method   string
	required Capability
	granted  CapabilitySet
	why      string
}

func (e *capabilityError) Error() string {
	return fmt.Sprintf("permission denied: %s requires the %s capability on this server; the caller may use only %s (%s)",
		e.method, e.required, e.granted, e.why)
}

func authorizeCapability(a serverAccess, method string) error {
	required, ok := requiredCapability(method)
	if ok && !a.capabilities.Has(required) {
		return &capabilityError{method: method, required: required, granted: a.capabilities, why: a.source}
	}
	return nil
}

// authorizeGrantAssignment stops an actor from granting a server role above
// its own effective role on that server. Grant management needs organization
// admin, which implies server admin, so today this never refuses anyone; it
// keeps the rule true if lower roles ever manage grants.
func authorizeGrantAssignment(a serverAccess, target AccessRole) error {
	if !a.role.atLeast(target) {
		return &permissionError{scope: scopeServer, actorRole: string(a.role), requiredRole: string(target),
			what: fmt.Sprintf("grant the %s role on this server", target), why: a.source}
	}
	return nil
}
