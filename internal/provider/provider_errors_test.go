package provider

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/horizonhq/terraform-provider-horizon/internal/client"
)

func TestAccProvider_configurationErrors(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	closed := closedLoopbackURL(t)
	provider := func(endpoint, key string) string {
		return fmt.Sprintf(`
provider "horizon" {
  endpoint    = %q
  api_key     = %q
  max_retries = 1
}
data "horizon_current_actor" "me" {}
`, endpoint, key)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      provider(env.srv.URL(), "sk_live_abcdef"),
				ExpectError: regexp.MustCompile(`(?s)Invalid Horizon API Key.*must start with "fmcp_"`),
			},
			{
				Config:      provider("horizon.example.com", "fmcp_x"),
				ExpectError: regexp.MustCompile(`(?s)Invalid Horizon Endpoint.*not an absolute http:// or https:// URL`),
			},
			{
				Config:      provider(closed, "fmcp_abcdefghijklmnop"),
				ExpectError: regexp.MustCompile(`(?s)Horizon Endpoint Unreachable.*Could not read the current actor: no response from ` + regexp.QuoteMeta(closed)),
			},
			{
				Config:      provider(env.srv.URL(), "fmcp_unknownunknownunknownunknown"),
				ExpectError: phrases("Horizon API Key Not Accepted", "fmcp_unkn...nown", "HTTP 401: API key not recognized"),
			},
		},
	})
}

// Each error a newcomer meets first says what happened and what to set
// instead: the server's reason for refusing the key and which key it was, an
// endpoint with the API path or TLS that the server does not speak, an
// organization the key cannot see, a base URL that leads to no API.
func TestAccProvider_errorsSayWhatToSet(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	sa, err := env.api.CreateServiceAccount(t.Context(), client.CreateServiceAccountRequest{Name: "soon-disabled", Role: "viewer"})
	if err != nil {
		t.Fatal(err)
	}
	disabledKey, err := env.api.CreateAPIKey(t.Context(), sa.ID, client.CreateAPIKeyRequest{Name: "k"})
	if err != nil {
		t.Fatal(err)
	}
	disabled := true
	if _, err := env.api.UpdateServiceAccount(t.Context(), sa.ID, client.UpdateServiceAccountRequest{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	revokedKey, err := env.api.CreatePersonalAPIKey(t.Context(), client.CreateAPIKeyRequest{Name: "revoked"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.api.RevokePersonalAPIKey(t.Context(), revokedKey.ID); err != nil {
		t.Fatal(err)
	}
	provider := func(endpoint, key, orgID string) string {
		org := ""
		if orgID != "" {
			org = fmt.Sprintf("organization_id = %q", orgID)
		}
		return fmt.Sprintf(`
provider "horizon" {
  endpoint    = %q
  api_key     = %q
  max_retries = 4
  %s
}
data "horizon_servers" "all" {}
`, endpoint, key, org)
	}
	url, owner := env.srv.URL(), env.srv.BootstrapKey()
	https := strings.Replace(url, "http://", "https://", 1)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				// The masked form is the one Horizon shows for the key, so the user can find it.
				Config:      provider(url, disabledKey.Secret, ""),
				ExpectError: phrases("Horizon API Key Not Accepted", "refused the provider's API key "+disabledKey.MaskedSecret, "the service account that owns this API key is disabled"),
			},
			{
				Config:      provider(url, revokedKey.Secret, ""),
				ExpectError: phrases("Horizon API Key Not Accepted", "refused the provider's API key "+revokedKey.MaskedSecret, "API key has been revoked"),
			},
			{
				Config:      provider(url+"/api/v0", owner, ""),
				ExpectError: phrases("Invalid Horizon Endpoint", "ends in /api/v0, which the provider adds itself", "set endpoint (or HORIZON_ENDPOINT) to "+url+"."),
			},
			{
				Config:      provider(url+"/horizon", owner, ""),
				ExpectError: phrases("No Horizon API at the Endpoint", "no API endpoint at /horizon/api/v0/", "Horizon's base URL"),
			},
			{
				// Tried once: max_retries does not apply to what no retry heals.
				Config:      provider(https, owner, ""),
				ExpectError: phrases("Horizon Endpoint Is Not HTTPS", "answers in plain HTTP", "none was retried", "set endpoint (or HORIZON_ENDPOINT) to "+url+";"),
			},
			{
				Config: provider(url, owner, "org_aaaaaaaaaaaaaaaa"),
				ExpectError: phrases("Horizon Organization Not Found", "no organization org_aaaaaaaaaaaaaaaa",
					"Leave it unset", "the organization_id that the horizon_current_actor data source shows"),
			},
		},
	})
}

