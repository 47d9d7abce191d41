package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

func TestNewValidatesConfig(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name         string
		endpoint     string
		maxRetries   int
		wantErr      string
		wantEndpoint string
	}{
		{name: "http loopback", endpoint: "http://127.0.0.1:8787", wantEndpoint: "http://127.0.0.1:8787"},
		{name: "https with trailing slash", endpoint: "https://horizon.example.com/", wantEndpoint: "https://horizon.example.com"},
		{name: "https with base path", endpoint: "https://example.com/horizon/", wantEndpoint: "https://example.com/horizon"},
		{name: "zero retries", endpoint: "http://127.0.0.1:8787", maxRetries: 0, wantEndpoint: "http://127.0.0.1:8787"},
		{name: "empty", endpoint: "", wantErr: "endpoint"},
		{name: "host and port without scheme", endpoint: "127.0.0.1:8787", wantErr: "endpoint"},
		{name: "hostname and port without scheme", endpoint: "localhost:8787", wantErr: "endpoint"},
		{name: "relative path", endpoint: "/api/v0", wantErr: "endpoint"},
		{name: "other scheme", endpoint: "ftp://horizon.example.com", wantErr: "endpoint"},
		{name: "no host", endpoint: "http://", wantErr: "endpoint"},
		{name: "unparsable", endpoint: "http://[::1", wantErr: "endpoint"},
		{name: "negative retries", endpoint: "http://127.0.0.1:8787", maxRetries: -1, wantErr: "max_retries"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := New(Config{Endpoint: tc.endpoint, APIKey: testAPIKey, MaxRetries: tc.maxRetries})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("New(%q, %d) = %v, want an error about %s", tc.endpoint, tc.maxRetries, err, tc.wantErr)
				}
				if strings.Contains(err.Error(), testAPIKey) {
					t.Errorf("error %q contains the API key", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("New(%q) = %v", tc.endpoint, err)
			}
			if got := c.base.String(); got != tc.wantEndpoint {
				t.Errorf("base URL = %q, want %q", got, tc.wantEndpoint)
			}
		})
	}
}

func TestRequestHeaders(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name          string
		userAgent     string
		call          func(context.Context, *Client) error
		wantUserAgent string
		wantBody      bool
	}{
		{name: "GET", call: func(ctx context.Context, c *Client) error { _, err := c.Me(ctx); return err },
			wantUserAgent: "horizon-go-client"},
		{name: "DELETE", call: func(ctx context.Context, c *Client) error { return c.DeleteServiceAccount(ctx, "sa_a") },
			wantUserAgent: "horizon-go-client"},
		{name: "POST with custom User-Agent", userAgent: "terraform-provider-horizon/1.2.3",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.CreateAPIKey(ctx, "sa_a", CreateAPIKeyRequest{Name: "k"})
				return err
			},
			wantUserAgent: "terraform-provider-horizon/1.2.3", wantBody: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, log := scriptedServer(t, ok())
			c := newTestClient(t, srv.URL, func(cfg *Config) { cfg.UserAgent = tc.userAgent })

			if err := tc.call(t.Context(), c); err != nil {
				t.Fatal(err)
			}

			h := log.all()[0].header
			if got := h.Values("Authorization"); len(got) != 1 || got[0] != "Bearer "+testAPIKey {
				t.Errorf("Authorization = %q, want one Bearer header with the key", got)
			}
			if got := h.Get("Accept"); got != "application/json" {
				t.Errorf("Accept = %q", got)
			}
			if got := h.Get("User-Agent"); got != tc.wantUserAgent {
				t.Errorf("User-Agent = %q, want %q", got, tc.wantUserAgent)
			}
			wantContentType := ""
			if tc.wantBody {
				wantContentType = "application/json"
			}
			if got := h.Get("Content-Type"); got != wantContentType {
				t.Errorf("Content-Type = %q, want %q", got, wantContentType)
			}
		})
	}
}

