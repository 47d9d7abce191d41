package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/echoprovider"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/horizonhq/terraform-provider-horizon/internal/server"
	"github.com/horizonhq/terraform-provider-horizon/internal/testutil"
	"github.com/horizonhq/terraform-provider-horizon/internal/tfrun"
)

func ageKeyConfig(recipients ...string) string {
	quoted := make([]string, len(recipients))
	for i, r := range recipients {
		quoted[i] = fmt.Sprintf("%q", r)
	}
	return fmt.Sprintf(`
resource "horizon_service_account" "test" {
  name = "sealed"
}

resource "horizon_service_account_key" "test" {
  service_account_id = horizon_service_account.test.id
  name               = "sealed"
  age_recipients     = [%s]
}
`, strings.Join(quoted, ", "))
}

// noPlaintextSecretInState fails if any string anywhere in the state, read
// as Terraform writes it, holds an API key secret.
type noPlaintextSecretInState struct{}

func (noPlaintextSecretInState) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	raw, err := json.Marshal(req.State)
	if err != nil {
		resp.Error = err
		return
	}
	if secret := regexp.MustCompile(`fmcp_[A-Za-z0-9_-]{43}`).Find(raw); secret != nil {
		resp.Error = fmt.Errorf("the state holds a plaintext API key secret (%s...)", secret[:9])
	}
}

// checkDecryptsAndAuthenticates decrypts the key's encrypted_secret with
// identity and checks that the plaintext authenticates as the account.
func (e *testEnv) checkDecryptsAndAuthenticates(identity string, saID *string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		encrypted, err := stateAttr(s, keyAddr, "encrypted_secret")
		if err != nil {
			return err
		}
		secret, err := decryptSecret(encrypted, identity)
		if err != nil {
			return fmt.Errorf("decrypting encrypted_secret: %w", err)
		}
		return e.checkSecretAuthenticatesAs(&secret, saID)(s)
	}
}

func TestAccServiceAccountKey_ageRecipients(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	k := newTestAgeKeys(t)
	var saID, firstID string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: env.config(ageKeyConfig(k.ageRecipient, k.sshPublic)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectKnownValue(keyAddr, tfjsonpath.New("secret"), knownvalue.Null()),
						plancheck.ExpectUnknownValue(keyAddr, tfjsonpath.New("encrypted_secret")),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(keyAddr, tfjsonpath.New("secret"), knownvalue.Null()),
					statecheck.ExpectKnownValue(keyAddr, tfjsonpath.New("encrypted_secret"),
						knownvalue.StringRegexp(regexp.MustCompile(`(?s)^-----BEGIN AGE ENCRYPTED FILE-----\n.*\n-----END AGE ENCRYPTED FILE-----\n$`))),
					noPlaintextSecretInState{},
				},
				Check: resource.ComposeTestCheckFunc(
					capture(saAddr, "id", &saID),
					capture(keyAddr, "id", &firstID),
					// Either identity opens it: the age one and the SSH one.
					env.checkDecryptsAndAuthenticates(k.ageIdentity, &saID),
					env.checkDecryptsAndAuthenticates(k.sshPrivate, &saID),
				),
			},
			{
				ResourceName:            keyAddr,
				ImportState:             true,
				ImportStateIdFunc:       importID(keyAddr, "service_account_id", "id"),
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"encrypted_secret", "age_recipients"},
				ImportStateCheck: func(states []*terraform.InstanceState) error {
					if v := states[0].Attributes["encrypted_secret"]; v != "" {
						return fmt.Errorf("an imported key has encrypted_secret %q; Horizon shows a secret only once", v)
					}
					return nil
				},
			},
			{
				// Other recipients: a new key, encrypted to them only.
				Config: env.config(ageKeyConfig(k.sshPublic)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionDestroyBeforeCreate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{noPlaintextSecretInState{}},
				Check: resource.ComposeTestCheckFunc(
					env.checkDecryptsAndAuthenticates(k.sshPrivate, &saID),
					func(s *terraform.State) error {
						encrypted, _ := stateAttr(s, keyAddr, "encrypted_secret")
						if _, err := decryptSecret(encrypted, k.ageIdentity); err == nil {
							return fmt.Errorf("the new key is still encrypted to the removed recipient")
						}
						return nil
					},
				),
			},
		},
	})
}

