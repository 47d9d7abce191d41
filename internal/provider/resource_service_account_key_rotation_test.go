package provider

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

func ttlKeyConfig(ttl, renewBefore string) string {
	renew := ""
	if renewBefore != "" {
		renew = fmt.Sprintf("renew_before = %q", renewBefore)
	}
	return fmt.Sprintf(`
resource "horizon_service_account" "test" {
  name = "renewing"
}

resource "horizon_service_account_key" "test" {
  service_account_id = horizon_service_account.test.id
  name               = "rolling"
  ttl                = %q
  %s

  lifecycle {
    create_before_destroy = true
  }
}
`, ttl, renew)
}

// expiresAfterCreation checks expires_at = created_at + ttl, both as Horizon set them.
func expiresAfterCreation(ttl time.Duration) resource.TestCheckFunc {
	return expiresAfterCreationOf(keyAddr, ttl)
}

func stateTime(s *terraform.State, resourceName, attribute string) (time.Time, error) {
	v, err := stateAttr(s, resourceName, attribute)
	if err != nil {
		return time.Time{}, err
	}
	return time.Parse(time.RFC3339, v)
}

func TestAccServiceAccountKey_renewBefore(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	var saID, oldSecret, newSecret string
	cfg := env.config(ttlKeyConfig("720h", "168h"))

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: cfg,
				Check: resource.ComposeTestCheckFunc(
					expiresAfterCreation(720*time.Hour),
					capture(saAddr, "id", &saID),
					capture(keyAddr, "secret", &oldSecret),
				),
			},
			{
				// Still outside the renewal window: nothing to do.
				PreConfig: func() { env.clock.Advance(551 * time.Hour) },
				Config:    cfg,
				PlanOnly:  true,
			},
			{
				// Inside the window (less than 168h left): replaced, new key first.
				PreConfig: func() { env.clock.Advance(2 * time.Hour) },
				Config:    cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionCreateBeforeDestroy)},
				},
				Check: resource.ComposeTestCheckFunc(
					expiresAfterCreation(720*time.Hour),
					capture(keyAddr, "secret", &newSecret),
					env.checkSecretAuthenticatesAs(&newSecret, &saID),
					env.checkSecretRefused(&oldSecret),
					env.checkActiveKeys(&saID, 1),
				),
			},
		},
	})
}

func TestAccServiceAccountKey_expiredWithTTLIsReplaced(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	var saID, oldSecret, newSecret string
	cfg := env.config(ttlKeyConfig("24h", ""))

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: cfg,
				Check: resource.ComposeTestCheckFunc(
					capture(saAddr, "id", &saID),
					capture(keyAddr, "secret", &oldSecret),
				),
			},
			{
				PreConfig: func() { env.clock.Advance(25 * time.Hour) },
				Config:    cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionCreateBeforeDestroy)},
				},
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttr(keyAddr, "status", "active"),
					capture(keyAddr, "secret", &newSecret),
					env.checkSecretAuthenticatesAs(&newSecret, &saID),
					env.checkSecretRefused(&oldSecret),
				),
			},
			{
				// Changing the ttl makes a new key; so does dropping it.
				Config: env.config(ttlKeyConfig("48h", "")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionCreateBeforeDestroy)},
				},
				Check: expiresAfterCreation(48 * time.Hour),
			},
			{
				// The same duration spelled differently is no change.
				Config: env.config(ttlKeyConfig("2880m", "")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionUpdate)},
				},
				Check: expiresAfterCreation(48 * time.Hour),
			},
		},
	})
}

func TestAccServiceAccountKey_lifetimeValidation(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	key := func(attrs string) string {
		return env.config(`
resource "horizon_service_account_key" "test" {
  service_account_id = "sa_aaaaaaaaaaaaaaaa"
  name               = "k"
  ` + attrs + `
}`)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      key(`ttl = "720h"` + "\n" + `expires_at = "2030-01-01T00:00:00Z"`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Attribute "ttl" cannot be specified when "expires_at" is specified`),
			},
			{
				Config:      key(`ttl = "30 days"`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`"30 days" is not a Go duration; write it like 720h`),
			},
			{
				Config:      key(`ttl = "30s"`),
				PlanOnly:    true,
				ExpectError: phrases(`"30s" is shorter than 1 minute (1m), the least it may be`),
			},
			{
				Config:      key(`ttl = "87601h"`),
				PlanOnly:    true,
				ExpectError: phrases(`"87601h" is longer than 10 years (87600h), the most it may be`),
			},
			{
				Config:      key(`renew_before = "24h"`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Attribute "ttl" must be specified when "renew_before" is specified`),
			},
			{
				Config:      key(`ttl = "24h"` + "\n" + `renew_before = "24h"`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Renewal Window Too Long.*renew_before \(24h\) must be shorter than ttl \(24h\)`),
			},
			{
				Config:      key(`expires_at = "2020-01-01T00:00:00Z"`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Expiry In the Past.*expires_at 2020-01-01T00:00:00Z is not in the future`),
			},
		},
	})
}
