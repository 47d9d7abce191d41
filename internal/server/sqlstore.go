package server

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite", pure Go

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
	"github.com/horizonhq/terraform-provider-horizon/internal/names"
)

// sqliteStore keeps the server's state in a SQLite database file, so that a
// restarted server holds everything committed before (WithDataFile). Every
// method runs in one transaction; those that change something begin it with
// BEGIN IMMEDIATE, which takes the database's write lock before the first
// read, so the rules a method checks (the active-key limit, name uniqueness)
// still hold when it writes, however many connections race. The journal is
// a write-ahead log synced on every commit (synchronous=FULL): what a
// response reports as done survives a kill -9, and a power cut.
//
// One server at a time may use a file: it holds an exclusive advisory lock on
// it (flock) from open to Close.
type sqliteStore struct {
	path string
	// memory is set for the embedded default: a private database in
	// memory, which anchor keeps alive until Close.
	memory bool
	anchor *sql.Conn
	// writes begins its transactions with BEGIN IMMEDIATE, reads with a plain
	// BEGIN (a consistent snapshot that does not wait for writers).
	writes, reads *sql.DB
	lock          *os.File
	// tx is set in the view that Atomically hands to its function: every
	// method of the view runs in it, and none uses the cache.
	tx *sql.Tx
	// cache answers the reads of every request until a write commits.
	cache *readCache
	// readStatements holds the single-query reads prepared on reads.
	readStatements *statements
	// turns lets one write transaction run at a time, and reads beside each
	// other but not beside a write: SQLite would make the losers of that
	// race sleep in its busy handler, a millisecond or more each time, where
	// a Go lock wakes the next one at once. Every user of the database is in
	// this process (a data file is locked to one server).
	turns *sync.RWMutex
}

// sqliteSchemaVersion is the schema this server writes, recorded in the
// file's user_version. A file with a higher version is refused; one with a
// lower version is migrated (migrations).
//
// Version 2 stores each unique name's folded form (names.Fold) beside it,
// unique per organization, so that the database itself refuses a lookalike
// of an existing name. Version 3 stores times in microseconds instead of
// nanoseconds, which overflowed for expiries after 2262.
const sqliteSchemaVersion = 3

// sqliteApplicationID marks a file as this server's (PRAGMA application_id,
// "Hzn1"), so that another program's SQLite database is refused, not changed.
const sqliteApplicationID = 0x487a6e31

