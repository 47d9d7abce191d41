package client

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

func TestAPIErrorMapping(t *testing.T) {
	t.Parallel()
	expiresAt := "2026-12-01T00:00:00Z"
	cases := []struct {
		name         string
		status       int
		body         string
		wantCode     string
		wantIs       []error
		wantField    string
		wantKeyLimit *KeyLimitDetails
		wantPerm     *PermissionDetails
		wantInError  []string
	}{
		{
			name:   "key limit exceeded",
			status: http.StatusConflict,
			body: `{"error":{"code":"key_limit_exceeded","message":"service account sa_x already has 2 active keys","details":{` +
				`"service_account_id":"sa_x","limit":2,"active_keys":[` +
				`{"id":"key_a","name":"a","created_at":"2026-11-01T10:00:00Z","expires_at":null},` +
				`{"id":"key_b","name":"b","created_at":"2026-11-02T10:00:00Z","expires_at":"2026-12-01T00:00:00Z"}]}}}`,
			wantCode: api.CodeKeyLimitExceeded,
			wantIs:   []error{ErrConflict, ErrKeyLimitExceeded},
			wantKeyLimit: &KeyLimitDetails{ServiceAccountID: "sa_x", Limit: 2, ActiveKeys: []KeySketch{
				{ID: "key_a", Name: "a", CreatedAt: "2026-11-01T10:00:00Z"},
				{ID: "key_b", Name: "b", CreatedAt: "2026-11-02T10:00:00Z", ExpiresAt: &expiresAt},
			}},
			wantInError: []string{"HTTP 409", "key_limit_exceeded", "already has 2 active keys"},
		},
		{
			name:        "invalid request names the field",
			status:      http.StatusBadRequest,
			body:        errorBody(api.CodeInvalidRequest, "expires_at must be in the future", map[string]any{"field": "expires_at"}),
			wantCode:    api.CodeInvalidRequest,
			wantField:   "expires_at",
			wantInError: []string{"HTTP 400", "invalid_request", "expires_at must be in the future"},
		},
		{
			name:        "name conflict names the field",
			status:      http.StatusConflict,
			body:        errorBody(api.CodeNameConflict, "name is taken", map[string]any{"field": "name"}),
			wantCode:    api.CodeNameConflict,
			wantIs:      []error{ErrConflict},
			wantField:   "name",
			wantInError: []string{"HTTP 409", "name_conflict"},
		},
		{
			name:        "permission denied names the roles",
			status:      http.StatusForbidden,
			body:        errorBody(api.CodePermissionDenied, "admin role required", map[string]any{"actor_role": "member", "required_role": "admin"}),
			wantCode:    api.CodePermissionDenied,
			wantIs:      []error{ErrPermissionDenied},
			wantPerm:    &PermissionDetails{ActorRole: "member", RequiredRole: "admin"},
			wantInError: []string{"HTTP 403", "permission_denied", "admin role required"},
		},
		{
			name:        "permission denied without details",
			status:      http.StatusForbidden,
			body:        errorBody(api.CodePermissionDenied, "no", nil),
			wantCode:    api.CodePermissionDenied,
			wantIs:      []error{ErrPermissionDenied},
			wantPerm:    &PermissionDetails{},
			wantInError: []string{"HTTP 403", "permission_denied"},
		},
		{
			name:        "not found",
			status:      http.StatusNotFound,
			body:        errorBody(api.CodeNotFound, "no such service account", map[string]any{"resource": "service_account"}),
			wantCode:    api.CodeNotFound,
			wantIs:      []error{ErrNotFound},
			wantInError: []string{"HTTP 404", "not_found"},
		},
		{
			name:        "idempotency key reused",
			status:      http.StatusConflict,
			body:        errorBody(api.CodeIdempotencyKeyReused, "different request", nil),
			wantCode:    api.CodeIdempotencyKeyReused,
			wantIs:      []error{ErrConflict},
			wantInError: []string{"HTTP 409", "idempotency_key_reused"},
		},
		{
			name:        "non-JSON body from a proxy",
			status:      http.StatusBadGateway,
			body:        "<html><body>502 Bad Gateway</body></html>",
			wantInError: []string{"HTTP 502", "unknown", "Bad Gateway"},
		},
		{
			name:        "empty body",
			status:      http.StatusUnauthorized,
			body:        "",
			wantIs:      []error{ErrUnauthenticated},
			wantInError: []string{"HTTP 401", "unknown", "Unauthorized"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := scriptedServer(t, reply{status: tc.status, body: tc.body})
			c := newTestClient(t, srv.URL, maxRetries(0))

			_, err := c.CreateAPIKey(t.Context(), "sa_x", CreateAPIKeyRequest{Name: "c"})

			apiErr, ok := AsAPIError(err)
			if !ok {
				t.Fatalf("err = %v (%T), want *APIError", err, err)
			}
			if apiErr.StatusCode != tc.status || apiErr.Code != tc.wantCode {
				t.Errorf("status %d code %q, want %d %q", apiErr.StatusCode, apiErr.Code, tc.status, tc.wantCode)
			}
			if apiErr.Method != http.MethodPost || apiErr.Path != "/api/v0/organizations/current/service-accounts/sa_x/api-keys" {
				t.Errorf("Method %q Path %q", apiErr.Method, apiErr.Path)
			}
			assertSentinels(t, err, tc.wantIs)
			if got := apiErr.Field(); got != tc.wantField {
				t.Errorf("Field() = %q, want %q", got, tc.wantField)
			}

			keyLimit, isKeyLimit := apiErr.KeyLimit()
			if isKeyLimit != (tc.wantKeyLimit != nil) {
				t.Errorf("KeyLimit() ok = %v, want %v", isKeyLimit, tc.wantKeyLimit != nil)
			}
			if tc.wantKeyLimit != nil && !reflect.DeepEqual(keyLimit, *tc.wantKeyLimit) {
				t.Errorf("KeyLimit() = %+v, want %+v", keyLimit, *tc.wantKeyLimit)
			}

			perm, isPerm := apiErr.Permission()
			if isPerm != (tc.wantPerm != nil) {
				t.Errorf("Permission() ok = %v, want %v", isPerm, tc.wantPerm != nil)
			}
			if tc.wantPerm != nil && perm != *tc.wantPerm {
				t.Errorf("Permission() = %+v, want %+v", perm, *tc.wantPerm)
			}

			msg := err.Error()
			for _, want := range append([]string{"POST", apiErr.Path}, tc.wantInError...) {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not contain %q", msg, want)
				}
			}
		})
	}
}

