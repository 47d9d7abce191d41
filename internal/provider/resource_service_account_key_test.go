package provider

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
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
	"github.com/horizonhq/terraform-provider-horizon/internal/testutil"
)

const keyAddr = "horizon_service_account_key.test"

var secretPattern = regexp.MustCompile(`^fmcp_[A-Za-z0-9_-]{43}$`)

func keyConfig(name, keepers, lifecycle string) string {
	return fmt.Sprintf(`
resource "horizon_service_account" "test" {
  name = "rotator"
}

resource "horizon_service_account_key" "test" {
  service_account_id = horizon_service_account.test.id
  name               = %q
  keepers            = %s
  %s
}

output "masked" {
  value = horizon_service_account_key.test.masked_secret
}
`, name, keepers, lifecycle)
}

func TestAccServiceAccountKey_lifecycle(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	var saID, firstSecret, secondSecret string

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             env.checkServiceAccountsGone,
		Steps: []resource.TestStep{
			{
				Config: env.config(keyConfig("primary", `{ generation = "1" }`, "")),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(keyAddr, tfjsonpath.New("id"), knownvalue.StringRegexp(regexp.MustCompile(`^key_[a-z2-7]{16}$`))),
					statecheck.ExpectKnownValue(keyAddr, tfjsonpath.New("secret"), knownvalue.StringRegexp(secretPattern)),
					statecheck.ExpectSensitiveValue(keyAddr, tfjsonpath.New("secret")),
					statecheck.ExpectKnownValue(keyAddr, tfjsonpath.New("masked_secret"), knownvalue.StringRegexp(regexp.MustCompile(`^fmcp_.{4}\.\.\..{4}$`))),
					statecheck.ExpectKnownValue(keyAddr, tfjsonpath.New("status"), knownvalue.StringExact("active")),
					statecheck.ExpectKnownValue(keyAddr, tfjsonpath.New("revoked_at"), knownvalue.Null()),
					statecheck.ExpectKnownValue(keyAddr, tfjsonpath.New("expires_at"), knownvalue.Null()),
					statecheck.ExpectKnownValue(keyAddr, tfjsonpath.New("created_at"), knownvalue.NotNull()),
				},
				Check: resource.ComposeTestCheckFunc(
					capture(saAddr, "id", &saID),
					capture(keyAddr, "secret", &firstSecret),
					env.checkSecretAuthenticatesAs(&firstSecret, &saID),
					env.checkMaskedMatchesSecret(keyAddr),
				),
			},
			{
				// Rename in place: same key, same secret.
				Config: env.config(keyConfig("primary-renamed", `{ generation = "1" }`, "")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttr(keyAddr, "name", "primary-renamed"),
					resource.TestCheckResourceAttrPtr(keyAddr, "secret", &firstSecret),
					env.checkKeyName(keyAddr, "primary-renamed"),
				),
			},
			{
				ResourceName:            keyAddr,
				ImportState:             true,
				ImportStateIdFunc:       importID(keyAddr, "service_account_id", "id"),
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"secret", "keepers"},
			},
			{
				// Revoked behind Terraform's back: replaced, with a new secret that works.
				PreConfig: func() { env.revokeAll(t, saID) },
				Config:    env.config(keyConfig("primary-renamed", `{ generation = "1" }`, "")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionDestroyBeforeCreate),
						plancheck.ExpectKnownValue(keyAddr, tfjsonpath.New("status"), knownvalue.StringExact("active")),
					},
				},
				Check: resource.ComposeTestCheckFunc(
					capture(keyAddr, "secret", &secondSecret),
					env.checkSecretAuthenticatesAs(&secondSecret, &saID),
					env.checkSecretRefused(&firstSecret),
				),
			},
			{
				// A keepers change forces a new key.
				Config: env.config(keyConfig("primary-renamed", `{ generation = "2" }`, "")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionDestroyBeforeCreate)},
				},
				Check: resource.ComposeTestCheckFunc(
					env.checkSecretRefused(&secondSecret),
					func(s *terraform.State) error {
						secret, err := stateAttr(s, keyAddr, "secret")
						if err == nil && secret == secondSecret {
							err = errors.New("keepers change kept the old secret")
						}
						return err
					},
				),
			},
			{
				// Deleted with its service account behind Terraform's back: both are created again.
				PreConfig: func() {
					if err := env.api.DeleteServiceAccount(t.Context(), saID); err != nil {
						t.Fatalf("out-of-band delete: %v", err)
					}
				},
				Config: env.config(keyConfig("primary-renamed", `{ generation = "2" }`, "")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(saAddr, plancheck.ResourceActionCreate),
						plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionCreate),
					},
				},
			},
			{
				// Revoked and then destroyed: destroy succeeds.
				PreConfig: func() {
					id, err := env.serviceAccountIDByName(t, "rotator")
					if err != nil {
						t.Fatal(err)
					}
					env.revokeAll(t, id)
				},
				Config:  env.config(keyConfig("primary-renamed", `{ generation = "2" }`, "")),
				Destroy: true,
			},
		},
	})
}

