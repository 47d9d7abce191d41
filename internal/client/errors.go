package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

// Sentinel errors, matched with errors.Is against any error this package returns.
var (
	// ErrNotFound: the object does not exist, or the caller may not discover it.
	ErrNotFound = api.ErrNotFound
	// ErrUnauthenticated: Horizon did not accept the API key.
	ErrUnauthenticated = errors.New("api key not accepted")
	// ErrPermissionDenied: the key was accepted but its owner lacks a role.
	ErrPermissionDenied = errors.New("permission denied")
	// ErrConflict: the request conflicts with the current state (any 409).
	ErrConflict = api.ErrConflict
	// ErrKeyLimitExceeded: the key's owner already holds as many active keys as it may.
	ErrKeyLimitExceeded = api.ErrKeyLimitExceeded
	// ErrGrantExists: a create of a server grant found one in place, and changed nothing.
	ErrGrantExists = api.ErrGrantExists
	// ErrRateLimited: Horizon kept answering 429 after every permitted retry.
	ErrRateLimited = errors.New("rate limited")
	// ErrUnreachable: no HTTP response could be obtained from the endpoint.
	ErrUnreachable = errors.New("endpoint unreachable")
)

// APIError is an error response from Horizon.
type APIError struct {
	StatusCode int
	Code       string
	Message    string
	// Details holds the raw "details" object, decoded on demand by the typed accessors.
	Details json.RawMessage
	Method  string
	Path    string
	// MaskedAPIKey is set on a 401: the masked form (fmcp_AbCd...wXyZ) of the
	// key the request sent, so a message can say which key Horizon refused.
	// It is never the key itself.
	MaskedAPIKey string
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	code := e.Code
	if code == "" {
		code = "unknown"
	}
	return fmt.Sprintf("%s %s: HTTP %d %s: %s", e.Method, e.Path, e.StatusCode, code, msg)
}

// Is lets errors.Is match an APIError against the package's sentinel errors.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrUnauthenticated:
		return e.StatusCode == http.StatusUnauthorized
	case ErrPermissionDenied:
		return e.StatusCode == http.StatusForbidden
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	case ErrKeyLimitExceeded:
		return e.StatusCode == http.StatusConflict && e.Code == api.CodeKeyLimitExceeded
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrGrantExists:
		return e.StatusCode == http.StatusPreconditionFailed && e.Code == api.CodeGrantExists
	}
	return false
}

// Field returns the request field a 400 or 409 names, or "".
func (e *APIError) Field() string {
	var d struct {
		Field string `json:"field"`
	}
	_ = json.Unmarshal(e.Details, &d)
	return d.Field
}

// PermissionDetails are the details of a 403.
type PermissionDetails struct {
	ActorRole    string `json:"actor_role"`
	RequiredRole string `json:"required_role"`
}

// Permission returns the details of a 403, or false for any other error.
func (e *APIError) Permission() (PermissionDetails, bool) {
	var d PermissionDetails
	if e.StatusCode != http.StatusForbidden {
		return d, false
	}
	_ = json.Unmarshal(e.Details, &d)
	return d, true
}

// KeyLimitDetails are the details of a key_limit_exceeded conflict.
type KeyLimitDetails struct {
	ServiceAccountID string `json:"service_account_id"`
	// UserID is set instead for a user's personal keys.
	UserID     string      `json:"user_id"`
	Limit      int         `json:"limit"`
	ActiveKeys []KeySketch `json:"active_keys"`
}

// KeySketch identifies a key in an error's details.
type KeySketch struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	CreatedAt string  `json:"created_at"`
	ExpiresAt *string `json:"expires_at"`
}

// KeyLimit returns the details of a key_limit_exceeded error, or false for any other error.
func (e *APIError) KeyLimit() (KeyLimitDetails, bool) {
	var d KeyLimitDetails
	if !e.Is(ErrKeyLimitExceeded) {
		return d, false
	}
	if err := json.Unmarshal(e.Details, &d); err != nil {
		return d, false
	}
	return d, true
}

// AsAPIError returns the APIError inside err, if there is one.
func AsAPIError(err error) (*APIError, bool) {
	var apiErr *APIError
	ok := errors.As(err, &apiErr)
	return apiErr, ok
}

// Resource returns the kind of object a 404 names ("service_account", "server",
// "server_grant", ...), or "" for any other error.
func (e *APIError) Resource() string {
	if e.StatusCode != http.StatusNotFound {
		return ""
	}
	var d struct {
		Resource string `json:"resource"`
	}
	_ = json.Unmarshal(e.Details, &d)
	return d.Resource
}
