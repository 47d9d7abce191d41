package server

import (
	"cmp"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

// The store suite: every test here runs against the one store, SQLite, both
// in memory (the embedded default) and on a file (-data).

var storeKinds = []struct {
	name string
	open func(t *testing.T) Store
}{
	{"memory", func(t *testing.T) Store { return closedWithTest(t)(openMemoryStore()) }},
	{"file", func(t *testing.T) Store {
		return closedWithTest(t)(openSQLiteStore(filepath.Join(t.TempDir(), "horizon.db")))
	}},
}

// closedWithTest takes what an open returned, fails t on an error, and closes
// the store when t ends.
func closedWithTest(t *testing.T) func(*sqliteStore, error) Store {
	return func(s *sqliteStore, err error) Store {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Error(err)
			}
		})
		return s
	}
}

// eachStore runs test against a new store of each kind.
func eachStore(t *testing.T, test func(t *testing.T, st Store)) {
	t.Helper()
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			test(t, kind.open(t))
		})
	}
}

var suiteStart = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

func at(minutes int) time.Time { return suiteStart.Add(time.Duration(minutes) * time.Minute) }

// storeFixture is an organization with its owner, as a server seeds it.
type storeFixture struct {
	st    Store
	org   Organization
	owner User
	key   APIKey
}

func newStoreFixture(t *testing.T, st Store) storeFixture {
	t.Helper()
	f := storeFixture{st: st}
	f.org = Organization{ID: newID("org_"), Name: "Acme", DefaultServerRole: api.ServerRoleNone, CreatedAt: at(0)}
	f.owner = User{ID: newID("usr_"), OrganizationID: f.org.ID, Name: "Owner", Role: api.RoleOwner, CreatedAt: at(0)}
	f.key = newAPIKey(f.org.ID, f.owner.ID, "bootstrap", newSecret(), at(0), time.Time{})
	mustDo(t, st.CreateOrganization(f.org))
	mustDo(t, st.CreateUser(f.owner, f.key))
	return f
}

func (f storeFixture) serviceAccount(t *testing.T, name string, created time.Time) ServiceAccount {
	t.Helper()
	sa := ServiceAccount{ID: newID("sa_"), OrganizationID: f.org.ID, Name: name, Role: api.RoleMember, CreatedAt: created, UpdatedAt: created}
	mustDo(t, f.st.CreateServiceAccount(sa, nil))
	return sa
}

func (f storeFixture) apiKey(saID, name string, created, expires time.Time) APIKey {
	return newAPIKey(f.org.ID, saID, name, newSecret(), created, expires)
}

func (f storeFixture) server(t *testing.T, slug string) MCPServer {
	t.Helper()
	srv := MCPServer{ID: newID("srv_"), OrganizationID: f.org.ID, Name: "Server " + slug, Slug: slug, CreatedAt: at(1)}
	mustDo(t, f.st.CreateMCPServer(srv))
	return srv
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantNotFound(t *testing.T, err error, resource string) {
	t.Helper()
	var nf *NotFoundError
	if !errors.As(err, &nf) || nf.Resource != resource || !errors.Is(err, ErrNotFound) {
		t.Errorf("error = %v, want %s not found", err, resource)
	}
}

func wantEqual[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %+v\nwant %+v", what, got, want)
	}
}

func TestStoreOrganizationsAndUsers(t *testing.T) {
	eachStore(t, func(t *testing.T, st Store) {
		f := newStoreFixture(t, st)
		got, err := st.GetOrganization(f.org.ID)
		mustDo(t, err)
		wantEqual(t, "organization", got, f.org)
		_, err = st.GetOrganization("org_missing")
		wantNotFound(t, err, resourceOrganization)

		later := Organization{ID: newID("org_"), Name: "Later", DefaultServerRole: api.ServerRoleViewer, CreatedAt: at(5)}
		mustDo(t, st.CreateOrganization(later))
		orgs, err := st.ListOrganizations()
		mustDo(t, err)
		wantEqual(t, "organizations", orgs, []Organization{f.org, later})

		admin := User{ID: newID("usr_"), OrganizationID: f.org.ID, Name: "Admin", Role: api.RoleAdmin, CreatedAt: at(2)}
		mustDo(t, st.CreateUser(admin, newAPIKey(f.org.ID, admin.ID, "personal", newSecret(), at(2), time.Time{})))
		wantNotFound(t, st.CreateUser(User{ID: newID("usr_"), OrganizationID: "org_missing"}, f.apiKey("x", "k", at(2), time.Time{})), resourceOrganization)
		if err := st.CreateUser(User{ID: newID("usr_"), OrganizationID: f.org.ID, Role: api.RoleMember}, f.key); !errors.Is(err, errDuplicateSecret) {
			t.Errorf("a user with another key's secret: %v, want errDuplicateSecret", err)
		}
		users, err := st.ListUsers(f.org.ID)
		mustDo(t, err)
		wantEqual(t, "users", users, []User{f.owner, admin})
		_, err = st.ListUsers("org_missing")
		wantNotFound(t, err, resourceOrganization)

		second := newAPIKey(f.org.ID, f.owner.ID, "bootstrap", newSecret(), at(3), time.Time{})
		mustDo(t, st.CreateAPIKey(PersonalKeys(f.owner.ID), second))
		wantNotFound(t, st.CreateAPIKey(PersonalKeys("usr_missing"), newAPIKey(f.org.ID, "usr_missing", "k", newSecret(), at(3), time.Time{})), resourceUser)
		wantNotFound(t, st.CreateAPIKey(PersonalKeys(f.owner.ID), newAPIKey(later.ID, f.owner.ID, "k", newSecret(), at(3), time.Time{})), resourceUser)
		if err := st.CreateAPIKey(PersonalKeys(f.owner.ID), f.key); !errors.Is(err, errDuplicateSecret) {
			t.Errorf("a second key with one secret: %v, want errDuplicateSecret", err)
		}
		for _, k := range []APIKey{f.key, second} {
			key, actor, err := st.ResolveAPIKey(k.SecretHash)
			mustDo(t, err)
			wantEqual(t, "resolved key", key, k)
			wantEqual(t, "actor", actor, Actor{ID: f.owner.ID, Type: api.ActorUser, Name: "Owner", Role: api.RoleOwner, OrganizationID: f.org.ID})
		}
		_, _, err = st.ResolveAPIKey(hashSecret("fmcp_unknown"))
		wantNotFound(t, err, resourceAPIKey)
	})
}

