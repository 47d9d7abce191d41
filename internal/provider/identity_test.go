package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
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

// setIdentity's copy from a state's raw value sets exactly what the
// framework's lookups by path set, for every resource's identity and ids that
// are known, null or unknown.
func TestSetIdentityMatchesTheFramework(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, ident := range []importIdentity{serviceAccountIdentity, serviceAccountKeyIdentity, serverGrantIdentity,
		serverIdentity, personalAPIKeyIdentity, organizationSettingsIdentity} {
		var r fwresource.Resource
		for _, c := range codecCases {
			if c.name == ident.resourceType {
				r = c.resource
			}
		}
		if r == nil {
			t.Fatalf("no resource of type %s", ident.resourceType)
		}
		var s fwresource.SchemaResponse
		r.Schema(ctx, fwresource.SchemaRequest{}, &s)
		stateType := s.Schema.Type().TerraformType(ctx).(tftypes.Object)
		identityType := ident.schema().Type().TerraformType(ctx)
		for _, id := range []any{"x_1", nil, tftypes.UnknownValue} {
			attrs := map[string]tftypes.Value{}
			for name, typ := range stateType.AttributeTypes {
				attrs[name] = tftypes.NewValue(typ, nil)
			}
			for i, p := range ident.parts {
				attrs[p.attribute] = tftypes.NewValue(tftypes.String, id)
				if id == "x_1" {
					attrs[p.attribute] = tftypes.NewValue(tftypes.String, fmt.Sprintf("%s%d", p.prefix, i))
				}
			}
			state := tfsdk.State{Schema: s.Schema, Raw: tftypes.NewValue(stateType, attrs)}
			fast := &tfsdk.ResourceIdentity{Schema: ident.schema(), Raw: tftypes.NewValue(identityType, nil)}
			framework := &tfsdk.ResourceIdentity{Schema: ident.schema(), Raw: tftypes.NewValue(identityType, nil)}
			if diags := setIdentity(ctx, ident, state, fast); diags.HasError() {
				t.Fatalf("%s: %v", ident.resourceType, diags)
			}
			// The framework's way: the same lookups by path, through a
			// getter that is not a state.
			if diags := setIdentity(ctx, ident, pathGetter{state}, framework); diags.HasError() {
				t.Fatalf("%s: %v", ident.resourceType, diags)
			}
			if !fast.Raw.Equal(framework.Raw) {
				t.Errorf("%s with ids %v: identity %s, the framework's %s", ident.resourceType, id, fast.Raw, framework.Raw)
			}
		}
	}
}

// pathGetter hides that it holds a state, so setIdentity looks its ids up by
// path.
type pathGetter struct{ state tfsdk.State }

func (g pathGetter) GetAttribute(ctx context.Context, p path.Path, target any) diag.Diagnostics {
	return g.state.GetAttribute(ctx, p, target)
}