func TestAccServiceAccountKey_createBeforeDestroyRotation(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	var saID, oldSecret, newSecret string
	cbd := "lifecycle {\n    create_before_destroy = true\n  }"

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: env.config(keyConfig("2026-11", `{ rotation = "2026-11" }`, cbd)),
				Check: resource.ComposeTestCheckFunc(
					capture(saAddr, "id", &saID),
					capture(keyAddr, "secret", &oldSecret),
				),
			},
			{
				Config: env.config(keyConfig("2026-12", `{ rotation = "2026-12" }`, cbd)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionCreateBeforeDestroy)},
				},
				Check: resource.ComposeTestCheckFunc(
					capture(keyAddr, "secret", &newSecret),
					env.checkSecretAuthenticatesAs(&newSecret, &saID),
					env.checkSecretRefused(&oldSecret),
					env.checkActiveKeys(&saID, 1),
				),
			},
		},
	})
}

func TestAccServiceAccountKey_limit(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	var saID string
	keys := func(n int) string {
		var b strings.Builder
		b.WriteString(`resource "horizon_service_account" "test" { name = "limited" }` + "\n")
		for i := range n {
			fmt.Fprintf(&b, `
resource "horizon_service_account_key" "k%d" {
  service_account_id = horizon_service_account.test.id
  name               = "key-%d"
  depends_on         = [%s]
}
`, i, i, dependsOnPrevious(i))
		}
		return b.String()
	}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: env.config(keys(2)),
				Check:  capture(saAddr, "id", &saID),
			},
			{
				Config: env.config(keys(3)),
				ExpectError: regexp.MustCompile(`(?s)Service Account Key Limit Reached.*already has 2 active keys.*limit 2.*` +
					`"key-[01]".*"key-[01]".*create_before_destroy.*revoke one of the keys`),
			},
			{
				// The failed create changed nothing: still exactly the two keys.
				Config: env.config(keys(2)),
				Check:  env.checkActiveKeys(&saID, 2),
			},
		},
	})
}

func dependsOnPrevious(i int) string {
	if i == 0 {
		return ""
	}
	return fmt.Sprintf("horizon_service_account_key.k%d", i-1)
}