func TestStoreUpdateOrganization(t *testing.T) {
	eachStore(t, func(t *testing.T, st Store) {
		f := newStoreFixture(t, st)
		same, viewer := AccessRole(api.ServerRoleNone), AccessRole(api.ServerRoleViewer)
		if _, changed, err := st.UpdateOrganization(f.org.ID, OrganizationPatch{DefaultServerRole: &same}); err != nil || changed {
			t.Errorf("the same default_server_role: changed %v, %v", changed, err)
		}
		if _, changed, err := st.UpdateOrganization(f.org.ID, OrganizationPatch{}); err != nil || changed {
			t.Errorf("an empty patch: changed %v, %v", changed, err)
		}
		updated, changed, err := st.UpdateOrganization(f.org.ID, OrganizationPatch{DefaultServerRole: &viewer})
		mustDo(t, err)
		want := f.org
		want.DefaultServerRole = api.ServerRoleViewer
		if !changed {
			t.Error("the update reported no change")
		}
		wantEqual(t, "updated", updated, want)
		got, err := st.GetOrganization(f.org.ID)
		mustDo(t, err)
		wantEqual(t, "stored", got, want)
		_, _, err = st.UpdateOrganization("org_missing", OrganizationPatch{DefaultServerRole: &viewer})
		wantNotFound(t, err, resourceOrganization)
	})
}

// A user's personal keys: the bootstrap key is one, the limit is
// api.MaxActivePersonalKeysPerUser, and they are not a service account's.
func TestStorePersonalKeys(t *testing.T) {
	eachStore(t, func(t *testing.T, st Store) {
		f := newStoreFixture(t, st)
		owner := PersonalKeys(f.owner.ID)
		keys := []APIKey{f.key}
		for i := 1; i < api.MaxActivePersonalKeysPerUser; i++ {
			k := newAPIKey(f.org.ID, f.owner.ID, fmt.Sprintf("laptop-%d", i), newSecret(), at(i), time.Time{})
			mustDo(t, st.CreateAPIKey(owner, k))
			keys = append(keys, k)
		}
		var limit *KeyLimitError
		extra := newAPIKey(f.org.ID, f.owner.ID, "one too many", newSecret(), at(20), time.Time{})
		if err := st.CreateAPIKey(owner, extra); !errors.As(err, &limit) || limit.Limit != api.MaxActivePersonalKeysPerUser || limit.Owner != owner {
			t.Fatalf("key %d: %v", api.MaxActivePersonalKeysPerUser+1, err)
		}
		list, err := st.ListAPIKeys(f.org.ID, owner)
		mustDo(t, err)
		wantEqual(t, "personal keys", list, keys)
		revoked, changed, err := st.RevokeAPIKey(f.org.ID, owner, keys[3].ID, at(21))
		mustDo(t, err)
		if !changed || !revoked.RevokedAt.Equal(at(21)) {
			t.Errorf("revoke: %+v, changed %v", revoked, changed)
		}
		extra.CreatedAt = at(22)
		mustDo(t, st.CreateAPIKey(owner, extra)) // the revoked key's slot
		name := "renamed"
		renamed, _, err := st.UpdateAPIKey(f.org.ID, owner, f.key.ID, APIKeyPatch{Name: &name})
		mustDo(t, err)
		got, err := st.GetAPIKey(f.org.ID, owner, f.key.ID)
		mustDo(t, err)
		wantEqual(t, "renamed bootstrap key", got, renamed)
		_, err = st.GetAPIKey(f.org.ID, ServiceAccountKeys(f.owner.ID), f.key.ID)
		wantNotFound(t, err, resourceServiceAccount)
		_, err = st.ListAPIKeys(f.org.ID, PersonalKeys("usr_missing"))
		wantNotFound(t, err, resourceUser)
	})
}