func TestAPIErrorIsSurvivesWrapping(t *testing.T) {
	t.Parallel()
	base := &APIError{StatusCode: http.StatusNotFound, Code: api.CodeNotFound, Method: http.MethodGet, Path: "/x"}
	wrapped := errors.Join(errors.New("reading service account"), base)

	if !errors.Is(wrapped, ErrNotFound) {
		t.Error("wrapped 404 is not ErrNotFound")
	}
	if got, ok := AsAPIError(wrapped); !ok || got != base {
		t.Errorf("AsAPIError = %v, %v", got, ok)
	}
	if _, ok := AsAPIError(errors.New("plain")); ok {
		t.Error("AsAPIError found an APIError in a plain error")
	}
}

// A refused key is named by its masked form, so a user can tell which of
// their keys Horizon refused; the key itself never appears.
func TestUnauthenticatedNamesTheMaskedKey(t *testing.T) {
	t.Parallel()
	srv, _ := scriptedServer(t, reply{status: http.StatusUnauthorized, body: errorBody(api.CodeUnauthenticated, "API key has been revoked", nil)})
	c := newTestClient(t, srv.URL)
	_, err := c.Me(t.Context())
	apiErr, ok := AsAPIError(err)
	if !ok || !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("err = %v, want a 401 APIError", err)
	}
	if apiErr.MaskedAPIKey != "fmcp_test...0000" || apiErr.Message != "API key has been revoked" {
		t.Errorf("MaskedAPIKey = %q, Message = %q; want fmcp_test...0000 and the server's reason", apiErr.MaskedAPIKey, apiErr.Message)
	}
	if strings.Contains(fmt.Sprintf("%v %+v", err, *apiErr), testAPIKey) {
		t.Errorf("the error holds the key: %+v", *apiErr)
	}
}

func TestMaskAPIKey(t *testing.T) {
	t.Parallel()
	for key, want := range map[string]string{
		"fmcp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789wXyZ": "fmcp_AbCd...wXyZ",
		"fmcp_short":            "fmcp_...",
		"sk_live_not_a_horizon": "",
	} {
		if got := maskAPIKey(key); got != want {
			t.Errorf("maskAPIKey(%q) = %q, want %q", key, got, want)
		}
	}
}
