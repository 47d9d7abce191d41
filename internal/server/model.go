package server

import (
	"crypto/sha256"
	"strings"
	"time"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

// Role is an actor's role in its organization: viewer < member < admin < owner.
type Role string

// ActorType says whether an actor is a user or a service account.
type ActorType string

// KeyStatus is an API key's state, computed when the key is read.
type KeyStatus string

// KeyOwner is who holds an API key: a service account, or a user, whose keys
// are personal keys.
type KeyOwner struct {
	Type ActorType
	ID   string
}

// ServiceAccountKeys names the keys of a service account.
func ServiceAccountKeys(id string) KeyOwner { return KeyOwner{Type: api.ActorServiceAccount, ID: id} }

// PersonalKeys names the personal keys of a user.
func PersonalKeys(userID string) KeyOwner { return KeyOwner{Type: api.ActorUser, ID: userID} }

// activeKeyLimit is how many active keys the owner may hold.
func (o KeyOwner) activeKeyLimit() int {
	if o.Type == api.ActorUser {
		return api.MaxActivePersonalKeysPerUser
	}
	return api.MaxActiveKeysPerServiceAccount
}

// AccessRole is an actor's role on one server: none < viewer < user < admin.
type AccessRole string

// Capability is an MCP capability that a grant may allow.
type Capability string

// capabilityOrder fixes each capability's bit in a CapabilitySet and the
// order in which sets are listed.
var capabilityOrder = [...]Capability{api.CapabilityTools, api.CapabilityResources, api.CapabilityPrompts}

// CapabilitySet is a set of capabilities. As a value it is comparable and
// copies safely, and it cannot hold a duplicate.
type CapabilitySet uint8

// AllCapabilities allows tools, resources and prompts.
const AllCapabilities CapabilitySet = 1<<len(capabilityOrder) - 1

func (c Capability) bit() CapabilitySet {
	for i, known := range capabilityOrder {
		if c == known {
			return 1 << i
		}
	}
	return 0
}

// Has reports whether c is in the set.
func (s CapabilitySet) Has(c Capability) bool { return c.bit() != 0 && s&c.bit() != 0 }

// List returns the set's capabilities in the order tools, resources, prompts.
func (s CapabilitySet) List() []string {
	list := []string{}
	for _, c := range capabilityOrder {
		if s.Has(c) {
			list = append(list, string(c))
		}
	}
	return list
}

// String lists the set's capabilities, comma-separated, for messages.
func (s CapabilitySet) String() string {
	if s == 0 {
		return "none"
	}
	return strings.Join(s.List(), ", ")
}

// OrganizationPatch lists the fields of an organization to change; nil fields
// stay as they are.
type OrganizationPatch struct {
	DefaultServerRole *AccessRole
}

// Organization holds users, service accounts and servers.
type Organization struct {
	ID   string
	Name string
	// DefaultServerRole applies to servers where an actor below admin has no
	// grant: none, viewer or user.
	DefaultServerRole AccessRole
	CreatedAt         time.Time
}

// User is a human member of an organization.
type User struct {
	ID             string
	OrganizationID string
	Name           string
	Role           Role
	CreatedAt      time.Time
}

// ServiceAccount is a non-human actor of an organization.
type ServiceAccount struct {
	ID             string
	OrganizationID string
	Name           string
	Description    string
	Role           Role
	Disabled       bool
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// ServiceAccountPatch lists the fields of a service account to change; nil
// fields stay as they are.
type ServiceAccountPatch struct {
	Name        *string
	Description *string
	Role        *Role
	Disabled    *bool
}

// apply returns sa with the patch applied. Every Store applies patches with
// it, so what a patch changes has one definition.
func (p ServiceAccountPatch) apply(sa ServiceAccount) ServiceAccount {
	if p.Name != nil {
		sa.Name = *p.Name
	}
	if p.Description != nil {
		sa.Description = *p.Description
	}
	if p.Role != nil {
		sa.Role = *p.Role
	}
	if p.Disabled != nil {
		sa.Disabled = *p.Disabled
	}
	return sa
}

// APIKey is a bearer credential. Only the SHA-256 hash of its secret is kept.
// Zero times mean "never" (no expiry, not revoked, not used).
type APIKey struct {
	ID             string
	OrganizationID string
	// OwnerID is the id of the user or service account the key acts as.
	OwnerID      string
	Name         string
	SecretHash   [sha256.Size]byte
	MaskedSecret string
	CreatedAt    time.Time
	ExpiresAt    time.Time
	RevokedAt    time.Time
	LastUsedAt   time.Time
}

// Status reports whether the key is active, expired or revoked at now.
// Revocation wins over expiry because it was an explicit decision.
func (k APIKey) Status(now time.Time) KeyStatus {
	switch {
	case !k.RevokedAt.IsZero():
		return api.KeyStatusRevoked
	case !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt):
		return api.KeyStatusExpired
	default:
		return api.KeyStatusActive
	}
}

// apply returns key with the patch applied and whether that changed it, or an
// *ExpiryExtensionError when the patch would move the expiry later. Every
// Store applies patches with it, so the rule has one definition.
func (p APIKeyPatch) apply(key APIKey) (APIKey, bool, error) {
	changed := false
	if p.ExpiresAt != nil && !p.ExpiresAt.Equal(key.ExpiresAt) {
		if !key.ExpiresAt.IsZero() && p.ExpiresAt.After(key.ExpiresAt) {
			return APIKey{}, false, &ExpiryExtensionError{Current: key.ExpiresAt}
		}
		key.ExpiresAt, changed = p.ExpiresAt.UTC(), true
	}
	if p.Name != nil && *p.Name != key.Name {
		key.Name, changed = *p.Name, true
	}
	return key, changed, nil
}

// MCPServer is an MCP server that an organization serves to its actors.
type MCPServer struct {
	ID             string
	OrganizationID string
	Name           string
	Slug           string
	Description    string
	CreatedAt      time.Time
}

// MCPServerPatch lists the fields of a server to change; nil fields stay as
// they are. The slug is immutable: it is part of the server's identity for
// its clients.
type MCPServerPatch struct {
	Name        *string
	Description *string
}

// apply returns srv with the patch applied. Every Store applies patches with
// it, so what a patch changes has one definition.
func (p MCPServerPatch) apply(srv MCPServer) MCPServer {
	if p.Name != nil {
		srv.Name = *p.Name
	}
	if p.Description != nil {
		srv.Description = *p.Description
	}
	return srv
}

// Grant gives a service account a role on one server, limited to some
// MCP capabilities. There is at most one per account and server.
type Grant struct {
	ServiceAccountID string
	ServerID         string
	OrganizationID   string
	Role             AccessRole
	Capabilities     CapabilitySet
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// Actor is whoever owns the key of a request, with its current role.
type Actor struct {
	ID             string
	Type           ActorType
	Name           string
	Role           Role
	OrganizationID string
	Disabled       bool
}

// IdempotencyRecord is the stored outcome of a POST made with an
// Idempotency-Key. Neither the key nor the response body is kept in plaintext.
type IdempotencyRecord struct {
	// LookupID is hex(SHA-256(actor id + "\x00" + Idempotency-Key)).
	LookupID string
	// Fingerprint is SHA-256 of the request's method, path and body.
	Fingerprint [sha256.Size]byte
	Status      int
	// Ciphertext is the response body sealed with AES-256-GCM under a key
	// derived from the Idempotency-Key, which only the client holds.
	Nonce      []byte
	Ciphertext []byte
	CreatedAt  time.Time
}
