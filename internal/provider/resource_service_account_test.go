package provider

import (
	"errors"
	"fmt"
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

const saAddr = "horizon_service_account.test"

func TestAccServiceAccount_lifecycle(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	var firstID string

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             env.checkServiceAccountsGone,
		Steps: []resource.TestStep{
			{
				Config: env.config(`
resource "horizon_service_account" "test" {
  name = "ci-deployer"
}`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(saAddr, tfjsonpath.New("id"), knownvalue.StringRegexp(regexp.MustCompile(`^sa_[a-z2-7]{16}$`))),
					statecheck.ExpectKnownValue(saAddr, tfjsonpath.New("organization_id"), knownvalue.StringExact(env.srv.OrganizationID())),
					// No role configured: the least privilege.
					statecheck.ExpectKnownValue(saAddr, tfjsonpath.New("role"), knownvalue.StringExact("viewer")),
					statecheck.ExpectKnownValue(saAddr, tfjsonpath.New("description"), knownvalue.StringExact("")),
					statecheck.ExpectKnownValue(saAddr, tfjsonpath.New("disabled"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(saAddr, tfjsonpath.New("created_at"), knownvalue.NotNull()),
				},
				Check: resource.ComposeTestCheckFunc(
					capture(saAddr, "id", &firstID),
					env.checkServiceAccount(saAddr, client.ServiceAccount{Name: "ci-deployer", Role: "viewer"}),
				),
			},
			{
				Config: env.config(`
resource "horizon_service_account" "test" {
  name        = "ci-deployer-2"
  description = "Deploys from CI"
  role        = "admin"
  disabled    = true
}`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(saAddr, plancheck.ResourceActionUpdate)},
				},
				Check: env.checkServiceAccount(saAddr, client.ServiceAccount{
					Name: "ci-deployer-2", Description: "Deploys from CI", Role: "admin", Disabled: true,
				}),
			},
			{
				ResourceName:      saAddr,
				ImportState:       true,
				ImportStateVerify: true,
			},
			{
				// Drift: changed behind Terraform's back; the plan puts it back in place.
				PreConfig: func() {
					role, disabled := "viewer", false
					if _, err := env.api.UpdateServiceAccount(t.Context(), firstID, client.UpdateServiceAccountRequest{Role: &role, Disabled: &disabled}); err != nil {
						t.Fatalf("out-of-band update: %v", err)
					}
				},
				Config: env.config(`
resource "horizon_service_account" "test" {
  name        = "ci-deployer-2"
  description = "Deploys from CI"
  role        = "admin"
  disabled    = true
}`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(saAddr, plancheck.ResourceActionUpdate)},
				},
				Check: env.checkServiceAccount(saAddr, client.ServiceAccount{
					Name: "ci-deployer-2", Description: "Deploys from CI", Role: "admin", Disabled: true,
				}),
			},
			{
				// Drift: deleted behind Terraform's back; the plan creates it again.
				PreConfig: func() {
					if err := env.api.DeleteServiceAccount(t.Context(), firstID); err != nil {
						t.Fatalf("out-of-band delete: %v", err)
					}
				},
				Config: env.config(`
resource "horizon_service_account" "test" {
  name        = "ci-deployer-2"
  description = "Deploys from CI"
  role        = "admin"
  disabled    = true
}`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(saAddr, plancheck.ResourceActionCreate)},
				},
				Check: resource.ComposeTestCheckFunc(
					env.checkServiceAccount(saAddr, client.ServiceAccount{
						Name: "ci-deployer-2", Description: "Deploys from CI", Role: "admin", Disabled: true,
					}),
					func(s *terraform.State) error {
						id, err := stateAttr(s, saAddr, "id")
						if err == nil && id == firstID {
							err = fmt.Errorf("expected a new service account, still %s", id)
						}
						return err
					},
				),
			},
		},
	})
}

func TestAccServiceAccount_validation(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      env.config(`resource "horizon_service_account" "test" { name = "has space" }`),
				ExpectError: phrases("Invalid Name", `"has space" is not a service account name: a name is 1 to 64 letters, digits`),
				PlanOnly:    true,
			},
			{
				// An empty name says so, rather than quoting nothing.
				Config:      env.config(`resource "horizon_service_account" "test" { name = "" }`),
				ExpectError: phrases("Invalid Name", "The name is empty. Give the service account a name of 1 to 64 letters"),
				PlanOnly:    true,
			},
			{
				Config: env.config(`resource "horizon_service_account" "test" {
  name = "ok"
  role = "owner"
}`),
				ExpectError: regexp.MustCompile(`(?s)Attribute role value must be one of.*"viewer".*"member".*"admin"`),
				PlanOnly:    true,
			},
			{
				// A create may import the account that has the name.
				Config: env.config(`
resource "horizon_service_account" "a" { name = "same" }
resource "horizon_service_account" "b" {
  name       = "same"
  depends_on = [horizon_service_account.a]
}`),
				ExpectError: phrases("Service Account Name Taken", "already has this name", "import it: terraform import <this resource's address> sa_"),
			},
		},
	})
}

// Renaming an account to a name another account has names that account; it
// does not advise an import, which makes no sense for an update.
func TestAccServiceAccount_renameToATakenName(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	other, err := env.api.CreateServiceAccount(t.Context(), client.CreateServiceAccountRequest{Name: "taken"})
	if err != nil {
		t.Fatal(err)
	}
	account := func(name string) string {
		return env.config(fmt.Sprintf(`resource "horizon_service_account" "test" { name = %q }`, name))
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: account("mine")},
			{
				Config: account("taken"),
				ExpectError: phrases("Service Account Name Taken", "service account "+other.ID+" already has this name",
					"Choose another name, or rename or delete service account "+other.ID+" first"),
			},
		},
	})
}

// checkServiceAccount compares what Horizon holds for the resource with want.
func (e *testEnv) checkServiceAccount(resourceName string, want client.ServiceAccount) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		id, err := stateAttr(s, resourceName, "id")
		if err != nil {
			return err
		}
		got, err := e.api.GetServiceAccount(bg(), id)
		if err != nil {
			return fmt.Errorf("reading %s from the server: %w", id, err)
		}
		if got.Name != want.Name || got.Description != want.Description || got.Role != want.Role || got.Disabled != want.Disabled {
			return fmt.Errorf("server holds %+v, want name=%q description=%q role=%q disabled=%v",
				*got, want.Name, want.Description, want.Role, want.Disabled)
		}
		return nil
	}
}

// checkServiceAccountsGone is a CheckDestroy: every service account in the last state is gone from Horizon.
func (e *testEnv) checkServiceAccountsGone(s *terraform.State) error {
	for _, rs := range s.RootModule().Resources {
		if rs.Type != "horizon_service_account" {
			continue
		}
		_, err := e.api.GetServiceAccount(bg(), rs.Primary.ID)
		if !errors.Is(err, client.ErrNotFound) {
			return fmt.Errorf("service account %s still exists after destroy (err=%w)", rs.Primary.ID, err)
		}
	}
	return nil
}