// A CI pipeline plans with a viewer key: an up-to-date configuration plans clean,
// a change fails at apply with the role it needs, and a grant on a server the
// key's owner may not discover is an error, never mistaken for a deletion.
func TestAccProvider_viewerKeyPlansButCannotApply(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	viewerSA, viewer := env.serviceAccountKey(t, "ci-plan", "viewer")
	weather, search := env.server(t, "weather"), env.server(t, "search")
	if _, err := env.api.PutServerGrant(t.Context(), viewerSA, weather.ID, client.PutServerGrantRequest{Role: "viewer"}); err != nil {
		t.Fatal(err)
	}
	body := func(server string) string {
		return fmt.Sprintf(`
data "horizon_server" "target" {
  slug = %q
}
resource "horizon_service_account" "deployer" {
  name = "deployer"
}
resource "horizon_service_account_key" "deployer" {
  service_account_id = horizon_service_account.deployer.id
  name               = "primary"
}
resource "horizon_server_grant" "deployer" {
  service_account_id = horizon_service_account.deployer.id
  server_id          = data.horizon_server.target.id
  role               = "user"
}`, server)
	}
	grantOnSearch := fmt.Sprintf(`
resource "horizon_server_grant" "search" {
  service_account_id = horizon_service_account.deployer.id
  server_id          = %q
  role               = "user"
}`, search.ID)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: env.configWithKey(viewer, `data "horizon_current_actor" "me" {}`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.horizon_current_actor.me", tfjsonpath.New("role"), knownvalue.StringExact("viewer")),
					statecheck.ExpectKnownValue("data.horizon_current_actor.me", tfjsonpath.New("type"), knownvalue.StringExact("service_account")),
				},
			},
			{
				Config: env.configWithKey(viewer, `resource "horizon_service_account" "x" { name = "not-allowed" }`),
				ExpectError: regexp.MustCompile(`(?s)Insufficient Horizon Permission.*create service account "not-allowed".*` +
					`organization role "viewer".*needs "admin"`),
			},
			{
				// Applied by the owner.
				Config: env.config(body("weather")),
			},
			{
				// Planned by the viewer: reads only, and nothing to change.
				Config:   env.configWithKey(viewer, body("weather")),
				PlanOnly: true,
			},
			{
				Config: env.configWithKey(viewer, strings.Replace(body("weather"), `name = "deployer"`, `name = "deployer-2"`, 1)),
				ExpectError: regexp.MustCompile(`(?s)Insufficient Horizon Permission.*update service account sa_.*` +
					`organization role "viewer".*needs "admin"`),
			},
			{
				// The owner adds a grant on a server the viewer may not discover...
				Config: env.config(body("weather") + grantOnSearch),
			},
			{
				// ...and the viewer's plan says so instead of planning to recreate the grant.
				Config:   env.configWithKey(viewer, body("weather")+grantOnSearch),
				PlanOnly: true,
				ExpectError: phrases("Server Not Visible to the Provider's Key", `service account "ci-plan", organization role "viewer"`,
					"A key that only plans must be able to discover every server the configuration reads",
					"grant of role viewer on each", "default_server_role to viewer or user"),
			},
			{
				// A data source on a server the viewer may not discover says the same.
				Config:   env.configWithKey(viewer, `data "horizon_server" "hidden" { slug = "search" }`),
				PlanOnly: true,
				ExpectError: phrases("No Such Server", `slug "search"`, "sees these servers: `weather`",
					"hides from a member or viewer", "A key that only plans must be able to discover every server"),
			},
			{
				// The owner's key destroys what the owner applied.
				Config: env.config(body("weather") + grantOnSearch),
			},
		},
	})
}

func TestAccProvider_missingEndpointAndKey(t *testing.T) {
	t.Setenv(envEndpoint, "")
	t.Setenv(envAPIKey, "")
	env := newTestEnv(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      `data "horizon_current_actor" "me" {}`,
				ExpectError: regexp.MustCompile(`(?s)Missing Horizon Endpoint.*HORIZON_ENDPOINT`),
			},
			{
				Config:      fmt.Sprintf("provider \"horizon\" {\n  endpoint = %q\n}\ndata \"horizon_current_actor\" \"me\" {}", env.srv.URL()),
				ExpectError: regexp.MustCompile(`(?s)Missing Horizon API Key.*HORIZON_API_KEY`),
			},
		},
	})
}

// serviceAccountKey creates, out of band, a service account with the role and one key, and returns its id and the key's secret.
func (e *testEnv) serviceAccountKey(t *testing.T, name, role string) (saID, secret string) {
	t.Helper()
	sa, err := e.api.CreateServiceAccount(t.Context(), client.CreateServiceAccountRequest{Name: name, Role: role})
	if err != nil {
		t.Fatalf("creating service account %s: %v", name, err)
	}
	key, err := e.api.CreateAPIKey(t.Context(), sa.ID, client.CreateAPIKeyRequest{Name: name})
	if err != nil {
		t.Fatalf("creating key for %s: %v", name, err)
	}
	return sa.ID, key.Secret
}

// closedLoopbackURL is an http URL on which nothing listens.
func closedLoopbackURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr
}

// TestAccProvider_hostileRetryAfter: a server that answers 429 with
// Retry-After: 999999 held an apply for half an hour. The request now ends at
// once, with a diagnostic that says how long it waited and why; max_wait
// bounds a server that keeps asking for short waits.
func TestAccProvider_hostileRetryAfter(t *testing.T) {
	t.Parallel()
	hostile := func(retryAfter string) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", retryAfter)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"error":{"code":"rate_limited","message":"slow down","details":{}}}`))
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	provider := func(endpoint, maxWait string) string {
		wait := ""
		if maxWait != "" {
			wait = fmt.Sprintf("max_wait = %q", maxWait)
		}
		return fmt.Sprintf(`
provider "horizon" {
  endpoint = %q
  api_key  = "fmcp_aKeyThatOnlyAHostileServerSees000000000000"
  %s
}
data "horizon_current_actor" "me" {}
`, endpoint, wait)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: provider(hostile("999999"), ""),
				ExpectError: regexp.MustCompile(`(?s)Horizon Request Gave Up Waiting.*read the current actor.*1\s+attempt.*` +
					`Retry-After:\s+999999.*5m0s.*max_wait`),
			},
			{
				Config:      provider(hostile("1"), "2s"),
				ExpectError: regexp.MustCompile(`(?s)Horizon Request Gave Up Waiting.*2\s+attempt\(s\).*Retry-After:\s+1\b.*2s`),
			},
			{
				Config:      provider(hostile("1"), "forever"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Invalid Duration.*"forever" is not a Go duration`),
			},
		},
	})
}