func TestStoreServiceAccounts(t *testing.T) {
	eachStore(t, func(t *testing.T, st Store) {
		f := newStoreFixture(t, st)
		b := f.serviceAccount(t, "b", at(2))
		initial := f.apiKey("", "initial", at(1), time.Time{})
		a := ServiceAccount{ID: newID("sa_"), OrganizationID: f.org.ID, Name: "a", Description: "first", Role: api.RoleViewer, CreatedAt: at(1), UpdatedAt: at(1)}
		initial.OwnerID = a.ID
		mustDo(t, st.CreateServiceAccount(a, &initial))

		var conflict *ConflictError
		if err := st.CreateServiceAccount(ServiceAccount{ID: newID("sa_"), OrganizationID: f.org.ID, Name: "a"}, nil); !errors.As(err, &conflict) ||
			*conflict != (ConflictError{Resource: resourceServiceAccount, Field: "name", Value: "a", Existing: "a"}) {
			t.Errorf("a taken name: %v", err)
		}
		wantNotFound(t, st.CreateServiceAccount(ServiceAccount{ID: newID("sa_"), OrganizationID: "org_missing", Name: "c"}, nil), resourceOrganization)

		got, err := st.GetServiceAccount(f.org.ID, a.ID)
		mustDo(t, err)
		wantEqual(t, "account", got, a)
		_, err = st.GetServiceAccount("org_other", a.ID)
		wantNotFound(t, err, resourceServiceAccount)
		list, err := st.ListServiceAccounts(f.org.ID)
		mustDo(t, err)
		wantEqual(t, "accounts", list, []ServiceAccount{a, b})
		_, err = st.ListServiceAccounts("org_missing")
		wantNotFound(t, err, resourceOrganization)
		keys, err := st.ListAPIKeys(f.org.ID, ServiceAccountKeys(a.ID))
		mustDo(t, err)
		wantEqual(t, "initial key", keys, []APIKey{initial})

		same := "first"
		if _, changed, err := st.UpdateServiceAccount(f.org.ID, a.ID, ServiceAccountPatch{Description: &same}, at(3)); err != nil || changed {
			t.Errorf("a patch that changes nothing: changed %v, %v", changed, err)
		}
		taken := "b"
		if _, _, err := st.UpdateServiceAccount(f.org.ID, a.ID, ServiceAccountPatch{Name: &taken}, at(3)); !errors.As(err, &conflict) {
			t.Errorf("a rename to a taken name: %v", err)
		}
		name, role, disabled := "a2", Role(api.RoleAdmin), true
		updated, changed, err := st.UpdateServiceAccount(f.org.ID, a.ID, ServiceAccountPatch{Name: &name, Role: &role, Disabled: &disabled}, at(4))
		mustDo(t, err)
		want := a
		want.Name, want.Role, want.Disabled, want.UpdatedAt = "a2", api.RoleAdmin, true, at(4)
		if !changed {
			t.Error("the update reported no change")
		}
		wantEqual(t, "updated", updated, want)
		got, err = st.GetServiceAccount(f.org.ID, a.ID)
		mustDo(t, err)
		wantEqual(t, "stored update", got, want)
		// The old name is free again.
		f.serviceAccount(t, "a", at(5))
		_, _, err = st.UpdateServiceAccount(f.org.ID, "sa_missing", ServiceAccountPatch{Name: &name}, at(4))
		wantNotFound(t, err, resourceServiceAccount)

		_, actor, err := st.ResolveAPIKey(initial.SecretHash)
		mustDo(t, err)
		wantEqual(t, "actor", actor, Actor{ID: a.ID, Type: api.ActorServiceAccount, Name: "a2", Role: api.RoleAdmin, OrganizationID: f.org.ID, Disabled: true})

		srv := f.server(t, "weather")
		_, _, err = st.PutServerGrant(Grant{ServiceAccountID: a.ID, ServerID: srv.ID, OrganizationID: f.org.ID, Role: api.ServerRoleUser, Capabilities: AllCapabilities}, at(5))
		mustDo(t, err)
		mustDo(t, st.DeleteServiceAccount(f.org.ID, a.ID, at(6)))
		wantNotFound(t, st.DeleteServiceAccount(f.org.ID, a.ID, at(6)), resourceServiceAccount)
		_, err = st.GetServiceAccount(f.org.ID, a.ID)
		wantNotFound(t, err, resourceServiceAccount)
		grants, err := st.ServerGrantsOf(a.ID)
		mustDo(t, err)
		if len(grants) != 0 {
			t.Errorf("grants outlived their account: %v", grants)
		}
		key, _, err := st.ResolveAPIKey(initial.SecretHash)
		wantNotFound(t, err, resourceServiceAccount)
		if key.ID != "" {
			t.Errorf("a key of a deleted account resolved: %+v", key)
		}
		for _, k := range st.Snapshot().APIKeys {
			if k.ID == initial.ID && !k.RevokedAt.Equal(at(6)) {
				t.Errorf("the deleted account's key has RevokedAt %v, want %v", k.RevokedAt, at(6))
			}
		}
	})
}

