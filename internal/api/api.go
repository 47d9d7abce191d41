// Package api is Horizon's REST API as the provider's client and the
// reference server both speak it: the JSON shapes of its objects and request
// bodies, its enumerations, limits and error codes. Each is defined here once;
// the client and the server use these definitions, and the golden tests hold
// them to the examples of internal/server/API.md. It imports nothing of the
// project.
package api

import "errors"

// Organization roles, lowest first.
const (
	RoleViewer = "viewer"
	RoleMember = "member"
	RoleAdmin  = "admin"
	RoleOwner  = "owner"
)

// ServiceAccountRoles are the organization roles a service account may hold,
// lowest first, and DefaultServiceAccountRole the one it gets when a create
// names none: the least privilege.
var ServiceAccountRoles = []string{RoleViewer, RoleMember, RoleAdmin}

// DefaultServiceAccountRole is the role of a service account created without one.
const DefaultServiceAccountRole = RoleViewer

// Server roles (an actor's access to one server), lowest first.
const (
	ServerRoleNone   = "none"
	ServerRoleViewer = "viewer"
	ServerRoleUser   = "user"
	ServerRoleAdmin  = "admin"
)

// GrantRoles are the server roles a grant may give.
var GrantRoles = []string{ServerRoleViewer, ServerRoleUser, ServerRoleAdmin}

// DefaultServerRoles are the values of an organization's default_server_role.
var DefaultServerRoles = []string{ServerRoleNone, ServerRoleViewer, ServerRoleUser}

// Actor types: who owns an API key.
const (
	ActorUser           = "user"
	ActorServiceAccount = "service_account"
)

// API key statuses.
const (
	KeyStatusActive  = "active"
	KeyStatusExpired = "expired"
	KeyStatusRevoked = "revoked"
)

// KeyStatuses are the statuses of an API key, in the order documentation lists them.
var KeyStatuses = []string{KeyStatusActive, KeyStatusExpired, KeyStatusRevoked}

// MaxActiveKeysPerServiceAccount is how many keys a service account may hold
// that are neither revoked nor expired: two, so a key can be rotated without
// downtime.
const MaxActiveKeysPerServiceAccount = 2

// MaxActivePersonalKeysPerUser is how many personal keys a user may hold that
// are neither revoked nor expired: one per laptop, CI runner or tool a person
// uses, with room to rotate each, and few enough that a forgotten key stands
// out.
const MaxActivePersonalKeysPerUser = 10

// The MCP capabilities a server grant may allow.
const (
	CapabilityTools     = "tools"
	CapabilityResources = "resources"
	CapabilityPrompts   = "prompts"
)

// Capabilities are the MCP capabilities, in the order Horizon lists them.
var Capabilities = []string{CapabilityTools, CapabilityResources, CapabilityPrompts}

// Error codes of the error body.
const (
	CodeInvalidRequest       = "invalid_request"
	CodeUnauthenticated      = "unauthenticated"
	CodePermissionDenied     = "permission_denied"
	CodeNotFound             = "not_found"
	CodeMethodNotAllowed     = "method_not_allowed"
	CodeRequestTimeout       = "request_timeout"
	CodeKeyLimitExceeded     = "key_limit_exceeded"
	CodeNameConflict         = "name_conflict"
	CodeGrantExists          = "grant_exists"
	CodeIdempotencyKeyReused = "idempotency_key_reused"
	CodePayloadTooLarge      = "payload_too_large"
	CodeRateLimited          = "rate_limited"
	CodeUnavailable          = "unavailable"
	CodeInternal             = "internal"
)

// Organization is a Horizon organization.
type Organization struct {
	ID                string `json:"id"`
	Name              string `json:"name"`
	DefaultServerRole string `json:"default_server_role"`
	CreatedAt         string `json:"created_at"`
}

// Actor is the user or service account that owns the calling key.
type Actor struct {
	ID             string `json:"id"`
	Type           string `json:"type"`
	Name           string `json:"name"`
	Role           string `json:"role"`
	OrganizationID string `json:"organization_id"`
}

// Me is the answer to GET /me.
type Me struct {
	Actor         Actor          `json:"actor"`
	Organizations []Organization `json:"organizations"`
}

// ServiceAccount is a non-human actor of an organization.
type ServiceAccount struct {
	ID             string `json:"id"`
	OrganizationID string `json:"organization_id"`
	Name           string `json:"name"`
	Description    string `json:"description"`
	Role           string `json:"role"`
	Disabled       bool   `json:"disabled"`
	CreatedAt      string `json:"created_at"`
	UpdatedAt      string `json:"updated_at"`
}

