package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

// everyResourceConfig has one resource of every type, wired together.
const everyResourceConfig = `
resource "horizon_server" "test" {
  name = "Billing"
  slug = "billing"
}

resource "horizon_service_account" "test" {
  name = "billing-agent"
}

resource "horizon_server_grant" "test" {
  service_account_id = horizon_service_account.test.id
  server_id          = horizon_server.test.id
  role               = "user"
}

resource "horizon_service_account_key" "test" {
  service_account_id = horizon_service_account.test.id
  name               = "primary"
}

resource "horizon_personal_api_key" "test" {
  name = "laptop"
}

resource "horizon_organization_settings" "this" {
  default_server_role = "viewer"
}
`

// identityOf checks that a resource's identity holds exactly its ids, as in state.
func identityOf(addr string, attributes ...string) statecheck.StateCheck {
	checks := map[string]knownvalue.Check{}
	for _, a := range attributes {
		checks[a] = knownvalue.StringRegexp(regexp.MustCompile(`^(sa|srv|key|org)_[a-z2-7]{16}$`))
	}
	return statecheck.ExpectIdentity(addr, checks)
}

// Every resource has an identity made of the ids of its import id, equal to
// those attributes of its state, and imports with an import block that names
// its identity instead of an id (Terraform 1.12+).
func TestAccIdentity_everyResource(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	config := env.config(everyResourceConfig)
	importByIdentity := func(addr string) resource.TestStep {
		return resource.TestStep{
			Config:          config,
			ResourceName:    addr,
			ImportState:     true,
			ImportStateKind: resource.ImportBlockWithResourceIdentity,
		}
	}
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)},
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					identityOf(serverAddr, "id"),
					statecheck.ExpectIdentityValueMatchesState(serverAddr, tfjsonpath.New("id")),
					identityOf(saAddr, "id"),
					statecheck.ExpectIdentityValueMatchesState(saAddr, tfjsonpath.New("id")),
					identityOf(grantAddr, "service_account_id", "server_id"),
					statecheck.ExpectIdentityValueMatchesState(grantAddr, tfjsonpath.New("service_account_id")),
					statecheck.ExpectIdentityValueMatchesState(grantAddr, tfjsonpath.New("server_id")),
					identityOf(keyAddr, "service_account_id", "id"),
					statecheck.ExpectIdentityValueMatchesState(keyAddr, tfjsonpath.New("service_account_id")),
					statecheck.ExpectIdentityValueMatchesState(keyAddr, tfjsonpath.New("id")),
					identityOf(personalKeyAddr, "id"),
					statecheck.ExpectIdentityValueMatchesState(personalKeyAddr, tfjsonpath.New("id")),
					identityOf(orgSettingsAddr, "organization_id"),
					statecheck.ExpectIdentityValueMatchesState(orgSettingsAddr, tfjsonpath.New("organization_id")),
				},
			},
			importByIdentity(serverAddr),
			importByIdentity(saAddr),
			importByIdentity(grantAddr),
			importByIdentity(keyAddr),
			importByIdentity(personalKeyAddr),
			importByIdentity(orgSettingsAddr),
			{
				// The plain import ids keep working in import blocks.
				Config:          config,
				ResourceName:    grantAddr,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
			},
		},
	})
}

// An identity with a malformed id is refused with the attribute named.
func TestAccIdentity_invalid(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)},
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: env.config(fmt.Sprintf(`
import {
  to       = horizon_server_grant.test
  identity = {
    service_account_id = "sa_aaaaaaaaaaaaaaaa"
    server_id          = %q
  }
}

resource "horizon_server_grant" "test" {
  service_account_id = "sa_aaaaaaaaaaaaaaaa"
  server_id          = "srv_aaaaaaaaaaaaaaaa"
  role               = "user"
}
`, "weather")),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Invalid Import Identity.*identity attribute server_id: "weather" is not a server\s+id`),
			},
		},
	})
}

// A bad import id says how to import with terraform import and with an import
// block, since Terraform does not tell the provider which one the user wrote.
func TestImportIDErrorNamesBothWays(t *testing.T) {
	t.Parallel()
	for _, ident := range []importIdentity{serviceAccountKeyIdentity, serverGrantIdentity, personalAPIKeyIdentity, serviceAccountIdentity} {
		var diags diag.Diagnostics
		_, ok := ident.values(t.Context(), fwresource.ImportStateRequest{ID: "nope"}, &diags)
		if ok || !diags.HasError() {
			t.Fatalf("%s accepted the import id nope", ident.resourceType)
		}
		detail := diags.Errors()[0].Detail()
		for _, want := range []string{
			"terraform import " + ident.resourceType + ".NAME " + ident.importIDExample(),
			"import block whose id is " + ident.importIDFormat(),
		} {
			if !strings.Contains(detail, want) {
				t.Errorf("%s: %q does not say %q", ident.resourceType, detail, want)
			}
		}
	}
}