func TestStoreAPIKeys(t *testing.T) {
	eachStore(t, func(t *testing.T, st Store) {
		f := newStoreFixture(t, st)
		sa := f.serviceAccount(t, "ci", at(0))
		owner := ServiceAccountKeys(sa.ID)
		expired := f.apiKey(sa.ID, "expired", at(1), at(2))
		revoked := f.apiKey(sa.ID, "revoked", at(1), time.Time{})
		first := f.apiKey(sa.ID, "first", at(3), time.Time{})
		second := f.apiKey(sa.ID, "second", at(4), at(60))
		for _, k := range []APIKey{expired, revoked} {
			mustDo(t, st.CreateAPIKey(owner, k))
		}
		revokedAt := at(2)
		got, changed, err := st.RevokeAPIKey(f.org.ID, owner, revoked.ID, revokedAt)
		mustDo(t, err)
		revoked.RevokedAt = revokedAt
		if !changed {
			t.Error("the first revoke reported no change")
		}
		wantEqual(t, "revoked", got, revoked)
		// Neither an expired nor a revoked key counts toward the limit.
		mustDo(t, st.CreateAPIKey(owner, first))
		mustDo(t, st.CreateAPIKey(owner, second))
		third := f.apiKey(sa.ID, "third", at(5), time.Time{})
		var limit *KeyLimitError
		if err := st.CreateAPIKey(owner, third); !errors.As(err, &limit) || !errors.Is(err, ErrKeyLimit) {
			t.Fatalf("a third active key: %v", err)
		}
		wantEqual(t, "limit error", *limit, KeyLimitError{Owner: owner, Limit: 2, Active: []APIKey{first, second}})
		// Once second has expired, the slot is free.
		third.CreatedAt = at(60)
		mustDo(t, st.CreateAPIKey(owner, third))
		if err := st.CreateAPIKey(ServiceAccountKeys("sa_missing"), f.apiKey("sa_missing", "k", at(5), time.Time{})); err == nil {
			t.Error("a key of a missing account was stored")
		}
		if err := st.CreateAPIKey(owner, APIKey{ID: newID("key_"), OrganizationID: f.org.ID, OwnerID: sa.ID, SecretHash: f.key.SecretHash, CreatedAt: at(61), RevokedAt: at(61)}); !errors.Is(err, errDuplicateSecret) {
			t.Errorf("a key with another key's secret: %v", err)
		}

		list, err := st.ListAPIKeys(f.org.ID, owner)
		mustDo(t, err)
		want := []APIKey{expired, revoked, first, second, third}
		slices.SortFunc(want, func(a, b APIKey) int { return byCreation(a.CreatedAt, a.ID, b.CreatedAt, b.ID) })
		wantEqual(t, "keys", list, want)
		_, err = st.ListAPIKeys(f.org.ID, ServiceAccountKeys("sa_missing"))
		wantNotFound(t, err, resourceServiceAccount)

		got, err = st.GetAPIKey(f.org.ID, owner, first.ID)
		mustDo(t, err)
		wantEqual(t, "key", got, first)
		_, err = st.GetAPIKey(f.org.ID, owner, f.key.ID) // the owner's key, not the account's
		wantNotFound(t, err, resourceAPIKey)
		_, err = st.GetAPIKey(f.org.ID, ServiceAccountKeys("sa_missing"), first.ID)
		wantNotFound(t, err, resourceServiceAccount)

		same, primary := "first", "primary"
		if _, changed, err := st.UpdateAPIKey(f.org.ID, owner, first.ID, APIKeyPatch{Name: &same}); err != nil || changed {
			t.Errorf("a rename to the same name: changed %v, %v", changed, err)
		}
		renamed, changed, err := st.UpdateAPIKey(f.org.ID, owner, first.ID, APIKeyPatch{Name: &primary})
		mustDo(t, err)
		first.Name = "primary"
		if !changed {
			t.Error("the rename reported no change")
		}
		wantEqual(t, "renamed", renamed, first)
		_, _, err = st.UpdateAPIKey(f.org.ID, owner, "key_missing", APIKeyPatch{Name: &primary})
		wantNotFound(t, err, resourceAPIKey)

		// An expiry may be brought forward, never moved later; a refused
		// patch changes nothing, its name neither.
		sooner, later, other := at(30), at(90), "other"
		shortened, changed, err := st.UpdateAPIKey(f.org.ID, owner, second.ID, APIKeyPatch{ExpiresAt: &sooner})
		mustDo(t, err)
		second.ExpiresAt = sooner
		if !changed {
			t.Error("bringing the expiry forward reported no change")
		}
		wantEqual(t, "shortened", shortened, second)
		var extension *ExpiryExtensionError
		if _, _, err := st.UpdateAPIKey(f.org.ID, owner, second.ID, APIKeyPatch{Name: &other, ExpiresAt: &later}); !errors.As(err, &extension) || !extension.Current.Equal(sooner) {
			t.Errorf("moving the expiry later: %v", err)
		}
		got, err = st.GetAPIKey(f.org.ID, owner, second.ID)
		mustDo(t, err)
		wantEqual(t, "after a refused patch", got, second)
		given, changed, err := st.UpdateAPIKey(f.org.ID, owner, first.ID, APIKeyPatch{ExpiresAt: &later}) // first had none
		mustDo(t, err)
		first.ExpiresAt = later
		if !changed {
			t.Error("giving an expiry reported no change")
		}
		wantEqual(t, "given an expiry", given, first)

		// A second revoke keeps the first RevokedAt.
		again, changed, err := st.RevokeAPIKey(f.org.ID, owner, revoked.ID, at(30))
		mustDo(t, err)
		if changed || !again.RevokedAt.Equal(revokedAt) {
			t.Errorf("a second revoke: changed %v, RevokedAt %v; want unchanged %v", changed, again.RevokedAt, revokedAt)
		}

		mustDo(t, st.MarkAPIKeyUsed(first.ID, at(10)))
		mustDo(t, st.MarkAPIKeyUsed(first.ID, at(9))) // never backwards
		got, err = st.GetAPIKey(f.org.ID, owner, first.ID)
		mustDo(t, err)
		if !got.LastUsedAt.Equal(at(10)) {
			t.Errorf("LastUsedAt = %v, want %v", got.LastUsedAt, at(10))
		}
		wantNotFound(t, st.MarkAPIKeyUsed("key_missing", at(10)), resourceAPIKey)
	})
}

