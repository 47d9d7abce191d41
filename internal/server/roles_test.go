package server

import (
	"errors"
	"testing"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

func TestEffectiveServerAccess(t *testing.T) {
	t.Parallel()
	toolsOnly := Capability(api.CapabilityTools).bit()
	grant := func(role AccessRole) *Grant { return &Grant{Role: role, Capabilities: toolsOnly} }
	tests := []struct {
		name          string
		orgRole       Role
		defaultRole   AccessRole
		grant         *Grant
		wantRole      AccessRole
		wantCaps      CapabilitySet
		wantDiscovery bool
	}{
		{"owner without grant", api.RoleOwner, api.ServerRoleNone, nil, api.ServerRoleAdmin, AllCapabilities, true},
		{"admin without grant", api.RoleAdmin, api.ServerRoleNone, nil, api.ServerRoleAdmin, AllCapabilities, true},
		{"grants do not restrict admins", api.RoleAdmin, api.ServerRoleNone, grant(api.ServerRoleViewer), api.ServerRoleAdmin, AllCapabilities, true},
		{"member without grant, default none", api.RoleMember, api.ServerRoleNone, nil, api.ServerRoleNone, AllCapabilities, false},
		{"member without grant, default viewer", api.RoleMember, api.ServerRoleViewer, nil, api.ServerRoleViewer, AllCapabilities, true},
		{"viewer without grant, default user", api.RoleViewer, api.ServerRoleUser, nil, api.ServerRoleUser, AllCapabilities, true},
		{"a grant wins over the default", api.RoleMember, api.ServerRoleUser, grant(api.ServerRoleViewer), api.ServerRoleViewer, toolsOnly, true},
		{"member with admin grant", api.RoleMember, api.ServerRoleNone, grant(api.ServerRoleAdmin), api.ServerRoleAdmin, toolsOnly, true},
		{"unknown organization role", "unknown", api.ServerRoleNone, nil, api.ServerRoleNone, AllCapabilities, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := effectiveServerAccess(Actor{Role: tt.orgRole}, Organization{DefaultServerRole: tt.defaultRole}, tt.grant)
			if got.role != tt.wantRole || got.capabilities != tt.wantCaps || got.discoverable() != tt.wantDiscovery {
				t.Errorf("access = %+v (discoverable %v), want role %s, capabilities %s, discoverable %v",
					got, got.discoverable(), tt.wantRole, tt.wantCaps, tt.wantDiscovery)
			}
		})
	}
}

func TestServerCallAndCapabilities(t *testing.T) {
	t.Parallel()
	for _, role := range []AccessRole{api.ServerRoleNone, api.ServerRoleViewer, api.ServerRoleUser, api.ServerRoleAdmin, "unknown"} {
		err := authorizeServerCall(serverAccess{role: role})
		if want := role == api.ServerRoleUser || role == api.ServerRoleAdmin; (err == nil) != want {
			t.Errorf("server role %s calling: err = %v, want allowed = %v", role, err, want)
		}
	}

	access := serverAccess{role: api.ServerRoleUser, capabilities: Capability(api.CapabilityResources).bit(), source: "from its server grant"}
	tests := []struct {
		method string
		want   Capability // empty: allowed
	}{
		{"initialize", ""},
		{"ping", ""},
		{"tools/list", api.CapabilityTools},
		{"tools/call", api.CapabilityTools},
		{"tools/anything", api.CapabilityTools},
		{"resources/list", ""},
		{"prompts/list", api.CapabilityPrompts},
		{"toolsx/list", ""},
	}
	for _, tt := range tests {
		err := authorizeCapability(access, tt.method)
		var capErr *capabilityError
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v, want allowed", tt.method, err)
		case tt.want != "" && (!errors.As(err, &capErr) || capErr.required != tt.want):
			t.Errorf("%s: err = %v, want a refusal naming %s", tt.method, err, tt.want)
		}
	}
}

// TestGrantAssignment checks the no-escalation rule at the function level:
// through the API only organization owners and admins manage grants, and
// they hold admin on every server, so it never refuses them.
func TestGrantAssignment(t *testing.T) {
	t.Parallel()
	for _, actorRole := range []AccessRole{api.ServerRoleNone, api.ServerRoleViewer, api.ServerRoleUser, api.ServerRoleAdmin} {
		for _, target := range grantRoles {
			err := authorizeGrantAssignment(serverAccess{role: actorRole}, target)
			if want := serverRoleRank[target] <= serverRoleRank[actorRole]; (err == nil) != want {
				t.Errorf("server role %s granting %s: err = %v, want allowed = %v", actorRole, target, err, want)
			}
			var permErr *permissionError
			if err != nil && (!errors.As(err, &permErr) || permErr.requiredRole != string(target) || permErr.scope != scopeServer) {
				t.Errorf("server role %s granting %s: err = %#v, want a server-role refusal requiring %s", actorRole, target, err, target)
			}
		}
	}
	for _, orgRole := range []Role{api.RoleAdmin, api.RoleOwner} {
		access := effectiveServerAccess(Actor{Role: orgRole}, Organization{DefaultServerRole: api.ServerRoleNone}, nil)
		if err := authorizeGrantAssignment(access, api.ServerRoleAdmin); err != nil {
			t.Errorf("organization %s may not grant admin: %v", orgRole, err)
		}
	}
}

func TestCapabilitySet(t *testing.T) {
	t.Parallel()
	set := Capability(api.CapabilityPrompts).bit() | Capability(api.CapabilityTools).bit()
	if got := set.String(); got != "tools, prompts" {
		t.Errorf("String() = %q", got)
	}
	if !set.Has(api.CapabilityTools) || set.Has(api.CapabilityResources) || set.Has("unknown") {
		t.Errorf("Has is wrong for %s", set)
	}
	if got := AllCapabilities.List(); len(got) != 3 || got[0] != api.CapabilityTools || got[1] != api.CapabilityResources || got[2] != api.CapabilityPrompts {
		t.Errorf("AllCapabilities.List() = %v", got)
	}
	if got := CapabilitySet(0).String(); got != "none" {
		t.Errorf("empty set String() = %q", got)
	}
}