const sqliteSchema = `
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
	name_fold       TEXT NOT NULL
);
CREATE UNIQUE INDEX service_accounts_by_name_fold ON service_accounts (organization_id, name_fold);
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
	name_fold       TEXT NOT NULL,
	UNIQUE (organization_id, slug)
);
CREATE UNIQUE INDEX mcp_servers_by_name_fold ON mcp_servers (organization_id, name_fold);
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

// Times are stored as Unix microseconds, which cover any expiry a client may
// send (to the year 9999 and beyond; nanoseconds end in 2262), and the zero
// time ("never") as 0.
func sqlTime(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromSQLTime(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.UnixMicro(n).UTC()
}

// timeColumns are the columns that hold times, by table.
var timeColumns = map[string][]string{
	"organizations":       {"created_at"},
	"users":               {"created_at"},
	"service_accounts":    {"created_at", "updated_at"},
	"api_keys":            {"created_at", "expires_at", "revoked_at", "last_used_at"},
	"mcp_servers":         {"created_at"},
	"server_grants":       {"created_at", "updated_at"},
	"idempotency_records": {"created_at"},
}

// sqliteHeader opens every SQLite database file.
var sqliteHeader = []byte("SQLite format 3\x00")

// openSQLiteStore opens the data file at path, creating it when absent. A
// file that another server holds, that cannot be read, that is not this
// server's SQLite database, that is damaged or that a newer server wrote is
// refused with an error that says so, and left as it was.
func openSQLiteStore(path string) (_ *sqliteStore, err error) {
	lock, err := lockDataFile(path)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = lock.Close()
		}
	}()
	if err := checkSQLiteHeader(lock, path); err != nil {
		return nil, err
	}
	s := &sqliteStore{path: path, lock: lock, cache: newReadCache(), turns: &sync.RWMutex{}}
	// Both pools open the file read-write: SQLite needs that even to read a
	// database in WAL mode. Nothing is written before the checks pass.
	if s.reads, err = sql.Open("sqlite", sqliteDSN(path, "deferred")); err != nil {
		return nil, fmt.Errorf("data file %s: %w", path, err)
	}
	if err := s.check(); err != nil {
		_ = s.reads.Close()
		return nil, err
	}
	if s.writes, err = sql.Open("sqlite", sqliteDSN(path, "immediate")); err != nil {
		_ = s.reads.Close()
		return nil, fmt.Errorf("data file %s: %w", path, err)
	}
	s.readStatements = &statements{db: s.reads}
	if err := s.migrate(); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// openMemoryStore is the embedded default: a private SQLite database in
// memory (SQLite's memdb VFS), gone when the server stops, with the same
// schema, rules and transactions as a data file. Each server has its own.
func openMemoryStore() (_ *sqliteStore, err error) {
	name := "/horizon-" + newID("mem_")
	s := &sqliteStore{path: "memory", memory: true, cache: newReadCache(), turns: &sync.RWMutex{}}
	defer func() {
		if err != nil {
			_ = s.Close()
		}
	}()
	if s.writes, err = sql.Open("sqlite", memoryDSN(name, "immediate")); err != nil {
		return nil, err
	}
	// The database lives while a connection to it is open: the anchor holds
	// one, so that a pool closing its idle connections loses nothing.
	if s.anchor, err = s.writes.Conn(context.Background()); err != nil {
		return nil, err
	}
	if s.reads, err = sql.Open("sqlite", memoryDSN(name, "deferred")); err != nil {
		return nil, err
	}
	s.readStatements = &statements{db: s.reads}
	return s, s.migrate()
}

// memoryDSN is sqliteDSN for a database in memory.
func memoryDSN(name, txlock string) string {
	q := url.Values{}
	q.Set("vfs", "memdb")
	q.Set("_txlock", txlock)
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	return "file:" + name + "?" + q.Encode()
}

// sqliteDSN names the file with the settings every connection needs:
// waiting for the write lock rather than failing, foreign keys enforced, and
// the transaction mode that database/sql's BeginTx uses.
func sqliteDSN(path, txlock string) string {
	q := url.Values{}
	q.Set("_txlock", txlock)
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(FULL)")
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// checkSQLiteHeader refuses a non-empty file that does not start like a
// SQLite database, before SQLite opens it.
func checkSQLiteHeader(f *os.File, path string) error {
	header := make([]byte, len(sqliteHeader))
	n, err := f.ReadAt(header, 0)
	switch {
	case n == 0 && errors.Is(err, io.EOF):
		return nil // new, or created empty: SQLite starts a database in it
	case err != nil && !errors.Is(err, io.EOF):
		return fmt.Errorf("data file %s cannot be read: %w", path, err)
	case !bytes.Equal(header[:n], sqliteHeader):
		return fmt.Errorf("data file %s is not a SQLite database (it may be damaged); it was left as it is: "+
			"pass another -data file, or move this one away to start afresh", path)
	}
	return nil
}

// check reads the file's application id, schema version and integrity
// without changing anything.
func (s *sqliteStore) check() error {
	ctx := context.Background()
	var appID, version int64
	if err := s.reads.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil {
		return fmt.Errorf("data file %s cannot be read as a SQLite database (it may be damaged; it was left as it is): %w", s.path, err)
	}
	if err := s.reads.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("data file %s cannot be read as a SQLite database (it may be damaged; it was left as it is): %w", s.path, err)
	}
	var tables int
	if err := s.reads.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&tables); err != nil {
		return fmt.Errorf("data file %s cannot be read as a SQLite database (it may be damaged; it was left as it is): %w", s.path, err)
	}
	switch {
	case appID == 0 && tables == 0:
		return nil // a new database
	case appID != sqliteApplicationID:
		return fmt.Errorf("data file %s is a SQLite database of another program (application_id %#x), not a horizon-server data file; "+
			"it was left as it is: pass another -data file", s.path, appID)
	case version > sqliteSchemaVersion:
		return fmt.Errorf("data file %s was written by a newer horizon-server (schema version %d; this one reads up to %d); "+
			"it was left as it is: run the newer horizon-server, or pass another -data file", s.path, version, sqliteSchemaVersion)
	}
	var result string
	if err := s.reads.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&result); err != nil || result != "ok" {
		if err == nil {
			err = errors.New(result)
		}
		return fmt.Errorf("data file %s is damaged (integrity check: %v); it was left as it is: "+
			"pass another -data file, or move this one away to start afresh", s.path, err)
	}
	return nil
}

// migrate brings a new database to the current schema, a file in WAL mode.
func (s *sqliteStore) migrate() error {
	ctx := context.Background()
	if !s.memory {
		var mode string
		if err := s.writes.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode); err != nil {
			return fmt.Errorf("data file %s: cannot use a write-ahead log: %w", s.path, err)
		}
		if mode != "wal" {
			return fmt.Errorf("data file %s: cannot use a write-ahead log (journal mode %q)", s.path, mode)
		}
	}
	return s.write(func(q querier) error {
		var version int64
		if err := q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
			return err
		}
		switch version {
		case sqliteSchemaVersion:
			return nil
		case 0:
			if _, err := q.ExecContext(ctx, sqliteSchema); err != nil {
				return fmt.Errorf("data file %s: creating the schema: %w", s.path, err)
			}
		default:
			for v := version; v < sqliteSchemaVersion; v++ {
				if err := migrations[v](q); err != nil {
					return fmt.Errorf("data file %s: migrating schema version %d to %d: %w", s.path, v, v+1, err)
				}
			}
		}
		_, err := q.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d; PRAGMA user_version = %d", sqliteApplicationID, sqliteSchemaVersion))
		return err
	})
}

// migrations[v] brings a file of schema version v to v+1.
var migrations = map[int64]func(querier) error{
	1: addNameFolds,
	2: timesInMicroseconds,
}

// timesInMicroseconds (version 2 to 3) divides every stored time by 1,000;
// "never", 0, stays 0.
func timesInMicroseconds(q querier) error {
	for table, columns := range timeColumns {
		for _, column := range columns {
			if _, err := q.ExecContext(ctxBackground, `UPDATE `+table+` SET `+column+` = `+column+` / 1000`); err != nil {
				return err
			}
		}
	}
	return nil
}

// addNameFolds (version 1 to 2) stores the folded names and their unique
// indexes. A file that already holds two names that look alike cannot take
// the index, and says which.
func addNameFolds(q querier) error {
	for _, table := range []string{"service_accounts", "mcp_servers"} {
		if _, err := q.ExecContext(ctxBackground, `ALTER TABLE `+table+` ADD COLUMN name_fold TEXT NOT NULL DEFAULT ''`); err != nil {
			return err
		}
		rows, err := q.QueryContext(ctxBackground, `SELECT id, name FROM `+table)
		if err != nil {
			return err
		}
		folds := map[string]string{}
		for rows.Next() {
			var id, name string
			if err := rows.Scan(&id, &name); err != nil {
				_ = rows.Close()
				return err
			}
			folds[id] = names.Fold(name)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return err
		}
		for id, fold := range folds {
			if _, err := q.ExecContext(ctxBackground, `UPDATE `+table+` SET name_fold = ? WHERE id = ?`, fold, id); err != nil {
				return err
			}
		}
		var first, second string
		err = q.QueryRowContext(ctxBackground, `SELECT a.name, b.name FROM `+table+` a JOIN `+table+` b
			ON a.organization_id = b.organization_id AND a.name_fold = b.name_fold AND a.id < b.id LIMIT 1`).Scan(&first, &second)
		if err == nil {
			return fmt.Errorf("the names %q and %q (%s) look alike, and names must now differ by more than case, width "+
				"and lookalike characters: rename one of them with the server that wrote the file", first, second, table)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := q.ExecContext(ctxBackground, `CREATE UNIQUE INDEX `+table+`_by_name_fold ON `+table+` (organization_id, name_fold)`); err != nil {
			return err
		}
	}
	return nil
}

// Close closes the database, then releases the file's lock.
func (s *sqliteStore) Close() error {
	if s.tx != nil {
		return errors.New("server: Close of a transaction's view of the store")
	}
	var errs []error
	if s.readStatements != nil {
		errs = append(errs, s.readStatements.close())
	}
	if s.anchor != nil {
		errs = append(errs, s.anchor.Close())
	}
	for _, db := range []*sql.DB{s.reads, s.writes} {
		if db != nil {
			errs = append(errs, db.Close())
		}
	}
	if s.lock != nil {
		errs = append(errs, s.lock.Close())
	}
	return errors.Join(errs...)
}

// querier is what a *sql.Tx offers to the methods' bodies.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// write runs fn in a transaction that holds the write lock from its start,
// or in the view's transaction, and empties the read cache when it commits.
func (s *sqliteStore) write(fn func(querier) error) error {
	if err := s.inTx(s.writes, fn); err != nil {
		return err
	}
	if s.tx == nil {
		s.cache.committed()
	}
	return nil
}

// read runs fn in a read transaction, or in the view's transaction.
func (s *sqliteStore) read(fn func(querier) error) error {
	return s.inTx(s.reads, fn)
}

// readOne runs fn, which makes a single query, outside a transaction (one
// statement is consistent by itself, and a transaction would double its
// cost), or in the view's transaction.
func (s *sqliteStore) readOne(fn func(querier) error) error {
	if s.tx != nil {
		return fn(s.tx)
	}
	s.turns.RLock()
	defer s.turns.RUnlock()
	return fn(prepared{s.readStatements})
}

func (s *sqliteStore) inTx(db *sql.DB, fn func(querier) error) error {
	if s.tx != nil {
		return fn(s.tx)
	}
	if db == s.writes {
		s.turns.Lock()
		defer s.turns.Unlock()
	} else {
		s.turns.RLock()
		defer s.turns.RUnlock()
	}
	tx, err := db.BeginTx(context.Background(), nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// statements holds each query prepared once on a pool: SQLite's parsing of
// a query costs more than running it.
type statements struct {
	db    *sql.DB
	stmts sync.Map // query → *sql.Stmt
}

func (p *statements) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if stmt, ok := p.stmts.Load(query); ok {
		return stmt.(*sql.Stmt), nil
	}
	stmt, err := p.db.PrepareContext(ctx, query) //nolint:gosec // G701: the store's own queries, never built from input
	if err != nil {
		return nil, err
	}
	if other, loaded := p.stmts.LoadOrStore(query, stmt); loaded {
		_ = stmt.Close()
		return other.(*sql.Stmt), nil
	}
	return stmt, nil
}

func (p *statements) close() error {
	var errs []error
	p.stmts.Range(func(_, stmt any) bool {
		errs = append(errs, stmt.(*sql.Stmt).Close())
		return true
	})
	return errors.Join(errs...)
}

// prepared is the querier of the single-query reads outside a transaction:
// it runs each query through its prepared statement. (In a transaction,
// preparing a statement would take another connection of the pool, which
// can wait on the transaction's own lock, so transactions run their queries
// as they are.)
type prepared struct {
	statements *statements
}

// ExecContext runs statements as they are.
func (q prepared) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return q.statements.db.ExecContext(ctx, query, args...) //nolint:gosec // G701: the store's own queries, never built from input
}

func (q prepared) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	stmt, err := q.statements.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return stmt.QueryContext(ctx, args...)
}

func (q prepared) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	stmt, err := q.statements.stmt(ctx, query)
	if err != nil {
		// A query that cannot be prepared reaches the caller as the row's error.
		return q.statements.db.QueryRowContext(ctx, query, args...) //nolint:gosec // G701: the store's own queries, never built from input
	}
	return stmt.QueryRowContext(ctx, args...)
}

func (s *sqliteStore) Atomically(fn func(Store) error) error {
	if s.tx != nil {
		return fn(s)
	}
	s.turns.Lock()
	defer s.turns.Unlock()
	tx, err := s.writes.BeginTx(context.Background(), nil)
	if err != nil {
		return err
	}
	view := &sqliteStore{path: s.path, memory: s.memory, writes: s.writes, reads: s.reads, lock: s.lock, tx: tx,
		cache: s.cache, readStatements: s.readStatements, turns: s.turns}
	if err := fn(view); err != nil {
		_ = tx.Rollback()
		return err
	}
	err = tx.Commit()
	s.cache.committed()
	return err
}

var ctxBackground = context.Background()

// exists reports whether query finds a row.
func exists(q querier, query string, args ...any) (bool, error) {
	var one int
	err := q.QueryRowContext(ctxBackground, query, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// must returns notFound when query finds no row.
func must(q querier, notFound string, query string, args ...any) error {
	found, err := exists(q, query, args...)
	if err == nil && !found {
		return &NotFoundError{Resource: notFound}
	}
	return err
}

func (s *sqliteStore) CreateOrganization(org Organization) error {
	return s.write(func(q querier) error {
		_, err := q.ExecContext(ctxBackground,
			`INSERT INTO organizations (id, name, default_server_role, created_at) VALUES (?, ?, ?, ?)
			 ON CONFLICT (id) DO UPDATE SET name = excluded.name, default_server_role = excluded.default_server_role, created_at = excluded.created_at`,
			org.ID, org.Name, string(org.DefaultServerRole), sqlTime(org.CreatedAt))
		return err
	})
}

const organizationColumns = `id, name, default_server_role, created_at`

func scanOrganization(row interface{ Scan(...any) error }) (Organization, error) {
	var (
		org     Organization
		role    string
		created int64
	)
	err := row.Scan(&org.ID, &org.Name, &role, &created)
	org.DefaultServerRole, org.CreatedAt = AccessRole(role), fromSQLTime(created)
	return org, err
}

func (s *sqliteStore) GetOrganization(id string) (org Organization, err error) {
	if s.tx == nil {
		if org, ok := cached(s.cache, s.cache.orgs, id); ok {
			return org, nil
		}
		generation := s.cache.begin()
		defer func() {
			if err == nil {
				remember(s.cache, generation, s.cache.orgs, id, org)
			}
		}()
	}
	err = s.readOne(func(q querier) error {
		org, err = scanOrganization(q.QueryRowContext(ctxBackground, `SELECT `+organizationColumns+` FROM organizations WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return &NotFoundError{Resource: resourceOrganization}
		}
		return err
	})
	return org, err
}