func TestAccServiceAccountKey_ageRecipientsValidation(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	k := newTestAgeKeys(t)
	key := func(entries string) string {
		return env.config(`
resource "horizon_service_account_key" "test" {
  service_account_id = "sa_aaaaaaaaaaaaaaaa"
  name               = "k"
  age_recipients     = ` + entries + `
}`)
	}
	// The pasted identity must not appear in the error: ExpectError sees the output.
	privatePasted := phrases("Invalid age Recipient", "age_recipients: one entry looks like a private key", "age-keygen -y")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: key(fmt.Sprintf("[%q]", k.ageIdentity)), PlanOnly: true, ExpectError: privatePasted},
			{Config: key(`["age1notarecipient"]`), PlanOnly: true,
				ExpectError: phrases("Invalid age Recipient", `starts with "age1" is not a valid age X25519 recipient`, "ssh-ed25519")},
			{Config: key(`["my-laptop"]`), PlanOnly: true,
				ExpectError: phrases("Invalid age Recipient", "neither an age recipient nor an SSH public key")},
			{Config: key(`[]`), PlanOnly: true, ExpectError: phrases("No age Recipients", "remove age_recipients")},
		},
	})
}

func ephemeralFactories() map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"horizon": testAccProtoV6ProviderFactories["horizon"],
		"echo":    echoprovider.NewProviderServer(),
	}
}

// The ephemeral resource opens the secret for a configuration (here the echo
// test provider, which stores what it is given), and feeds an aliased horizon
// provider that then acts as the service account.
func TestAccAPIKeySecret_ephemeral(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	k := newTestAgeKeys(t)
	var saID, encrypted string
	withEphemeral := func(identityAttr string) string {
		return env.config(ageKeyConfig(k.ageRecipient, k.sshPublic) + fmt.Sprintf(`
ephemeral "horizon_api_key_secret" "sealed" {
  encrypted_secret = horizon_service_account_key.test.encrypted_secret
  %s
}

provider "echo" {
  data = ephemeral.horizon_api_key_secret.sealed.secret
}

resource "echo" "secret" {}

provider "horizon" {
  alias    = "as_account"
  endpoint = %q
  api_key  = ephemeral.horizon_api_key_secret.sealed.secret
}

data "horizon_current_actor" "account" {
  provider = horizon.as_account
}
`, identityAttr, env.srv.URL()))
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: ephemeralFactories(),
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)},
		Steps: []resource.TestStep{
			{
				// From scratch, in one run: the key is created during the apply, and
				// the ephemeral resource opens then, for a consumer that is not a
				// provider (as a write-only attribute is).
				Config: env.config(ageKeyConfig(k.ageRecipient, k.sshPublic) + fmt.Sprintf(`
ephemeral "horizon_api_key_secret" "sealed" {
  encrypted_secret = horizon_service_account_key.test.encrypted_secret
  age_identity     = %q
}

provider "echo" {
  data = ephemeral.horizon_api_key_secret.sealed.secret
}

resource "echo" "secret" {}
`, k.ageIdentity)),
				Check: resource.ComposeTestCheckFunc(
					capture(saAddr, "id", &saID),
					capture(keyAddr, "encrypted_secret", &encrypted),
					func(s *terraform.State) error {
						opened, err := stateAttr(s, "echo.secret", "data")
						if err != nil {
							return err
						}
						return env.checkSecretAuthenticatesAs(&opened, &saID)(s)
					},
				),
			},
			{
				Config:      withEphemeral(fmt.Sprintf("age_identity = %q", newTestAgeKeys(t).ageIdentity)),
				ExpectError: phrases("Unusable age Identity", "from age_identity: it matches none of the recipients"),
			},
			{
				Config:      withEphemeral(fmt.Sprintf("age_identity = %q", k.sshEncrypted)),
				ExpectError: phrases("Unusable age Identity", "protected by a passphrase"),
			},
			{
				Config: env.config(fmt.Sprintf(`
ephemeral "horizon_api_key_secret" "damaged" {
  encrypted_secret = "-----BEGIN AGE ENCRYPTED FILE-----\nYWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOQ==\n-----END AGE ENCRYPTED FILE-----\n"
  age_identity     = %q
}

provider "echo" {
  data = ephemeral.horizon_api_key_secret.damaged.secret
}

resource "echo" "secret" {}
`, k.ageIdentity)),
				ExpectError: phrases("Unreadable Encrypted Secret", "damaged or truncated"),
			},
			{
				Config: withEphemeral(fmt.Sprintf("age_identity = %q", k.ageIdentity)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("echo.secret", tfjsonpath.New("data"), knownvalue.StringFunc(func(got string) error {
						want, err := decryptSecret(encrypted, k.ageIdentity)
						if err != nil || got != want {
							return fmt.Errorf("the ephemeral resource opened something other than the key's secret (decrypting: %w)", err)
						}
						return nil
					})),
				},
				Check: func(s *terraform.State) error {
					// The aliased provider authenticated with the opened secret, as the service account.
					if got, err := stateAttr(s, "data.horizon_current_actor.account", "id"); err != nil || got != saID {
						return fmt.Errorf("the aliased provider acts as %q, want the service account %s (%w)", got, saID, err)
					}
					typ, _ := stateAttr(s, "data.horizon_current_actor.account", "type")
					if typ != "service_account" {
						return fmt.Errorf("the aliased provider acts as a %s", typ)
					}
					return nil
				},
			},
		},
	})
}

