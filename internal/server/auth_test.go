package server

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestPermissions runs every operation of this slice as each organization
// role, against fresh targets created by the owner.
func TestPermissions(t *testing.T) {
	e := newTestEnv(t)
	actors := map[Role]*apiClient{}
	for _, role := range []Role{RoleViewer, RoleMember, RoleAdmin, RoleOwner} {
		actors[role] = e.actor(role)
	}
	target := 0
	newTarget := func() string {
		target++
		return e.createSA(fmt.Sprintf("target-%d", target), RoleViewer)
	}

	everyone := []Role{RoleViewer, RoleMember, RoleAdmin, RoleOwner}
	managers := []Role{RoleAdmin, RoleOwner}
	operations := []struct {
		name    string
		allowed []Role
		status  int // on success
		run     func(c *apiClient) response
	}{
		{"read organization", everyone, http.StatusOK, func(c *apiClient) response {
			return c.do(http.MethodGet, "/api/v0/organizations/current", nil)
		}},
		{"list servers", everyone, http.StatusOK, func(c *apiClient) response {
			return c.do(http.MethodGet, "/api/v0/organizations/current/servers", nil)
		}},
		{"list service accounts", everyone, http.StatusOK, func(c *apiClient) response { return c.do(http.MethodGet, saCollection, nil) }},
		{"read service account", everyone, http.StatusOK, func(c *apiClient) response { return c.do(http.MethodGet, saPath(newTarget()), nil) }},
		{"list keys", everyone, http.StatusOK, func(c *apiClient) response {
			sa := newTarget()
			e.createKey(sa, "k")
			return c.do(http.MethodGet, saPath(sa, "/api-keys"), nil)
		}},
		{"read key", everyone, http.StatusOK, func(c *apiClient) response {
			sa := newTarget()
			return c.do(http.MethodGet, keyPath(sa, e.createKey(sa, "k").ID), nil)
		}},
		{"create service account", managers, http.StatusCreated, func(c *apiClient) response {
			target++
			return c.do(http.MethodPost, saCollection, map[string]any{"name": fmt.Sprintf("created-%d", target)})
		}},
		{"update service account", managers, http.StatusOK, func(c *apiClient) response {
			return c.do(http.MethodPatch, saPath(newTarget()), map[string]any{"description": "changed"})
		}},
		{"delete service account", managers, http.StatusNoContent, func(c *apiClient) response {
			return c.do(http.MethodDelete, saPath(newTarget()), nil)
		}},
		{"create key", managers, http.StatusCreated, func(c *apiClient) response {
			return c.do(http.MethodPost, saPath(newTarget(), "/api-keys"), map[string]any{"name": "k"})
		}},
		{"rename key", managers, http.StatusOK, func(c *apiClient) response {
			sa := newTarget()
			return c.do(http.MethodPatch, keyPath(sa, e.createKey(sa, "k").ID), map[string]any{"name": "renamed"})
		}},
		{"revoke key", managers, http.StatusOK, func(c *apiClient) response {
			sa := newTarget()
			return c.do(http.MethodDelete, keyPath(sa, e.createKey(sa, "k").ID), nil)
		}},
		{"create server", managers, http.StatusCreated, func(c *apiClient) response {
			target++
			return c.do(http.MethodPost, "/api/v0/organizations/current/servers",
				map[string]any{"name": fmt.Sprintf("S%d", target), "slug": fmt.Sprintf("s%d", target)})
		}},
	}
	for _, op := range operations {
		for _, role := range everyone {
			t.Run(op.name+"/"+string(role), func(t *testing.T) {
				res := op.run(actors[role])
				if slices.Contains(op.allowed, role) {
					res.want(op.status)
					return
				}
				res.wantError(http.StatusForbidden, "permission_denied", map[string]any{"actor_role": role, "required_role": RoleAdmin})
			})
		}
	}
}