func TestStoreServersAndGrants(t *testing.T) {
	eachStore(t, func(t *testing.T, st Store) {
		f := newStoreFixture(t, st)
		weather, search := f.server(t, "weather"), f.server(t, "search")
		var conflict *ConflictError
		if err := st.CreateMCPServer(MCPServer{ID: newID("srv_"), OrganizationID: f.org.ID, Name: weather.Name, Slug: "other"}); !errors.As(err, &conflict) || conflict.Field != "name" {
			t.Errorf("a taken server name: %v", err)
		}
		if err := st.CreateMCPServer(MCPServer{ID: newID("srv_"), OrganizationID: f.org.ID, Name: "Other", Slug: "weather"}); !errors.As(err, &conflict) || conflict.Field != "slug" {
			t.Errorf("a taken slug: %v", err)
		}
		wantNotFound(t, st.CreateMCPServer(MCPServer{ID: newID("srv_"), OrganizationID: "org_missing", Name: "x", Slug: "x"}), resourceOrganization)
		got, err := st.GetMCPServer(f.org.ID, weather.ID)
		mustDo(t, err)
		wantEqual(t, "server", got, weather)
		_, err = st.GetMCPServer("org_other", weather.ID)
		wantNotFound(t, err, resourceServer)
		servers, err := st.ListMCPServers(f.org.ID)
		mustDo(t, err)
		want := []MCPServer{weather, search}
		slices.SortFunc(want, func(a, b MCPServer) int { return byCreation(a.CreatedAt, a.ID, b.CreatedAt, b.ID) })
		wantEqual(t, "servers", servers, want)
		_, err = st.ListMCPServers("org_missing")
		wantNotFound(t, err, resourceOrganization)

		sa := f.serviceAccount(t, "ci", at(0))
		grant := Grant{ServiceAccountID: sa.ID, ServerID: weather.ID, OrganizationID: f.org.ID, Role: api.ServerRoleUser, Capabilities: AllCapabilities}
		_, _, err = st.PutServerGrant(Grant{ServiceAccountID: "sa_missing", ServerID: weather.ID, OrganizationID: f.org.ID, Role: api.ServerRoleUser}, at(2))
		wantNotFound(t, err, resourceServiceAccount)
		_, _, err = st.PutServerGrant(Grant{ServiceAccountID: sa.ID, ServerID: "srv_missing", OrganizationID: f.org.ID, Role: api.ServerRoleUser}, at(2))
		wantNotFound(t, err, resourceServer)
		_, err = st.GetServerGrant(f.org.ID, sa.ID, weather.ID)
		wantNotFound(t, err, resourceServerGrant)

		created, outcome, err := st.PutServerGrant(grant, at(2))
		mustDo(t, err)
		grant.CreatedAt, grant.UpdatedAt = at(2), at(2)
		if outcome != PutCreated {
			t.Errorf("outcome %v, want PutCreated", outcome)
		}
		wantEqual(t, "created grant", created, grant)
		if same, outcome, err := st.PutServerGrant(grant, at(3)); err != nil || outcome != PutUnchanged || !reflect.DeepEqual(same, grant) {
			t.Errorf("the same grant again: %+v, %v, %v", same, outcome, err)
		}
		change := grant
		change.Role, change.Capabilities = api.ServerRoleAdmin, Capability(api.CapabilityTools).bit()
		updated, outcome, err := st.PutServerGrant(change, at(4))
		mustDo(t, err)
		grant.Role, grant.Capabilities, grant.UpdatedAt = change.Role, change.Capabilities, at(4)
		if outcome != PutUpdated {
			t.Errorf("outcome %v, want PutUpdated", outcome)
		}
		wantEqual(t, "updated grant", updated, grant)
		stored, err := st.GetServerGrant(f.org.ID, sa.ID, weather.ID)
		mustDo(t, err)
		wantEqual(t, "stored grant", stored, grant)
		onSearch := Grant{ServiceAccountID: sa.ID, ServerID: search.ID, OrganizationID: f.org.ID, Role: api.ServerRoleViewer, Capabilities: AllCapabilities}
		onSearch, _, err = st.PutServerGrant(onSearch, at(5))
		mustDo(t, err)

		list, err := st.ListServerGrants(f.org.ID, sa.ID)
		mustDo(t, err)
		wantGrants := []Grant{grant, onSearch}
		slices.SortFunc(wantGrants, func(a, b Grant) int { return cmp.Compare(a.ServerID, b.ServerID) })
		wantEqual(t, "grants", list, wantGrants)
		_, err = st.ListServerGrants(f.org.ID, "sa_missing")
		wantNotFound(t, err, resourceServiceAccount)
		of, err := st.ServerGrantsOf(sa.ID)
		mustDo(t, err)
		wantEqual(t, "grants of the account", of, map[string]Grant{weather.ID: grant, search.ID: onSearch})
		of, err = st.ServerGrantsOf(f.owner.ID)
		if err != nil || len(of) != 0 {
			t.Errorf("grants of a user: %v, %v", of, err)
		}

		mustDo(t, st.DeleteServerGrant(f.org.ID, sa.ID, weather.ID))
		wantNotFound(t, st.DeleteServerGrant(f.org.ID, sa.ID, weather.ID), resourceServerGrant)
		wantNotFound(t, st.DeleteServerGrant(f.org.ID, sa.ID, "srv_missing"), resourceServer)
		_, err = st.GetServerGrant(f.org.ID, "sa_missing", weather.ID)
		wantNotFound(t, err, resourceServiceAccount)
		list, err = st.ListServerGrants(f.org.ID, sa.ID)
		mustDo(t, err)
		wantEqual(t, "grants after a delete", list, []Grant{onSearch})
	})
}

