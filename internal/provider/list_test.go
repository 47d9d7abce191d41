package provider

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck/queryfilter"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/horizonhq/terraform-provider-horizon/internal/client"
)

// queryTest runs a terraform query (Terraform 1.14+) after a step that only
// configures the provider: the query file has no provider block of its own
// and uses the one of the configuration.
func (e *testEnv) queryTest(t *testing.T, query string, checks ...querycheck.QueryResultCheck) {
	t.Helper()
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)},
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: e.config("")},
			{Query: true, Config: query, QueryResultChecks: checks},
		},
	})
}

func exact(s string) knownvalue.Check { return knownvalue.StringExact(s) }

func byID(id string) queryfilter.QueryFilter {
	return queryfilter.ByResourceIdentity(map[string]knownvalue.Check{"id": exact(id)})
}

func valueAt(attribute string, check knownvalue.Check) querycheck.KnownValueCheck {
	return querycheck.KnownValueCheck{Path: tfjsonpath.New(attribute), KnownValue: check}
}

func TestAccList_serviceAccount(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	ctx := t.Context()
	var accounts []*client.ServiceAccount
	for _, req := range []client.CreateServiceAccountRequest{
		{Name: "ci-deployer", Description: "deploys from CI", Role: "admin"},
		{Name: "ci-planner", Role: "viewer"},
		{Name: "agent", Role: "member"},
	} {
		sa, err := env.api.CreateServiceAccount(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		accounts = append(accounts, sa)
	}
	deployer := accounts[0]
	env.queryTest(t, `
list "horizon_service_account" "ci" {
  provider         = horizon
  include_resource = true
  config {
    name_prefix = "ci-"
  }
}

list "horizon_service_account" "all" {
  provider = horizon
}
`,
		querycheck.ExpectLength("horizon_service_account.ci", 2),
		querycheck.ExpectLength("horizon_service_account.all", 3),
		querycheck.ExpectIdentity("horizon_service_account.ci", map[string]knownvalue.Check{"id": exact(accounts[0].ID)}),
		querycheck.ExpectIdentity("horizon_service_account.ci", map[string]knownvalue.Check{"id": exact(accounts[1].ID)}),
		querycheck.ExpectNoIdentity("horizon_service_account.ci", map[string]knownvalue.Check{"id": exact(accounts[2].ID)}),
		querycheck.ExpectIdentity("horizon_service_account.all", map[string]knownvalue.Check{"id": exact(accounts[2].ID)}),
		querycheck.ExpectResourceDisplayName("horizon_service_account.ci", byID(deployer.ID), exact("ci-deployer")),
		querycheck.ExpectResourceKnownValues("horizon_service_account.ci", byID(deployer.ID), []querycheck.KnownValueCheck{
			valueAt("id", exact(deployer.ID)),
			valueAt("organization_id", exact(deployer.OrganizationID)),
			valueAt("name", exact("ci-deployer")),
			valueAt("description", exact("deploys from CI")),
			valueAt("role", exact("admin")),
			valueAt("disabled", knownvalue.Bool(false)),
			valueAt("created_at", exact(deployer.CreatedAt)),
		}),
	)
}

// Only active keys are listed, and never with a secret.
func TestAccList_serviceAccountKey(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	ctx := t.Context()
	saID, _ := env.serviceAccountKey(t, "agent", "member")
	keys, err := env.api.ListAPIKeys(ctx, saID)
	if err != nil {
		t.Fatal(err)
	}
	revoked := keys[0]
	if _, err := env.api.RevokeAPIKey(ctx, saID, revoked.ID); err != nil {
		t.Fatal(err)
	}
	ttl := int64(3600)
	expiring, err := env.api.CreateAPIKey(ctx, saID, client.CreateAPIKeyRequest{Name: "expiring", TTLSeconds: &ttl})
	if err != nil {
		t.Fatal(err)
	}
	forever, err := env.api.CreateAPIKey(ctx, saID, client.CreateAPIKeyRequest{Name: "forever"})
	if err != nil {
		t.Fatal(err)
	}
	keyIdentity := func(id string) map[string]knownvalue.Check {
		return map[string]knownvalue.Check{"service_account_id": exact(saID), "id": exact(id)}
	}
	env.queryTest(t, fmt.Sprintf(`
list "horizon_service_account_key" "agent" {
  provider         = horizon
  include_resource = true
  config {
    service_account_id = %q
  }
}
`, saID),
		querycheck.ExpectLength("horizon_service_account_key.agent", 2),
		querycheck.ExpectIdentity("horizon_service_account_key.agent", keyIdentity(expiring.ID)),
		querycheck.ExpectIdentity("horizon_service_account_key.agent", keyIdentity(forever.ID)),
		querycheck.ExpectNoIdentity("horizon_service_account_key.agent", keyIdentity(revoked.ID)),
		querycheck.ExpectResourceDisplayName("horizon_service_account_key.agent", queryfilter.ByResourceIdentity(keyIdentity(expiring.ID)),
			exact("expiring ("+expiring.MaskedSecret+")")),
		querycheck.ExpectResourceKnownValues("horizon_service_account_key.agent", queryfilter.ByResourceIdentity(keyIdentity(expiring.ID)),
			[]querycheck.KnownValueCheck{
				valueAt("name", exact("expiring")),
				valueAt("service_account_id", exact(saID)),
				valueAt("expires_at", exact(*expiring.ExpiresAt)),
				valueAt("status", exact("active")),
				valueAt("masked_secret", exact(expiring.MaskedSecret)),
				valueAt("secret", knownvalue.Null()),
				valueAt("ttl", knownvalue.Null()),
			}),
		querycheck.ExpectResourceKnownValues("horizon_service_account_key.agent", queryfilter.ByResourceIdentity(keyIdentity(forever.ID)),
			[]querycheck.KnownValueCheck{
				valueAt("expires_at", knownvalue.Null()),
				valueAt("secret", knownvalue.Null()),
			}),
	)
}

func TestAccList_serverGrant(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	ctx := t.Context()
	saID, _ := env.serviceAccountKey(t, "agent", "member")
	weather, search := env.server(t, "weather"), env.server(t, "search")
	for _, g := range []struct {
		server client.Server
		req    client.PutServerGrantRequest
	}{
		{weather, client.PutServerGrantRequest{Role: "user", Capabilities: &[]string{"tools", "prompts"}}},
		{search, client.PutServerGrantRequest{Role: "viewer"}},
	} {
		if _, err := env.api.PutServerGrant(ctx, saID, g.server.ID, g.req); err != nil {
			t.Fatal(err)
		}
	}
	grantIdentity := func(serverID string) map[string]knownvalue.Check {
		return map[string]knownvalue.Check{"service_account_id": exact(saID), "server_id": exact(serverID)}
	}
	env.queryTest(t, fmt.Sprintf(`
list "horizon_server_grant" "agent" {
  provider         = horizon
  include_resource = true
  config {
    service_account_id = %q
  }
}
`, saID),
		querycheck.ExpectLength("horizon_server_grant.agent", 2),
		querycheck.ExpectIdentity("horizon_server_grant.agent", grantIdentity(weather.ID)),
		querycheck.ExpectIdentity("horizon_server_grant.agent", grantIdentity(search.ID)),
		querycheck.ExpectResourceDisplayName("horizon_server_grant.agent", queryfilter.ByResourceIdentity(grantIdentity(weather.ID)),
			exact("user on "+weather.ID+" (tools, prompts)")),
		querycheck.ExpectResourceKnownValues("horizon_server_grant.agent", queryfilter.ByResourceIdentity(grantIdentity(weather.ID)),
			[]querycheck.KnownValueCheck{
				valueAt("id", exact(saID+"/"+weather.ID)),
				valueAt("role", exact("user")),
				valueAt("capabilities", knownvalue.SetExact([]knownvalue.Check{exact("tools"), exact("prompts")})),
			}),
	)
}

func TestAccList_server(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	billing, err := env.api.CreateServer(t.Context(), client.CreateServerRequest{Name: "Billing", Slug: "billing", Description: "invoices"})
	if err != nil {
		t.Fatal(err)
	}
	env.queryTest(t, `
list "horizon_server" "all" {
  provider         = horizon
  include_resource = true
}
`,
		querycheck.ExpectLength("horizon_server.all", 4),
		querycheck.ExpectIdentity("horizon_server.all", map[string]knownvalue.Check{"id": exact(env.server(t, "weather").ID)}),
		querycheck.ExpectIdentity("horizon_server.all", map[string]knownvalue.Check{"id": exact(billing.ID)}),
		querycheck.ExpectResourceDisplayName("horizon_server.all", byID(billing.ID), exact("Billing (billing)")),
		querycheck.ExpectResourceKnownValues("horizon_server.all", byID(billing.ID), []querycheck.KnownValueCheck{
			valueAt("name", exact("Billing")),
			valueAt("slug", exact("billing")),
			valueAt("description", exact("invoices")),
			valueAt("url", exact(billing.URL)),
			valueAt("created_at", exact(billing.CreatedAt)),
		}),
	)
}

// A list pages through Horizon, one request per page of 100 (or of the list
// block's limit when smaller), and reads no object on its own.
func TestAccList_pagesThroughTheAPI(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	const n = listPageSize + listPageSize/2
	for i := range n {
		if _, err := env.api.CreateServiceAccount(t.Context(), client.CreateServiceAccountRequest{Name: fmt.Sprintf("agent-%03d", i)}); err != nil {
			t.Fatal(err)
		}
		env.clock.Advance(time.Second)
	}
	var before int64
	mark := func() { before = env.srv.RequestCount() }
	expectRequests := func(want int64) func() {
		return func() {
			if got := env.srv.RequestCount() - before; got != want {
				t.Errorf("the query made %d API requests, want %d", got, want)
			}
		}
	}
	query := func(limit int) string {
		return fmt.Sprintf(`
list "horizon_service_account" "all" {
  provider = horizon
  limit    = %d
}
`, limit)
	}
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)},
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: env.config("")},
			{
				PreConfig: mark,
				Query:     true,
				Config:    query(n),
				QueryResultChecks: []querycheck.QueryResultCheck{
					querycheck.ExpectLength("horizon_service_account.all", n),
					querycheck.ExpectResourceDisplayName("horizon_service_account.all",
						queryfilter.ByDisplayName(exact(fmt.Sprintf("agent-%03d", n-1))), knownvalue.StringRegexp(regexp.MustCompile(`^agent-`))),
				},
			},
			{PreConfig: expectRequests(2), Config: env.config("")},
			{
				PreConfig:         mark,
				Query:             true,
				Config:            query(7),
				QueryResultChecks: []querycheck.QueryResultCheck{querycheck.ExpectLength("horizon_service_account.all", 7)},
			},
			{PreConfig: expectRequests(1), Config: env.config("")},
		},
	})
}