func TestRoleAssignment(t *testing.T) {
	roles := []Role{RoleViewer, RoleMember, RoleAdmin, RoleOwner}
	for _, actorRole := range roles {
		for _, target := range roles {
			err := authorizeRoleAssignment(Actor{Role: actorRole}, target)
			if want := roleRank[target] <= roleRank[actorRole]; (err == nil) != want {
				t.Errorf("%s assigning %s: err = %v, want allowed = %v", actorRole, target, err, want)
			}
		}
	}
	if err := authorizeRoleAssignment(Actor{Role: "unknown"}, RoleViewer); err == nil {
		t.Error("an actor without a known role may assign a role")
	}
	if err := authorize(Actor{Role: "unknown"}, actionRead); err == nil {
		t.Error("an actor without a known role may read")
	}
}

func TestAdminManagesAdmins(t *testing.T) {
	e := newTestEnv(t)
	admin := e.actor(RoleAdmin)
	var sa serviceAccountJSON
	admin.do(http.MethodPost, saCollection, map[string]any{"name": "peer", "role": "admin"}).want(http.StatusCreated).decode(&sa)
	admin.do(http.MethodPatch, saPath(sa.ID), map[string]any{"role": "viewer"}).want(http.StatusOK)
	admin.do(http.MethodPatch, saPath(sa.ID), map[string]any{"role": "admin"}).want(http.StatusOK)
	admin.do(http.MethodPatch, saPath(sa.ID), map[string]any{"role": "owner"}).
		wantError(http.StatusBadRequest, "invalid_request", map[string]any{"field": "role"})
}

func TestRoleChangeTakesEffectOnNextRequest(t *testing.T) {
	e := newTestEnv(t)
	saID := e.createSA("operator", RoleAdmin)
	c := e.client(e.createKey(saID, "k").Secret)
	c.do(http.MethodPost, saCollection, map[string]any{"name": "one"}).want(http.StatusCreated)
	e.owner.do(http.MethodPatch, saPath(saID), map[string]any{"role": "viewer"}).want(http.StatusOK)
	c.do(http.MethodPost, saCollection, map[string]any{"name": "two"}).
		wantError(http.StatusForbidden, "permission_denied", map[string]any{"actor_role": "viewer"})
	var me meJSON
	c.do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK).decode(&me)
	if me.Actor.Role != RoleViewer {
		t.Errorf("role = %s, want viewer", me.Actor.Role)
	}
}

func TestExpiry(t *testing.T) {
	e := newTestEnv(t)
	saID := e.createSA("ci", RoleMember)
	var expiring apiKeyJSON
	e.owner.do(http.MethodPost, saPath(saID, "/api-keys"), map[string]any{"name": "short", "expires_at": "2030-01-02T16:04:05Z"}).
		want(http.StatusCreated).decode(&expiring)
	e.createKey(saID, "long")
	c := e.client(expiring.Secret)
	c.do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK)
	e.owner.do(http.MethodPost, saPath(saID, "/api-keys"), map[string]any{"name": "third"}).
		wantError(http.StatusConflict, "key_limit_exceeded", nil)

	e.clock.Advance(time.Hour - time.Second)
	c.do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK)

	e.clock.Advance(time.Second) // now == expires_at: expired
	res := c.do(http.MethodGet, "/api/v0/me", nil)
	if msg := res.wantError(http.StatusUnauthorized, "unauthenticated", nil).Error.Message; !strings.Contains(msg, "expired") {
		t.Errorf("message %q does not say the key expired", msg)
	}
	var got apiKeyJSON
	e.owner.do(http.MethodGet, keyPath(saID, expiring.ID), nil).want(http.StatusOK).decode(&got)
	if got.Status != KeyExpired {
		t.Errorf("status = %s, want expired", got.Status)
	}
	e.owner.do(http.MethodPost, saPath(saID, "/api-keys"), map[string]any{"name": "third"}).want(http.StatusCreated)
}

