package server

import "fmt"

// roleRank orders the organization roles; a role not in it ranks zero and is
// allowed nothing.
var roleRank = map[Role]int{
	RoleViewer: 1,
	RoleMember: 2,
	RoleAdmin:  3,
	RoleOwner:  4,
}

// serviceAccountRoles are the roles a service account may hold, lowest first:
// never owner, so an organization always stays in human hands.
var serviceAccountRoles = []Role{RoleViewer, RoleMember, RoleAdmin}

func (r Role) atLeast(min Role) bool {
	return roleRank[r] > 0 && roleRank[r] >= roleRank[min]
}

// action is something an actor does in its organization. Actions on a single
// server (discover, call, manage), which depend on server grants as well as the
// organization role, belong in a table of their own next to this one.
type action string

const (
	actionRead                  action = "read the organization, its servers, service accounts and API key metadata"
	actionManageServers         action = "create servers"
	actionManageServiceAccounts action = "create, update or delete service accounts"
	actionManageAPIKeys         action = "create, rename or revoke API keys of service accounts"
)

// minimumRole is the permission table of API.md: the lowest organization role
// that may perform each action.
var minimumRole = map[action]Role{
	actionRead:                  RoleViewer,
	actionManageServers:         RoleAdmin,
	actionManageServiceAccounts: RoleAdmin,
	actionManageAPIKeys:         RoleAdmin,
}

// permissionError is an authenticated actor being refused (403).
type permissionError struct {
	actorRole    Role
	requiredRole Role
	what         string
}

func (e *permissionError) Error() string {
	return fmt.Sprintf("permission denied: to %s requires role %s or higher; the caller has role %s", e.what, e.requiredRole, e.actorRole)
}

func authorize(actor Actor, a action) error {
	required, ok := minimumRole[a]
	if !ok || !actor.Role.atLeast(required) {
		return &permissionError{actorRole: actor.Role, requiredRole: required, what: string(a)}
	}
	return nil
}

// authorizeRoleAssignment stops an actor from handing out more power than it
// holds itself.
func authorizeRoleAssignment(actor Actor, target Role) error {
	if !actor.Role.atLeast(target) {
		return &permissionError{actorRole: actor.Role, requiredRole: target, what: fmt.Sprintf("assign the %s role", target)}
	}
	return nil
}
