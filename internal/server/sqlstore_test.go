package server

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
	"github.com/horizonhq/terraform-provider-horizon/internal/names"
	"github.com/horizonhq/terraform-provider-horizon/internal/testutil"
)

// startOnFile starts a server on the data file at path, like a restart of the
// command on the same -data file.
func startOnFile(t *testing.T, path string, opts ...Option) (*testEnv, error) {
	t.Helper()
	clock := NewManualClock(testStart)
	logs := &testutil.SyncBuffer{}
	srv, err := New(append([]Option{WithClock(clock), WithLogOutput(logs), WithDataFile(path)}, opts...)...)
	if err != nil {
		return nil, err
	}
	t.Cleanup(srv.Stop)
	e := &testEnv{t: t, srv: srv, clock: clock, logs: logs}
	e.owner = e.client(srv.BootstrapKey())
	return e, nil
}

func mustStartOnFile(t *testing.T, path string, opts ...Option) *testEnv {
	t.Helper()
	e, err := startOnFile(t, path, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return e
}

// A restarted server holds everything committed before: the organization and
// its owner, whose earlier keys keep working beside the new bootstrap key,
// the accounts and keys made through the API, and the idempotency records,
// so a client's retry after the restart replays the original response.
func TestDataFileRestart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "horizon.db")
	first := mustStartOnFile(t, path, WithDefaultServerRole("viewer"))
	saID := first.createSA("ci", api.RoleMember)
	create := map[string]any{"name": "primary"}
	original := first.owner.do(http.MethodPost, saPath(saID, "/api-keys"), create, "Idempotency-Key", "retry-me").want(http.StatusCreated)
	first.srv.Stop()

	second := mustStartOnFile(t, path)
	if second.srv.OrganizationID() != first.srv.OrganizationID() {
		t.Errorf("organization %s after the restart, want the stored %s", second.srv.OrganizationID(), first.srv.OrganizationID())
	}
	if second.srv.BootstrapKey() == first.srv.BootstrapKey() {
		t.Error("a restart without -bootstrap-key printed the earlier key instead of a new one")
	}
	var org api.Organization
	second.owner.do(http.MethodGet, "/api/v0/organizations/current", nil).want(http.StatusOK).decode(&org)
	if org.DefaultServerRole != "viewer" {
		t.Errorf("default_server_role %q, want the stored viewer", org.DefaultServerRole)
	}
	second.client(first.srv.BootstrapKey()).do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK)
	var me api.Me
	second.owner.do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK).decode(&me)
	if me.Actor.Role != "owner" {
		t.Errorf("the new bootstrap key acts as %+v, want the owner", me.Actor)
	}
	replay := second.owner.do(http.MethodPost, saPath(saID, "/api-keys"), create, "Idempotency-Key", "retry-me")
	replay.want(http.StatusCreated)
	// A different caller, the same owner: replays are per actor, and both
	// keys are the owner's.
	if !bytes.Equal(replay.body, original.body) || replay.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("the retry after the restart was not replayed:\n%s\nwant\n%s", replay.body, original.body)
	}
	var keys apiKeyListJSON
	second.owner.do(http.MethodGet, saPath(saID, "/api-keys"), nil).want(http.StatusOK).decode(&keys)
	if len(keys.APIKeys) != 1 {
		t.Errorf("%d keys after the replay, want 1", len(keys.APIKeys))
	}
	ownerKeys := len(second.srv.Store().Snapshot().APIKeys)
	second.srv.Stop()

	// A given bootstrap key that is stored already is not added again.
	third := mustStartOnFile(t, path, WithBootstrapKey(first.srv.BootstrapKey()))
	if n := len(third.srv.Store().Snapshot().APIKeys); n != ownerKeys {
		t.Errorf("%d keys after a restart with a stored bootstrap key, want %d", n, ownerKeys)
	}
	third.owner.do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK)
	accountKey := third.createKey(saID, "secondary").Secret
	third.srv.Stop()

	// A new given key is added for the owner.
	const given = "fmcp_a-new-bootstrap-key-for-the-restart"
	fourth := mustStartOnFile(t, path, WithBootstrapKey(given))
	fourth.owner.do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK).decode(&me)
	if me.Actor.Role != "owner" {
		t.Errorf("the given bootstrap key acts as %+v, want the owner", me.Actor)
	}
	fourth.srv.Stop()

	// Another actor's key is not the owner's bootstrap key.
	if _, err := startOnFile(t, path, WithBootstrapKey(accountKey)); err == nil || !strings.Contains(err.Error(), "belongs to service_account") {
		t.Errorf("a service account's key as the bootstrap key: %v", err)
	}

	// Each restart without a bootstrap key gives the owner one more, up to
	// the personal key limit; then the restart says what to do.
	var err error
	for restarts := 0; err == nil && restarts <= api.MaxActivePersonalKeysPerUser; restarts++ {
		var e *testEnv
		if e, err = startOnFile(t, path); err == nil {
			e.srv.Stop()
		}
	}
	if err == nil || !strings.Contains(err.Error(), "already holds 10 active keys") || !strings.Contains(err.Error(), "bootstrap key") {
		t.Errorf("a restart with the owner's keys at the limit: %v", err)
	}
	mustStartOnFile(t, path, WithBootstrapKey(given)) // a stored key still starts it
}