// CreateServerGrant only creates: a grant in place is left as it is and
// refused with a *GrantExistsError, after the checks for the account and
// the server.
func TestStoreCreateServerGrant(t *testing.T) {
	eachStore(t, func(t *testing.T, st Store) {
		f := newStoreFixture(t, st)
		weather := f.server(t, "weather")
		sa := f.serviceAccount(t, "ci", at(0))
		grant := Grant{ServiceAccountID: sa.ID, ServerID: weather.ID, OrganizationID: f.org.ID, Role: api.ServerRoleUser, Capabilities: AllCapabilities}
		_, err := st.CreateServerGrant(Grant{ServiceAccountID: "sa_missing", ServerID: weather.ID, OrganizationID: f.org.ID, Role: api.ServerRoleUser}, at(2))
		wantNotFound(t, err, resourceServiceAccount)
		_, err = st.CreateServerGrant(Grant{ServiceAccountID: sa.ID, ServerID: "srv_missing", OrganizationID: f.org.ID, Role: api.ServerRoleUser}, at(2))
		wantNotFound(t, err, resourceServer)

		created, err := st.CreateServerGrant(grant, at(2))
		mustDo(t, err)
		grant.CreatedAt, grant.UpdatedAt = at(2), at(2)
		wantEqual(t, "created grant", created, grant)
		other := grant
		other.Role, other.Capabilities = api.ServerRoleAdmin, Capability(api.CapabilityTools).bit()
		_, err = st.CreateServerGrant(other, at(3))
		var exists *GrantExistsError
		if !errors.As(err, &exists) || !errors.Is(err, ErrGrantExists) || exists.ServiceAccountID != sa.ID || exists.ServerID != weather.ID {
			t.Errorf("a second create: %v, want a GrantExistsError naming the account and the server", err)
		}
		stored, err := st.GetServerGrant(f.org.ID, sa.ID, weather.ID)
		mustDo(t, err)
		wantEqual(t, "the grant after a refused create", stored, grant)
	})
}

func TestStoreUpdateAndDeleteServers(t *testing.T) {
	eachStore(t, func(t *testing.T, st Store) {
		f := newStoreFixture(t, st)
		weather, search := f.server(t, "weather"), f.server(t, "search")
		same, renamed, taken, about := weather.Name, "Forecasts", search.Name, "Rain or shine."
		if _, changed, err := st.UpdateMCPServer(f.org.ID, weather.ID, MCPServerPatch{Name: &same}); err != nil || changed {
			t.Errorf("the same name: changed %v, %v", changed, err)
		}
		var conflict *ConflictError
		if _, _, err := st.UpdateMCPServer(f.org.ID, weather.ID, MCPServerPatch{Name: &taken}); !errors.As(err, &conflict) || conflict.Field != "name" {
			t.Errorf("a rename to a taken name: %v", err)
		}
		updated, changed, err := st.UpdateMCPServer(f.org.ID, weather.ID, MCPServerPatch{Name: &renamed, Description: &about})
		mustDo(t, err)
		want := weather
		want.Name, want.Description = renamed, about
		if !changed {
			t.Error("the update reported no change")
		}
		wantEqual(t, "updated", updated, want)
		got, err := st.GetMCPServer(f.org.ID, weather.ID)
		mustDo(t, err)
		wantEqual(t, "stored", got, want)
		_, _, err = st.UpdateMCPServer("org_other", weather.ID, MCPServerPatch{Name: &renamed})
		wantNotFound(t, err, resourceServer)

		sa := f.serviceAccount(t, "ci", at(0))
		for _, srv := range []MCPServer{weather, search} {
			_, _, err := st.PutServerGrant(Grant{ServiceAccountID: sa.ID, ServerID: srv.ID, OrganizationID: f.org.ID, Role: api.ServerRoleUser, Capabilities: AllCapabilities}, at(2))
			mustDo(t, err)
		}
		mustDo(t, st.DeleteMCPServer(f.org.ID, weather.ID))
		wantNotFound(t, st.DeleteMCPServer(f.org.ID, weather.ID), resourceServer)
		_, err = st.GetMCPServer(f.org.ID, weather.ID)
		wantNotFound(t, err, resourceServer)
		grants, err := st.ServerGrantsOf(sa.ID)
		mustDo(t, err)
		if _, kept := grants[weather.ID]; kept || len(grants) != 1 {
			t.Errorf("grants after the server's delete: %v, want only the one on search", grants)
		}
	})
}

