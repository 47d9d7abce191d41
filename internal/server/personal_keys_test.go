package server

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

const personalKeys = "/api/v0/me/api-keys"

// addUser adds a user to the seeded organization and returns a client that
// acts as the user.
func (e *testEnv) addUser(name string, role Role) *apiClient {
	e.t.Helper()
	_, secret, err := e.srv.AddUser(name, role)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.client(secret)
}

func TestPersonalKeyLifecycle(t *testing.T) {
	e := newTestEnv(t)
	me := e.mustMe()

	// The owner's bootstrap key is its first personal key.
	var list apiKeyListJSON
	e.owner.do(http.MethodGet, personalKeys, nil).want(http.StatusOK).decode(&list)
	if len(list.APIKeys) != 1 || list.APIKeys[0].Name != "bootstrap" || list.APIKeys[0].UserID != me.Actor.ID || list.APIKeys[0].ServiceAccountID != "" {
		t.Fatalf("personal keys = %+v, want the bootstrap key, owned by the user", list.APIKeys)
	}

	var key api.Key
	res := e.owner.do(http.MethodPost, personalKeys, map[string]any{"name": "laptop", "ttl_seconds": 86400}).want(http.StatusCreated)
	res.decode(&key)
	if !strings.HasPrefix(key.Secret, "fmcp_") || key.UserID != me.Actor.ID || deref(key.ExpiresAt) != "2030-01-03T15:04:05Z" {
		t.Fatalf("created = %+v", key)
	}
	if strings.Contains(string(res.body), `"service_account_id"`) {
		t.Errorf("a personal key names a service account: %s", res.body)
	}
	var got api.Key
	e.owner.do(http.MethodGet, personalKeys+"/"+key.ID, nil).want(http.StatusOK).decode(&got)
	if got.Secret != "" || got.Name != "laptop" {
		t.Errorf("GET = %+v; the secret is shown once", got)
	}

	// The key acts as its user, with the user's current access.
	laptop := e.client(key.Secret)
	var who api.Me
	laptop.do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK).decode(&who)
	if who.Actor.ID != me.Actor.ID || who.Actor.Type != api.ActorUser {
		t.Errorf("the personal key acts as %+v", who.Actor)
	}

	// PATCH: rename, expiry only forward, as for service-account keys.
	e.owner.do(http.MethodPatch, personalKeys+"/"+key.ID, map[string]any{"name": "old laptop", "expires_at": "2030-01-02T18:00:00Z"}).
		want(http.StatusOK).decode(&got)
	if got.Name != "old laptop" || deref(got.ExpiresAt) != "2030-01-02T18:00:00Z" {
		t.Errorf("after PATCH: %+v (expires %s)", got, deref(got.ExpiresAt))
	}
	e.owner.do(http.MethodPatch, personalKeys+"/"+key.ID, map[string]any{"expires_at": "2031-01-01T00:00:00Z"}).
		wantError(http.StatusBadRequest, "invalid_request", map[string]any{"field": "expires_at"})

	// Revocation is immediate.
	e.owner.do(http.MethodDelete, personalKeys+"/"+key.ID, nil).want(http.StatusOK).decode(&got)
	if got.Status != api.KeyStatusRevoked {
		t.Errorf("after DELETE: status %s", got.Status)
	}
	laptop.do(http.MethodGet, "/api/v0/me", nil).wantError(http.StatusUnauthorized, "unauthenticated", nil)
}

func TestPersonalKeysCarryTheUsersAccess(t *testing.T) {
	e := newTestEnv(t)
	member := e.addUser("Mia", api.RoleMember)
	var key api.Key
	member.do(http.MethodPost, personalKeys, map[string]any{"name": "cli"}).want(http.StatusCreated).decode(&key)
	cli := e.client(key.Secret)
	cli.do(http.MethodGet, saCollection, nil).want(http.StatusOK)
	// A member may not manage service accounts, with any of its keys.
	cli.do(http.MethodPost, saCollection, map[string]any{"name": "nope"}).
		wantError(http.StatusForbidden, "permission_denied", map[string]any{"actor_role": "member", "required_role": "admin"})
	// A user sees only its own personal keys.
	var list apiKeyListJSON
	cli.do(http.MethodGet, personalKeys, nil).want(http.StatusOK).decode(&list)
	if len(list.APIKeys) != 2 {
		t.Errorf("Mia sees %d personal keys, want her 2", len(list.APIKeys))
	}
	e.owner.do(http.MethodGet, personalKeys+"/"+key.ID, nil).wantError(http.StatusNotFound, "not_found", map[string]any{"resource": "api_key"})
}