func TestRequestPaths(t *testing.T) {
	t.Parallel()
	type call = func(context.Context, *Client) error
	cases := []struct {
		name     string
		endpoint string // path appended to the fake's URL
		org      string
		call     call
		wantURI  string
		wantSegs []string // decoded segments after /api/v0/organizations/
	}{
		{name: "me ignores the organization", org: "org_a",
			call:    func(ctx context.Context, c *Client) error { _, err := c.Me(ctx); return err },
			wantURI: "/api/v0/me"},
		{name: "empty organization is current",
			call:     func(ctx context.Context, c *Client) error { _, err := c.GetOrganization(ctx); return err },
			wantURI:  "/api/v0/organizations/current",
			wantSegs: []string{"current"}},
		{name: "configured organization", org: "org_3h7k2m9q4w8e",
			call:     func(ctx context.Context, c *Client) error { _, err := c.ListServers(ctx); return err },
			wantURI:  "/api/v0/organizations/org_3h7k2m9q4w8e/servers",
			wantSegs: []string{"org_3h7k2m9q4w8e", "servers"}},
		{name: "server by id",
			call:     func(ctx context.Context, c *Client) error { _, err := c.GetServer(ctx, "srv_1"); return err },
			wantURI:  "/api/v0/organizations/current/servers/srv_1",
			wantSegs: []string{"current", "servers", "srv_1"}},
		{name: "service accounts",
			call:     func(ctx context.Context, c *Client) error { _, err := c.ListServiceAccounts(ctx); return err },
			wantURI:  "/api/v0/organizations/current/service-accounts",
			wantSegs: []string{"current", "service-accounts"}},
		{name: "api key of a service account", org: "org_a",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetAPIKey(ctx, "sa_b", "key_c")
				return err
			},
			wantURI:  "/api/v0/organizations/org_a/service-accounts/sa_b/api-keys/key_c",
			wantSegs: []string{"org_a", "service-accounts", "sa_b", "api-keys", "key_c"}},
		{name: "revoke", call: func(ctx context.Context, c *Client) error {
			_, err := c.RevokeAPIKey(ctx, "sa_b", "key_c")
			return err
		},
			wantURI:  "/api/v0/organizations/current/service-accounts/sa_b/api-keys/key_c",
			wantSegs: []string{"current", "service-accounts", "sa_b", "api-keys", "key_c"}},
		{name: "segments are escaped", org: "org a/b",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetAPIKey(ctx, "sa/../x", "key?y=1#z%")
				return err
			},
			wantURI:  "/api/v0/organizations/org%20a%2Fb/service-accounts/sa%2F..%2Fx/api-keys/key%3Fy=1%23z%25",
			wantSegs: []string{"org a/b", "service-accounts", "sa/../x", "api-keys", "key?y=1#z%"}},
		{name: "endpoint base path is kept", endpoint: "/horizon/",
			call:     func(ctx context.Context, c *Client) error { _, err := c.GetServiceAccount(ctx, "sa_b"); return err },
			wantURI:  "/horizon/api/v0/organizations/current/service-accounts/sa_b",
			wantSegs: nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, log := scriptedServer(t, ok())
			c := newTestClient(t, srv.URL+tc.endpoint, func(cfg *Config) { cfg.OrganizationID = tc.org })

			if err := tc.call(t.Context(), c); err != nil {
				t.Fatal(err)
			}

			uri := log.all()[0].requestURI
			if uri != tc.wantURI {
				t.Errorf("request URI = %q, want %q", uri, tc.wantURI)
			}
			if tc.wantSegs == nil {
				return
			}
			rest, found := strings.CutPrefix(uri, "/api/v0/organizations/")
			if !found {
				t.Fatalf("request URI %q is not under /api/v0/organizations/", uri)
			}
			var segs []string
			for _, s := range strings.Split(rest, "/") {
				decoded, err := url.PathUnescape(s)
				if err != nil {
					t.Fatalf("segment %q: %v", s, err)
				}
				segs = append(segs, decoded)
			}
			if !reflect.DeepEqual(segs, tc.wantSegs) {
				t.Errorf("decoded segments %q, want %q", segs, tc.wantSegs)
			}
		})
	}
}

