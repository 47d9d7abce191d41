package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/horizonhq/terraform-provider-horizon/internal/server"
	"github.com/horizonhq/terraform-provider-horizon/internal/testutil"
	"github.com/horizonhq/terraform-provider-horizon/internal/tfrun"
)

func graceKeyConfig(generation, grace, extra string) string {
	return fmt.Sprintf(`
resource "horizon_service_account" "test" {
  name = "graceful"
}

resource "horizon_service_account_key" "test" {
  service_account_id = horizon_service_account.test.id
  name               = "primary"
  keepers            = { generation = %q }
  grace_period       = %q
  %s

  lifecycle {
    create_before_destroy = true
  }
}
`, generation, grace, extra)
}

// checkRetiring checks that the key keyID still authenticates with secret and
// expires at Horizon's time (the apply's) plus grace: the provider reads
// Horizon's time from its last response, so it may run a second ahead.
func (e *testEnv) checkRetiring(saID, keyID, secret *string, grace time.Duration) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if err := e.checkSecretAuthenticatesAs(secret, saID)(nil); err != nil {
			return fmt.Errorf("the replaced key stopped working at once: %w", err)
		}
		key, err := e.api.GetAPIKey(bg(), *saID, *keyID)
		if err != nil {
			return err
		}
		if key.ExpiresAt == nil {
			return fmt.Errorf("the replaced key %s has no expiry: it was neither revoked nor given a grace period", *keyID)
		}
		expires, err := time.Parse(time.RFC3339, *key.ExpiresAt)
		if err != nil {
			return err
		}
		want := e.clock.Now().Add(grace)
		if d := expires.Sub(want); d < 0 || d > 2*time.Second {
			return fmt.Errorf("the replaced key expires at %s, want the apply's time plus %s: %s", *key.ExpiresAt, grace, want.Format(time.RFC3339))
		}
		return nil
	}
}

func TestAccServiceAccountKey_gracePeriodRotation(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	var saID, oldID, oldSecret, newSecret string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: env.config(graceKeyConfig("1", "30m", "")),
				Check: resource.ComposeTestCheckFunc(
					capture(saAddr, "id", &saID),
					capture(keyAddr, "id", &oldID),
					capture(keyAddr, "secret", &oldSecret),
				),
			},
			{
				// Rotation: the new key first, then the old one gets 30 minutes instead of a revoke.
				Config: env.config(graceKeyConfig("2", "30m", "")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionCreateBeforeDestroy)},
				},
				Check: resource.ComposeTestCheckFunc(
					capture(keyAddr, "secret", &newSecret),
					env.checkSecretAuthenticatesAs(&newSecret, &saID),
					env.checkRetiring(&saID, &oldID, &oldSecret, 30*time.Minute),
					// Both count toward the limit until the grace period ends.
					env.checkActiveKeys(&saID, 2),
				),
			},
			{
				// Once Horizon's clock passes the grace period, the old key is refused.
				PreConfig: func() { env.clock.Advance(30*time.Minute + 3*time.Second) },
				Config:    env.config(graceKeyConfig("2", "30m", "")),
				Check: resource.ComposeTestCheckFunc(
					env.checkSecretRefused(&oldSecret),
					env.checkSecretAuthenticatesAs(&newSecret, &saID),
					env.checkActiveKeys(&saID, 1),
				),
			},
		},
	})
}

// A second rotation inside the grace window of the first needs the retiring
// key's slot: the apply fails with the limit diagnostic, which lists the
// retiring key and when it expires, and succeeds once the grace period is over.
func TestAccServiceAccountKey_secondRotationInsideTheGraceWindow(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	var saID, firstID string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: env.config(graceKeyConfig("1", "1h", "")),
				Check:  resource.ComposeTestCheckFunc(capture(saAddr, "id", &saID), capture(keyAddr, "id", &firstID)),
			},
			{
				Config: env.config(graceKeyConfig("2", "1h", "")),
			},
			{
				// The first key is retiring for another hour; the second is replaced
				// with create_before_destroy: a third key does not fit.
				PreConfig:   func() { env.clock.Advance(10 * time.Minute) },
				Config:      env.config(graceKeyConfig("3", "1h", "")),
				ExpectError: regexp.MustCompile(`(?s)Service Account Key Limit Reached.*limit 2.*expires at .*grace period of an earlier rotation`),
			},
			{
				// After the first key's grace period, the rotation goes through.
				PreConfig: func() { env.clock.Advance(50*time.Minute + 3*time.Second) },
				Config:    env.config(graceKeyConfig("3", "1h", "")),
				Check:     env.checkActiveKeys(&saID, 2),
			},
		},
	})
}

