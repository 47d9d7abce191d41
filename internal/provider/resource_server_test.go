package provider

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/horizonhq/terraform-provider-horizon/internal/client"
)

const serverAddr = "horizon_server.test"

func serverConfig(name, slug, description string) string {
	desc := ""
	if description != "" {
		desc = fmt.Sprintf("description = %q", description)
	}
	return fmt.Sprintf(`
resource "horizon_server" "test" {
  name = %q
  slug = %q
  %s
}`, name, slug, desc)
}

func TestAccServer_lifecycle(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	var id, url string

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             env.checkServersGone("billing", "invoices"),
		Steps: []resource.TestStep{
			{
				Config: env.config(serverConfig("Billing", "billing", "")),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(serverAddr, tfjsonpath.New("id"), knownvalue.StringRegexp(regexp.MustCompile(`^srv_[a-z2-7]{16}$`))),
					statecheck.ExpectKnownValue(serverAddr, tfjsonpath.New("name"), knownvalue.StringExact("Billing")),
					statecheck.ExpectKnownValue(serverAddr, tfjsonpath.New("slug"), knownvalue.StringExact("billing")),
					statecheck.ExpectKnownValue(serverAddr, tfjsonpath.New("description"), knownvalue.StringExact("")),
					statecheck.ExpectKnownValue(serverAddr, tfjsonpath.New("created_at"), knownvalue.NotNull()),
				},
				Check: resource.ComposeTestCheckFunc(
					capture(serverAddr, "id", &id),
					capture(serverAddr, "url", &url),
					func(*terraform.State) error {
						srv, err := env.api.GetServer(bg(), id)
						if err != nil {
							return err
						}
						if srv.URL != url || srv.URL != env.srv.URL()+"/mcp/"+id {
							return fmt.Errorf("url in state %q, in Horizon %q", url, srv.URL)
						}
						return nil
					},
				),
			},
			{
				Config: env.config(serverConfig("Billing v2", "billing", "Invoices and payments.")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(serverAddr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(serverAddr, tfjsonpath.New("name"), knownvalue.StringExact("Billing v2")),
					statecheck.ExpectKnownValue(serverAddr, tfjsonpath.New("description"), knownvalue.StringExact("Invoices and payments.")),
				},
				Check: func(*terraform.State) error {
					srv, err := env.api.GetServer(bg(), id)
					if err != nil {
						return err
					}
					if srv.Name != "Billing v2" || srv.Description != "Invoices and payments." || srv.URL != url {
						return fmt.Errorf("after the update Horizon has %+v", srv)
					}
					return nil
				},
			},
			{
				ResourceName:      serverAddr,
				ImportState:       true,
				ImportStateVerify: true,
			},
			{
				// Changed behind Terraform's back: put back.
				PreConfig: func() {
					name, desc := "Renamed by hand", "edited in the UI"
					if _, err := env.api.UpdateServer(t.Context(), id, client.UpdateServerRequest{Name: &name, Description: &desc}); err != nil {
						t.Fatalf("out-of-band server change: %v", err)
					}
				},
				Config: env.config(serverConfig("Billing v2", "billing", "Invoices and payments.")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(serverAddr, plancheck.ResourceActionUpdate)},
				},
				Check: func(*terraform.State) error {
					srv, err := env.api.GetServer(bg(), id)
					if err != nil {
						return err
					}
					if srv.Name != "Billing v2" || srv.Description != "Invoices and payments." {
						return fmt.Errorf("the drift was not corrected: %+v", srv)
					}
					return nil
				},
			},
			{
				// Deleted behind Terraform's back: created again, with a new id.
				PreConfig: func() {
					if err := env.api.DeleteServer(t.Context(), id); err != nil {
						t.Fatalf("out-of-band server delete: %v", err)
					}
				},
				Config: env.config(serverConfig("Billing v2", "billing", "Invoices and payments.")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(serverAddr, plancheck.ResourceActionCreate)},
				},
				Check: func(s *terraform.State) error {
					newID, err := stateAttr(s, serverAddr, "id")
					if err != nil {
						return err
					}
					if newID == id {
						return fmt.Errorf("the recreated server kept the deleted one's id %s", id)
					}
					id = newID
					return nil
				},
			},
			{
				// A new slug is a new server.
				Config: env.config(serverConfig("Billing v2", "invoices", "Invoices and payments.")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(serverAddr, plancheck.ResourceActionDestroyBeforeCreate)},
				},
				Check: func(s *terraform.State) error {
					newID, err := stateAttr(s, serverAddr, "id")
					if err != nil {
						return err
					}
					if _, err := env.api.GetServer(bg(), id); !errors.Is(err, client.ErrNotFound) {
						return fmt.Errorf("the server with the old slug (%s) still exists: %w", id, err)
					}
					srv, err := env.api.GetServer(bg(), newID)
					if err != nil || srv.Slug != "invoices" {
						return fmt.Errorf("server %s: %+v, %w", newID, srv, err)
					}
					return nil
				},
			},
		},
	})
}