// CreatedServiceAccount is the answer to a service account create, with its
// initial key when the request asked for one.
type CreatedServiceAccount struct {
	ServiceAccount
	APIKey *Key `json:"api_key,omitempty"`
}

// Key is the metadata of an API key. Secret is set only in the create
// response. A personal key names its owner in UserID, a service account's key
// in ServiceAccountID.
type Key struct {
	ID               string  `json:"id"`
	OrganizationID   string  `json:"organization_id"`
	ServiceAccountID string  `json:"service_account_id,omitempty"`
	UserID           string  `json:"user_id,omitempty"`
	Name             string  `json:"name"`
	MaskedSecret     string  `json:"masked_secret"`
	Status           string  `json:"status"`
	CreatedAt        string  `json:"created_at"`
	ExpiresAt        *string `json:"expires_at"`
	RevokedAt        *string `json:"revoked_at"`
	LastUsedAt       *string `json:"last_used_at"`
	Secret           string  `json:"secret,omitempty"`
}

// Server is an MCP server of an organization; URL is its MCP endpoint.
type Server struct {
	ID             string `json:"id"`
	OrganizationID string `json:"organization_id"`
	Name           string `json:"name"`
	Slug           string `json:"slug"`
	Description    string `json:"description"`
	URL            string `json:"url"`
	CreatedAt      string `json:"created_at"`
}

// ServerGrant gives a service account a role, and a set of capabilities, on
// one server. Capabilities is never empty, and in the order of Capabilities.
type ServerGrant struct {
	ServiceAccountID string   `json:"service_account_id"`
	ServerID         string   `json:"server_id"`
	OrganizationID   string   `json:"organization_id"`
	Role             string   `json:"role"`
	Capabilities     []string `json:"capabilities"`
	CreatedAt        string   `json:"created_at"`
	UpdatedAt        string   `json:"updated_at"`
}

// UpdateOrganizationRequest is the body of an organization PATCH; nil fields are left alone.
type UpdateOrganizationRequest struct {
	DefaultServerRole *string `json:"default_server_role,omitempty"`
}

// CreateServiceAccountRequest is the body of a service account create. An
// empty Role is DefaultServiceAccountRole; CreateKey asks for an initial key.
type CreateServiceAccountRequest struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Role        string `json:"role,omitempty"`
	CreateKey   bool   `json:"create_key,omitempty"`
}

// UpdateServiceAccountRequest is the body of a service account PATCH; nil fields are left alone.
type UpdateServiceAccountRequest struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
	Role        *string `json:"role,omitempty"`
	Disabled    *bool   `json:"disabled,omitempty"`
}

// CreateAPIKeyRequest is the body of a key create.
type CreateAPIKeyRequest struct {
	Name      string  `json:"name"`
	ExpiresAt *string `json:"expires_at,omitempty"`
	// TTLSeconds makes Horizon set expires_at to the creation time plus this many seconds.
	TTLSeconds *int64 `json:"ttl_seconds,omitempty"`
}

// UpdateAPIKeyRequest is the body of a key PATCH; nil fields are left alone.
// ExpiresAt may only bring the key's expiry forward: Horizon refuses a later
// time with a 400 naming expires_at.
type UpdateAPIKeyRequest struct {
	Name      *string `json:"name,omitempty"`
	ExpiresAt *string `json:"expires_at,omitempty"`
}

// CreateServerRequest is the body of a server create.
type CreateServerRequest struct {
	Name        string `json:"name"`
	Slug        string `json:"slug"`
	Description string `json:"description"`
}

// UpdateServerRequest is the body of a server PATCH; nil fields are left
// alone. A slug is immutable: Slug is there only for Horizon to refuse it
// with a message that says so.
type UpdateServerRequest struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
	Slug        *string `json:"slug,omitempty"`
}

// PutServerGrantRequest is the body of a grant PUT. Capabilities is a
// pointer so that an absent list, which means all capabilities, differs from
// an empty one, which Horizon refuses.
type PutServerGrantRequest struct {
	Role         string    `json:"role"`
	Capabilities *[]string `json:"capabilities,omitempty"`
}

// The failures both sides name: the client's errors and the server's store
// errors match them with errors.Is.
var (
	// ErrNotFound: the object does not exist, or the caller may not discover it.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the request conflicts with what is stored (a name in use).
	ErrConflict = errors.New("conflict")
	// ErrKeyLimitExceeded: the key's owner already holds as many active keys as it may.
	ErrKeyLimitExceeded = errors.New("active key limit exceeded")
	// ErrGrantExists: a create of a server grant found one in place, and changed nothing.
	ErrGrantExists = errors.New("server grant exists")
)
