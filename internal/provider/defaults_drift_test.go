package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
	"github.com/horizonhq/terraform-provider-horizon/internal/client"
)

// Every attribute that the configuration leaves to its default is held to
// that default: changed outside Terraform, the next plan puts it back. Each
// test below changes every defaulted attribute of one resource through the
// API, expects the plan to update the resource with the defaults, and the
// apply to restore them in Horizon.

func TestAccServiceAccount_defaultsHeldAgainstDrift(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	config := env.config(`
resource "horizon_service_account" "test" {
  name = "drift-test"
}`)
	var id string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: config, Check: capture(saAddr, "id", &id)},
			{
				// An account raised to admin and disabled by hand.
				PreConfig: func() {
					role, disabled, description := "admin", true, "changed by hand"
					if _, err := env.api.UpdateServiceAccount(t.Context(), id, client.UpdateServiceAccountRequest{
						Role: &role, Disabled: &disabled, Description: &description,
					}); err != nil {
						t.Fatalf("out-of-band update: %v", err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(saAddr, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(saAddr, tfjsonpath.New("role"), knownvalue.StringExact(defaultServiceAccountRole)),
						plancheck.ExpectKnownValue(saAddr, tfjsonpath.New("disabled"), knownvalue.Bool(false)),
						plancheck.ExpectKnownValue(saAddr, tfjsonpath.New("description"), knownvalue.StringExact("")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: env.checkServiceAccount(saAddr, client.ServiceAccount{Name: "drift-test", Role: defaultServiceAccountRole}),
			},
		},
	})
}

func TestAccServer_defaultsHeldAgainstDrift(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	config := env.config(`
resource "horizon_server" "test" {
  name = "Drift"
  slug = "drift"
}`)
	const addr = "horizon_server.test"
	var id string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: config, Check: capture(addr, "id", &id)},
			{
				PreConfig: func() {
					description := "changed by hand"
					if _, err := env.api.UpdateServer(t.Context(), id, client.UpdateServerRequest{Description: &description}); err != nil {
						t.Fatalf("out-of-band update: %v", err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(addr, tfjsonpath.New("description"), knownvalue.StringExact("")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("description"), knownvalue.StringExact("")),
				},
				Check: func(*terraform.State) error {
					srv, err := env.api.GetServer(t.Context(), id)
					if err != nil {
						return err
					}
					if srv.Description != "" {
						t.Errorf("the server's description in Horizon after the apply: %q, want the default, empty", srv.Description)
					}
					return nil
				},
			},
		},
	})
}

func TestAccServerGrant_defaultsHeldAgainstDrift(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	weather := env.server(t, "weather")
	config := env.config(`
resource "horizon_service_account" "test" {
  name = "drift-grant"
  role = "member"
}

resource "horizon_server_grant" "test" {
  service_account_id = horizon_service_account.test.id
  server_id          = "` + weather.ID + `"
  role               = "user"
}`)
	const addr = "horizon_server_grant.test"
	var accountID string
	all := make([]knownvalue.Check, len(api.Capabilities))
	for i, c := range api.Capabilities {
		all[i] = knownvalue.StringExact(c)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: config, Check: capture(saAddr, "id", &accountID)},
			{
				// Capabilities narrowed by hand.
				PreConfig: func() {
					if _, err := env.api.PutServerGrant(t.Context(), accountID, weather.ID, client.PutServerGrantRequest{
						Role: "user", Capabilities: &[]string{api.CapabilityTools},
					}); err != nil {
						t.Fatalf("out-of-band update: %v", err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(addr, tfjsonpath.New("capabilities"), knownvalue.SetExact(all)),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: func(*terraform.State) error {
					grant, err := env.api.GetServerGrant(t.Context(), accountID, weather.ID)
					if err != nil {
						return err
					}
					if len(grant.Capabilities) != len(api.Capabilities) {
						t.Errorf("the grant's capabilities in Horizon after the apply: %v, want the default, all of %v", grant.Capabilities, api.Capabilities)
					}
					return nil
				},
			},
		},
	})
}
