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
				Config: env.config(`data "horizon_service_account_keys" "all" {
  service_account_id = "` + saID + `"
  status             = "retired"
}`),
				PlanOnly:    true,
				ExpectError: phrases("status", `value must be one of: ["active" "expired" "revoked"]`),
			},
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
			{
				// The common case: only the keys that authenticate now.
				Config: env.config(`data "horizon_service_account_keys" "all" {
  service_account_id = "` + saID + `"
  status             = "active"
}`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("status"), knownvalue.StringExact("active")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("keys"), knownvalue.ListExact([]knownvalue.Check{
						knownvalue.ObjectPartial(map[string]knownvalue.Check{"name": knownvalue.StringExact("listed")}),
					})),
				},
			},
			{
				Config: env.config(`data "horizon_service_account_keys" "all" {
  service_account_id = "` + saID + `"
  status             = "revoked"
}`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("keys"), knownvalue.ListExact([]knownvalue.Check{
						knownvalue.ObjectPartial(map[string]knownvalue.Check{"name": knownvalue.StringExact("old")}),
					})),
				},
			},
		},
	})
}

// The provider user's personal keys filter by status the same way.
func TestAccPersonalAPIKeysDataSource_status(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	revoked, err := env.api.CreatePersonalAPIKey(t.Context(), client.CreateAPIKeyRequest{Name: "old laptop"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.api.RevokePersonalAPIKey(t.Context(), revoked.ID); err != nil {
		t.Fatal(err)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: env.config(`
data "horizon_personal_api_keys" "all" {}
data "horizon_personal_api_keys" "active" {
  status = "active"
}
data "horizon_personal_api_keys" "revoked" {
  status = "revoked"
}`),
			ConfigStateChecks: []statecheck.StateCheck{
				// The bootstrap key is the one active key.
				statecheck.ExpectKnownValue("data.horizon_personal_api_keys.all", tfjsonpath.New("keys"), knownvalue.ListSizeExact(2)),
				statecheck.ExpectKnownValue("data.horizon_personal_api_keys.active", tfjsonpath.New("keys"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.ObjectPartial(map[string]knownvalue.Check{"status": knownvalue.StringExact("active")}),
				})),
				statecheck.ExpectKnownValue("data.horizon_personal_api_keys.revoked", tfjsonpath.New("keys"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.ObjectPartial(map[string]knownvalue.Check{"id": knownvalue.StringExact(revoked.ID)}),
				})),
			},
		}},
	})
}
