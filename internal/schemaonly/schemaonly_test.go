package schemaonly_test

import (
	"testing"

	fwprovider "github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/horizonhq/terraform-provider-horizon/internal/provider"
	"github.com/horizonhq/terraform-provider-horizon/internal/schemaonly"
	"github.com/horizonhq/terraform-provider-horizon/internal/tfrun"
)

// The twin applies the bench's configuration with no Horizon at all, keeps
// what it planned (defaults included), and plans nothing more afterwards:
// what `make bench` times against it is the framework's work for the real
// provider's schemas.
func TestSchemaOnlyTwinAppliesTheBenchConfiguration(t *testing.T) {
	t.Setenv("HORIZON_ENDPOINT", "http://127.0.0.1:1")
	t.Setenv("HORIZON_API_KEY", "fmcp_unused")
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: map[string]func() (tfprotov6.ProviderServer, error){
			"horizon": providerserver.NewProtocol6WithError(schemaonly.New(provider.New("test")())),
		},
		Steps: []resource.TestStep{{
			Config: tfrun.FleetConfig(3),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("horizon_service_account.fleet[2]", tfjsonpath.New("role"), knownvalue.NotNull()),
				statecheck.ExpectKnownValue("horizon_server_grant.fleet[0]", tfjsonpath.New("server_id"), knownvalue.StringExact("srv_schemaonlyaaaaaa")),
				statecheck.ExpectKnownValue("horizon_service_account_key.fleet[1]", tfjsonpath.New("name"), knownvalue.StringExact("primary")),
			},
			ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
		}},
	})
}

var _ fwprovider.Provider = schemaonly.New(provider.New("test")())