func TestDataFileSecondServerRefused(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "horizon.db")
	first := mustStartOnFile(t, path)
	_, err := startOnFile(t, path)
	if err == nil || !strings.Contains(err.Error(), "in use by another horizon-server") || !strings.Contains(err.Error(), path) {
		t.Fatalf("a second server on the file: %v", err)
	}
	first.owner.do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK)
	first.srv.Stop()
	mustStartOnFile(t, path) // the file is free again
}

// A file the server cannot use is refused at start with an error that says
// why, and is left exactly as it was.
func TestDataFileRefused(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		prepare func(t *testing.T, path string)
		want    string
	}{
		{"not a database", func(t *testing.T, path string) {
			mustDo(t, os.WriteFile(path, []byte("these are somebody's notes, not a database\n"), 0o600))
		}, "is not a SQLite database"},
		{"a directory", func(t *testing.T, path string) { mustDo(t, os.Mkdir(path, 0o700)) }, "cannot be opened"},
		{"damaged", func(t *testing.T, path string) {
			e := mustStartOnFile(t, path)
			for i := range 20 {
				e.createSA("account-"+string(rune('a'+i)), api.RoleMember)
			}
			e.srv.Stop()
			data, err := os.ReadFile(path)
			mustDo(t, err)
			for i := 4096; i < len(data); i++ {
				data[i] = 0xA5 // every page after the first
			}
			mustDo(t, os.WriteFile(path, data, 0o600))
		}, "damaged"},
		{"another program's database", func(t *testing.T, path string) {
			db, err := sql.Open("sqlite", path)
			mustDo(t, err)
			defer db.Close()
			_, err = db.ExecContext(context.Background(), "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me')")
			mustDo(t, err)
		}, "a SQLite database of another program"},
		{"written by a newer server", func(t *testing.T, path string) {
			mustStartOnFile(t, path).srv.Stop()
			db, err := sql.Open("sqlite", path)
			mustDo(t, err)
			defer db.Close()
			_, err = db.ExecContext(context.Background(), "PRAGMA user_version = 99")
			mustDo(t, err)
		}, fmt.Sprintf("written by a newer horizon-server (schema version 99; this one reads up to %d)", sqliteSchemaVersion)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "horizon.db")
			tc.prepare(t, path)
			before := dirContents(t, dir)
			_, err := startOnFile(t, path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("New = %v, want an error naming the file and saying %q", err, tc.want)
			}
			if after := dirContents(t, dir); !equalContents(before, after) {
				t.Errorf("the refused file was changed: before %v, after %v", fileNames(before), fileNames(after))
			}
		})
	}
}

// dirContents reads every regular file of dir, by name.
func dirContents(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	mustDo(t, err)
	contents := map[string][]byte{}
	for _, entry := range entries {
		if entry.Type().IsRegular() {
			data, err := os.ReadFile(filepath.Join(dir, entry.Name()))
			mustDo(t, err)
			contents[entry.Name()] = data
		} else {
			contents[entry.Name()+"/"] = nil
		}
	}
	return contents
}

func equalContents(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for name, data := range a {
		other, ok := b[name]
		if !ok || !bytes.Equal(data, other) {
			return false
		}
	}
	return true
}

func fileNames(m map[string][]byte) []string {
	var names []string
	for name := range m {
		names = append(names, name)
	}
	return names
}

// A failed step inside Atomically leaves nothing of the steps before it.
func TestSQLiteAtomicallyRollsBack(t *testing.T) {
	t.Parallel()
	st, err := openSQLiteStore(filepath.Join(t.TempDir(), "horizon.db"))
	mustDo(t, err)
	defer st.Close()
	f := newStoreFixture(t, st)
	sa := ServiceAccount{ID: newID("sa_"), OrganizationID: f.org.ID, Name: "ci", Role: api.RoleMember, CreatedAt: at(1), UpdatedAt: at(1)}
	err = st.Atomically(func(tx Store) error {
		if err := tx.CreateServiceAccount(sa, nil); err != nil {
			return err
		}
		return tx.CreateAPIKey(PersonalKeys(f.owner.ID), f.key) // a duplicate secret: fails
	})
	if err == nil {
		t.Fatal("Atomically succeeded")
	}
	_, err = st.GetServiceAccount(f.org.ID, sa.ID)
	wantNotFound(t, err, resourceServiceAccount)
}