func TestStoreIdempotencyRecords(t *testing.T) {
	eachStore(t, func(t *testing.T, st Store) {
		rec := func(id string, created time.Time) IdempotencyRecord {
			return IdempotencyRecord{LookupID: id, Fingerprint: hashSecret(id), Status: 201, Nonce: []byte("nonce-" + id), Ciphertext: []byte("sealed-" + id), CreatedAt: created}
		}
		_, err := st.GetIdempotencyRecord("missing")
		wantNotFound(t, err, resourceIdempotencyRecord)
		old, fresh := rec("old", at(0)), rec("fresh", at(10))
		mustDo(t, st.PutIdempotencyRecord(old))
		mustDo(t, st.PutIdempotencyRecord(fresh))
		got, err := st.GetIdempotencyRecord("fresh")
		mustDo(t, err)
		wantEqual(t, "record", got, fresh)
		replaced := rec("old", at(5))
		replaced.Status = 200
		mustDo(t, st.PutIdempotencyRecord(replaced))
		got, err = st.GetIdempotencyRecord("old")
		mustDo(t, err)
		wantEqual(t, "replaced record", got, replaced)
		if n := st.DeleteIdempotencyRecordsBefore(at(6)); n != 1 {
			t.Errorf("removed %d records, want 1", n)
		}
		_, err = st.GetIdempotencyRecord("old")
		wantNotFound(t, err, resourceIdempotencyRecord)
		wantEqual(t, "records left", st.Snapshot().IdempotencyRecords, []IdempotencyRecord{fresh})
	})
}

func TestStoreAtomically(t *testing.T) {
	eachStore(t, func(t *testing.T, st Store) {
		f := newStoreFixture(t, st)
		sa := ServiceAccount{ID: newID("sa_"), OrganizationID: f.org.ID, Name: "ci", Role: api.RoleMember, CreatedAt: at(1), UpdatedAt: at(1)}
		rec := IdempotencyRecord{LookupID: "create-ci", Fingerprint: hashSecret("ci"), Status: 201, Nonce: []byte("n"), Ciphertext: []byte("c"), CreatedAt: at(1)}
		mustDo(t, st.Atomically(func(tx Store) error {
			if err := tx.CreateServiceAccount(sa, nil); err != nil {
				return err
			}
			// The view reads its own writes.
			if _, err := tx.GetServiceAccount(f.org.ID, sa.ID); err != nil {
				return err
			}
			return tx.PutIdempotencyRecord(rec)
		}))
		got, err := st.GetServiceAccount(f.org.ID, sa.ID)
		mustDo(t, err)
		wantEqual(t, "account", got, sa)
		stored, err := st.GetIdempotencyRecord(rec.LookupID)
		mustDo(t, err)
		wantEqual(t, "record", stored, rec)
		failure := errors.New("handler failed")
		if err := st.Atomically(func(Store) error { return failure }); !errors.Is(err, failure) {
			t.Errorf("Atomically = %v, want fn's error", err)
		}
	})
}

// Fifty creates race for one account's two key slots: exactly two win, and
// every other is refused with the two winners.
func TestStoreConcurrentKeyCreates(t *testing.T) {
	eachStore(t, func(t *testing.T, st Store) {
		f := newStoreFixture(t, st)
		sa := f.serviceAccount(t, "ci", at(0))
		owner := ServiceAccountKeys(sa.ID)
		const n = 50
		errs := make([]error, n)
		keys := make([]APIKey, n)
		var wg sync.WaitGroup
		for i := range n {
			keys[i] = f.apiKey(sa.ID, fmt.Sprintf("k%d", i), at(1), time.Time{})
			wg.Go(func() { errs[i] = st.CreateAPIKey(owner, keys[i]) })
		}
		wg.Wait()
		var won []string
		for i, err := range errs {
			if err == nil {
				won = append(won, keys[i].ID)
			} else if !errors.Is(err, ErrKeyLimit) {
				t.Fatalf("create %d: %v", i, err)
			}
		}
		slices.Sort(won)
		if len(won) != api.MaxActiveKeysPerServiceAccount {
			t.Fatalf("%d creates succeeded, want %d", len(won), api.MaxActiveKeysPerServiceAccount)
		}
		for _, err := range errs {
			var limit *KeyLimitError
			if errors.As(err, &limit) {
				var active []string
				for _, k := range limit.Active {
					active = append(active, k.ID)
				}
				slices.Sort(active)
				if !slices.Equal(active, won) {
					t.Fatalf("a refusal lists %v as active, want the winners %v", active, won)
				}
			}
		}
		stored, err := st.ListAPIKeys(f.org.ID, owner)
		mustDo(t, err)
		if len(stored) != api.MaxActiveKeysPerServiceAccount {
			t.Errorf("%d keys stored, want %d", len(stored), api.MaxActiveKeysPerServiceAccount)
		}
	})
}