func TestAccServiceAccountKey_expired(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	config := func(expires time.Time) string {
		// An offset that is not UTC: the server answers in UTC, and the plan must not show a diff for it.
		return env.config(fmt.Sprintf(`
resource "horizon_service_account" "test" { name = "expiring" }
resource "horizon_service_account_key" "test" {
  service_account_id = horizon_service_account.test.id
  name               = "short-lived"
  expires_at         = %q
}`, expires.In(time.FixedZone("", 2*3600)).Format(time.RFC3339)))
	}
	start := time.Now().UTC().Truncate(time.Second)
	first, second := start.Add(48*time.Hour), start.Add(96*time.Hour)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: config(first),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(keyAddr, tfjsonpath.New("expires_at"),
						knownvalue.StringExact(first.In(time.FixedZone("", 2*3600)).Format(time.RFC3339))),
				},
			},
			{
				// Expired by Horizon's clock: the replacement would expire in the past too, so the plan says to move expires_at.
				PreConfig:   func() { env.clock.Advance(72 * time.Hour) },
				Config:      config(first),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Expiry In the Past.*Set a time in\s+the\s+future,\s+or\s+use\s+ttl`),
			},
			{
				Config: config(second),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionDestroyBeforeCreate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(keyAddr, tfjsonpath.New("status"), knownvalue.StringExact("active")),
				},
			},
		},
	})
}

func TestAccServiceAccountKey_validation(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: env.config(`
resource "horizon_service_account_key" "test" {
  service_account_id = "sa_nope"
  name               = "k"
}`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`"sa_nope" is not a service account id`),
			},
			{
				Config: env.config(`
resource "horizon_service_account_key" "test" {
  service_account_id = "sa_aaaaaaaaaaaaaaaa"
  name               = "k"
  expires_at         = "next tuesday"
}`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`"next tuesday" is not an RFC 3339 time`),
			},
			{
				// Horizon takes whole seconds: refused at plan time, not at apply.
				Config: env.config(`
resource "horizon_service_account_key" "test" {
  service_account_id = "sa_aaaaaaaaaaaaaaaa"
  name               = "k"
  expires_at         = "2027-01-31T09:00:00.5Z"
}`),
				PlanOnly:    true,
				ExpectError: phrases("Invalid Time", `"2027-01-31T09:00:00.5Z" has a fraction of a second`, "whole seconds; write 2027-01-31T09:00:00Z"),
			},
			{
				Config: env.config(`
resource "horizon_service_account_key" "test" {
  service_account_id = "sa_aaaaaaaaaaaaaaaa"
  name               = ""
}`),
				PlanOnly:    true,
				ExpectError: phrases("Invalid Name", "The name is empty. Give the key a name of 1 to 128 printable characters"),
			},
			{
				ResourceName: keyAddr,
				Config: env.config(`resource "horizon_service_account_key" "test" {
  service_account_id = "sa_aaaaaaaaaaaaaaaa"
  name               = "k"
}`),
				ImportState:   true,
				ImportStateId: "key_only",
				ExpectError: phrases(`"key_only" is not <service_account_id>/<key_id>`,
					"terraform import horizon_service_account_key.NAME sa_.../key_...", "or with an import block whose id is <service_account_id>/<key_id>"),
			},
		},
	})
}

// checkSecretAuthenticatesAs asserts Horizon accepts the secret and attributes it to the service account.
func (e *testEnv) checkSecretAuthenticatesAs(secret, saID *string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		me, err := apiClient(e.srv.URL(), *secret).Me(bg())
		if err != nil {
			return fmt.Errorf("the key's secret does not authenticate: %w", err)
		}
		if me.Actor.ID != *saID || me.Actor.Type != "service_account" {
			return fmt.Errorf("the key authenticates as %s %s, want service_account %s", me.Actor.Type, me.Actor.ID, *saID)
		}
		return nil
	}
}

// checkSecretRefused asserts Horizon answers 401 to the secret.
func (e *testEnv) checkSecretRefused(secret *string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		_, err := apiClient(e.srv.URL(), *secret).Me(bg())
		if !errors.Is(err, client.ErrUnauthenticated) {
			return fmt.Errorf("an old secret should get 401, got err=%w", err)
		}
		return nil
	}
}

func (e *testEnv) checkMaskedMatchesSecret(resourceName string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		secret, err := stateAttr(s, resourceName, "secret")
		if err != nil {
			return err
		}
		masked, err := stateAttr(s, resourceName, "masked_secret")
		if err != nil {
			return err
		}
		random := strings.TrimPrefix(secret, "fmcp_")
		if want := "fmcp_" + random[:4] + "..." + random[len(random)-4:]; masked != want {
			return fmt.Errorf("masked_secret %q does not match the secret's ends", masked)
		}
		return nil
	}
}

func (e *testEnv) checkKeyName(resourceName, want string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		saID, err := stateAttr(s, resourceName, "service_account_id")
		if err != nil {
			return err
		}
		key, err := e.api.GetAPIKey(bg(), saID, s.RootModule().Resources[resourceName].Primary.ID)
		if err != nil {
			return err
		}
		if key.Name != want {
			return fmt.Errorf("server has key name %q, want %q", key.Name, want)
		}
		return nil
	}
}

func (e *testEnv) checkActiveKeys(saID *string, want int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		keys, err := e.api.ListAPIKeys(bg(), *saID)
		if err != nil {
			return err
		}
		active := 0
		for _, k := range keys {
			if k.Status == api.KeyStatusActive {
				active++
			}
		}
		if active != want {
			return fmt.Errorf("service account %s has %d active keys, want %d", *saID, active, want)
		}
		return nil
	}
}

func (e *testEnv) revokeAll(t *testing.T, saID string) {
	t.Helper()
	keys, err := e.api.ListAPIKeys(t.Context(), saID)
	if err != nil {
		t.Fatalf("listing keys: %v", err)
	}
	for _, k := range keys {
		if _, err := e.api.RevokeAPIKey(t.Context(), saID, k.ID); err != nil {
			t.Fatalf("out-of-band revoke of %s: %v", k.ID, err)
		}
	}
}

func (e *testEnv) serviceAccountIDByName(t *testing.T, name string) (string, error) {
	accounts, err := e.api.ListServiceAccounts(t.Context())
	if err != nil {
		return "", err
	}
	for _, sa := range accounts {
		if sa.Name == name {
			return sa.ID, nil
		}
	}
	return "", fmt.Errorf("no service account named %q", name)
}

// The plan-time check of the two-key limit lists the account's keys, but not for
// an account created by the same apply: it started with no keys, so the apply of
// an account with its keys makes no listing at all. An account that already
// exists is still checked.
func TestAccServiceAccountKey_noKeyListingForAnAccountCreatedInTheSameApply(t *testing.T) {
	t.Parallel()
	var log testutil.SyncBuffer
	env := newTestEnv(t, server.WithLogOutput(&log))
	listings := func() int { return countLines(log.String(), "method=GET", "/api-keys status=") }
	keys := func(names ...string) string {
		cfg := `resource "horizon_service_account" "test" { name = "lister" }` + "\n"
		for _, n := range names {
			cfg += fmt.Sprintf(`
resource "horizon_service_account_key" "%s" {
  service_account_id = horizon_service_account.test.id
  name               = "%s"
}
`, n, n)
		}
		return env.config(cfg)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: keys("a"),
				Check: func(*terraform.State) error {
					if n := listings(); n != 0 {
						return fmt.Errorf("creating an account with its key listed the account's keys %d times, want 0", n)
					}
					return nil
				},
			},
			{
				Config: keys("a", "b"),
				Check: func(*terraform.State) error {
					if listings() == 0 {
						return errors.New("a key for an existing account was planned without checking its active keys")
					}
					return nil
				},
			},
		},
	})
}