func TestPersonalKeysBelongToUsers(t *testing.T) {
	e := newTestEnv(t)
	admin := e.actor(api.RoleAdmin)
	msg := admin.do(http.MethodGet, personalKeys, nil).
		wantError(http.StatusForbidden, "permission_denied", map[string]any{"actor_type": "service_account", "required_actor_type": "user"}).Error.Message
	if !strings.Contains(msg, "personal API keys belong to users") {
		t.Errorf("message = %q", msg)
	}
	admin.do(http.MethodPost, personalKeys, map[string]any{"name": "k"}).wantError(http.StatusForbidden, "permission_denied", nil)

	// A service account's key is not reachable as a personal key, nor the reverse.
	saKey := e.createKey(admin.saID, "second")
	e.owner.do(http.MethodGet, personalKeys+"/"+saKey.ID, nil).wantError(http.StatusNotFound, "not_found", nil)
	var mine api.Key
	e.owner.do(http.MethodPost, personalKeys, map[string]any{"name": "mine"}).want(http.StatusCreated).decode(&mine)
	e.owner.do(http.MethodGet, keyPath(admin.saID, mine.ID), nil).wantError(http.StatusNotFound, "not_found", nil)
}

func TestPersonalKeyCap(t *testing.T) {
	e := newTestEnv(t)
	// The bootstrap key is the first of the owner's ten.
	for i := 2; i <= api.MaxActivePersonalKeysPerUser; i++ {
		e.owner.do(http.MethodPost, personalKeys, map[string]any{"name": fmt.Sprintf("k%d", i)}).want(http.StatusCreated)
	}
	e.owner.do(http.MethodPost, personalKeys, map[string]any{"name": "one too many"}).
		wantError(http.StatusConflict, "key_limit_exceeded", map[string]any{"limit": api.MaxActivePersonalKeysPerUser, "user_id": e.mustMe().Actor.ID})
}

func TestPersonalKeyCreatesAreIdempotent(t *testing.T) {
	e := newTestEnv(t)
	var first, second api.Key
	e.owner.do(http.MethodPost, personalKeys, map[string]any{"name": "ci"}, "Idempotency-Key", "k-1").want(http.StatusCreated).decode(&first)
	res := e.owner.do(http.MethodPost, personalKeys, map[string]any{"name": "ci"}, "Idempotency-Key", "k-1").want(http.StatusCreated)
	res.decode(&second)
	if res.header.Get("Idempotent-Replayed") != "true" || second.ID != first.ID || second.Secret != first.Secret {
		t.Errorf("a retried create made %s, want the replay of %s", second.ID, first.ID)
	}
}

func TestOrganizationDefaultServerRole(t *testing.T) {
	e := newTestEnv(t)
	// A member service account without grants discovers nothing while the default is none.
	member := e.actor(api.RoleMember)
	var servers serverListJSON
	member.do(http.MethodGet, serverCollection, nil).want(http.StatusOK).decode(&servers)
	if len(servers.Servers) != 0 {
		t.Fatalf("with default none, a member without grants sees %d servers", len(servers.Servers))
	}

	var org api.Organization
	e.owner.do(http.MethodPatch, "/api/v0/organizations/current", map[string]any{"default_server_role": "viewer"}).want(http.StatusOK).decode(&org)
	if org.DefaultServerRole != api.ServerRoleViewer {
		t.Fatalf("default_server_role = %s", org.DefaultServerRole)
	}
	// The very next request is evaluated with the new role.
	member.do(http.MethodGet, serverCollection, nil).want(http.StatusOK).decode(&servers)
	if len(servers.Servers) != 3 {
		t.Errorf("with default viewer, a member sees %d servers, want the 3 seeded", len(servers.Servers))
	}

	for body, field := range map[string]string{
		`{"default_server_role": "admin"}`: "default_server_role",
		`{"default_server_role": 1}`:       "default_server_role",
		`{"name": "Other"}`:                "name",
	} {
		e.owner.do(http.MethodPatch, "/api/v0/organizations/current", body).
			wantError(http.StatusBadRequest, "invalid_request", map[string]any{"field": field})
	}
	member.do(http.MethodPatch, "/api/v0/organizations/current", map[string]any{"default_server_role": "user"}).
		wantError(http.StatusForbidden, "permission_denied", map[string]any{"actor_role": "member", "required_role": "admin"})
	e.owner.do(http.MethodGet, "/api/v0/organizations/current", nil).want(http.StatusOK).decode(&org)
	if org.DefaultServerRole != api.ServerRoleViewer {
		t.Errorf("refused PATCHes changed default_server_role to %s", org.DefaultServerRole)
	}
}