func TestStoreSnapshot(t *testing.T) {
	eachStore(t, func(t *testing.T, st Store) {
		f := newStoreFixture(t, st)
		sa := f.serviceAccount(t, "ci", at(1))
		owner := ServiceAccountKeys(sa.ID)
		key := f.apiKey(sa.ID, "k", at(2), time.Time{})
		mustDo(t, st.CreateAPIKey(owner, key))
		srv := f.server(t, "weather")
		grant, _, err := st.PutServerGrant(Grant{ServiceAccountID: sa.ID, ServerID: srv.ID, OrganizationID: f.org.ID, Role: api.ServerRoleUser, Capabilities: AllCapabilities}, at(3))
		mustDo(t, err)
		snap := st.Snapshot()
		wantEqual(t, "organizations", snap.Organizations, []Organization{f.org})
		wantEqual(t, "users", snap.Users, []User{f.owner})
		wantEqual(t, "accounts", snap.ServiceAccounts, []ServiceAccount{sa})
		wantKeys := []APIKey{f.key, key}
		slices.SortFunc(wantKeys, func(a, b APIKey) int { return cmp.Compare(a.ID, b.ID) })
		wantEqual(t, "keys", snap.APIKeys, wantKeys)
		wantEqual(t, "servers", snap.MCPServers, []MCPServer{srv})
		wantEqual(t, "grants", snap.ServerGrants, []Grant{grant})
		if len(snap.IdempotencyRecords) != 0 {
			t.Errorf("idempotency records: %v", snap.IdempotencyRecords)
		}
	})
}

// TestStoreLookalikeNames: the store compares names folded (names.Fold), on
// create and on rename, and a name may take another spelling of itself.
func TestStoreLookalikeNames(t *testing.T) {
	eachStore(t, func(t *testing.T, st Store) {
		f := newStoreFixture(t, st)
		sa := f.serviceAccount(t, "ci-deployer", at(1))
		other := f.serviceAccount(t, "reader", at(1))
		srv := f.server(t, "weather") // named "Server weather"
		wantLookalike := func(what string, err error, existing string) {
			t.Helper()
			var conflict *ConflictError
			if !errors.As(err, &conflict) || conflict.Field != "name" || conflict.Existing != existing {
				t.Errorf("%s: %v, want a name conflict with %q", what, err, existing)
			}
		}
		wantLookalike("account in capitals", st.CreateServiceAccount(ServiceAccount{ID: newID("sa_"), OrganizationID: f.org.ID, Name: "CI-DEPLOYER"}, nil), "ci-deployer")
		wantLookalike("account with a digit one", st.CreateServiceAccount(ServiceAccount{ID: newID("sa_"), OrganizationID: f.org.ID, Name: "ci-dep1oyer"}, nil), "ci-deployer")
		lookalike := "Ci-Deployer"
		_, _, err := st.UpdateServiceAccount(f.org.ID, other.ID, ServiceAccountPatch{Name: &lookalike}, at(2))
		wantLookalike("rename to a lookalike", err, "ci-deployer")
		if _, changed, err := st.UpdateServiceAccount(f.org.ID, sa.ID, ServiceAccountPatch{Name: &lookalike}, at(2)); err != nil || !changed {
			t.Errorf("an account taking another spelling of its own name: changed %v, %v", changed, err)
		}
		wantLookalike("server with a Cyrillic е", st.CreateMCPServer(MCPServer{ID: newID("srv_"), OrganizationID: f.org.ID, Name: "S\u0435rver weather", Slug: "other"}), "Server weather")
		wantLookalike("server in fullwidth", st.CreateMCPServer(MCPServer{ID: newID("srv_"), OrganizationID: f.org.ID, Name: "\uff33erver weather", Slug: "other"}), "Server weather")
		renamed := "SERVER  WEATHER"
		if _, _, err := st.UpdateMCPServer(f.org.ID, srv.ID, MCPServerPatch{Name: &renamed}); err != nil {
			t.Errorf("a server taking another spelling of its own name: %v", err)
		}
		mustDo(t, st.DeleteServiceAccount(f.org.ID, sa.ID, at(3)))
		mustDo(t, st.CreateServiceAccount(ServiceAccount{ID: newID("sa_"), OrganizationID: f.org.ID, Name: "ci-deployer", CreatedAt: at(3), UpdatedAt: at(3)}, nil))
	})
}

// byCreation orders as the lists of the store do: by creation time, then id.
func byCreation(aCreated time.Time, aID string, bCreated time.Time, bID string) int {
	if c := aCreated.Compare(bCreated); c != 0 {
		return c
	}
	return cmp.Compare(aID, bID)
}