// A key created with age_recipients, then opened by the ephemeral resource
// for an aliased provider, through the CLI with TF_LOG=TRACE: neither the
// plaintext secret nor the identity appears, in whole or in part, in the log
// or in the state file.
func TestAccAPIKeySecret_neverInLogsOrState(t *testing.T) {
	requireCLI(t)
	t.Parallel()
	env := newTestEnv(t)
	k := newTestAgeKeys(t)
	logPath := t.TempDir() + "/trace.log"
	ws := env.workspace(t, ageKeyConfig(k.ageRecipient, k.sshPublic)+`
output "encrypted" {
  value = horizon_service_account_key.test.encrypted_secret
}
`)
	ws.Env = append(ws.Env, "TF_LOG=TRACE", "TF_LOG_PATH="+logPath, envAgeIdentity+"="+k.sshPrivate)
	ctx := t.Context()
	var out strings.Builder
	if err := ws.Run(ctx, &out, &out, "apply", "-auto-approve", "-input=false", "-no-color"); err != nil {
		t.Fatalf("apply: %v\n%s", err, out.String())
	}
	encrypted, err := ws.Output(ctx, "encrypted")
	if err != nil {
		t.Fatal(err)
	}
	secret, err := decryptSecret(encrypted, k.ageIdentity)
	if err != nil {
		t.Fatal(err)
	}
	saID, err := env.serviceAccountIDByName(t, "sealed")
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.WriteFile("main.tf", tfrun.RequiredProviders+ageKeyConfig(k.ageRecipient, k.sshPublic)+`
ephemeral "horizon_api_key_secret" "sealed" {
  encrypted_secret = horizon_service_account_key.test.encrypted_secret
}

provider "horizon" {
  alias   = "as_account"
  api_key = ephemeral.horizon_api_key_secret.sealed.secret
}

data "horizon_current_actor" "account" {
  provider = horizon.as_account
}

output "actor" {
  value = data.horizon_current_actor.account.id
}
`); err != nil {
		t.Fatal(err)
	}
	if err := ws.Run(ctx, &out, &out, "apply", "-auto-approve", "-input=false", "-no-color"); err != nil {
		t.Fatalf("apply with the ephemeral resource: %v\n%s", err, out.String())
	}
	if actor, err := ws.Output(ctx, "actor"); err != nil || actor != saID {
		t.Fatalf("the aliased provider acts as %q (%v), want the service account %s", actor, err, saID)
	}

	trace, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	state, err := os.ReadFile(filepath.Join(ws.Dir, "terraform.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	if len(trace) < 100_000 || !strings.Contains(string(trace), "OpenEphemeralResource") {
		t.Fatalf("the TRACE log (%d bytes) does not cover the ephemeral open", len(trace))
	}
	found := 0
	for name, text := range map[string]string{"TRACE log": string(trace), "state file": string(state), "terraform output": out.String()} {
		for what, value := range map[string]string{"the secret": secret, "the age identity": k.ageIdentity, "the SSH identity": k.sshPrivate} {
			if containsPart(text, strings.TrimPrefix(value, apiKeyPrefix), k.sshPublic) {
				found++
				t.Errorf("the %s holds part of %s", name, what)
			}
		}
	}
	t.Logf("TRACE log of %d bytes and a state file of %d bytes: the plaintext secret and the identities appear %d times, in whole or in part",
		len(trace), len(state), found)
}

// With every committed create losing its response, the key reaches the
// provider through the server's idempotent replay; it is encrypted exactly
// like a first answer, and no plaintext reaches the state.
func TestAccServiceAccountKey_ageRecipientsAfterALostResponse(t *testing.T) {
	t.Parallel()
	var log testutil.SyncBuffer
	env := newTestEnv(t, server.WithFailRate(1), server.WithLogOutput(&log))
	k := newTestAgeKeys(t)
	var saID string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: env.config(ageKeyConfig(k.ageRecipient)),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(keyAddr, tfjsonpath.New("secret"), knownvalue.Null()),
				noPlaintextSecretInState{},
			},
			Check: resource.ComposeTestCheckFunc(
				capture(saAddr, "id", &saID),
				env.checkDecryptsAndAuthenticates(k.ageIdentity, &saID),
				func(*terraform.State) error {
					if n := countLines(log.String(), "method=POST", "/api-keys", "dropped=true"); n != 1 {
						return fmt.Errorf("%d key creates lost their response, want 1: the test must exercise the replay", n)
					}
					return nil
				},
			),
		}},
	})
}
