package provider

import (
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/horizonhq/terraform-provider-horizon/internal/client"
)

func TestAccServiceAccountKeysDataSource(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	saID, secret := env.serviceAccountKey(t, "listed", "member")
	// One request with the key, so Horizon records its use; then a second key,
	// a second later (keys are listed by creation), revoked.
	if _, err := apiClient(env.srv.URL(), secret).Me(t.Context()); err != nil {
		t.Fatal(err)
	}
	env.clock.Advance(time.Second)
	old, err := env.api.CreateAPIKey(t.Context(), saID, client.CreateAPIKeyRequest{Name: "old"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.api.RevokeAPIKey(t.Context(), saID, old.ID); err != nil {
		t.Fatal(err)
	}

	const addr = "data.horizon_service_account_keys.all"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: env.config(`data "horizon_service_account_keys" "all" { service_account_id = "` + saID + `" }`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("keys"), knownvalue.ListExact([]knownvalue.Check{
						knownvalue.ObjectPartial(map[string]knownvalue.Check{
							"name":         knownvalue.StringExact("listed"),
							"status":       knownvalue.StringExact("active"),
							"last_used_at": knownvalue.NotNull(),
							"revoked_at":   knownvalue.Null(),
							"expires_at":   knownvalue.Null(),
						}),
						knownvalue.ObjectPartial(map[string]knownvalue.Check{
							"name":         knownvalue.StringExact("old"),
							"status":       knownvalue.StringExact("revoked"),
							"last_used_at": knownvalue.Null(),
							"revoked_at":   knownvalue.NotNull(),
						}),
					})),
				},
			},
		},
	})
}