// TestDataFileRefusesLookalikeNames: the database itself keeps folded names
// unique (a unique index on name_fold), so a lookalike cannot slip past the
// store's own check.
func TestDataFileRefusesLookalikeNames(t *testing.T) {
	t.Parallel()
	st, err := openSQLiteStore(filepath.Join(t.TempDir(), "horizon.db"))
	mustDo(t, err)
	t.Cleanup(func() { _ = st.Close() })
	f := newStoreFixture(t, st)
	f.serviceAccount(t, "ci-deployer", at(1))
	f.server(t, "weather")
	for _, insert := range []struct{ table, sql string }{
		{"service_accounts", `INSERT INTO service_accounts (` + serviceAccountColumns + `, name_fold) VALUES ('sa_x', ?, 'CI-Deployer', '', 'viewer', 0, 0, 0, ?)`},
		{"mcp_servers", `INSERT INTO mcp_servers (` + serverColumns + `, name_fold) VALUES ('srv_x', ?, 'SERVER WEATHER', 'other', '', 0, ?)`},
	} {
		name := "CI-Deployer"
		if insert.table == "mcp_servers" {
			name = "SERVER WEATHER"
		}
		_, err := st.writes.ExecContext(context.Background(), insert.sql, f.org.ID, names.Fold(name))
		if err == nil || !strings.Contains(err.Error(), "UNIQUE") {
			t.Errorf("%s: a lookalike written past the store's check: %v, want a UNIQUE constraint failure", insert.table, err)
		}
	}
}

// sqliteSchemaV1 is the schema of version 1 files, before folded names: a
// fixture for the migration.
const sqliteSchemaV1 = `
CREATE TABLE organizations (
	id                  TEXT PRIMARY KEY,
	name                TEXT NOT NULL,
	default_server_role TEXT NOT NULL,
	created_at          INTEGER NOT NULL
);
CREATE TABLE users (
	id              TEXT PRIMARY KEY,
	organization_id TEXT NOT NULL REFERENCES organizations (id),
	name            TEXT NOT NULL,
	role            TEXT NOT NULL,
	created_at      INTEGER NOT NULL
);
CREATE TABLE service_accounts (
	id              TEXT PRIMARY KEY,
	organization_id TEXT NOT NULL REFERENCES organizations (id),
	name            TEXT NOT NULL,
	description     TEXT NOT NULL,
	role            TEXT NOT NULL,
	disabled        INTEGER NOT NULL,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	UNIQUE (organization_id, name)
);
-- owner_id names a user or a service account; the keys of a deleted
-- account stay, revoked.
CREATE TABLE api_keys (
	id              TEXT PRIMARY KEY,
	organization_id TEXT NOT NULL REFERENCES organizations (id),
	owner_id        TEXT NOT NULL,
	name            TEXT NOT NULL,
	secret_hash     BLOB NOT NULL UNIQUE,
	masked_secret   TEXT NOT NULL,
	created_at      INTEGER NOT NULL,
	expires_at      INTEGER NOT NULL,
	revoked_at      INTEGER NOT NULL,
	last_used_at    INTEGER NOT NULL
);
CREATE INDEX api_keys_by_owner ON api_keys (owner_id, created_at);
CREATE TABLE mcp_servers (
	id              TEXT PRIMARY KEY,
	organization_id TEXT NOT NULL REFERENCES organizations (id),
	name            TEXT NOT NULL,
	slug            TEXT NOT NULL,
	description     TEXT NOT NULL,
	created_at      INTEGER NOT NULL,
	UNIQUE (organization_id, name),
	UNIQUE (organization_id, slug)
);
CREATE TABLE server_grants (
	service_account_id TEXT NOT NULL REFERENCES service_accounts (id) ON DELETE CASCADE,
	server_id          TEXT NOT NULL REFERENCES mcp_servers (id) ON DELETE CASCADE,
	organization_id    TEXT NOT NULL,
	role               TEXT NOT NULL,
	capabilities       INTEGER NOT NULL,
	created_at         INTEGER NOT NULL,
	updated_at         INTEGER NOT NULL,
	PRIMARY KEY (service_account_id, server_id)
);
CREATE TABLE idempotency_records (
	lookup_id   TEXT PRIMARY KEY,
	fingerprint BLOB NOT NULL,
	status      INTEGER NOT NULL,
	nonce       BLOB NOT NULL,
	ciphertext  BLOB NOT NULL,
	created_at  INTEGER NOT NULL
);
CREATE INDEX idempotency_records_by_age ON idempotency_records (created_at);
`