func TestRevocationIsImmediate(t *testing.T) {
	e := newTestEnv(t)
	saID := e.createSA("ci", RoleMember)
	key := e.createKey(saID, "k")
	c := e.client(key.Secret)
	c.do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK)
	e.owner.do(http.MethodDelete, keyPath(saID, key.ID), nil).want(http.StatusOK)
	res := c.do(http.MethodGet, "/api/v0/me", nil)
	if msg := res.wantError(http.StatusUnauthorized, "unauthenticated", nil).Error.Message; !strings.Contains(msg, "revoked") {
		t.Errorf("message %q does not say the key was revoked", msg)
	}
}

func TestRevokingOwnKey(t *testing.T) {
	e := newTestEnv(t)
	saID := e.createSA("self", RoleAdmin)
	key := e.createKey(saID, "k")
	c := e.client(key.Secret)
	c.do(http.MethodDelete, keyPath(saID, key.ID), nil).want(http.StatusOK)
	c.do(http.MethodGet, "/api/v0/me", nil).wantError(http.StatusUnauthorized, "unauthenticated", nil)
}

func TestDisabledAccount(t *testing.T) {
	e := newTestEnv(t)
	saID := e.createSA("ci", RoleMember)
	c := e.client(e.createKey(saID, "k").Secret)
	e.owner.do(http.MethodPatch, saPath(saID), map[string]any{"disabled": true}).want(http.StatusOK)
	res := c.do(http.MethodGet, "/api/v0/me", nil)
	if msg := res.wantError(http.StatusUnauthorized, "unauthenticated", nil).Error.Message; !strings.Contains(msg, "disabled") {
		t.Errorf("message %q does not say the account is disabled", msg)
	}
	e.owner.do(http.MethodPatch, saPath(saID), map[string]any{"disabled": false}).want(http.StatusOK)
	c.do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK)
}

func TestDeletedAccount(t *testing.T) {
	e := newTestEnv(t)
	saID := e.createSA("ci", RoleMember)
	key := e.createKey(saID, "k")
	c := e.client(key.Secret)
	c.do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK)
	e.owner.do(http.MethodDelete, saPath(saID), nil).want(http.StatusNoContent)
	c.do(http.MethodGet, "/api/v0/me", nil).wantError(http.StatusUnauthorized, "unauthenticated", nil)
	e.owner.do(http.MethodGet, keyPath(saID, key.ID), nil).wantError(http.StatusNotFound, "not_found", map[string]any{"resource": "service_account"})
	for _, k := range e.srv.Store().Snapshot().APIKeys {
		if k.OwnerID == saID && k.Status(e.clock.Now()) != KeyRevoked {
			t.Errorf("key %s of the deleted account is %s", k.ID, k.Status(e.clock.Now()))
		}
	}
}

func TestLastUsedIsCoarse(t *testing.T) {
	e := newTestEnv(t)
	saID := e.createSA("ci", RoleMember)
	key := e.createKey(saID, "k")
	c := e.client(key.Secret)
	lastUsed := func() string {
		var got apiKeyJSON
		e.owner.do(http.MethodGet, keyPath(saID, key.ID), nil).want(http.StatusOK).decode(&got)
		return deref(got.LastUsedAt)
	}
	if got := lastUsed(); got != "<null>" {
		t.Fatalf("unused key has last_used_at %s", got)
	}
	c.do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK)
	if got := lastUsed(); got != "2030-01-02T15:04:05Z" {
		t.Fatalf("last_used_at = %s after first use", got)
	}
	e.clock.Advance(59 * time.Second)
	c.do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK)
	if got := lastUsed(); got != "2030-01-02T15:04:05Z" {
		t.Errorf("last_used_at = %s, want it unchanged within a minute", got)
	}
	e.clock.Advance(time.Second)
	c.do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK)
	if got := lastUsed(); got != "2030-01-02T15:05:05Z" {
		t.Errorf("last_used_at = %s, want it updated after a minute", got)
	}
}