func (s *sqliteStore) UpdateOrganization(id string, patch OrganizationPatch) (org Organization, changed bool, err error) {
	err = s.write(func(q querier) error {
		org, err = scanOrganization(q.QueryRowContext(ctxBackground, `SELECT `+organizationColumns+` FROM organizations WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return &NotFoundError{Resource: resourceOrganization}
		}
		if err != nil || patch.DefaultServerRole == nil || *patch.DefaultServerRole == org.DefaultServerRole {
			return err
		}
		org.DefaultServerRole, changed = *patch.DefaultServerRole, true
		_, err = q.ExecContext(ctxBackground, `UPDATE organizations SET default_server_role = ? WHERE id = ?`, string(org.DefaultServerRole), id)
		return err
	})
	if err != nil {
		return Organization{}, false, err
	}
	return org, changed, nil
}

func (s *sqliteStore) ListOrganizations() (list []Organization, err error) {
	err = s.read(func(q querier) error {
		list, err = queryList(q, scanOrganization, `SELECT `+organizationColumns+` FROM organizations ORDER BY created_at, id`)
		return err
	})
	return list, err
}

// queryList runs query and scans every row with scan.
func queryList[T any](q querier, scan func(interface{ Scan(...any) error }) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctxBackground, query, args...)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	list := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, v)
	}
	return list, rows.Err()
}

const userColumns = `id, organization_id, name, role, created_at`

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var (
		user    User
		role    string
		created int64
	)
	err := row.Scan(&user.ID, &user.OrganizationID, &user.Name, &role, &created)
	user.Role, user.CreatedAt = Role(role), fromSQLTime(created)
	return user, err
}

func (s *sqliteStore) CreateUser(user User, key APIKey) error {
	return s.write(func(q querier) error {
		if err := must(q, resourceOrganization, `SELECT 1 FROM organizations WHERE id = ?`, user.OrganizationID); err != nil {
			return err
		}
		if _, err := q.ExecContext(ctxBackground, `INSERT INTO users (`+userColumns+`) VALUES (?, ?, ?, ?, ?)`,
			user.ID, user.OrganizationID, user.Name, string(user.Role), sqlTime(user.CreatedAt)); err != nil {
			return err
		}
		return insertKey(q, key)
	})
}

func (s *sqliteStore) ListUsers(orgID string) (list []User, err error) {
	err = s.read(func(q querier) error {
		if err := must(q, resourceOrganization, `SELECT 1 FROM organizations WHERE id = ?`, orgID); err != nil {
			return err
		}
		list, err = queryList(q, scanUser, `SELECT `+userColumns+` FROM users WHERE organization_id = ? ORDER BY created_at, id`, orgID)
		return err
	})
	return list, err
}

const keyColumns = `id, organization_id, owner_id, name, secret_hash, masked_secret, created_at, expires_at, revoked_at, last_used_at`

func scanKey(row interface{ Scan(...any) error }) (APIKey, error) {
	var (
		key                                 APIKey
		hash                                []byte
		created, expires, revoked, lastUsed int64
	)
	err := row.Scan(&key.ID, &key.OrganizationID, &key.OwnerID, &key.Name, &hash, &key.MaskedSecret, &created, &expires, &revoked, &lastUsed)
	if err == nil && len(hash) != len(key.SecretHash) {
		err = fmt.Errorf("api key %s: stored secret hash has %d bytes", key.ID, len(hash))
	}
	copy(key.SecretHash[:], hash)
	key.CreatedAt, key.ExpiresAt, key.RevokedAt, key.LastUsedAt = fromSQLTime(created), fromSQLTime(expires), fromSQLTime(revoked), fromSQLTime(lastUsed)
	return key, err
}

// checkSecretFree refuses a secret that another key already has.
// errDuplicateSecret refuses a key whose secret another key has: a secret
// authenticates exactly one key.
var errDuplicateSecret = errors.New("an API key with the same secret already exists")

func checkSecretFree(q querier, key APIKey) error {
	taken, err := exists(q, `SELECT 1 FROM api_keys WHERE secret_hash = ?`, key.SecretHash[:])
	if err == nil && taken {
		return errDuplicateSecret
	}
	return err
}

// insertKey stores key, refusing a secret that another key already has.
func insertKey(q querier, key APIKey) error {
	if err := checkSecretFree(q, key); err != nil {
		return err
	}
	_, err := q.ExecContext(ctxBackground, `INSERT INTO api_keys (`+keyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		key.ID, key.OrganizationID, key.OwnerID, key.Name, key.SecretHash[:], key.MaskedSecret,
		sqlTime(key.CreatedAt), sqlTime(key.ExpiresAt), sqlTime(key.RevokedAt), sqlTime(key.LastUsedAt))
	return err
}

func (s *sqliteStore) ResolveAPIKey(secretHash [32]byte) (key APIKey, actor Actor, err error) {
	if s.tx == nil {
		if r, ok := cached(s.cache, s.cache.keys, secretHash); ok {
			return r.key, r.actor, nil
		}
		generation := s.cache.begin()
		defer func() {
			if err == nil {
				remember(s.cache, generation, s.cache.keys, secretHash, resolvedKey{key, actor})
			}
		}()
	}
	err = s.read(func(q querier) error {
		key, err = scanKey(q.QueryRowContext(ctxBackground, `SELECT `+keyColumns+` FROM api_keys WHERE secret_hash = ?`, secretHash[:]))
		if errors.Is(err, sql.ErrNoRows) {
			return &NotFoundError{Resource: resourceAPIKey}
		}
		if err != nil {
			return err
		}
		user, err := scanUser(q.QueryRowContext(ctxBackground, `SELECT `+userColumns+` FROM users WHERE id = ?`, key.OwnerID))
		if err == nil {
			actor = Actor{ID: user.ID, Type: api.ActorUser, Name: user.Name, Role: user.Role, OrganizationID: user.OrganizationID}
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		sa, err := scanServiceAccount(q.QueryRowContext(ctxBackground, `SELECT `+serviceAccountColumns+` FROM service_accounts WHERE id = ?`, key.OwnerID))
		if errors.Is(err, sql.ErrNoRows) {
			return &NotFoundError{Resource: resourceServiceAccount}
		}
		actor = Actor{ID: sa.ID, Type: api.ActorServiceAccount, Name: sa.Name, Role: sa.Role, OrganizationID: sa.OrganizationID, Disabled: sa.Disabled}
		return err
	})
	if err != nil {
		return APIKey{}, Actor{}, err
	}
	return key, actor, nil
}

func (s *sqliteStore) MarkAPIKeyUsed(id string, at time.Time) error {
	return s.write(func(q querier) error {
		if err := must(q, resourceAPIKey, `SELECT 1 FROM api_keys WHERE id = ?`, id); err != nil {
			return err
		}
		_, err := q.ExecContext(ctxBackground, `UPDATE api_keys SET last_used_at = ? WHERE id = ? AND last_used_at < ?`, sqlTime(at), id, sqlTime(at))
		return err
	})
}

const serviceAccountColumns = `id, organization_id, name, description, role, disabled, created_at, updated_at`

func scanServiceAccount(row interface{ Scan(...any) error }) (ServiceAccount, error) {
	var (
		sa               ServiceAccount
		role             string
		created, updated int64
	)
	err := row.Scan(&sa.ID, &sa.OrganizationID, &sa.Name, &sa.Description, &role, &sa.Disabled, &created, &updated)
	sa.Role, sa.CreatedAt, sa.UpdatedAt = Role(role), fromSQLTime(created), fromSQLTime(updated)
	return sa, err
}

// serviceAccount reads the organization's account id.
func serviceAccount(q querier, orgID, id string) (ServiceAccount, error) {
	sa, err := scanServiceAccount(q.QueryRowContext(ctxBackground,
		`SELECT `+serviceAccountColumns+` FROM service_accounts WHERE id = ? AND organization_id = ?`, id, orgID))
	if errors.Is(err, sql.ErrNoRows) {
		return ServiceAccount{}, &NotFoundError{Resource: resourceServiceAccount}
	}
	return sa, err
}

// nameConflict reports another row of table (service_accounts or
// mcp_servers) in the organization whose name looks like name: the same
// names.Fold. The unique index on name_fold refuses it anyway; this check
// says which name it looks like.
func nameConflict(q querier, table, resource, orgID, name, exceptID string) error {
	var existing string
	err := q.QueryRowContext(ctxBackground, `SELECT name FROM `+table+` WHERE organization_id = ? AND name_fold = ? AND id != ?`,
		orgID, names.Fold(name), exceptID).Scan(&existing)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return err
	}
	return &ConflictError{Resource: resource, Field: "name", Value: name, Existing: existing}
}

func (s *sqliteStore) CreateServiceAccount(sa ServiceAccount, initialKey *APIKey) error {
	return s.write(func(q querier) error {
		if err := must(q, resourceOrganization, `SELECT 1 FROM organizations WHERE id = ?`, sa.OrganizationID); err != nil {
			return err
		}
		if err := nameConflict(q, "service_accounts", resourceServiceAccount, sa.OrganizationID, sa.Name, ""); err != nil {
			return err
		}
		if _, err := q.ExecContext(ctxBackground, `INSERT INTO service_accounts (`+serviceAccountColumns+`, name_fold) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			sa.ID, sa.OrganizationID, sa.Name, sa.Description, string(sa.Role), sa.Disabled, sqlTime(sa.CreatedAt), sqlTime(sa.UpdatedAt), names.Fold(sa.Name)); err != nil {
			return err
		}
		if initialKey != nil {
			return insertKey(q, *initialKey)
		}
		return nil
	})
}

func (s *sqliteStore) GetServiceAccount(orgID, id string) (sa ServiceAccount, err error) {
	err = s.readOne(func(q querier) error {
		sa, err = serviceAccount(q, orgID, id)
		return err
	})
	return sa, err
}

func (s *sqliteStore) ListServiceAccounts(orgID string) (list []ServiceAccount, err error) {
	err = s.read(func(q querier) error {
		if err := must(q, resourceOrganization, `SELECT 1 FROM organizations WHERE id = ?`, orgID); err != nil {
			return err
		}
		list, err = queryList(q, scanServiceAccount,
			`SELECT `+serviceAccountColumns+` FROM service_accounts WHERE organization_id = ? ORDER BY created_at, id`, orgID)
		return err
	})
	return list, err
}

func (s *sqliteStore) UpdateServiceAccount(orgID, id string, patch ServiceAccountPatch, at time.Time) (updated ServiceAccount, changed bool, err error) {
	err = s.write(func(q querier) error {
		sa, err := serviceAccount(q, orgID, id)
		if err != nil {
			return err
		}
		updated = patch.apply(sa)
		if updated == sa {
			return nil
		}
		if updated.Name != sa.Name {
			if err := nameConflict(q, "service_accounts", resourceServiceAccount, orgID, updated.Name, id); err != nil {
				return err
			}
		}
		updated.UpdatedAt, changed = at, true
		_, err = q.ExecContext(ctxBackground, `UPDATE service_accounts SET name = ?, description = ?, role = ?, disabled = ?, updated_at = ?, name_fold = ? WHERE id = ?`,
			updated.Name, updated.Description, string(updated.Role), updated.Disabled, sqlTime(at), names.Fold(updated.Name), id)
		return err
	})
	if err != nil {
		return ServiceAccount{}, false, err
	}
	return updated, changed, nil
}

func (s *sqliteStore) DeleteServiceAccount(orgID, id string, at time.Time) error {
	return s.write(func(q querier) error {
		if _, err := serviceAccount(q, orgID, id); err != nil {
			return err
		}
		if _, err := q.ExecContext(ctxBackground, `UPDATE api_keys SET revoked_at = ? WHERE owner_id = ? AND revoked_at = 0`, sqlTime(at), id); err != nil {
			return err
		}
		// Its grants go with it (ON DELETE CASCADE).
		_, err := q.ExecContext(ctxBackground, `DELETE FROM service_accounts WHERE id = ?`, id)
		return err
	})
}

// keyOwner checks that owner exists in the organization.
func keyOwner(q querier, orgID string, owner KeyOwner) error {
	if owner.Type == api.ActorUser {
		return must(q, resourceUser, `SELECT 1 FROM users WHERE id = ? AND organization_id = ?`, owner.ID, orgID)
	}
	_, err := serviceAccount(q, orgID, owner.ID)
	return err
}

// ownedKey reads key id of owner, an actor of the organization.
func ownedKey(q querier, orgID string, owner KeyOwner, id string) (APIKey, error) {
	if err := keyOwner(q, orgID, owner); err != nil {
		return APIKey{}, err
	}
	key, err := scanKey(q.QueryRowContext(ctxBackground, `SELECT `+keyColumns+` FROM api_keys WHERE id = ? AND owner_id = ?`, id, owner.ID))
	if errors.Is(err, sql.ErrNoRows) {
		return APIKey{}, &NotFoundError{Resource: resourceAPIKey}
	}
	return key, err
}

func ownedKeys(q querier, ownerID string) ([]APIKey, error) {
	return queryList(q, scanKey, `SELECT `+keyColumns+` FROM api_keys WHERE owner_id = ? ORDER BY created_at, id`, ownerID)
}

func (s *sqliteStore) CreateAPIKey(owner KeyOwner, key APIKey) error {
	return s.write(func(q querier) error {
		if err := keyOwner(q, key.OrganizationID, owner); err != nil {
			return err
		}
		if err := checkSecretFree(q, key); err != nil {
			return err
		}
		// The write lock is held from the transaction's start: no other
		// create can add a key between this count and the insert.
		var active []APIKey
		keys, err := ownedKeys(q, owner.ID)
		if err != nil {
			return err
		}
		for _, existing := range keys {
			if existing.Status(key.CreatedAt) == api.KeyStatusActive {
				active = append(active, existing)
			}
		}
		if limit := owner.activeKeyLimit(); len(active) >= limit {
			return &KeyLimitError{Owner: owner, Limit: limit, Active: active}
		}
		return insertKey(q, key)
	})
}

func (s *sqliteStore) GetAPIKey(orgID string, owner KeyOwner, id string) (key APIKey, err error) {
	err = s.read(func(q querier) error {
		key, err = ownedKey(q, orgID, owner, id)
		return err
	})
	return key, err
}

func (s *sqliteStore) ListAPIKeys(orgID string, owner KeyOwner) (list []APIKey, err error) {
	err = s.read(func(q querier) error {
		if err := keyOwner(q, orgID, owner); err != nil {
			return err
		}
		list, err = ownedKeys(q, owner.ID)
		return err
	})
	return list, err
}

func (s *sqliteStore) UpdateAPIKey(orgID string, owner KeyOwner, id string, patch APIKeyPatch) (key APIKey, changed bool, err error) {
	err = s.write(func(q querier) error {
		if key, err = ownedKey(q, orgID, owner, id); err != nil {
			return err
		}
		updated, differs, err := patch.apply(key)
		if err != nil || !differs {
			return err
		}
		key, changed = updated, true
		_, err = q.ExecContext(ctxBackground, `UPDATE api_keys SET name = ?, expires_at = ? WHERE id = ?`, key.Name, sqlTime(key.ExpiresAt), id)
		return err
	})
	if err != nil {
		return APIKey{}, false, err
	}
	return key, changed, nil
}

func (s *sqliteStore) RevokeAPIKey(orgID string, owner KeyOwner, id string, at time.Time) (key APIKey, changed bool, err error) {
	err = s.write(func(q querier) error {
		if key, err = ownedKey(q, orgID, owner, id); err != nil || !key.RevokedAt.IsZero() {
			return err
		}
		key.RevokedAt, changed = at, true
		_, err = q.ExecContext(ctxBackground, `UPDATE api_keys SET revoked_at = ? WHERE id = ?`, sqlTime(at), id)
		return err
	})
	return key, changed, err
}

const serverColumns = `id, organization_id, name, slug, description, created_at`

func scanServer(row interface{ Scan(...any) error }) (MCPServer, error) {
	var (
		srv     MCPServer
		created int64
	)
	err := row.Scan(&srv.ID, &srv.OrganizationID, &srv.Name, &srv.Slug, &srv.Description, &created)
	srv.CreatedAt = fromSQLTime(created)
	return srv, err
}

func mcpServer(q querier, orgID, id string) (MCPServer, error) {
	srv, err := scanServer(q.QueryRowContext(ctxBackground, `SELECT `+serverColumns+` FROM mcp_servers WHERE id = ? AND organization_id = ?`, id, orgID))
	if errors.Is(err, sql.ErrNoRows) {
		return MCPServer{}, &NotFoundError{Resource: resourceServer}
	}
	return srv, err
}

// serverConflict reports another server of srv's organization whose name
// looks like srv's (see names.Fold), or with srv's slug.
func serverConflict(q querier, srv MCPServer) error {
	if err := nameConflict(q, "mcp_servers", resourceServer, srv.OrganizationID, srv.Name, srv.ID); err != nil {
		return err
	}
	taken, err := exists(q, `SELECT 1 FROM mcp_servers WHERE organization_id = ? AND id != ? AND slug = ?`, srv.OrganizationID, srv.ID, srv.Slug)
	if err != nil {
		return err
	}
	if taken {
		return &ConflictError{Resource: resourceServer, Field: "slug", Value: srv.Slug}
	}
	return nil
}

func (s *sqliteStore) CreateMCPServer(srv MCPServer) error {
	return s.write(func(q querier) error {
		if err := must(q, resourceOrganization, `SELECT 1 FROM organizations WHERE id = ?`, srv.OrganizationID); err != nil {
			return err
		}
		if err := serverConflict(q, srv); err != nil {
			return err
		}
		_, err := q.ExecContext(ctxBackground, `INSERT INTO mcp_servers (`+serverColumns+`, name_fold) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			srv.ID, srv.OrganizationID, srv.Name, srv.Slug, srv.Description, sqlTime(srv.CreatedAt), names.Fold(srv.Name))
		return err
	})
}

func (s *sqliteStore) UpdateMCPServer(orgID, id string, patch MCPServerPatch) (updated MCPServer, changed bool, err error) {
	err = s.write(func(q querier) error {
		srv, err := mcpServer(q, orgID, id)
		if err != nil {
			return err
		}
		if updated = patch.apply(srv); updated == srv {
			return nil
		}
		if err := serverConflict(q, updated); err != nil {
			return err
		}
		changed = true
		_, err = q.ExecContext(ctxBackground, `UPDATE mcp_servers SET name = ?, description = ?, name_fold = ? WHERE id = ?`,
			updated.Name, updated.Description, names.Fold(updated.Name), id)
		return err
	})
	if err != nil {
		return MCPServer{}, false, err
	}
	return updated, changed, nil
}

func (s *sqliteStore) DeleteMCPServer(orgID, id string) error {
	return s.write(func(q querier) error {
		if _, err := mcpServer(q, orgID, id); err != nil {
			return err
		}
		// The grants on it go with it (ON DELETE CASCADE).
		_, err := q.ExecContext(ctxBackground, `DELETE FROM mcp_servers WHERE id = ?`, id)
		return err
	})
}

func (s *sqliteStore) GetMCPServer(orgID, id string) (srv MCPServer, err error) {
	err = s.readOne(func(q querier) error {
		srv, err = mcpServer(q, orgID, id)
		return err
	})
	return srv, err
}

func (s *sqliteStore) ListMCPServers(orgID string) (list []MCPServer, err error) {
	err = s.read(func(q querier) error {
		if err := must(q, resourceOrganization, `SELECT 1 FROM organizations WHERE id = ?`, orgID); err != nil {
			return err
		}
		list, err = queryList(q, scanServer, `SELECT `+serverColumns+` FROM mcp_servers WHERE organization_id = ? ORDER BY created_at, id`, orgID)
		return err
	})
	return list, err
}

const grantColumns = `service_account_id, server_id, organization_id, role, capabilities, created_at, updated_at`

func scanGrant(row interface{ Scan(...any) error }) (Grant, error) {
	var (
		g                Grant
		role             string
		created, updated int64
	)
	err := row.Scan(&g.ServiceAccountID, &g.ServerID, &g.OrganizationID, &role, &g.Capabilities, &created, &updated)
	g.Role, g.CreatedAt, g.UpdatedAt = AccessRole(role), fromSQLTime(created), fromSQLTime(updated)
	return g, err
}

// serverGrant reads a grant, naming the account, the server or the grant,
// whichever is missing first.
func serverGrant(q querier, orgID, serviceAccountID, serverID string) (Grant, error) {
	if _, err := serviceAccount(q, orgID, serviceAccountID); err != nil {
		return Grant{}, err
	}
	if _, err := mcpServer(q, orgID, serverID); err != nil {
		return Grant{}, err
	}
	g, err := scanGrant(q.QueryRowContext(ctxBackground, `SELECT `+grantColumns+` FROM server_grants WHERE service_account_id = ? AND server_id = ?`,
		serviceAccountID, serverID))
	if errors.Is(err, sql.ErrNoRows) {
		return Grant{}, &NotFoundError{Resource: resourceServerGrant}
	}
	return g, err
}

func (s *sqliteStore) PutServerGrant(grant Grant, at time.Time) (stored Grant, outcome PutOutcome, err error) {
	err = s.write(func(q querier) error {
		existing, err := serverGrant(q, grant.OrganizationID, grant.ServiceAccountID, grant.ServerID)
		var notFound *NotFoundError
		switch {
		case errors.As(err, &notFound) && notFound.Resource == resourceServerGrant:
			grant.CreatedAt, grant.UpdatedAt = at, at
			stored, outcome = grant, PutCreated
			_, err = q.ExecContext(ctxBackground, `INSERT INTO server_grants (`+grantColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				grant.ServiceAccountID, grant.ServerID, grant.OrganizationID, string(grant.Role), grant.Capabilities, sqlTime(at), sqlTime(at))
			return err
		case err != nil:
			return err
		case existing.Role == grant.Role && existing.Capabilities == grant.Capabilities:
			stored, outcome = existing, PutUnchanged
			return nil
		default:
			existing.Role, existing.Capabilities, existing.UpdatedAt = grant.Role, grant.Capabilities, at
			stored, outcome = existing, PutUpdated
			_, err = q.ExecContext(ctxBackground, `UPDATE server_grants SET role = ?, capabilities = ?, updated_at = ? WHERE service_account_id = ? AND server_id = ?`,
				string(grant.Role), grant.Capabilities, sqlTime(at), grant.ServiceAccountID, grant.ServerID)
			return err
		}
	})
	if err != nil {
		return Grant{}, PutUnchanged, err
	}
	return stored, outcome, nil
}

func (s *sqliteStore) CreateServerGrant(grant Grant, at time.Time) (stored Grant, err error) {
	err = s.write(func(q querier) error {
		_, err := serverGrant(q, grant.OrganizationID, grant.ServiceAccountID, grant.ServerID)
		var notFound *NotFoundError
		switch {
		case err == nil:
			return &GrantExistsError{ServiceAccountID: grant.ServiceAccountID, ServerID: grant.ServerID}
		case !errors.As(err, &notFound) || notFound.Resource != resourceServerGrant:
			return err
		}
		grant.CreatedAt, grant.UpdatedAt = at, at
		stored = grant
		_, err = q.ExecContext(ctxBackground, `INSERT INTO server_grants (`+grantColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			grant.ServiceAccountID, grant.ServerID, grant.OrganizationID, string(grant.Role), grant.Capabilities, sqlTime(at), sqlTime(at))
		return err
	})
	if err != nil {
		return Grant{}, err
	}
	return stored, nil
}

func (s *sqliteStore) GetServerGrant(orgID, serviceAccountID, serverID string) (g Grant, err error) {
	err = s.read(func(q querier) error {
		g, err = serverGrant(q, orgID, serviceAccountID, serverID)
		return err
	})
	return g, err
}

func (s *sqliteStore) ListServerGrants(orgID, serviceAccountID string) (list []Grant, err error) {
	err = s.read(func(q querier) error {
		if _, err := serviceAccount(q, orgID, serviceAccountID); err != nil {
			return err
		}
		list, err = queryList(q, scanGrant, `SELECT `+grantColumns+` FROM server_grants WHERE service_account_id = ? ORDER BY server_id`, serviceAccountID)
		return err
	})
	return list, err
}

func (s *sqliteStore) DeleteServerGrant(orgID, serviceAccountID, serverID string) error {
	return s.write(func(q querier) error {
		if _, err := serverGrant(q, orgID, serviceAccountID, serverID); err != nil {
			return err
		}
		_, err := q.ExecContext(ctxBackground, `DELETE FROM server_grants WHERE service_account_id = ? AND server_id = ?`, serviceAccountID, serverID)
		return err
	})
}

func (s *sqliteStore) ServerGrantsOf(actorID string) (grants map[string]Grant, err error) {
	if s.tx == nil {
		if grants, ok := cached(s.cache, s.cache.grants, actorID); ok {
			return grants, nil
		}
		generation := s.cache.begin()
		defer func() {
			if err == nil {
				remember(s.cache, generation, s.cache.grants, actorID, grants)
			}
		}()
	}
	err = s.readOne(func(q querier) error {
		list, err := queryList(q, scanGrant, `SELECT `+grantColumns+` FROM server_grants WHERE service_account_id = ?`, actorID)
		grants = make(map[string]Grant, len(list))
		for _, g := range list {
			grants[g.ServerID] = g
		}
		return err
	})
	return grants, err
}

const idempotencyColumns = `lookup_id, fingerprint, status, nonce, ciphertext, created_at`

func scanIdempotencyRecord(row interface{ Scan(...any) error }) (IdempotencyRecord, error) {
	var (
		rec         IdempotencyRecord
		fingerprint []byte
		created     int64
	)
	err := row.Scan(&rec.LookupID, &fingerprint, &rec.Status, &rec.Nonce, &rec.Ciphertext, &created)
	if err == nil && len(fingerprint) != len(rec.Fingerprint) {
		err = fmt.Errorf("idempotency record: stored fingerprint has %d bytes", len(fingerprint))
	}
	copy(rec.Fingerprint[:], fingerprint)
	rec.CreatedAt = fromSQLTime(created)
	return rec, err
}

func (s *sqliteStore) GetIdempotencyRecord(lookupID string) (rec IdempotencyRecord, err error) {
	err = s.read(func(q querier) error {
		rec, err = scanIdempotencyRecord(q.QueryRowContext(ctxBackground, `SELECT `+idempotencyColumns+` FROM idempotency_records WHERE lookup_id = ?`, lookupID))
		if errors.Is(err, sql.ErrNoRows) {
			return &NotFoundError{Resource: resourceIdempotencyRecord}
		}
		return err
	})
	return rec, err
}

func (s *sqliteStore) PutIdempotencyRecord(rec IdempotencyRecord) error {
	return s.write(func(q querier) error {
		_, err := q.ExecContext(ctxBackground, `INSERT OR REPLACE INTO idempotency_records (`+idempotencyColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
			rec.LookupID, rec.Fingerprint[:], rec.Status, rec.Nonce, rec.Ciphertext, sqlTime(rec.CreatedAt))
		return err
	})
}

func (s *sqliteStore) DeleteIdempotencyRecordsBefore(t time.Time) int {
	var removed int64
	_ = s.write(func(q querier) error {
		res, err := q.ExecContext(ctxBackground, `DELETE FROM idempotency_records WHERE created_at < ?`, sqlTime(t))
		if err == nil {
			removed, err = res.RowsAffected()
		}
		return err
	})
	return int(removed)
}

// Snapshot reads everything in one read transaction. It is for tests and
// debugging: a read error leaves the lists read so far.
func (s *sqliteStore) Snapshot() Snapshot {
	var snap Snapshot
	_ = s.read(func(q querier) error {
		var err error
		if snap.Organizations, err = queryList(q, scanOrganization, `SELECT `+organizationColumns+` FROM organizations ORDER BY id`); err != nil {
			return err
		}
		if snap.Users, err = queryList(q, scanUser, `SELECT `+userColumns+` FROM users ORDER BY id`); err != nil {
			return err
		}
		if snap.ServiceAccounts, err = queryList(q, scanServiceAccount, `SELECT `+serviceAccountColumns+` FROM service_accounts ORDER BY id`); err != nil {
			return err
		}
		if snap.APIKeys, err = queryList(q, scanKey, `SELECT `+keyColumns+` FROM api_keys ORDER BY id`); err != nil {
			return err
		}
		if snap.MCPServers, err = queryList(q, scanServer, `SELECT `+serverColumns+` FROM mcp_servers ORDER BY id`); err != nil {
			return err
		}
		if snap.ServerGrants, err = queryList(q, scanGrant, `SELECT `+grantColumns+` FROM server_grants ORDER BY service_account_id, server_id`); err != nil {
			return err
		}
		snap.IdempotencyRecords, err = queryList(q, scanIdempotencyRecord, `SELECT `+idempotencyColumns+` FROM idempotency_records ORDER BY lookup_id`)
		return err
	})
	return snap
}
