package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/horizonhq/terraform-provider-horizon/internal/client"
)

const orgSettingsAddr = "horizon_organization_settings.this"

func orgSettingsConfig(role string) string {
	return fmt.Sprintf(`
resource "horizon_organization_settings" "this" {
  default_server_role = %q
}
`, role)
}

// checkDefaultServerRole asserts what Horizon holds, not what the state says.
func (e *testEnv) checkDefaultServerRole(want string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		org, err := e.api.GetOrganization(bg())
		if err != nil {
			return err
		}
		if org.DefaultServerRole != want {
			return fmt.Errorf("Horizon's default_server_role is %s, want %s", org.DefaultServerRole, want)
		}
		return nil
	}
}

// checkServersVisibleTo asserts how many servers a key's owner discovers.
func (e *testEnv) checkServersVisibleTo(secret *string, want int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		servers, err := apiClient(e.srv.URL(), *secret).ListServers(bg())
		if err != nil {
			return err
		}
		if len(servers) != want {
			return fmt.Errorf("the member account discovers %d servers, want %d", len(servers), want)
		}
		return nil
	}
}

func TestAccOrganizationSettings_lifecycle(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	// A member account without grants: what it discovers follows default_server_role.
	_, memberSecret := env.serviceAccountKey(t, "member-without-grants", "member")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		// Destroying the resource restores what the organization had before: none.
		CheckDestroy: env.checkDefaultServerRole("none"),
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					if err := env.checkServersVisibleTo(&memberSecret, 0)(nil); err != nil {
						t.Fatal(err)
					}
				},
				Config: env.config(orgSettingsConfig("viewer")),
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttr(orgSettingsAddr, "organization_id", env.srv.OrganizationID()),
					env.checkDefaultServerRole("viewer"),
					// The very next request of the member sees every server.
					env.checkServersVisibleTo(&memberSecret, 3),
				),
			},
			{
				Config: env.config(orgSettingsConfig("user")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(orgSettingsAddr, plancheck.ResourceActionUpdate)},
				},
				Check: env.checkDefaultServerRole("user"),
			},
			{
				ResourceName:      orgSettingsAddr,
				ImportState:       true,
				ImportStateId:     env.srv.OrganizationID(),
				ImportStateVerify: true,
				// The import id is the organization's; the state has no other id.
				ImportStateVerifyIdentifierAttribute: "organization_id",
			},
			{
				// Changed behind Terraform's back: the plan puts it back.
				PreConfig: func() {
					role := "none"
					if _, err := env.api.UpdateOrganization(t.Context(), client.UpdateOrganizationRequest{DefaultServerRole: &role}); err != nil {
						t.Fatal(err)
					}
				},
				Config: env.config(orgSettingsConfig("user")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(orgSettingsAddr, plancheck.ResourceActionUpdate)},
				},
				Check: env.checkDefaultServerRole("user"),
			},
		},
	})
}

func TestAccOrganizationSettings_errors(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	_, viewerSecret := env.serviceAccountKey(t, "ci-plan", "viewer")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      env.config(orgSettingsConfig("admin")),
				PlanOnly:    true,
				ExpectError: phrases("default_server_role", `value must be one of: ["none" "viewer" "user"]`),
			},
			{
				Config: env.config(`
resource "horizon_organization_settings" "this" {
  organization_id     = "org_aaaaaaaaaaaaaaaa"
  default_server_role = "viewer"
}`),
				ExpectError: phrases("Not the Provider's Organization", "organization_id is org_aaaaaaaaaaaaaaaa", env.srv.OrganizationID()),
			},
			{
				// A viewer's key can plan, not change the organization.
				Config:      env.configWithKey(viewerSecret, orgSettingsConfig("viewer")),
				ExpectError: phrases("Insufficient Horizon Permission", `organization role "viewer"`, `needs "admin"`),
			},
			{
				Config:        env.config(orgSettingsConfig("viewer")),
				ResourceName:  orgSettingsAddr,
				ImportState:   true,
				ImportStateId: "acme",
				ExpectError:   phrases("Invalid Import Id", "organization id"),
			},
		},
	})
}
