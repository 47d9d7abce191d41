package server

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

func TestSeed(t *testing.T) {
	e := newTestEnv(t)
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+$`).MatchString(e.srv.URL()) {
		t.Errorf("URL() = %q", e.srv.URL())
	}
	if !regexp.MustCompile(`^org_[a-z2-7]{16}$`).MatchString(e.srv.OrganizationID()) {
		t.Errorf("OrganizationID() = %q", e.srv.OrganizationID())
	}
	if !strings.HasPrefix(e.srv.BootstrapKey(), "fmcp_") || len(e.srv.BootstrapKey()) != 48 {
		t.Errorf("BootstrapKey() = %q, want fmcp_ and 43 characters", e.srv.BootstrapKey())
	}

	var me api.Me
	e.owner.do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK).decode(&me)
	if me.Actor.Type != api.ActorUser || me.Actor.Role != api.RoleOwner || me.Actor.OrganizationID != e.srv.OrganizationID() ||
		!strings.HasPrefix(me.Actor.ID, "usr_") {
		t.Errorf("actor = %+v", me.Actor)
	}
	if len(me.Organizations) != 1 || me.Organizations[0].ID != e.srv.OrganizationID() || me.Organizations[0].DefaultServerRole != "none" {
		t.Errorf("organizations = %+v", me.Organizations)
	}

	for _, org := range []string{"current", e.srv.OrganizationID()} {
		var got api.Organization
		e.owner.do(http.MethodGet, "/api/v0/organizations/"+org, nil).want(http.StatusOK).decode(&got)
		want := api.Organization{ID: e.srv.OrganizationID(), Name: "Acme", DefaultServerRole: "none", CreatedAt: "2030-01-02T15:04:05Z"}
		if got != want {
			t.Errorf("GET organization %s = %+v, want %+v", org, got, want)
		}
	}

	var list serverListJSON
	e.owner.do(http.MethodGet, "/api/v0/organizations/current/servers", nil).want(http.StatusOK).decode(&list)
	var slugs []string
	for _, srv := range list.Servers {
		slugs = append(slugs, srv.Slug)
		if srv.URL != e.srv.URL()+"/mcp/"+srv.ID {
			t.Errorf("server %s url = %q", srv.Slug, srv.URL)
		}
		var one api.Server
		e.owner.do(http.MethodGet, "/api/v0/organizations/current/servers/"+srv.ID, nil).want(http.StatusOK).decode(&one)
		if one != srv {
			t.Errorf("GET server = %+v, want %+v", one, srv)
		}
	}
	slices.Sort(slugs)
	if strings.Join(slugs, ",") != "internal-tools,search,weather" {
		t.Errorf("slugs = %v", slugs)
	}
}

func TestServiceAccountLifecycle(t *testing.T) {
	e := newTestEnv(t)

	// No role in the request: the account gets the least privilege, viewer.
	var sa api.ServiceAccount
	e.owner.do(http.MethodPost, saCollection, map[string]any{"name": "ci-deployer", "description": "deploys"}).
		want(http.StatusCreated).decode(&sa)
	want := api.ServiceAccount{
		ID: sa.ID, OrganizationID: e.srv.OrganizationID(), Name: "ci-deployer", Description: "deploys",
		Role: api.RoleViewer, CreatedAt: "2030-01-02T15:04:05Z", UpdatedAt: "2030-01-02T15:04:05Z",
	}
	if sa != want || !regexp.MustCompile(`^sa_[a-z2-7]{16}$`).MatchString(sa.ID) {
		t.Fatalf("created %+v, want %+v", sa, want)
	}
	var got api.ServiceAccount
	e.owner.do(http.MethodGet, saPath(sa.ID), nil).want(http.StatusOK).decode(&got)
	if got != want {
		t.Errorf("GET = %+v, want %+v", got, want)
	}

	e.clock.Advance(time.Minute)
	e.owner.do(http.MethodPatch, saPath(sa.ID), map[string]any{"name": "ci", "description": "", "role": "admin", "disabled": true}).
		want(http.StatusOK).decode(&got)
	want.Name, want.Description, want.Role, want.Disabled, want.UpdatedAt = "ci", "", api.RoleAdmin, true, "2030-01-02T15:05:05Z"
	if got != want {
		t.Errorf("PATCH = %+v, want %+v", got, want)
	}

	e.clock.Advance(time.Minute)
	e.owner.do(http.MethodPatch, saPath(sa.ID), map[string]any{"name": "ci"}).want(http.StatusOK).decode(&got)
	if got.UpdatedAt != want.UpdatedAt {
		t.Errorf("a PATCH that changes nothing moved updated_at to %s", got.UpdatedAt)
	}

	res := e.owner.do(http.MethodDelete, saPath(sa.ID), nil).want(http.StatusNoContent)
	if len(res.body) != 0 {
		t.Errorf("DELETE body = %q, want none", res.body)
	}
	e.owner.do(http.MethodGet, saPath(sa.ID), nil).wantError(http.StatusNotFound, "not_found", map[string]any{"resource": "service_account"})
	e.owner.do(http.MethodDelete, saPath(sa.ID), nil).wantError(http.StatusNotFound, "not_found", map[string]any{"resource": "service_account"})
	e.createSA("ci", api.RoleViewer) // the name is free again
}

func TestCreateServiceAccountWithKey(t *testing.T) {
	e := newTestEnv(t)
	var created api.CreatedServiceAccount
	e.owner.do(http.MethodPost, saCollection, map[string]any{"name": "ui", "create_key": true}).want(http.StatusCreated).decode(&created)
	if created.APIKey == nil || created.APIKey.Secret == "" || created.APIKey.ServiceAccountID != created.ID {
		t.Fatalf("created = %+v", created)
	}
	var me api.Me
	e.client(created.APIKey.Secret).do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK).decode(&me)
	if me.Actor.ID != created.ID || me.Actor.Type != api.ActorServiceAccount || me.Actor.Role != api.RoleViewer {
		t.Errorf("actor = %+v", me.Actor)
	}

	res := e.owner.do(http.MethodPost, saCollection, map[string]any{"name": "plain"}).want(http.StatusCreated)
	if strings.Contains(string(res.body), "api_key") {
		t.Errorf("create without create_key returned a key: %s", res.body)
	}
}

func TestAPIKeyLifecycle(t *testing.T) {
	e := newTestEnv(t)
	saID := e.createSA("ci", api.RoleMember)

	var key api.Key
	e.owner.do(http.MethodPost, saPath(saID, "/api-keys"), map[string]any{"name": "primary", "expires_at": "2030-02-01T00:00:00+01:00"}).
		want(http.StatusCreated).decode(&key)
	if !regexp.MustCompile(`^fmcp_[A-Za-z0-9_-]{43}$`).MatchString(key.Secret) {
		t.Fatalf("secret = %q", key.Secret)
	}
	random := strings.TrimPrefix(key.Secret, "fmcp_")
	wantKey := api.Key{
		ID: key.ID, OrganizationID: e.srv.OrganizationID(), ServiceAccountID: saID, Name: "primary",
		MaskedSecret: "fmcp_" + random[:4] + "..." + random[39:], Status: api.KeyStatusActive,
		CreatedAt: "2030-01-02T15:04:05Z", ExpiresAt: ptr("2030-01-31T23:00:00Z"), Secret: key.Secret,
	}
	assertKey(t, key, wantKey)

	wantKey.Secret = ""
	var got api.Key
	res := e.owner.do(http.MethodGet, keyPath(saID, key.ID), nil).want(http.StatusOK)
	res.decode(&got)
	assertKey(t, got, wantKey)
	var fields map[string]any
	res.decode(&fields)
	if _, ok := fields["secret"]; ok {
		t.Errorf("GET returned a secret: %s", res.body)
	}

	e.owner.do(http.MethodPatch, keyPath(saID, key.ID), map[string]any{"name": "renamed"}).want(http.StatusOK).decode(&got)
	wantKey.Name = "renamed"
	assertKey(t, got, wantKey)

	second := e.createKey(saID, "secondary")
	var list apiKeyListJSON
	e.owner.do(http.MethodGet, saPath(saID, "/api-keys"), nil).want(http.StatusOK).decode(&list)
	if len(list.APIKeys) != 2 || list.APIKeys[0].ID > list.APIKeys[1].ID {
		t.Fatalf("list = %+v, want two keys ordered by created_at, id", list.APIKeys)
	}

	e.clock.Advance(time.Second)
	e.owner.do(http.MethodDelete, keyPath(saID, second.ID), nil).want(http.StatusOK).decode(&got)
	if got.Status != api.KeyStatusRevoked || got.RevokedAt == nil || *got.RevokedAt != "2030-01-02T15:04:06Z" {
		t.Fatalf("revoked = %+v", got)
	}
	e.clock.Advance(time.Second)
	e.owner.do(http.MethodDelete, keyPath(saID, second.ID), nil).want(http.StatusOK).decode(&got)
	if *got.RevokedAt != "2030-01-02T15:04:06Z" {
		t.Errorf("revoking twice moved revoked_at to %s", *got.RevokedAt)
	}
	e.owner.do(http.MethodGet, saPath(saID, "/api-keys"), nil).want(http.StatusOK).decode(&list)
	if len(list.APIKeys) != 2 {
		t.Errorf("revoked keys must stay listed, got %d keys", len(list.APIKeys))
	}
}

func assertKey(t *testing.T, got, want api.Key) {
	t.Helper()
	if got.ID != want.ID || got.OrganizationID != want.OrganizationID || got.ServiceAccountID != want.ServiceAccountID ||
		got.Name != want.Name || got.MaskedSecret != want.MaskedSecret || got.Status != want.Status ||
		got.CreatedAt != want.CreatedAt || deref(got.ExpiresAt) != deref(want.ExpiresAt) ||
		deref(got.RevokedAt) != deref(want.RevokedAt) || got.Secret != want.Secret {
		t.Errorf("key = %+v (expires %s), want %+v (expires %s)", got, deref(got.ExpiresAt), want, deref(want.ExpiresAt))
	}
}

func ptr[T any](v T) *T { return &v }

func deref(s *string) string {
	if s == nil {
		return "<null>"
	}
	return *s
}

func TestCreateServer(t *testing.T) {
	e := newTestEnv(t)
	var srv api.Server
	e.owner.do(http.MethodPost, "/api/v0/organizations/current/servers", map[string]any{"name": "Billing", "slug": "billing"}).
		want(http.StatusCreated).decode(&srv)
	if srv.URL != e.srv.URL()+"/mcp/"+srv.ID || srv.Slug != "billing" || !strings.HasPrefix(srv.ID, "srv_") {
		t.Errorf("created %+v", srv)
	}
	var list serverListJSON
	e.owner.do(http.MethodGet, "/api/v0/organizations/current/servers", nil).want(http.StatusOK).decode(&list)
	if len(list.Servers) != 4 {
		t.Errorf("%d servers, want 4", len(list.Servers))
	}
}

func TestListServiceAccountsOrder(t *testing.T) {
	e := newTestEnv(t)
	var want []string
	for _, name := range []string{"c", "a", "b"} {
		want = append(want, e.createSA(name, api.RoleViewer))
		e.clock.Advance(time.Second)
	}
	var list serviceAccountListJSON
	e.owner.do(http.MethodGet, saCollection, nil).want(http.StatusOK).decode(&list)
	var got []string
	for _, sa := range list.ServiceAccounts {
		got = append(got, sa.ID)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("order = %v, want creation order %v", got, want)
	}

	empty := newTestEnv(t)
	res := empty.owner.do(http.MethodGet, saCollection, nil).want(http.StatusOK)
	if strings.TrimSpace(string(res.body)) != `{"service_accounts":[]}` {
		t.Errorf("empty list = %s", res.body)
	}
}

// TestErrorResponses walks the status codes of API.md for each endpoint,
// checking the code and the details a client relies on.
func TestErrorResponses(t *testing.T) {
	e := newTestEnv(t)
	saID := e.createSA("existing", api.RoleMember)
	otherSA := e.createSA("other", api.RoleMember)
	key := e.createKey(saID, "k1")
	otherKey := e.createKey(otherSA, "k2")
	e.owner.do(http.MethodPost, "/api/v0/organizations/current/servers", map[string]any{"name": "Billing", "slug": "billing"}).want(http.StatusCreated)
	member := e.actor(api.RoleMember)

	revoked := e.createKey(otherSA, "revoked")
	e.owner.do(http.MethodDelete, keyPath(otherSA, revoked.ID), nil).want(http.StatusOK)
	expiringSA := e.createSA("expiring", api.RoleMember)
	var expiring api.Key
	e.owner.do(http.MethodPost, saPath(expiringSA, "/api-keys"), map[string]any{"name": "short", "expires_at": "2030-01-02T15:04:06Z"}).
		want(http.StatusCreated).decode(&expiring)
	disabledSA := e.createSA("disabled", api.RoleMember)
	disabled := e.createKey(disabledSA, "k")
	e.owner.do(http.MethodPatch, saPath(disabledSA), map[string]any{"disabled": true}).want(http.StatusOK)
	deletedSA := e.createSA("deleted", api.RoleMember)
	deleted := e.createKey(deletedSA, "k")
	e.owner.do(http.MethodDelete, saPath(deletedSA), nil).want(http.StatusNoContent)
	e.clock.Advance(time.Second)

	servers := "/api/v0/organizations/current/servers"
	keys := saPath(saID, "/api-keys")
	long := func(n int) string { return strings.Repeat("a", n) }
	field := func(name string) map[string]any { return map[string]any{"field": name} }
	resource := func(name string) map[string]any { return map[string]any{"resource": name} }

	tests := []struct {
		name    string
		key     string // empty: the owner's key
		method  string
		path    string
		body    any
		headers []string
		status  int
		code    string
		details map[string]any
	}{
		{name: "malformed JSON", method: "POST", path: saCollection, body: `{"name":`, status: 400, code: "invalid_request"},
		{name: "invalid JSON token", method: "POST", path: saCollection, body: `{name}`, status: 400, code: "invalid_request"},
		{name: "body not an object", method: "POST", path: saCollection, body: `["a"]`, status: 400, code: "invalid_request"},
		{name: "trailing data", method: "POST", path: saCollection, body: `{"name":"x"} {}`, status: 400, code: "invalid_request"},
		{name: "unknown field", method: "POST", path: saCollection, body: `{"name":"x","nmae":"y"}`, status: 400, code: "invalid_request", details: field("nmae")},
		{name: "wrong type", method: "POST", path: saCollection, body: `{"name":5}`, status: 400, code: "invalid_request", details: field("name")},
		{name: "wrong bool type", method: "POST", path: saCollection, body: `{"name":"x","create_key":"yes"}`, status: 400, code: "invalid_request", details: field("create_key")},
		{name: "sa name missing", method: "POST", path: saCollection, body: `{}`, status: 400, code: "invalid_request", details: field("name")},
		{name: "sa empty body", method: "POST", path: saCollection, body: ``, status: 400, code: "invalid_request", details: field("name")},
		{name: "sa name with space", method: "POST", path: saCollection, body: map[string]any{"name": "a b"}, status: 400, code: "invalid_request", details: field("name")},
		{name: "sa name leading dash", method: "POST", path: saCollection, body: map[string]any{"name": "-a"}, status: 400, code: "invalid_request", details: field("name")},
		{name: "sa name too long", method: "POST", path: saCollection, body: map[string]any{"name": long(65)}, status: 400, code: "invalid_request", details: field("name")},
		{name: "sa description too long", method: "POST", path: saCollection, body: map[string]any{"name": "x", "description": long(1025)}, status: 400, code: "invalid_request", details: field("description")},
		{name: "sa role owner", method: "POST", path: saCollection, body: map[string]any{"name": "x", "role": "owner"}, status: 400, code: "invalid_request", details: field("role")},
		{name: "sa role unknown", method: "POST", path: saCollection, body: map[string]any{"name": "x", "role": "root"}, status: 400, code: "invalid_request", details: field("role")},
		{name: "patch sa name invalid", method: "PATCH", path: saPath(saID), body: map[string]any{"name": ""}, status: 400, code: "invalid_request", details: field("name")},
		{name: "patch sa role empty", method: "PATCH", path: saPath(saID), body: map[string]any{"role": ""}, status: 400, code: "invalid_request", details: field("role")},
		{name: "patch sa disabled type", method: "PATCH", path: saPath(saID), body: `{"disabled":"yes"}`, status: 400, code: "invalid_request", details: field("disabled")},
		{name: "patch sa unknown field", method: "PATCH", path: saPath(saID), body: `{"id":"sa_x"}`, status: 400, code: "invalid_request", details: field("id")},
		{name: "key name missing", method: "POST", path: keys, body: `{}`, status: 400, code: "invalid_request", details: field("name")},
		{name: "key name too long", method: "POST", path: keys, body: map[string]any{"name": long(129)}, status: 400, code: "invalid_request", details: field("name")},
		{name: "key name control character", method: "POST", path: keys, body: map[string]any{"name": "a\x01"}, status: 400, code: "invalid_request", details: field("name")},
		{name: "expires_at not RFC 3339", method: "POST", path: keys, body: map[string]any{"name": "k", "expires_at": "tomorrow"}, status: 400, code: "invalid_request", details: field("expires_at")},
		{name: "expires_at now", method: "POST", path: keys, body: map[string]any{"name": "k", "expires_at": "2030-01-02T15:04:06Z"}, status: 400, code: "invalid_request", details: field("expires_at")},
		{name: "expires_at past", method: "POST", path: keys, body: map[string]any{"name": "k", "expires_at": "2029-01-01T00:00:00Z"}, status: 400, code: "invalid_request", details: field("expires_at")},
		{name: "expires_at fractional", method: "POST", path: keys, body: map[string]any{"name": "k", "expires_at": "2031-01-01T00:00:00.5Z"}, status: 400, code: "invalid_request", details: field("expires_at")},
		{name: "expires_at number", method: "POST", path: keys, body: `{"name":"k","expires_at":5}`, status: 400, code: "invalid_request", details: field("expires_at")},
		{name: "ttl_seconds too short", method: "POST", path: keys, body: map[string]any{"name": "k", "ttl_seconds": 59}, status: 400, code: "invalid_request", details: field("ttl_seconds")},
		{name: "ttl_seconds too long", method: "POST", path: keys, body: map[string]any{"name": "k", "ttl_seconds": 315360001}, status: 400, code: "invalid_request", details: field("ttl_seconds")},
		{name: "ttl_seconds negative", method: "POST", path: keys, body: map[string]any{"name": "k", "ttl_seconds": -60}, status: 400, code: "invalid_request", details: field("ttl_seconds")},
		{name: "ttl_seconds fractional", method: "POST", path: keys, body: `{"name":"k","ttl_seconds":60.5}`, status: 400, code: "invalid_request", details: field("ttl_seconds")},
		{name: "ttl_seconds huge", method: "POST", path: keys, body: `{"name":"k","ttl_seconds":1e400}`, status: 400, code: "invalid_request", details: field("ttl_seconds")},
		{name: "ttl_seconds string", method: "POST", path: keys, body: `{"name":"k","ttl_seconds":"3600"}`, status: 400, code: "invalid_request", details: field("ttl_seconds")},
		{name: "ttl_seconds with expires_at", method: "POST", path: keys, body: map[string]any{"name": "k", "ttl_seconds": 3600, "expires_at": "2031-01-01T00:00:00Z"}, status: 400, code: "invalid_request", details: field("ttl_seconds")},
		{name: "patch key name empty", method: "PATCH", path: keyPath(saID, key.ID), body: map[string]any{"name": ""}, status: 400, code: "invalid_request", details: field("name")},
		{name: "server name missing", method: "POST", path: servers, body: map[string]any{"slug": "x"}, status: 400, code: "invalid_request", details: field("name")},
		{name: "server slug uppercase", method: "POST", path: servers, body: map[string]any{"name": "X", "slug": "Bad"}, status: 400, code: "invalid_request", details: field("slug")},
		{name: "server slug trailing dash", method: "POST", path: servers, body: map[string]any{"name": "X", "slug": "x-"}, status: 400, code: "invalid_request", details: field("slug")},
		{name: "idempotency key too long", method: "POST", path: saCollection, body: map[string]any{"name": "x"}, headers: []string{"Idempotency-Key", long(256)}, status: 400, code: "invalid_request", details: field("Idempotency-Key")},
		{name: "idempotency key not ASCII", method: "POST", path: saCollection, body: map[string]any{"name": "x"}, headers: []string{"Idempotency-Key", "clé"}, status: 400, code: "invalid_request", details: field("Idempotency-Key")},

		{name: "no credentials", key: "-", method: "GET", path: "/api/v0/me", status: 401, code: "unauthenticated"},
		{name: "basic auth", method: "GET", path: "/api/v0/me", headers: []string{"Authorization", "Basic dXNlcjpwYXNz"}, status: 401, code: "unauthenticated"},
		{name: "not a Horizon key", key: "sk_live_abc", method: "GET", path: "/api/v0/me", status: 401, code: "unauthenticated"},
		{name: "unknown key", key: "fmcp_" + long(43), method: "GET", path: "/api/v0/me", status: 401, code: "unauthenticated"},
		{name: "revoked key", key: revoked.Secret, method: "GET", path: "/api/v0/me", status: 401, code: "unauthenticated"},
		{name: "expired key", key: expiring.Secret, method: "GET", path: "/api/v0/me", status: 401, code: "unauthenticated"},
		{name: "disabled account", key: disabled.Secret, method: "GET", path: "/api/v0/me", status: 401, code: "unauthenticated"},
		{name: "deleted account", key: deleted.Secret, method: "GET", path: "/api/v0/me", status: 401, code: "unauthenticated"},
		{name: "unauthenticated before validation", key: "-", method: "POST", path: saCollection, body: `{`, status: 401, code: "unauthenticated"},

		{name: "member creates sa", key: member.key, method: "POST", path: saCollection, body: map[string]any{"name": "x"}, status: 403, code: "permission_denied", details: map[string]any{"actor_role": "member", "required_role": "admin"}},
		{name: "member creates server", key: member.key, method: "POST", path: servers, body: map[string]any{"name": "X", "slug": "x"}, status: 403, code: "permission_denied", details: map[string]any{"actor_role": "member", "required_role": "admin"}},

		{name: "other organization", method: "GET", path: "/api/v0/organizations/org_aaaaaaaaaaaaaaaa", status: 404, code: "not_found", details: resource("organization")},
		{name: "other organization before permission", key: member.key, method: "POST", path: "/api/v0/organizations/org_aaaaaaaaaaaaaaaa/service-accounts", body: `{}`, status: 404, code: "not_found", details: resource("organization")},
		{name: "unknown sa", method: "GET", path: saPath("sa_aaaaaaaaaaaaaaaa"), status: 404, code: "not_found", details: resource("service_account")},
		{name: "patch unknown sa", method: "PATCH", path: saPath("sa_aaaaaaaaaaaaaaaa"), body: `{}`, status: 404, code: "not_found", details: resource("service_account")},
		{name: "keys of unknown sa", method: "GET", path: saPath("sa_aaaaaaaaaaaaaaaa", "/api-keys"), status: 404, code: "not_found", details: resource("service_account")},
		{name: "create key for unknown sa", method: "POST", path: saPath("sa_aaaaaaaaaaaaaaaa", "/api-keys"), body: map[string]any{"name": "k"}, status: 404, code: "not_found", details: resource("service_account")},
		{name: "create key for a user", method: "POST", path: saPath(e.mustMe().Actor.ID, "/api-keys"), body: map[string]any{"name": "k"}, status: 404, code: "not_found", details: resource("service_account")},
		{name: "unknown key", method: "GET", path: keyPath(saID, "key_aaaaaaaaaaaaaaaa"), status: 404, code: "not_found", details: resource("api_key")},
		{name: "key of another sa", method: "GET", path: keyPath(saID, otherKey.ID), status: 404, code: "not_found", details: resource("api_key")},
		{name: "revoke key of another sa", method: "DELETE", path: keyPath(saID, otherKey.ID), status: 404, code: "not_found", details: resource("api_key")},
		{name: "rename unknown key", method: "PATCH", path: keyPath(saID, "key_aaaaaaaaaaaaaaaa"), body: map[string]any{"name": "x"}, status: 404, code: "not_found", details: resource("api_key")},
		{name: "unknown server", method: "GET", path: servers + "/srv_aaaaaaaaaaaaaaaa", status: 404, code: "not_found", details: resource("server")},
		{name: "unknown path", method: "GET", path: "/api/v0/nothing", status: 404, code: "not_found"},
		{name: "method not allowed", method: "PUT", path: "/api/v0/me", status: 405, code: "method_not_allowed", details: map[string]any{"allowed_methods": []string{"GET"}}},

		{name: "sa name taken", method: "POST", path: saCollection, body: map[string]any{"name": "existing"}, status: 409, code: "name_conflict", details: field("name")},
		{name: "sa rename to taken", method: "PATCH", path: saPath(otherSA), body: map[string]any{"name": "existing"}, status: 409, code: "name_conflict", details: field("name")},
		{name: "server name taken", method: "POST", path: servers, body: map[string]any{"name": "Billing", "slug": "billing-2"}, status: 409, code: "name_conflict", details: field("name")},
		{name: "server slug taken", method: "POST", path: servers, body: map[string]any{"name": "Weather 2", "slug": "weather"}, status: 409, code: "name_conflict", details: field("slug")},

		{name: "body too large", method: "POST", path: saCollection, body: `{"description":"` + long(64<<10) + `"}`, status: 413, code: "payload_too_large", details: map[string]any{"limit_bytes": 65536}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.client(e.srv.BootstrapKey())
			c.t = t
			switch tt.key {
			case "":
			case "-":
				c.key = ""
			default:
				c.key = tt.key
			}
			res := c.do(tt.method, tt.path, tt.body, tt.headers...)
			res.wantError(tt.status, tt.code, tt.details)
			if tt.status == http.StatusUnauthorized && res.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if tt.status == http.StatusMethodNotAllowed && res.header.Get("Allow") != "GET" {
				t.Errorf("Allow = %q", res.header.Get("Allow"))
			}
		})
	}
}

func (e *testEnv) mustMe() api.Me {
	e.t.Helper()
	var me api.Me
	e.owner.do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK).decode(&me)
	return me
}

// TestHostileBodies sends odd bodies to every endpoint that reads one: none
// may cause a server fault.
func TestHostileBodies(t *testing.T) {
	e := newTestEnv(t)
	saID := e.createSA("target", api.RoleMember)
	keyID := e.createKey(saID, "k").ID
	paths := []struct{ method, path string }{
		{"POST", saCollection},
		{"PATCH", saPath(saID)},
		{"POST", saPath(saID, "/api-keys")},
		{"PATCH", keyPath(saID, keyID)},
		{"POST", "/api/v0/organizations/current/servers"},
		{"PUT", grantPath(saID, e.serverID("weather"))},
	}
	bodies := []string{
		`null`, `true`, `"text"`, `12`, `[]`, `{"name":null}`, `{"name":{"a":1}}`, `{"name":[1,2]}`,
		`{"name":"\ud800"}`, "{\"name\":\"\xff\xfe\"}", `{"name":"x","name":"y"}`, `{"expires_at":"9999-12-31T23:59:59Z","name":"k"}`,
		`{"role":null,"disabled":null,"description":null}`, strings.Repeat("[", 10000), `{"name":1e400}`, "\x00",
		`{"ttl_seconds":9223372036854775807,"name":"k"}`, `{"ttl_seconds":-9223372036854775808,"name":"k"}`, `{"ttl_seconds":1e400,"name":"k"}`,
		`{"role":"user","capabilities":[[]]}`, `{"role":"user","capabilities":{}}`, `{"role":"user","capabilities":["\ud800"]}`,
		`{"role":"user","capabilities":null}`, `{"role":"user","capabilities":["tools","resources","prompts","tools","resources"]}`,
	}
	for _, p := range paths {
		for _, body := range bodies {
			res := e.owner.do(p.method, p.path, body)
			if res.status >= 500 {
				t.Errorf("%s %s with %.40q: status %d, body %s", p.method, p.path, body, res.status, res.body)
			}
			if res.status >= 400 {
				res.apiError()
			}
		}
	}
}

func TestKeyTTL(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	saID := e.createSA("ci", api.RoleMember)
	// Mid-second: expires_at counts from created_at as shown, in whole seconds.
	e.clock.Advance(1500 * time.Millisecond)
	var key api.Key
	e.owner.do(http.MethodPost, saPath(saID, "/api-keys"), map[string]any{"name": "short", "ttl_seconds": 3600}).
		want(http.StatusCreated).decode(&key)
	if key.CreatedAt != "2030-01-02T15:04:06Z" || deref(key.ExpiresAt) != "2030-01-02T16:04:06Z" {
		t.Fatalf("created_at %s, expires_at %s; want expires_at one hour after created_at", key.CreatedAt, deref(key.ExpiresAt))
	}
	c := e.client(key.Secret)
	e.clock.Set(time.Date(2030, 1, 2, 16, 4, 5, 999_000_000, time.UTC))
	c.do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK)
	e.clock.Set(time.Date(2030, 1, 2, 16, 4, 6, 0, time.UTC))
	c.do(http.MethodGet, "/api/v0/me", nil).wantError(http.StatusUnauthorized, "unauthenticated", nil)

	e.owner.do(http.MethodPost, saPath(saID, "/api-keys"), map[string]any{"name": "longest", "ttl_seconds": 315360000}).
		want(http.StatusCreated).decode(&key)
	if deref(key.ExpiresAt) != "2039-12-31T16:04:06Z" {
		t.Errorf("ten-year key expires_at = %s", deref(key.ExpiresAt))
	}
	res := e.owner.do(http.MethodPost, saPath(saID, "/api-keys"), map[string]any{"name": "both", "ttl_seconds": 60, "expires_at": "2031-01-01T00:00:00Z"})
	if msg := res.wantError(http.StatusBadRequest, "invalid_request", map[string]any{"field": "ttl_seconds"}).Error.Message; !strings.Contains(msg, "mutually exclusive") {
		t.Errorf("message %q", msg)
	}
}

func TestDateHeaderFollowsClock(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	weather := e.serverID("weather")
	check := func(res response, want string) {
		t.Helper()
		if got := res.header.Get("Date"); got != want {
			t.Errorf("Date = %q, want %q", got, want)
		}
	}
	check(e.owner.do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK), "Wed, 02 Jan 2030 15:04:05 GMT")
	e.clock.Set(time.Date(2031, 6, 7, 8, 9, 10, 0, time.FixedZone("CEST", 2*3600)))
	const later = "Sat, 07 Jun 2031 06:09:10 GMT"
	check(e.client("").do(http.MethodGet, "/api/v0/me", nil).want(http.StatusUnauthorized), later)
	check(e.owner.do(http.MethodGet, "/api/v0/nothing", nil).want(http.StatusNotFound), later)
	check(e.owner.mcp(weather, "ping", nil).want(http.StatusOK), later)
	check(e.owner.mcpPost(weather, `{"jsonrpc":"2.0","method":"notifications/initialized"}`).want(http.StatusAccepted), later)
}