func TestAccServer_validation(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	weather := env.server(t, "weather")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      env.config(serverConfig("Billing", "Billing_1", "")),
				PlanOnly:    true,
				ExpectError: phrases("Invalid Slug", `"Billing_1" is not a slug: a slug is 1 to 63 lowercase letters, digits and '-'`),
			},
			{
				Config:      env.config(serverConfig("", "billing", "")),
				PlanOnly:    true,
				ExpectError: phrases("Invalid Name", "The name is empty. Give the server a name of 1 to 64 printable characters"),
			},
			{
				Config:      env.config(serverConfig("Bill\ting", "billing", "")),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`non-printable character`),
			},
			{
				// The seeded weather server already has this slug.
				Config: env.config(serverConfig("Weather 2", "weather", "")),
				ExpectError: phrases("Server Slug Taken", `create server "weather": server `+weather.ID+" already has this slug",
					"terraform import <this resource's address> "+weather.ID, fmt.Sprintf("import block with id = %q", weather.ID)),
			},
			{
				Config:      env.config(serverConfig("Weather", "weather-2", "")),
				ExpectError: phrases("Server Name Taken", "server "+weather.ID+" already has this name"),
			},
			{
				// Horizon would store " Billing " as "Billing", and Terraform
				// would then fail the apply with an inconsistent result.
				Config:      env.config(serverConfig(" Billing ", "billing", "")),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Invalid Name.*would be stored by Horizon as "Billing"`),
			},
			{
				// A Cyrillic е: the seeded Weather's lookalike.
				Config:      env.config(serverConfig("W\u0435ather", "weather-2", "")),
				ExpectError: regexp.MustCompile(`(?s)Server Name Taken.*server\s+srv_\w+\s+is\s+named\s+"Weather",\s+which\s+looks\s+like\s+this\s+name.*import`),
			},
			{
				ResourceName:  serverAddr,
				Config:        env.config(serverConfig("Billing", "billing", "")),
				ImportState:   true,
				ImportStateId: "weather",
				ExpectError:   regexp.MustCompile(`(?s)Invalid Import Id.*is not a server id.*terraform import horizon_server.NAME srv_`),
			},
		},
	})
}

// A viewer's key may not create a server, and its plan of a server it may not
// discover is an error that says so, never a plan to create the server again.
func TestAccServer_viewerKey(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	_, viewer := env.serviceAccountKey(t, "ci-plan", "viewer")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: env.configWithKey(viewer, serverConfig("Billing", "billing", "")),
				ExpectError: regexp.MustCompile(`(?s)Insufficient Horizon Permission.*create server "billing".*` +
					`organization role "viewer".*needs "admin"`),
			},
			{
				Config: env.config(serverConfig("Billing", "billing", "")),
			},
			{
				Config:      env.configWithKey(viewer, serverConfig("Billing", "billing", "")),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Server Not Visible to the Provider's Key.*read server srv_.*organization role "viewer"`),
			},
			{
				Config: env.config(serverConfig("Billing", "billing", "")),
			},
		},
	})
}

// End to end: a server made by Terraform, a grant on it and a key whose
// secret reaches it over MCP; destroying the server takes the access away.
func TestAccServer_grantAndKeyReachItOverMCP(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	var secret string
	var srv client.Server
	config := env.config(`
resource "horizon_server" "test" {
  name = "Billing"
  slug = "billing"
}

resource "horizon_service_account" "agent" {
  name = "billing-agent"
  role = "member"
}

resource "horizon_server_grant" "agent" {
  service_account_id = horizon_service_account.agent.id
  server_id          = horizon_server.test.id
  role               = "user"
  capabilities       = ["tools"]
}

resource "horizon_service_account_key" "agent" {
  service_account_id = horizon_service_account.agent.id
  name               = "primary"
}
`)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             env.checkServersGone("billing"),
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: resource.ComposeTestCheckFunc(
					capture("horizon_service_account_key.agent", "secret", &secret),
					func(s *terraform.State) error {
						id, err := stateAttr(s, serverAddr, "id")
						if err != nil {
							return err
						}
						url, err := stateAttr(s, serverAddr, "url")
						srv = client.Server{ID: id, URL: url}
						return errors.Join(err,
							expectMCP("tools/call on the server Terraform made", env.callMCP(secret, srv, "tools/call"), 0),
							expectMCP("resources/list without the resources capability", env.callMCP(secret, srv, "resources/list"), http.StatusForbidden),
						)
					},
				),
			},
			{
				// The server destroyed, its grant goes with it: the same key is refused at once.
				Config: env.config(`
resource "horizon_service_account" "agent" {
  name = "billing-agent"
  role = "member"
}

resource "horizon_service_account_key" "agent" {
  service_account_id = horizon_service_account.agent.id
  name               = "primary"
}
`),
				Check: func(*terraform.State) error {
					return expectMCP("tools/call after the server was destroyed", env.callMCP(secret, srv, "tools/call"), http.StatusNotFound)
				},
			},
		},
	})
}

// checkServersGone verifies after destroy that no server with these slugs is left.
func (e *testEnv) checkServersGone(slugs ...string) func(*terraform.State) error {
	return func(*terraform.State) error {
		servers, err := e.api.ListServers(bg())
		if err != nil {
			return err
		}
		for _, srv := range servers {
			for _, slug := range slugs {
				if srv.Slug == slug {
					return fmt.Errorf("server %s (%q) still exists after destroy", srv.ID, slug)
				}
			}
		}
		return nil
	}
}

// Renaming a server to a name another server has names that server, and
// does not advise an import.
func TestAccServer_renameToATakenName(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	weather := env.server(t, "weather")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: env.config(serverConfig("Billing", "billing", ""))},
			{
				Config: env.config(serverConfig(weather.Name, "billing", "")),
				ExpectError: phrases("Server Name Taken", "server "+weather.ID+" already has this name",
					"Choose another name, or rename or delete server "+weather.ID+" first"),
			},
		},
	})
}
