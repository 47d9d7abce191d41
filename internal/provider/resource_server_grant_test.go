package provider

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/horizonhq/terraform-provider-horizon/internal/client"
	"github.com/horizonhq/terraform-provider-horizon/internal/mcpclient"
)

const grantAddr = "horizon_server_grant.test"

// grantConfig is an agent with a key and, when grant is not empty, a grant on
// weather. The agent is a member: a viewer (the default) calls no MCP server.
func grantConfig(disabled bool, grant string) string {
	return fmt.Sprintf(`
data "horizon_server" "weather" {
  slug = "weather"
}

resource "horizon_service_account" "test" {
  name     = "agent"
  role     = "member"
  disabled = %t
}

resource "horizon_service_account_key" "test" {
  service_account_id = horizon_service_account.test.id
  name               = "agent"
}

%s
`, disabled, grant)
}

func grantBlock(role, capabilities string) string {
	caps := ""
	if capabilities != "" {
		caps = "capabilities = " + capabilities
	}
	return fmt.Sprintf(`
resource "horizon_server_grant" "test" {
  service_account_id = horizon_service_account.test.id
  server_id          = data.horizon_server.weather.id
  role               = %q
  %s
}`, role, caps)
}

func TestAccServerGrant_lifecycle(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	weather, search := env.server(t, "weather"), env.server(t, "search")
	var saID, secret string
	call := func(server client.Server, method string) error { return env.callMCP(secret, server, method) }

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             env.checkServiceAccountsGone,
		Steps: []resource.TestStep{
			{
				Config: env.config(grantConfig(false, grantBlock("user", `["tools"]`))),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(grantAddr, tfjsonpath.New("server_id"), knownvalue.StringExact(weather.ID)),
					statecheck.ExpectKnownValue(grantAddr, tfjsonpath.New("role"), knownvalue.StringExact("user")),
					statecheck.ExpectKnownValue(grantAddr, tfjsonpath.New("capabilities"), knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("tools")})),
				},
				Check: resource.ComposeTestCheckFunc(
					capture(saAddr, "id", &saID),
					capture(keyAddr, "secret", &secret),
					resource.TestCheckResourceAttrPair(grantAddr, "service_account_id", saAddr, "id"),
					func(*terraform.State) error {
						return errors.Join(
							expectMCP("tools/call on the granted server", call(weather, "tools/call"), 0),
							expectMCP("resources/list without the resources capability", call(weather, "resources/list"), http.StatusForbidden),
							expectMCP("tools/call on a server without a grant", call(search, "tools/call"), http.StatusNotFound),
						)
					},
				),
			},
			{
				Config: env.config(grantConfig(false, grantBlock("user", `["tools", "resources"]`))),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(grantAddr, plancheck.ResourceActionUpdate)},
				},
				Check: func(*terraform.State) error {
					return errors.Join(
						expectMCP("resources/list after the capability was granted", call(weather, "resources/list"), 0),
						expectMCP("prompts/list without the prompts capability", call(weather, "prompts/list"), http.StatusForbidden),
					)
				},
			},
			{
				// Without capabilities, the grant allows all three, with no perpetual diff.
				Config: env.config(grantConfig(false, grantBlock("viewer", ""))),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(grantAddr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(grantAddr, tfjsonpath.New("capabilities"), knownvalue.SetExact([]knownvalue.Check{
						knownvalue.StringExact("tools"), knownvalue.StringExact("resources"), knownvalue.StringExact("prompts"),
					})),
				},
				Check: func(*terraform.State) error {
					return expectMCP("tools/call with only the viewer role", call(weather, "tools/call"), http.StatusForbidden)
				},
			},
			{
				ResourceName:      grantAddr,
				ImportState:       true,
				ImportStateVerify: true,
			},
			{
				// Changed behind Terraform's back: put back.
				PreConfig: func() {
					if _, err := env.api.PutServerGrant(t.Context(), saID, weather.ID, client.PutServerGrantRequest{Role: "admin", Capabilities: &[]string{"prompts"}}); err != nil {
						t.Fatalf("out-of-band grant change: %v", err)
					}
				},
				Config: env.config(grantConfig(false, grantBlock("user", ""))),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(grantAddr, plancheck.ResourceActionUpdate)},
				},
				Check: func(*terraform.State) error {
					return expectMCP("tools/call with the user role again", call(weather, "tools/call"), 0)
				},
			},
			{
				// Deleted behind Terraform's back: created again.
				PreConfig: func() {
					if err := env.api.DeleteServerGrant(t.Context(), saID, weather.ID); err != nil {
						t.Fatalf("out-of-band grant delete: %v", err)
					}
				},
				Config: env.config(grantConfig(false, grantBlock("user", ""))),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(grantAddr, plancheck.ResourceActionCreate)},
				},
				Check: func(*terraform.State) error {
					return expectMCP("tools/call after the grant was recreated", call(weather, "tools/call"), 0)
				},
			},
			{
				// A disabled account's keys are refused until it is enabled again.
				Config: env.config(grantConfig(true, grantBlock("user", ""))),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(saAddr, plancheck.ResourceActionUpdate)},
				},
				Check: func(*terraform.State) error {
					return expectMCP("tools/call by a disabled account", call(weather, "tools/call"), http.StatusUnauthorized)
				},
			},
			{
				Config: env.config(grantConfig(false, grantBlock("user", ""))),
				Check: func(*terraform.State) error {
					return expectMCP("tools/call after the account was enabled", call(weather, "tools/call"), 0)
				},
			},
			{
				// The grant destroyed: the same call is refused, and the server is concealed again.
				Config: env.config(grantConfig(false, "")),
				Check: func(*terraform.State) error {
					return expectMCP("tools/call after the grant was destroyed", call(weather, "tools/call"), http.StatusNotFound)
				},
			},
		},
	})
}