func TestAccServiceAccountKey_gracePeriodOnDestroy(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	var saID, keyID, secret string
	account := `
resource "horizon_service_account" "test" {
  name = "graceful"
}
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: env.config(graceKeyConfig("1", "2h", "")),
				Check: resource.ComposeTestCheckFunc(
					capture(saAddr, "id", &saID),
					capture(keyAddr, "id", &keyID),
					capture(keyAddr, "secret", &secret),
				),
			},
			{
				// A plain destroy with a grace period: the key works for two more hours.
				Config: env.config(account),
				Check:  env.checkRetiring(&saID, &keyID, &secret, 2*time.Hour),
			},
			{
				PreConfig: func() { env.clock.Advance(2*time.Hour + 3*time.Second) },
				Config:    env.config(account),
				Check:     env.checkSecretRefused(&secret),
			},
		},
	})
}

// A key that expires sooner than the grace period would end keeps its expiry:
// a grace period never extends a key's life.
func TestAccServiceAccountKey_gracePeriodNeverExtends(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	var saID, keyID, secret string
	expiresAt := env.clock.Now().Add(10 * time.Minute).Format(time.RFC3339)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: env.config(graceKeyConfig("1", "1h", fmt.Sprintf("expires_at = %q", expiresAt))),
				Check: resource.ComposeTestCheckFunc(
					capture(saAddr, "id", &saID),
					capture(keyAddr, "id", &keyID),
					capture(keyAddr, "secret", &secret),
				),
			},
			{
				Config: env.config(graceKeyConfig("2", "1h", fmt.Sprintf("expires_at = %q", expiresAt))),
				Check: resource.ComposeTestCheckFunc(
					env.checkSecretAuthenticatesAs(&secret, &saID),
					func(*terraform.State) error {
						key, err := env.api.GetAPIKey(bg(), saID, keyID)
						if err != nil {
							return err
						}
						if got := derefOr(key.ExpiresAt, "never"); got != expiresAt {
							return fmt.Errorf("the replaced key now expires at %s; it must keep its earlier expiry %s", got, expiresAt)
						}
						return nil
					},
				),
			},
		},
	})
}

// Changing grace_period updates the key in place without calling Horizon.
func TestAccServiceAccountKey_gracePeriodChangeCallsNoAPI(t *testing.T) {
	t.Parallel()
	var log testutil.SyncBuffer
	env := newTestEnv(t, server.WithLogOutput(&log))
	var secret string
	var writesBefore int
	writes := func() int {
		return countLines(log.String(), "method=PATCH") + countLines(log.String(), "method=DELETE") + countLines(log.String(), "method=POST")
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: env.config(graceKeyConfig("1", "1h", "")),
				Check: resource.ComposeTestCheckFunc(
					capture(keyAddr, "secret", &secret),
					func(*terraform.State) error { writesBefore = writes(); return nil },
				),
			},
			{
				Config: env.config(graceKeyConfig("1", "48h", "")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttr(keyAddr, "grace_period", "48h"),
					resource.TestCheckResourceAttrPtr(keyAddr, "secret", &secret),
					func(*terraform.State) error {
						if n := writes() - writesBefore; n != 0 {
							return fmt.Errorf("changing grace_period sent %d writes to Horizon, want none", n)
						}
						return nil
					},
				),
			},
		},
	})
}

func TestAccServiceAccountKey_gracePeriodValidation(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	key := func(grace string) string {
		return env.config(fmt.Sprintf(`
resource "horizon_service_account_key" "test" {
  service_account_id = "sa_aaaaaaaaaaaaaaaa"
  name               = "k"
  grace_period       = %q
}`, grace))
	}
	steps := []resource.TestStep{}
	for grace, message := range map[string]*regexp.Regexp{
		"30s":    phrases("Invalid Duration", "grace_period", `"30s" is shorter than 1 minute (1m), the least it may be`),
		"169h":   phrases("Invalid Duration", "grace_period", `"169h" is longer than 7 days (168h), the most it may be`),
		"a week": phrases("Invalid Duration", "grace_period", `"a week" is not a Go duration`),
	} {
		steps = append(steps, resource.TestStep{Config: key(grace), PlanOnly: true, ExpectError: message})
	}
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: steps})
}

// One apply that removes one key of an account and rotates the other with
// create_before_destroy needs the removed key's slot for the new key. Whatever
// order Terraform runs the revoke and the create in, the apply must succeed,
// and no plan may warn about the limit. Ten times over, through the CLI, whose
// machine-readable output carries every warning.
func TestAccServiceAccountKey_removeOneRotateTheOther(t *testing.T) {
	requireCLI(t)
	t.Parallel()
	env := newTestEnv(t)
	config := func(generation int, withSecondary bool) string {
		secondary := ""
		if withSecondary {
			secondary = `
resource "horizon_service_account_key" "secondary" {
  service_account_id = horizon_service_account.svc.id
  name               = "secondary"
}
`
		}
		return fmt.Sprintf(`
resource "horizon_service_account" "svc" {
  name = "rotating"
}

resource "horizon_service_account_key" "primary" {
  service_account_id = horizon_service_account.svc.id
  name               = "primary"
  keepers            = { generation = "%d" }

  lifecycle {
    create_before_destroy = true
  }
}
%s`, generation, secondary)
	}
	ws := env.workspace(t, config(0, true))
	ctx := t.Context()
	apply := func(cfg string) ([]diagnostic, error) {
		if err := ws.WriteFile("main.tf", tfrun.RequiredProviders+cfg); err != nil {
			t.Fatal(err)
		}
		diags, out, err := runJSON(ctx, ws, "apply", "-auto-approve", "-input=false")
		if err != nil {
			t.Logf("terraform apply:\n%s", out)
		}
		return diags, err
	}
	if _, err := apply(config(0, true)); err != nil {
		t.Fatalf("the first apply failed: %v", err)
	}
	const runs = 10
	failures, warned := 0, 0
	var warnings []string
	for i := 1; i <= runs; i++ {
		diags, err := apply(config(i, false))
		if err != nil {
			failures++
		}
		for _, d := range withSummary(diags, "Key Limit") {
			warned++
			warnings = append(warnings, d.Summary+": "+d.Detail)
		}
		if i < runs {
			if _, err := apply(config(i, true)); err != nil {
				t.Fatalf("run %d: adding secondary back failed: %v", i, err)
			}
		}
	}
	t.Logf("%d applies that remove one key and rotate the other: %d failures, %d limit warnings", runs, failures, warned)
	if failures > 0 || warned > 0 {
		t.Errorf("%d of %d applies failed and %d limit warnings were shown:\n%s", failures, runs, warned, strings.Join(warnings, "\n"))
	}
}

// The plan warns, through the real CLI, whenever the apply would need a third
// active key of an account, and not when the account has room.
func TestAccServiceAccountKey_limitWarningsInPlans(t *testing.T) {
	requireCLI(t)
	t.Parallel()
	env := newTestEnv(t)
	keys := func(primaryGeneration string, extra ...string) string {
		cfg := fmt.Sprintf(`
resource "horizon_service_account" "svc" {
  name = "limited"
}

resource "horizon_service_account_key" "primary" {
  service_account_id = horizon_service_account.svc.id
  name               = "primary"
  keepers            = { generation = %q }

  lifecycle {
    create_before_destroy = true
  }
}
`, primaryGeneration)
		for _, name := range extra {
			cfg += fmt.Sprintf(`
resource "horizon_service_account_key" %q {
  service_account_id = horizon_service_account.svc.id
  name               = %q
}
`, name, name)
		}
		return cfg
	}
	ws := env.workspace(t, keys("1"))
	ctx := t.Context()
	plan := func(cfg string) []diagnostic {
		t.Helper()
		if err := ws.WriteFile("main.tf", tfrun.RequiredProviders+cfg); err != nil {
			t.Fatal(err)
		}
		diags, out, err := runJSON(ctx, ws, "plan", "-input=false")
		if err != nil {
			t.Fatalf("terraform plan: %v\n%s", err, out)
		}
		return withSummary(diags, "Key Limit")
	}
	apply := func(cfg string) {
		t.Helper()
		if err := ws.WriteFile("main.tf", tfrun.RequiredProviders+cfg); err != nil {
			t.Fatal(err)
		}
		if _, out, err := runJSON(ctx, ws, "apply", "-auto-approve", "-input=false"); err != nil {
			t.Fatalf("terraform apply: %v\n%s", err, out)
		}
	}
	expectWarning := func(name string, got []diagnostic, want ...string) {
		t.Helper()
		if len(got) != 1 {
			t.Errorf("%s: want one limit warning, got %d: %+v", name, len(got), got)
			return
		}
		for _, w := range want {
			if !strings.Contains(got[0].Summary+": "+got[0].Detail, w) {
				t.Errorf("%s: the warning lacks %q:\n%s: %s", name, w, got[0].Summary, got[0].Detail)
			}
		}
	}

	apply(keys("1"))
	saID, err := env.serviceAccountIDByName(t, "limited")
	if err != nil {
		t.Fatal(err)
	}
	if got := plan(keys("1", "secondary")); len(got) != 0 {
		t.Errorf("one key and room for another: want no warning, got %+v", got)
	}
	expectWarning("two new keys on an account holding one", plan(keys("1", "secondary", "tertiary")),
		"Service Account Key Limit Will Be Reached", saID, "needs 3 active keys", "2 Horizon allows", `("primary")`, "also creates 1 other key(s)")

	apply(keys("1", "secondary"))
	expectWarning("a create_before_destroy rotation on an account holding two", plan(keys("2", "secondary")),
		"Service Account Key Limit Will Be Reached", "Replacing API key", `("primary") needs 3 active keys`, saID, `("secondary")`, "create_before_destroy")
	expectWarning("a new key on an account holding two", plan(keys("1", "secondary", "tertiary")),
		`Creating API key "tertiary" needs 3 active keys`, saID, `("primary")`, `("secondary")`)
	if got := plan(keys("2")); len(got) != 0 {
		t.Errorf("a rotation whose other key this plan revokes: want no warning, got %+v", got)
	}
}
