package provider

import (
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
	"github.com/horizonhq/terraform-provider-horizon/internal/client"
	"github.com/horizonhq/terraform-provider-horizon/internal/server"
)

const personalKeyAddr = "horizon_personal_api_key.test"

func personalKeyConfig(name, generation string) string {
	return fmt.Sprintf(`
resource "horizon_personal_api_key" "test" {
  name    = %q
  ttl     = "720h"
  keepers = { generation = %q }
}

data "horizon_personal_api_keys" "mine" {
  depends_on = [horizon_personal_api_key.test]
}
`, name, generation)
}

// addUser adds a user to the test's organization and returns its id and the
// secret of its first personal key.
func (e *testEnv) addUser(t *testing.T, name string, role server.Role) (userID, secret string) {
	t.Helper()
	userID, secret, err := e.srv.AddUser(name, role)
	if err != nil {
		t.Fatal(err)
	}
	return userID, secret
}

// checkAuthenticatesAsUser asserts the secret acts as the user.
func (e *testEnv) checkAuthenticatesAsUser(resourceName string, userID *string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		secret, err := stateAttr(s, resourceName, "secret")
		if err != nil {
			return err
		}
		me, err := apiClient(e.srv.URL(), secret).Me(bg())
		if err != nil {
			return fmt.Errorf("the personal key does not authenticate: %w", err)
		}
		if me.Actor.ID != *userID || me.Actor.Type != "user" {
			return fmt.Errorf("the personal key acts as %s %s, want user %s", me.Actor.Type, me.Actor.ID, *userID)
		}
		return nil
	}
}

func TestAccPersonalAPIKey_lifecycle(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	me, err := env.api.Me(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	userID := me.Actor.ID
	var keyID, secret string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: env.config(personalKeyConfig("laptop", "1")),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(personalKeyAddr, tfjsonpath.New("secret"), knownvalue.StringRegexp(secretPattern)),
					statecheck.ExpectSensitiveValue(personalKeyAddr, tfjsonpath.New("secret")),
					statecheck.ExpectKnownValue(personalKeyAddr, tfjsonpath.New("status"), knownvalue.StringExact("active")),
					// The bootstrap key and the new one.
					statecheck.ExpectKnownValue("data.horizon_personal_api_keys.mine", tfjsonpath.New("keys"), knownvalue.ListSizeExact(2)),
				},
				Check: resource.ComposeTestCheckFunc(
					capture(personalKeyAddr, "id", &keyID),
					capture(personalKeyAddr, "secret", &secret),
					env.checkAuthenticatesAsUser(personalKeyAddr, &userID),
					expiresAfterCreationOf(personalKeyAddr, 720*time.Hour),
				),
			},
			{
				Config: env.config(personalKeyConfig("old laptop", "1")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(personalKeyAddr, plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttr(personalKeyAddr, "name", "old laptop"),
					resource.TestCheckResourceAttrPtr(personalKeyAddr, "secret", &secret),
				),
			},
			{
				ResourceName:            personalKeyAddr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"secret", "keepers", "ttl"},
			},
			{
				// Renamed behind Terraform's back: the plan puts the name back, in place.
				PreConfig: func() {
					name := "renamed elsewhere"
					if _, err := env.api.UpdatePersonalAPIKey(t.Context(), keyID, client.UpdateAPIKeyRequest{Name: &name}); err != nil {
						t.Fatal(err)
					}
				},
				Config: env.config(personalKeyConfig("old laptop", "1")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(personalKeyAddr, plancheck.ResourceActionUpdate)},
				},
				Check: resource.TestCheckResourceAttr(personalKeyAddr, "name", "old laptop"),
			},
			{
				// Revoked behind Terraform's back: replaced, with a new secret that works.
				PreConfig: func() {
					if _, err := env.api.RevokePersonalAPIKey(t.Context(), keyID); err != nil {
						t.Fatal(err)
					}
				},
				Config: env.config(personalKeyConfig("old laptop", "1")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(personalKeyAddr, plancheck.ResourceActionDestroyBeforeCreate)},
				},
				Check: resource.ComposeTestCheckFunc(
					env.checkAuthenticatesAsUser(personalKeyAddr, &userID),
					capture(personalKeyAddr, "secret", &secret),
				),
			},
			{
				// Destroyed: refused at once.
				Config: env.config(`data "horizon_current_actor" "me" {}`),
				Check:  env.checkSecretRefused(&secret),
			},
		},
	})
}

func TestAccPersonalAPIKey_errors(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	saID, saSecret := env.serviceAccountKey(t, "robot", "admin")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				// A provider that authenticates as a service account: refused at plan time.
				Config:      env.configWithKey(saSecret, personalKeyConfig("laptop", "1")),
				PlanOnly:    true,
				ExpectError: phrases("Personal Keys Belong to Users", "service account "+saID, "horizon_service_account_key"),
			},
			{
				Config:      env.config(personalKeyConfig("", "1")),
				PlanOnly:    true,
				ExpectError: phrases("Invalid Name", "The name is empty. Give the key a name of 1 to 128 printable characters"),
			},
			{
				Config:        env.config(personalKeyConfig("laptop", "1")),
				ResourceName:  personalKeyAddr,
				ImportState:   true,
				ImportStateId: "sa_aaaaaaaaaaaaaaaa/key_aaaaaaaaaaaaaaaa",
				ExpectError:   phrases("Invalid Import Id", "is not a personal key id", "terraform import horizon_personal_api_key.NAME key_...", "import block whose id is <personal_key_id>"),
			},
		},
	})
}

// A viewer user may manage its own personal keys: they carry no more than
// the user's own access.
func TestAccPersonalAPIKey_viewerUser(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	userID, secret := env.addUser(t, "Vera", api.RoleViewer)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: env.configWithKey(secret, personalKeyConfig("vera's laptop", "1")),
			Check:  env.checkAuthenticatesAsUser(personalKeyAddr, &userID),
		}},
	})
}

// expiresAfterCreationOf checks expires_at = created_at + ttl, as Horizon set them.
func expiresAfterCreationOf(resourceName string, ttl time.Duration) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		created, err := stateTime(s, resourceName, "created_at")
		if err != nil {
			return err
		}
		expires, err := stateTime(s, resourceName, "expires_at")
		if err != nil {
			return err
		}
		if got := expires.Sub(created); got != ttl {
			return fmt.Errorf("expires_at - created_at = %s, want %s", got, ttl)
		}
		return nil
	}
}