func TestAccServerGrant_validation(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	weather := env.server(t, "weather")
	grant := func(role, caps string) string {
		return env.config(fmt.Sprintf(`
resource "horizon_server_grant" "test" {
  service_account_id = "sa_aaaaaaaaaaaaaaaa"
  server_id          = %q
  role               = %q
  capabilities       = %s
}`, weather.ID, role, caps))
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: grant("owner", `["tools"]`), PlanOnly: true, ExpectError: regexp.MustCompile(`(?s)role value must be one of.*"viewer".*"user".*"admin"`)},
			{Config: grant("user", `["sampling"]`), PlanOnly: true, ExpectError: regexp.MustCompile(`(?s)value must be one of.*"tools".*"resources".*"prompts"`)},
			{Config: grant("user", `[]`), PlanOnly: true, ExpectError: phrases("No Capabilities", "delete the grant (remove this horizon_server_grant resource)")},
			{
				// Refused at plan time, as a key on a missing account is.
				Config:      grant("user", `["tools"]`),
				PlanOnly:    true,
				ExpectError: phrases("Service Account Not Found", "sa_aaaaaaaaaaaaaaaa does not exist", "Check service_account_id"),
			},
			{
				ResourceName:  grantAddr,
				Config:        grant("user", `["tools"]`),
				ImportState:   true,
				ImportStateId: "sa_aaaaaaaaaaaaaaaa",
				ExpectError:   regexp.MustCompile(`is not <service_account_id>/<server_id>`),
			},
		},
	})
}

// server returns a seeded server by slug, as the organization owner sees it.
func (e *testEnv) server(t testing.TB, slug string) client.Server {
	t.Helper()
	servers, err := e.api.ListServers(t.Context())
	if err != nil {
		t.Fatalf("listing servers: %v", err)
	}
	for _, s := range servers {
		if s.Slug == slug {
			return s
		}
	}
	t.Fatalf("no server %q", slug)
	return client.Server{}
}

