package server

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

func TestRoleAssignment(t *testing.T) {
	roles := []Role{api.RoleViewer, api.RoleMember, api.RoleAdmin, api.RoleOwner}
	for _, actorRole := range roles {
		for _, target := range roles {
			err := authorizeRoleAssignment(Actor{Role: actorRole}, target)
			if want := roleRank[target] <= roleRank[actorRole]; (err == nil) != want {
				t.Errorf("%s assigning %s: err = %v, want allowed = %v", actorRole, target, err, want)
			}
		}
	}
	if err := authorizeRoleAssignment(Actor{Role: "unknown"}, api.RoleViewer); err == nil {
		t.Error("an actor without a known role may assign a role")
	}
	if err := authorize(Actor{Role: "unknown"}, actionRead); err == nil {
		t.Error("an actor without a known role may read")
	}
}

func TestAdminManagesAdmins(t *testing.T) {
	e := newTestEnv(t)
	admin := e.actor(api.RoleAdmin)
	var sa api.ServiceAccount
	admin.do(http.MethodPost, saCollection, map[string]any{"name": "peer", "role": "admin"}).want(http.StatusCreated).decode(&sa)
	admin.do(http.MethodPatch, saPath(sa.ID), map[string]any{"role": "viewer"}).want(http.StatusOK)
	admin.do(http.MethodPatch, saPath(sa.ID), map[string]any{"role": "admin"}).want(http.StatusOK)
	admin.do(http.MethodPatch, saPath(sa.ID), map[string]any{"role": "owner"}).
		wantError(http.StatusBadRequest, "invalid_request", map[string]any{"field": "role"})
}

func TestRoleChangeTakesEffectOnNextRequest(t *testing.T) {
	e := newTestEnv(t)
	saID := e.createSA("operator", api.RoleAdmin)
	c := e.client(e.createKey(saID, "k").Secret)
	c.do(http.MethodPost, saCollection, map[string]any{"name": "one"}).want(http.StatusCreated)
	e.owner.do(http.MethodPatch, saPath(saID), map[string]any{"role": "viewer"}).want(http.StatusOK)
	c.do(http.MethodPost, saCollection, map[string]any{"name": "two"}).
		wantError(http.StatusForbidden, "permission_denied", map[string]any{"actor_role": "viewer"})
	var me api.Me
	c.do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK).decode(&me)
	if me.Actor.Role != api.RoleViewer {
		t.Errorf("role = %s, want viewer", me.Actor.Role)
	}
}

func TestExpiry(t *testing.T) {
	e := newTestEnv(t)
	saID := e.createSA("ci", api.RoleMember)
	var expiring api.Key
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
	var got api.Key
	e.owner.do(http.MethodGet, keyPath(saID, expiring.ID), nil).want(http.StatusOK).decode(&got)
	if got.Status != api.KeyStatusExpired {
		t.Errorf("status = %s, want expired", got.Status)
	}
	e.owner.do(http.MethodPost, saPath(saID, "/api-keys"), map[string]any{"name": "third"}).want(http.StatusCreated)
}

func TestRevocationIsImmediate(t *testing.T) {
	e := newTestEnv(t)
	saID := e.createSA("ci", api.RoleMember)
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
	saID := e.createSA("self", api.RoleAdmin)
	key := e.createKey(saID, "k")
	c := e.client(key.Secret)
	c.do(http.MethodDelete, keyPath(saID, key.ID), nil).want(http.StatusOK)
	c.do(http.MethodGet, "/api/v0/me", nil).wantError(http.StatusUnauthorized, "unauthenticated", nil)
}

func TestDisabledAccount(t *testing.T) {
	e := newTestEnv(t)
	saID := e.createSA("ci", api.RoleMember)
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
	saID := e.createSA("ci", api.RoleMember)
	key := e.createKey(saID, "k")
	c := e.client(key.Secret)
	c.do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK)
	e.owner.do(http.MethodDelete, saPath(saID), nil).want(http.StatusNoContent)
	c.do(http.MethodGet, "/api/v0/me", nil).wantError(http.StatusUnauthorized, "unauthenticated", nil)
	e.owner.do(http.MethodGet, keyPath(saID, key.ID), nil).wantError(http.StatusNotFound, "not_found", map[string]any{"resource": "service_account"})
	for _, k := range e.srv.Store().Snapshot().APIKeys {
		if k.OwnerID == saID && k.Status(e.clock.Now()) != api.KeyStatusRevoked {
			t.Errorf("key %s of the deleted account is %s", k.ID, k.Status(e.clock.Now()))
		}
	}
}

func TestLastUsedIsCoarse(t *testing.T) {
	e := newTestEnv(t)
	saID := e.createSA("ci", api.RoleMember)
	key := e.createKey(saID, "k")
	c := e.client(key.Secret)
	lastUsed := func() string {
		var got api.Key
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

// TestTwoAuthorizationHeaders: the first header used to win, so a proxy that
// checked the last one and the server could act for different callers. Two
// are a 400 on the API and the MCP endpoint, whichever key comes first.
func TestTwoAuthorizationHeaders(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	viewer := e.actor(api.RoleViewer)
	weather := e.serverID("weather")
	for _, keys := range [][2]string{{e.srv.BootstrapKey(), viewer.key}, {viewer.key, e.srv.BootstrapKey()}, {"x", e.srv.BootstrapKey()}} {
		for _, target := range []struct{ method, path, body string }{
			{http.MethodGet, "/api/v0/me", ""},
			{http.MethodPost, saCollection, `{"name":"smuggled","role":"admin"}`},
			{http.MethodPost, mcpPathPrefix + weather, `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`},
		} {
			req, err := http.NewRequest(target.method, e.srv.URL()+target.path, strings.NewReader(target.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Add("Authorization", "Bearer "+keys[0])
			req.Header.Add("Authorization", "Bearer "+keys[1])
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", mcpAccept)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "Authorization") {
				t.Errorf("%s %s: status %d, body %s; want 400 naming Authorization", target.method, target.path, resp.StatusCode, body)
			}
			for _, key := range keys {
				if len(key) > 8 && strings.Contains(string(body), key) {
					t.Errorf("the refusal quotes a key: %s", body)
				}
			}
		}
	}
	for _, sa := range e.srv.Store().Snapshot().ServiceAccounts {
		if sa.Name == "smuggled" {
			t.Error("a request with two Authorization headers created a service account")
		}
	}
}