// v1CreatedAt is a time as versions 1 and 2 stored it, in nanoseconds.
const v1CreatedAt = int64(1_700_000_000_123_456_789)

// TestDataFileMigratesToFoldedNames: a version 1 file gains the folded names
// and their unique indexes, keeps its rows (their times in microseconds, as
// version 3 stores them), and refuses lookalikes after; a file that holds
// lookalikes already is refused, naming them, and left at version 1.
func TestDataFileMigratesToFoldedNames(t *testing.T) {
	t.Parallel()
	writeV1 := func(t *testing.T, accounts ...string) string {
		t.Helper()
		path := filepath.Join(t.TempDir(), "horizon.db")
		db, err := sql.Open("sqlite", path)
		mustDo(t, err)
		defer db.Close()
		_, err = db.ExecContext(context.Background(), sqliteSchemaV1+fmt.Sprintf("PRAGMA application_id = %d; PRAGMA user_version = 1;", sqliteApplicationID)+
			`INSERT INTO organizations VALUES ('org_a', 'Acme', 'none', 0);
			 INSERT INTO mcp_servers VALUES ('srv_a', 'org_a', 'Weather', 'weather', '', 0);`)
		mustDo(t, err)
		for i, name := range accounts {
			_, err = db.ExecContext(context.Background(), `INSERT INTO service_accounts VALUES (?, 'org_a', ?, '', 'viewer', 0, ?, ?)`,
				fmt.Sprintf("sa_%d", i), name, v1CreatedAt, v1CreatedAt)
			mustDo(t, err)
		}
		return path
	}

	t.Run("migrated", func(t *testing.T) {
		t.Parallel()
		st, err := openSQLiteStore(writeV1(t, "ci-deployer", "reader"))
		mustDo(t, err)
		defer st.Close()
		list, err := st.ListServiceAccounts("org_a")
		mustDo(t, err)
		if len(list) != 2 {
			t.Fatalf("%d accounts after the migration, want 2", len(list))
		}
		// Version 3 stores microseconds: the nanoseconds of version 1 and 2 are divided.
		if want := time.Unix(0, v1CreatedAt).UTC().Truncate(time.Microsecond); !list[0].CreatedAt.Equal(want) || !list[0].UpdatedAt.Equal(want) {
			t.Errorf("created_at %s, updated_at %s after the migration, want %s", list[0].CreatedAt, list[0].UpdatedAt, want)
		}
		var conflict *ConflictError
		err = st.CreateServiceAccount(ServiceAccount{ID: "sa_new", OrganizationID: "org_a", Name: "CI-DEPLOYER", Role: api.RoleViewer}, nil)
		if !errors.As(err, &conflict) || conflict.Existing != "ci-deployer" {
			t.Errorf("a lookalike after the migration: %v, want a conflict with ci-deployer", err)
		}
		err = st.CreateMCPServer(MCPServer{ID: "srv_new", OrganizationID: "org_a", Name: "W\u0435ather", Slug: "weather-2"})
		if !errors.As(err, &conflict) || conflict.Existing != "Weather" {
			t.Errorf("a server lookalike after the migration: %v, want a conflict with Weather", err)
		}
		var version int
		mustDo(t, st.reads.QueryRowContext(context.Background(), "PRAGMA user_version").Scan(&version))
		if version != sqliteSchemaVersion {
			t.Errorf("schema version %d after the migration, want %d", version, sqliteSchemaVersion)
		}
	})

	t.Run("lookalikes already stored", func(t *testing.T) {
		t.Parallel()
		path := writeV1(t, "ci-deployer", "CI-Deployer")
		_, err := openSQLiteStore(path)
		if err == nil || !strings.Contains(err.Error(), `"ci-deployer" and "CI-Deployer"`) {
			t.Fatalf("open = %v, want a refusal naming both names", err)
		}
		db, err := sql.Open("sqlite", path)
		mustDo(t, err)
		defer db.Close()
		var version int
		mustDo(t, db.QueryRowContext(context.Background(), "PRAGMA user_version").Scan(&version))
		if version != 1 {
			t.Errorf("schema version %d after a refused migration, want it left at 1", version)
		}
	})
}