// callMCP connects the official MCP Go SDK client to a server's MCP endpoint
// with a key's secret and runs method: tools/call calls the echo tool.
func (e *testEnv) callMCP(secret string, server client.Server, method string) error {
	session, err := mcpclient.Connect(bg(), server.URL, secret, mcpclient.Options{})
	if err != nil {
		return err
	}
	defer session.Close()
	switch method {
	case "tools/call":
		result, err := session.CallTool(bg(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hello"}})
		if err != nil {
			return err
		}
		if len(result.Content) != 1 {
			return fmt.Errorf("echo tool returned %d contents, want 1", len(result.Content))
		}
		if text, ok := result.Content[0].(*mcp.TextContent); !ok || !strings.Contains(text.Text, "hello") {
			return fmt.Errorf("echo tool returned %v", result.Content)
		}
		return nil
	case "resources/list":
		_, err := session.ListResources(bg(), nil)
		return err
	case "prompts/list":
		_, err := session.ListPrompts(bg(), nil)
		return err
	default:
		return fmt.Errorf("callMCP does not know %s", method)
	}
}

// expectMCP checks an MCP call's outcome: success for wantStatus 0, else a
// Horizon refusal with that HTTP status (401, 403 or 404).
func expectMCP(what string, err error, wantStatus int) error {
	refusal, refused := mcpclient.AsRefusal(err)
	switch {
	case wantStatus == 0 && err != nil:
		return fmt.Errorf("%s: want success, got %w", what, err)
	case wantStatus == 0:
		return nil
	case refused && refusal.Status == wantStatus:
		return nil
	default:
		return fmt.Errorf("%s: want a refusal with HTTP %d, got %w", what, wantStatus, err)
	}
}

// A grant that exists already (made by hand, or by another configuration) is
// never taken over: the create changes nothing and says how to import it.
func TestAccServerGrant_neverTakesOverAnExistingGrant(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	weather := env.server(t, "weather")
	sa, err := env.api.CreateServiceAccount(t.Context(), client.CreateServiceAccountRequest{Name: "hand-made", Role: "member"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.api.PutServerGrant(t.Context(), sa.ID, weather.ID, client.PutServerGrantRequest{Role: "admin", Capabilities: &[]string{"prompts"}}); err != nil {
		t.Fatal(err)
	}
	config := env.config(fmt.Sprintf(`
resource "horizon_server_grant" "test" {
  service_account_id = %q
  server_id          = %q
  role               = "user"
}`, sa.ID, weather.ID))
	id := sa.ID + "/" + weather.ID
	untouched := func(*terraform.State) error {
		g, err := env.api.GetServerGrant(bg(), sa.ID, weather.ID)
		if err != nil {
			return err
		}
		if g.Role != "admin" || len(g.Capabilities) != 1 {
			return fmt.Errorf("the existing grant was changed to %+v", *g)
		}
		return nil
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: config,
				ExpectError: phrases("Server Grant Already Exists", "Nothing was changed",
					"terraform import <this resource's address> "+id, fmt.Sprintf("import block with id = %q", id)),
			},
			{
				// The failed create left the grant as it was made.
				Config: env.config(`data "horizon_current_actor" "me" {}`),
				Check:  untouched,
			},
			{
				// Imported as the error says, it is managed from then on.
				Config:             config,
				ResourceName:       grantAddr,
				ImportState:        true,
				ImportStateId:      id,
				ImportStatePersist: true,
			},
			{
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(grantAddr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(grantAddr, tfjsonpath.New("role"), knownvalue.StringExact("user")),
				},
			},
		},
	})
}

// A grant on an admin account changes nothing (admins hold admin on every
// server): the plan warns. Only plans that create or change a grant look, and
// an account this provider created or read in the run is known without a
// request: a plan asks once per account it does not manage, the apply asks
// nothing for the account it created, and a refresh asks nothing
// (TestAccRequestBudget holds the fleet's counts).
func TestAccServerGrant_warnsWhenItChangesNothing(t *testing.T) {
	requireCLI(t)
	t.Parallel()
	env := newTestEnv(t)
	admin, _ := env.serviceAccountKey(t, "hand-made-admin", "admin")
	member, _ := env.serviceAccountKey(t, "hand-made-member", "member")
	ws := env.workspace(t, fmt.Sprintf(`
data "horizon_server" "weather" {
  slug = "weather"
}

resource "horizon_service_account" "made_here" {
  name = "made-here-admin"
  role = "admin"
}

locals {
  accounts = { admin = %q, member = %q, made_here = horizon_service_account.made_here.id }
}

resource "horizon_server_grant" "each" {
  for_each           = local.accounts
  service_account_id = each.value
  server_id          = data.horizon_server.weather.id
  role               = "user"
}
`, admin, member))
	warned := func(diags []diagnostic) []string {
		var accounts []string
		for _, d := range withSummary(diags, "Grant Has No Effect") {
			if d.Severity != "warning" || !strings.Contains(d.Detail, `has the organization role "admin"`) {
				t.Errorf("unexpected diagnostic: %+v", d)
			}
			for _, id := range []string{admin, member} {
				if strings.Contains(d.Detail, id) {
					accounts = append(accounts, id)
				}
			}
			if !strings.Contains(d.Detail, admin) && !strings.Contains(d.Detail, member) {
				accounts = append(accounts, "made_here")
			}
		}
		slices.Sort(accounts)
		return accounts
	}

	before := env.srv.RequestCount()
	diags, out, err := runJSON(t.Context(), ws, "plan", "-input=false", "-out=tfplan")
	if err != nil {
		t.Fatalf("plan: %v\n%s", err, out)
	}
	// The new account's id is unknown until the apply: only the hand-made admin.
	if got := warned(diags); !slices.Equal(got, []string{admin}) {
		t.Errorf("the plan warned for %v, want the hand-made admin %s only\n%s", got, admin, out)
	}
	// The data source, and one read of each hand-made account.
	if got := env.srv.RequestCount() - before; got != 3 {
		t.Errorf("the plan made %d API requests, want 3", got)
	}

	before = env.srv.RequestCount()
	diags, out, err = runJSON(t.Context(), ws, "apply", "-input=false", "tfplan")
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	// Terraform plans each create again right before it, in the apply's own
	// provider process: that reads the hand-made accounts again, and knows the
	// role of the account it has just created.
	if got := warned(diags); !slices.Equal(got, []string{"made_here", admin}) {
		t.Errorf("the apply warned for %v, want %s and the account made here\n%s", got, admin, out)
	}
	// Both reads, the account create and three grant creates.
	if got := env.srv.RequestCount() - before; got != 6 {
		t.Errorf("the apply made %d API requests, want 6", got)
	}

	before = env.srv.RequestCount()
	diags, out, err = runJSON(t.Context(), ws, "plan", "-input=false", "-detailed-exitcode")
	if err != nil {
		t.Fatalf("refresh plan: %v\n%s", err, out)
	}
	if got := warned(diags); len(got) != 0 {
		t.Errorf("a plan that changes no grant warned for %v", got)
	}
	// The data source, the account and the three grants: nothing more.
	if got := env.srv.RequestCount() - before; got != 5 {
		t.Errorf("the refresh plan made %d API requests, want 5", got)
	}
}