func TestOrganizationID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ configured, want string }{
		{"", CurrentOrganization},
		{"org_a", "org_a"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			t.Parallel()
			c := newTestClient(t, "http://127.0.0.1:1", func(cfg *Config) { cfg.OrganizationID = tc.configured })
			if got := c.OrganizationID(); got != tc.want {
				t.Errorf("OrganizationID() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRequestBodies(t *testing.T) {
	t.Parallel()
	ptr := func(s string) *string { return &s }
	yes, no := true, false
	cases := []struct {
		name       string
		call       func(context.Context, *Client) error
		wantMethod string
		wantBody   map[string]any // nil: no body
	}{
		{name: "create service account", wantMethod: http.MethodPost,
			call: func(ctx context.Context, c *Client) error {
				_, err := c.CreateServiceAccount(ctx, CreateServiceAccountRequest{Name: "ci-deployer", Description: "CI", Role: "admin"})
				return err
			},
			wantBody: map[string]any{"name": "ci-deployer", "description": "CI", "role": "admin"}},
		{name: "update service account, every field", wantMethod: http.MethodPatch,
			call: func(ctx context.Context, c *Client) error {
				_, err := c.UpdateServiceAccount(ctx, "sa_a", UpdateServiceAccountRequest{
					Name: ptr("renamed"), Description: ptr(""), Role: ptr("viewer"), Disabled: &no,
				})
				return err
			},
			wantBody: map[string]any{"name": "renamed", "description": "", "role": "viewer", "disabled": false}},
		{name: "update service account, one field", wantMethod: http.MethodPatch,
			call: func(ctx context.Context, c *Client) error {
				_, err := c.UpdateServiceAccount(ctx, "sa_a", UpdateServiceAccountRequest{Disabled: &yes})
				return err
			},
			wantBody: map[string]any{"disabled": true}},
		{name: "create api key without expiry", wantMethod: http.MethodPost,
			call: func(ctx context.Context, c *Client) error {
				_, err := c.CreateAPIKey(ctx, "sa_a", CreateAPIKeyRequest{Name: "primary"})
				return err
			},
			wantBody: map[string]any{"name": "primary"}},
		{name: "create api key with expiry", wantMethod: http.MethodPost,
			call: func(ctx context.Context, c *Client) error {
				_, err := c.CreateAPIKey(ctx, "sa_a", CreateAPIKeyRequest{Name: "primary", ExpiresAt: ptr("2026-12-23T11:00:00Z")})
				return err
			},
			wantBody: map[string]any{"name": "primary", "expires_at": "2026-12-23T11:00:00Z"}},
		{name: "rename api key", wantMethod: http.MethodPatch,
			call: func(ctx context.Context, c *Client) error {
				_, err := c.UpdateAPIKey(ctx, "sa_a", "key_b", UpdateAPIKeyRequest{Name: ptr("secondary")})
				return err
			},
			wantBody: map[string]any{"name": "secondary"}},
		{name: "revoke sends no body", wantMethod: http.MethodDelete,
			call: func(ctx context.Context, c *Client) error {
				_, err := c.RevokeAPIKey(ctx, "sa_a", "key_b")
				return err
			}},
		{name: "get sends no body", wantMethod: http.MethodGet,
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetAPIKey(ctx, "sa_a", "key_b")
				return err
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, log := scriptedServer(t, ok())
			c := newTestClient(t, srv.URL)

			if err := tc.call(t.Context(), c); err != nil {
				t.Fatal(err)
			}

			seen := log.all()[0]
			if seen.method != tc.wantMethod {
				t.Errorf("method %s, want %s", seen.method, tc.wantMethod)
			}
			if tc.wantBody == nil {
				if len(seen.body) != 0 {
					t.Errorf("body %q, want none", seen.body)
				}
				return
			}
			var got map[string]any
			if err := json.Unmarshal(seen.body, &got); err != nil {
				t.Fatalf("body %q is not a JSON object: %v", seen.body, err)
			}
			if !reflect.DeepEqual(got, tc.wantBody) {
				t.Errorf("body %s, want %v", seen.body, tc.wantBody)
			}
		})
	}
}

func TestResponseDecoding(t *testing.T) {
	t.Parallel()
	const keyJSON = `{"id":"key_2w4e6r8t0y2u","organization_id":"org_a","service_account_id":"sa_b","name":"primary",` +
		`"masked_secret":"fmcp_AbCd...wXyZ","status":"active","created_at":"2026-11-23T11:00:00Z","expires_at":null,` +
		`"revoked_at":null,"last_used_at":"2026-11-23T12:00:00Z"}`
	lastUsed := "2026-11-23T12:00:00Z"
	wantKey := APIKey{ID: "key_2w4e6r8t0y2u", OrganizationID: "org_a", ServiceAccountID: "sa_b", Name: "primary",
		MaskedSecret: "fmcp_AbCd...wXyZ", Status: api.KeyStatusActive, CreatedAt: "2026-11-23T11:00:00Z", LastUsedAt: &lastUsed}
	const saJSON = `{"id":"sa_a","organization_id":"org_a","name":"ci","description":"d","role":"member","disabled":true,` +
		`"created_at":"2026-11-23T11:00:00Z","updated_at":"2026-11-23T11:30:00Z"}`
	wantSA := ServiceAccount{ID: "sa_a", OrganizationID: "org_a", Name: "ci", Description: "d", Role: "member", Disabled: true,
		CreatedAt: "2026-11-23T11:00:00Z", UpdatedAt: "2026-11-23T11:30:00Z"}
	const serverJSON = `{"id":"srv_a","organization_id":"org_a","name":"Weather","slug":"weather","description":"",` +
		`"url":"http://127.0.0.1:8787/mcp/srv_a","created_at":"2026-11-23T11:00:00Z"}`
	wantServer := Server{ID: "srv_a", OrganizationID: "org_a", Name: "Weather", Slug: "weather",
		URL: "http://127.0.0.1:8787/mcp/srv_a", CreatedAt: "2026-11-23T11:00:00Z"}
	org := Organization{ID: "org_a", Name: "Acme", DefaultServerRole: "none", CreatedAt: "2026-11-23T11:00:00Z"}

	cases := []struct {
		name   string
		status int
		body   string
		call   func(context.Context, *Client) (any, error)
		want   any
	}{
		{name: "api key", status: 200, body: keyJSON, want: &wantKey,
			call: func(ctx context.Context, c *Client) (any, error) { return c.GetAPIKey(ctx, "sa_b", "key_2w4e6r8t0y2u") }},
		{name: "api key list", status: 200, body: `{"api_keys":[` + keyJSON + `]}`, want: []APIKey{wantKey},
			call: func(ctx context.Context, c *Client) (any, error) { return c.ListAPIKeys(ctx, "sa_b") }},
		{name: "empty api key list", status: 200, body: `{"api_keys":[]}`, want: []APIKey{},
			call: func(ctx context.Context, c *Client) (any, error) { return c.ListAPIKeys(ctx, "sa_b") }},
		{name: "service account", status: 200, body: saJSON, want: &wantSA,
			call: func(ctx context.Context, c *Client) (any, error) { return c.GetServiceAccount(ctx, "sa_a") }},
		{name: "service account list", status: 200, body: `{"service_accounts":[` + saJSON + `]}`, want: []ServiceAccount{wantSA},
			call: func(ctx context.Context, c *Client) (any, error) { return c.ListServiceAccounts(ctx) }},
		{name: "server list", status: 200, body: `{"servers":[` + serverJSON + `]}`, want: []Server{wantServer},
			call: func(ctx context.Context, c *Client) (any, error) { return c.ListServers(ctx) }},
		{name: "organization", status: 200,
			body: `{"id":"org_a","name":"Acme","default_server_role":"none","created_at":"2026-11-23T11:00:00Z"}`, want: &org,
			call: func(ctx context.Context, c *Client) (any, error) { return c.GetOrganization(ctx) }},
		{name: "me", status: 200,
			body: `{"actor":{"id":"usr_a","type":"user","name":"Owner","role":"owner","organization_id":"org_a"},` +
				`"organizations":[{"id":"org_a","name":"Acme","default_server_role":"none","created_at":"2026-11-23T11:00:00Z"}]}`,
			want: &Me{Actor: Actor{ID: "usr_a", Type: "user", Name: "Owner", Role: "owner", OrganizationID: "org_a"},
				Organizations: []Organization{org}},
			call: func(ctx context.Context, c *Client) (any, error) { return c.Me(ctx) }},
		{name: "created key carries its secret", status: 201,
			body: strings.TrimSuffix(keyJSON, "}") + `,"secret":"fmcp_s3cr3t"}`,
			want: func() *APIKey { k := wantKey; k.Secret = "fmcp_s3cr3t"; return &k }(),
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CreateAPIKey(ctx, "sa_b", CreateAPIKeyRequest{Name: "primary"})
			}},
		{name: "204 on delete", status: 204, want: nil,
			call: func(ctx context.Context, c *Client) (any, error) { return nil, c.DeleteServiceAccount(ctx, "sa_a") }},
		{name: "204 on revoke decodes to an empty key", status: 204, want: &APIKey{},
			call: func(ctx context.Context, c *Client) (any, error) { return c.RevokeAPIKey(ctx, "sa_a", "key_b") }},
		{name: "200 with empty body on delete", status: 200, body: " ", want: nil,
			call: func(ctx context.Context, c *Client) (any, error) { return nil, c.DeleteServiceAccount(ctx, "sa_a") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := scriptedServer(t, reply{status: tc.status, body: tc.body})
			c := newTestClient(t, srv.URL)

			got, err := tc.call(t.Context(), c)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("decoded %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestMalformedSuccessBody(t *testing.T) {
	t.Parallel()
	srv, _ := scriptedServer(t, reply{status: 200, body: "<html>not json</html>"})
	c := newTestClient(t, srv.URL)

	_, err := c.GetServiceAccount(t.Context(), "sa_a")

	if err == nil || !strings.Contains(err.Error(), "decoding HTTP 200") {
		t.Fatalf("err = %v, want a decoding error", err)
	}
	if _, isAPIErr := AsAPIError(err); isAPIErr {
		t.Error("a malformed 200 was reported as an APIError")
	}
}

func TestIdempotencyKeys(t *testing.T) {
	t.Parallel()
	srv, log := scriptedServer(t, reply{status: 201})
	c := newTestClient(t, srv.URL)
	ctx := t.Context()
	name := "n"
	calls := []struct {
		name     string
		isCreate bool
		call     func() error
	}{
		{"create service account", true, func() error {
			_, err := c.CreateServiceAccount(ctx, CreateServiceAccountRequest{Name: "ci"})
			return err
		}},
		{"create api key", true, func() error { _, err := c.CreateAPIKey(ctx, "sa_a", CreateAPIKeyRequest{Name: "a"}); return err }},
		{"same create again", true, func() error { _, err := c.CreateAPIKey(ctx, "sa_a", CreateAPIKeyRequest{Name: "a"}); return err }},
		{"me", false, func() error { _, err := c.Me(ctx); return err }},
		{"get service account", false, func() error { _, err := c.GetServiceAccount(ctx, "sa_a"); return err }},
		{"list api keys", false, func() error { _, err := c.ListAPIKeys(ctx, "sa_a"); return err }},
		{"update service account", false, func() error {
			_, err := c.UpdateServiceAccount(ctx, "sa_a", UpdateServiceAccountRequest{Name: &name})
			return err
		}},
		{"rename api key", false, func() error {
			_, err := c.UpdateAPIKey(ctx, "sa_a", "key_b", UpdateAPIKeyRequest{Name: &name})
			return err
		}},
		{"revoke api key", false, func() error { _, err := c.RevokeAPIKey(ctx, "sa_a", "key_b"); return err }},
		{"create server grant", true, func() error {
			_, err := c.CreateServerGrant(ctx, "sa_a", "srv_b", PutServerGrantRequest{Role: "user"})
			return err
		}},
		{"replace server grant", false, func() error {
			_, err := c.PutServerGrant(ctx, "sa_a", "srv_b", PutServerGrantRequest{Role: "user"})
			return err
		}},
		{"delete service account", false, func() error { return c.DeleteServiceAccount(ctx, "sa_a") }},
	}
	for _, call := range calls {
		if err := call.call(); err != nil {
			t.Fatalf("%s: %v", call.name, err)
		}
	}

	seen := log.all()
	if len(seen) != len(calls) {
		t.Fatalf("server saw %d requests, want %d", len(seen), len(calls))
	}
	keys := map[string]string{}
	for i, call := range calls {
		got := seen[i].header.Values("Idempotency-Key")
		if !call.isCreate {
			if len(got) != 0 {
				t.Errorf("%s (%s) sent Idempotency-Key %q, want none", call.name, seen[i].method, got)
			}
			continue
		}
		if len(got) != 1 || got[0] == "" || len(got[0]) > 255 {
			t.Errorf("%s sent Idempotency-Key %q, want one non-empty key of at most 255 characters", call.name, got)
			continue
		}
		if previous, dup := keys[got[0]]; dup {
			t.Errorf("%s reused the Idempotency-Key of %s", call.name, previous)
		}
		keys[got[0]] = call.name
	}
}

// A grant create is a PUT that only creates (If-None-Match: *); a grant
// update is a plain PUT, which replaces.
func TestServerGrantCreateOnly(t *testing.T) {
	t.Parallel()
	srv, log := scriptedServer(t, reply{status: http.StatusCreated}, ok(),
		reply{status: http.StatusPreconditionFailed, body: errorBody(api.CodeGrantExists, "service account sa_a already has a grant on server srv_b", nil)})
	c := newTestClient(t, srv.URL)
	req := PutServerGrantRequest{Role: "user"}
	if _, err := c.CreateServerGrant(t.Context(), "sa_a", "srv_b", req); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutServerGrant(t.Context(), "sa_a", "srv_b", req); err != nil {
		t.Fatal(err)
	}
	_, err := c.CreateServerGrant(t.Context(), "sa_a", "srv_b", req)
	assertSentinels(t, err, []error{ErrGrantExists})

	seen := log.all()
	for i, want := range []string{"*", "", "*"} {
		if got := seen[i].header.Get("If-None-Match"); seen[i].method != http.MethodPut || got != want {
			t.Errorf("request %d: %s with If-None-Match %q, want PUT with %q", i, seen[i].method, got, want)
		}
	}
}

func TestLoggingNeverLeaksSecrets(t *testing.T) {
	t.Parallel()
	const secret = "fmcp_createdSecretThatMustNeverBeLogged00000000"
	created := fmt.Sprintf(`{"id":"key_a","name":"k","status":"active","masked_secret":"fmcp_crea...0000","secret":%q}`, secret)
	srv, log := scriptedServer(t,
		drop(),
		fail(http.StatusServiceUnavailable),
		rateLimited(),
		reply{status: http.StatusCreated, body: created},
		reply{status: http.StatusUnauthorized, body: errorBody(api.CodeUnauthenticated, "key not accepted", nil)},
	)
	logger := &recordingLogger{}
	c := newTestClient(t, srv.URL, func(cfg *Config) { cfg.Logger = logger })

	key, err := c.CreateAPIKey(t.Context(), "sa_b", CreateAPIKeyRequest{Name: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if key.Secret != secret {
		t.Fatalf("Secret = %q, want the created secret", key.Secret)
	}
	_, getErr := c.GetAPIKey(t.Context(), "sa_b", "key_a")
	if !errors.Is(getErr, ErrUnauthenticated) {
		t.Fatalf("err = %v, want ErrUnauthenticated", getErr)
	}
	if log.count() != 5 {
		t.Fatalf("server saw %d requests, want 5", log.count())
	}

	events := logger.all()
	if len(events) == 0 {
		t.Fatal("nothing was logged")
	}
	for _, e := range events {
		texts := []string{e.msg}
		for k, v := range e.fields {
			texts = append(texts, k, fmt.Sprint(v))
		}
		for _, text := range texts {
			if strings.Contains(text, testAPIKey) || strings.Contains(text, secret) {
				t.Errorf("%s event %q leaks a credential: %v", e.level, e.msg, e.fields)
			}
		}
	}
	if strings.Contains(getErr.Error(), testAPIKey) {
		t.Errorf("error %q contains the API key", getErr)
	}

	var warnAttempts []any
	for _, e := range events {
		if e.level == "warn" {
			warnAttempts = append(warnAttempts, e.fields["attempt"])
			if e.fields["method"] != http.MethodPost || e.fields["path"] != "/api/v0/organizations/current/service-accounts/sa_b/api-keys" {
				t.Errorf("retry event without the request: %v", e.fields)
			}
		}
	}
	if want := []any{2, 3, 4}; !reflect.DeepEqual(warnAttempts, want) {
		t.Errorf("retries logged at Warn with attempts %v, want %v", warnAttempts, want)
	}
}
