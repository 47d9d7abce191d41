package server

import (
	"fmt"
	"time"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

// Store keeps the server's state. Every method is atomic: rules that span
// several objects (the active-key limit, name uniqueness, revoking keys and
// removing grants with their account) are enforced inside one call. It has
// one implementation, SQLite (sqlstore.go), in memory by default and on a
// file with WithDataFile.
type Store interface {
	CreateOrganization(org Organization) error
	GetOrganization(id string) (Organization, error)
	// UpdateOrganization applies patch and reports whether something changed.
	UpdateOrganization(id string, patch OrganizationPatch) (Organization, bool, error)
	// ListOrganizations returns every organization ordered by creation time,
	// then id.
	ListOrganizations() ([]Organization, error)

	// CreateUser stores a user together with its API key.
	CreateUser(user User, key APIKey) error
	// ListUsers returns the organization's users ordered by creation time,
	// then id.
	ListUsers(orgID string) ([]User, error)

	// ResolveAPIKey returns the key whose secret hashes to secretHash and the
	// actor that owns it, read in one consistent step.
	ResolveAPIKey(secretHash [32]byte) (APIKey, Actor, error)
	// MarkAPIKeyUsed moves the key's LastUsedAt forward to at.
	MarkAPIKeyUsed(id string, at time.Time) error

	// CreateServiceAccount stores sa and, when initialKey is not nil, its
	// first API key. It fails with a *ConflictError if the name is taken.
	CreateServiceAccount(sa ServiceAccount, initialKey *APIKey) error
	GetServiceAccount(orgID, id string) (ServiceAccount, error)
	// ListServiceAccounts returns the organization's service accounts ordered
	// by creation time, then id.
	ListServiceAccounts(orgID string) ([]ServiceAccount, error)
	// UpdateServiceAccount applies patch, sets UpdatedAt to at when something
	// changed, and reports whether something changed.
	UpdateServiceAccount(orgID, id string, patch ServiceAccountPatch, at time.Time) (ServiceAccount, bool, error)
	// DeleteServiceAccount removes the account, revokes its keys at at and
	// removes its server grants.
	DeleteServiceAccount(orgID, id string, at time.Time) error

	// CreateAPIKey stores a key of owner (key.OwnerID is owner.ID). Keys count
	// as active at key.CreatedAt; when the owner already holds as many active
	// keys as it may (api.MaxActiveKeysPerServiceAccount, or
	// api.MaxActivePersonalKeysPerUser for a user) it fails with a *KeyLimitError.
	CreateAPIKey(owner KeyOwner, key APIKey) error
	GetAPIKey(orgID string, owner KeyOwner, id string) (APIKey, error)
	// ListAPIKeys returns all keys of owner, whatever their status, ordered
	// by creation time, then id.
	ListAPIKeys(orgID string, owner KeyOwner) ([]APIKey, error)
	// UpdateAPIKey applies patch and reports whether something changed. An
	// expiry may only move forward in time, never later: a patch whose
	// ExpiresAt is after the key's current expiry fails with an
	// *ExpiryExtensionError and changes nothing (its name neither). The same
	// expiry again is no change, so a retried PATCH succeeds.
	UpdateAPIKey(orgID string, owner KeyOwner, id string, patch APIKeyPatch) (APIKey, bool, error)
	// RevokeAPIKey reports whether the key was active or expired before; a
	// key that is already revoked keeps its original RevokedAt.
	RevokeAPIKey(orgID string, owner KeyOwner, id string, at time.Time) (APIKey, bool, error)

	// CreateMCPServer fails with a *ConflictError if the name or slug is taken.
	CreateMCPServer(srv MCPServer) error
	GetMCPServer(orgID, id string) (MCPServer, error)
	// ListMCPServers returns the organization's servers ordered by creation
	// time, then id.
	ListMCPServers(orgID string) ([]MCPServer, error)
	// UpdateMCPServer applies patch and reports whether something changed. It
	// fails with a *ConflictError if the new name is taken.
	UpdateMCPServer(orgID, id string, patch MCPServerPatch) (MCPServer, bool, error)
	// DeleteMCPServer removes the server and every grant on it, so that no
	// account keeps access through a grant on a server that is gone.
	DeleteMCPServer(orgID, id string) error

	// PutServerGrant creates or replaces the grant of grant.ServiceAccountID
	// on grant.ServerID with grant's role and capabilities. A new grant gets
	// CreatedAt and UpdatedAt at; a changed one gets UpdatedAt at; an
	// identical one is left alone. It fails with a *NotFoundError for a
	// missing account or server, checked under the same lock as the write, so
	// a grant never outlives its account.
	PutServerGrant(grant Grant, at time.Time) (Grant, PutOutcome, error)
	// CreateServerGrant stores grant, with CreatedAt and UpdatedAt at, only if
	// the account has no grant on the server yet; otherwise it changes nothing
	// and fails with a *GrantExistsError. A missing account or server fails as
	// for PutServerGrant, and is checked first.
	CreateServerGrant(grant Grant, at time.Time) (Grant, error)
	// GetServerGrant fails with a *NotFoundError naming the service account,
	// the server or the grant, whichever is missing first.
	GetServerGrant(orgID, serviceAccountID, serverID string) (Grant, error)
	// ListServerGrants returns a service account's grants ordered by server id.
	ListServerGrants(orgID, serviceAccountID string) ([]Grant, error)
	DeleteServerGrant(orgID, serviceAccountID, serverID string) error
	// ServerGrantsOf returns the grants that actorID holds, keyed by server
	// id; an actor without grants (every user) gets an empty or nil map. The
	// map may be shared with other callers: read it, never change it.
	ServerGrantsOf(actorID string) (map[string]Grant, error)

	GetIdempotencyRecord(lookupID string) (IdempotencyRecord, error)
	// PutIdempotencyRecord stores rec, replacing any record with its LookupID.
	PutIdempotencyRecord(rec IdempotencyRecord) error
	// DeleteIdempotencyRecordsBefore removes records created before t and
	// returns how many it removed.
	DeleteIdempotencyRecordsBefore(t time.Time) int

	// Atomically runs fn with a Store whose changes become durable together:
	// a crash keeps all of them or none. The idempotent dispatch stores a
	// create and the record that replays its response this way, so a retry
	// after a crash never creates a second object. It runs fn in one
	// transaction, rolled back when fn fails.
	Atomically(fn func(Store) error) error

	// Snapshot returns a copy of everything stored, for tests and debugging.
	Snapshot() Snapshot

	// Close releases the store's resources (for the SQLite store, its file).
	Close() error
}

// Snapshot is a copy of a Store's contents, each list ordered by id; server
// grants, which have none, by service account id, then server id.
type Snapshot struct {
	Organizations      []Organization
	Users              []User
	ServiceAccounts    []ServiceAccount
	APIKeys            []APIKey
	MCPServers         []MCPServer
	ServerGrants       []Grant
	IdempotencyRecords []IdempotencyRecord
}

// APIKeyPatch lists the fields of an API key to change; nil fields stay as
// they are.
type APIKeyPatch struct {
	Name      *string
	ExpiresAt *time.Time
}

// PutOutcome says what a put did.
type PutOutcome int

// The outcomes of a put.
const (
	// PutUnchanged: the stored object already said the same.
	PutUnchanged PutOutcome = iota
	// PutUpdated: an existing object changed.
	PutUpdated
	// PutCreated: there was no object before.
	PutCreated
)

// Sentinel errors of a Store; match them with errors.Is.
var (
	ErrNotFound = api.ErrNotFound
	ErrConflict = api.ErrConflict
	ErrKeyLimit = api.ErrKeyLimitExceeded
	// ErrGrantExists: a create-only grant PUT found a grant in place.
	ErrGrantExists = api.ErrGrantExists
)

// The resource names that a NotFoundError or ConflictError carries; they are
// also the wire values of details.resource.
const (
	resourceOrganization      = "organization"
	resourceServiceAccount    = "service_account"
	resourceUser              = "user"
	resourceAPIKey            = "api_key"
	resourceServer            = "server"
	resourceServerGrant       = "server_grant"
	resourceIdempotencyRecord = "idempotency_record"
)

// NotFoundError says which kind of object does not exist.
type NotFoundError struct {
	Resource string
}

// Error names the missing kind of object.
func (e *NotFoundError) Error() string { return e.Resource + " not found" }

// Is makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// ConflictError says which field of which kind of object holds a value that
// is already in use. Names are compared folded (see names.Fold), so Existing,
// the value of the object that holds it, may look like Value without being
// equal to it.
type ConflictError struct {
	Resource string
	Field    string
	Value    string
	Existing string
}

// Error names the field and the value in use.
func (e *ConflictError) Error() string {
	if e.Existing != "" && e.Existing != e.Value {
		return fmt.Sprintf("%s %s %q looks like %q, which is already in use", e.Resource, e.Field, e.Value, e.Existing)
	}
	return fmt.Sprintf("%s %s %q is already in use", e.Resource, e.Field, e.Value)
}

// Is makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// GrantExistsError refuses a create-only grant PUT: the account already has a
// grant on the server, which the request left alone.
type GrantExistsError struct {
	ServiceAccountID, ServerID string
}

// Error names the account and the server.
func (e *GrantExistsError) Error() string {
	return "service account " + e.ServiceAccountID + " already has a grant on server " + e.ServerID
}

// Is makes errors.Is(err, ErrGrantExists) true.
func (e *GrantExistsError) Is(target error) bool { return target == ErrGrantExists }

// ExpiryExtensionError refuses to move a key's expiry later: a key's life can
// be shortened, never extended.
type ExpiryExtensionError struct {
	Current time.Time
}

// Error names the current expiry.
func (e *ExpiryExtensionError) Error() string {
	return "the key already expires at " + formatTime(e.Current) + "; an expiry can only be brought forward"
}

// KeyLimitError refuses a key because its owner already holds Limit active
// keys, listed in Active.
type KeyLimitError struct {
	Owner  KeyOwner
	Limit  int
	Active []APIKey
}

// Error names the owner and the limit.
func (e *KeyLimitError) Error() string {
	return fmt.Sprintf("%s %s already has %d active API keys (limit %d)", e.Owner.Type, e.Owner.ID, len(e.Active), e.Limit)
}

// Is makes errors.Is(err, ErrKeyLimit) true.
func (e *KeyLimitError) Is(target error) bool { return target == ErrKeyLimit }
