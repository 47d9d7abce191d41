package server

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

// apiError is an error as the wire shows it: a status, a stable code, a
// message for people and details for programs.
type apiError struct {
	status  int
	code    string
	message string
	details map[string]any
	header  http.Header
	// reason refines code for the MCP endpoint's error data, where a 403 says
	// whether an organization role, a server role or a capability is missing.
	reason string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func invalidField(field, format string, args ...any) *apiError {
	return &apiError{
		status:  http.StatusBadRequest,
		code:    api.CodeInvalidRequest,
		message: fmt.Sprintf(format, args...),
		details: map[string]any{"field": field},
	}
}

func invalidBody(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: api.CodeInvalidRequest, message: fmt.Sprintf(format, args...)}
}

func unauthenticated(message string) *apiError {
	return &apiError{
		status:  http.StatusUnauthorized,
		code:    api.CodeUnauthenticated,
		message: message,
		header:  http.Header{"Www-Authenticate": {`Bearer realm="horizon"`}},
	}
}

func rateLimited(retryAfter time.Duration) *apiError {
	seconds := max(1, int((retryAfter+time.Second-1)/time.Second))
	return &apiError{
		status:  http.StatusTooManyRequests,
		code:    api.CodeRateLimited,
		message: fmt.Sprintf("the organization's rate limit is exhausted; retry after %d seconds", seconds),
		details: map[string]any{"retry_after_seconds": seconds},
		header:  http.Header{"Retry-After": {strconv.Itoa(seconds)}},
	}
}

// errPersonalKeysOfServiceAccount refuses /me/api-keys to a service account's
// key: personal keys belong to users.
var errPersonalKeysOfServiceAccount = &apiError{
	status: http.StatusForbidden,
	code:   api.CodePermissionDenied,
	message: "personal API keys belong to users, and this request was made with a service account's key; " +
		"manage a service account's keys under /organizations/{org}/service-accounts/{sa}/api-keys",
	details: map[string]any{"actor_type": api.ActorServiceAccount, "required_actor_type": api.ActorUser},
	reason:  "actor_type",
}

var errIdempotencyKeyReused = &apiError{
	status:  http.StatusConflict,
	code:    api.CodeIdempotencyKeyReused,
	message: "this Idempotency-Key was already used for a different request; send a new key for a new request",
}

// toAPIError is the one place where domain errors become status codes. Anything
// it does not recognise is a server fault.
func toAPIError(err error) *apiError {
	var (
		apiErr     *apiError
		notFound   *NotFoundError
		conflict   *ConflictError
		keyLimit   *KeyLimitError
		exists     *GrantExistsError
		extension  *ExpiryExtensionError
		permission *permissionError
		capability *capabilityError
		tooLarge   *http.MaxBytesError
	)
	switch {
	case errors.As(err, &apiErr):
		return apiErr
	case errors.As(err, &notFound):
		return &apiError{
			status:  http.StatusNotFound,
			code:    api.CodeNotFound,
			message: fmt.Sprintf("%s not found, or the caller may not see it", humanResource(notFound.Resource)),
			details: map[string]any{"resource": notFound.Resource},
		}
	case errors.As(err, &conflict):
		message := fmt.Sprintf("a %s with %s %q already exists in this organization; choose another %s",
			humanResource(conflict.Resource), conflict.Field, conflict.Value, conflict.Field)
		if conflict.Existing != "" && conflict.Existing != conflict.Value {
			message = fmt.Sprintf("%s %q looks too much like %q, the %s of another %s in this organization "+
				"(names are compared without regard to case, width, spacing and lookalike characters such as Cyrillic е for e); choose another %s",
				conflict.Field, conflict.Value, conflict.Existing, conflict.Field, humanResource(conflict.Resource), conflict.Field)
		}
		return &apiError{
			status:  http.StatusConflict,
			code:    api.CodeNameConflict,
			message: message,
			details: map[string]any{"field": conflict.Field},
		}
	case errors.As(err, &keyLimit):
		return keyLimitError(keyLimit)
	case errors.As(err, &exists):
		return &apiError{
			status: http.StatusPreconditionFailed,
			code:   api.CodeGrantExists,
			message: fmt.Sprintf("service account %s already has a grant on server %s, and If-None-Match: * asks to create one only "+
				"when there is none, so nothing was changed; read the grant, or PUT without If-None-Match to replace it",
				exists.ServiceAccountID, exists.ServerID),
			details: map[string]any{"service_account_id": exists.ServiceAccountID, "server_id": exists.ServerID},
		}
	case errors.As(err, &extension):
		return invalidField("expires_at", "expires_at can only bring the key's expiry forward: it already expires at %s, "+
			"so send an earlier time; a key's life can be shortened, never extended", formatTime(extension.Current))
	case errors.As(err, &permission):
		return &apiError{
			status:  http.StatusForbidden,
			code:    api.CodePermissionDenied,
			message: permission.Error(),
			details: map[string]any{"actor_role": permission.actorRole, "required_role": permission.requiredRole},
			reason:  string(permission.scope),
		}
	case errors.As(err, &capability):
		return &apiError{
			status:  http.StatusForbidden,
			code:    api.CodePermissionDenied,
			message: capability.Error(),
			details: map[string]any{"required_capability": capability.required, "granted_capabilities": capability.granted.List()},
			reason:  "capability",
		}
	case errors.As(err, &tooLarge):
		return &apiError{
			status:  http.StatusRequestEntityTooLarge,
			code:    api.CodePayloadTooLarge,
			message: fmt.Sprintf("request body is larger than %d bytes", tooLarge.Limit),
			details: map[string]any{"limit_bytes": tooLarge.Limit},
		}
	default:
		return &apiError{status: http.StatusInternalServerError, code: api.CodeInternal, message: "internal server error"}
	}
}

func keyLimitError(e *KeyLimitError) *apiError {
	active := make([]activeKeyJSON, 0, len(e.Active))
	for _, k := range e.Active {
		active = append(active, activeKeyJSON{ID: k.ID, Name: k.Name, CreatedAt: formatTime(k.CreatedAt), ExpiresAt: formatOptionalTime(k.ExpiresAt)})
	}
	details := map[string]any{"limit": e.Limit, "active_keys": active}
	owner := "service account"
	if e.Owner.Type == api.ActorUser {
		owner = "user"
		details["user_id"] = e.Owner.ID
	} else {
		details["service_account_id"] = e.Owner.ID
	}
	return &apiError{
		status: http.StatusConflict,
		code:   api.CodeKeyLimitExceeded,
		message: fmt.Sprintf("%s %s already has %d active API keys, the limit; revoke one of them (or let it expire) before creating another",
			owner, e.Owner.ID, e.Limit),
		details: details,
	}
}

func humanResource(resource string) string {
	switch resource {
	case resourceServiceAccount:
		return "service account"
	case resourceAPIKey:
		return "API key"
	case resourceUser:
		return "user"
	case resourceServerGrant:
		return "server grant"
	default:
		return resource
	}
}
