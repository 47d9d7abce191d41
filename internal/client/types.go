package client

// UpdateOrganizationRequest is the body of an organization PATCH; nil fields are left alone.
type UpdateOrganizationRequest struct {
	DefaultServerRole *string `json:"default_server_role,omitempty"`
}

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

// CreateServiceAccountRequest is the body of a service account create.
type CreateServiceAccountRequest struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Role        string `json:"role"`
}

// UpdateServiceAccountRequest is the body of a service account PATCH; nil fields are left alone.
type UpdateServiceAccountRequest struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
	Role        *string `json:"role,omitempty"`
	Disabled    *bool   `json:"disabled,omitempty"`
}

// MaxActiveKeysPerServiceAccount is Horizon's limit of active keys (neither
// revoked nor expired) per service account: two, enough to rotate a key
// without downtime.
const MaxActiveKeysPerServiceAccount = 2

// MaxActivePersonalKeysPerUser is Horizon's limit of active personal keys per user.
const MaxActivePersonalKeysPerUser = 10

// API key statuses.
const (
	KeyStatusActive  = "active"
	KeyStatusExpired = "expired"
	KeyStatusRevoked = "revoked"
)

// KeyStatuses are the statuses of an API key, in the order documentation lists them.
var KeyStatuses = []string{KeyStatusActive, KeyStatusExpired, KeyStatusRevoked}

// APIKey is the metadata of an API key. Secret is set only in the create response.
type APIKey struct {
	ID               string `json:"id"`
	OrganizationID   string `json:"organization_id"`
	ServiceAccountID string `json:"service_account_id"`
	// UserID names the owner of a personal key, which has no ServiceAccountID.
	UserID       string  `json:"user_id"`
	Name         string  `json:"name"`
	MaskedSecret string  `json:"masked_secret"`
	Status       string  `json:"status"`
	CreatedAt    string  `json:"created_at"`
	ExpiresAt    *string `json:"expires_at"`
	RevokedAt    *string `json:"revoked_at"`
	LastUsedAt   *string `json:"last_used_at"`
	Secret       string  `json:"secret,omitempty"`
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

// Server is an MCP server of an organization.
type Server struct {
	ID             string `json:"id"`
	OrganizationID string `json:"organization_id"`
	Name           string `json:"name"`
	Slug           string `json:"slug"`
	Description    string `json:"description"`
	URL            string `json:"url"`
	CreatedAt      string `json:"created_at"`
}

// CreateServerRequest is the body of a server create.
type CreateServerRequest struct {
	Name        string `json:"name"`
	Slug        string `json:"slug"`
	Description string `json:"description"`
}

// UpdateServerRequest is the body of a server PATCH; nil fields are left alone.
// There is no slug: it is immutable.
type UpdateServerRequest struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
}

// The MCP capabilities a server grant may allow.
const (
	CapabilityTools     = "tools"
	CapabilityResources = "resources"
	CapabilityPrompts   = "prompts"
)

// Capabilities are the MCP capabilities, in the order Horizon lists them.
var Capabilities = []string{CapabilityTools, CapabilityResources, CapabilityPrompts}

// ServerGrant gives a service account a role, and a set of capabilities, on one server.
type ServerGrant struct {
	ServiceAccountID string   `json:"service_account_id"`
	ServerID         string   `json:"server_id"`
	OrganizationID   string   `json:"organization_id"`
	Role             string   `json:"role"`
	Capabilities     []string `json:"capabilities"`
	CreatedAt        string   `json:"created_at"`
	UpdatedAt        string   `json:"updated_at"`
}

// PutServerGrantRequest is the body of a grant PUT; nil Capabilities means all three.
type PutServerGrantRequest struct {
	Role         string   `json:"role"`
	Capabilities []string `json:"capabilities,omitempty"`
}
