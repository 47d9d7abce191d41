package provider

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

func TestAccServerDataSources(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	weather := env.server(t, "weather")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      env.config(`data "horizon_server" "x" { slug = "nope" }`),
				ExpectError: regexp.MustCompile(`(?s)No Such Server.*slug "nope".*sees these servers: .*weather`),
			},
			{
				Config:      env.config(`data "horizon_server" "x" { id = "srv_aaaaaaaaaaaaaaaa" }`),
				ExpectError: regexp.MustCompile(`(?s)No Such Server.*id "srv_aaaaaaaaaaaaaaaa"`),
			},
			{
				Config: env.config(`data "horizon_server" "x" {
  id   = "srv_aaaaaaaaaaaaaaaa"
  slug = "weather"
}`),
				ExpectError: regexp.MustCompile(`(?s)Exactly one of these attributes must be configured: \[id,slug\]`),
			},
			{
				Config: env.config(`
data "horizon_server" "by_slug" {
  slug = "weather"
}
data "horizon_server" "by_id" {
  id = data.horizon_server.by_slug.id
}
data "horizon_servers" "all" {}
`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.horizon_server.by_slug", tfjsonpath.New("id"), knownvalue.StringExact(weather.ID)),
					statecheck.ExpectKnownValue("data.horizon_server.by_slug", tfjsonpath.New("url"), knownvalue.StringExact(weather.URL)),
					statecheck.ExpectKnownValue("data.horizon_server.by_slug", tfjsonpath.New("name"), knownvalue.StringExact(weather.Name)),
					statecheck.ExpectKnownValue("data.horizon_server.by_id", tfjsonpath.New("slug"), knownvalue.StringExact("weather")),
					statecheck.ExpectKnownValue("data.horizon_servers.all", tfjsonpath.New("servers"), knownvalue.SetPartial([]knownvalue.Check{
						knownvalue.ObjectPartial(map[string]knownvalue.Check{"slug": knownvalue.StringExact("weather")}),
						knownvalue.ObjectPartial(map[string]knownvalue.Check{"slug": knownvalue.StringExact("search")}),
						knownvalue.ObjectPartial(map[string]knownvalue.Check{"slug": knownvalue.StringExact("internal-tools")}),
					})),
					statecheck.ExpectKnownValue("data.horizon_servers.all", tfjsonpath.New("servers"), knownvalue.ListSizeExact(3)),
				},
			},
		},
	})
}

func TestAccServiceAccountDataSource(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      env.config(`data "horizon_service_account" "x" { name = "Looked-Up" }`),
				ExpectError: regexp.MustCompile(`(?s)No Such Service Account.*name "Looked-Up".*case-sensitive`),
			},
			{
				Config:      env.config(`data "horizon_service_account" "x" {}`),
				ExpectError: regexp.MustCompile(`(?s)Exactly one of these attributes must be configured: \[id,name\]`),
			},
			{
				Config: env.config(`
resource "horizon_service_account" "test" {
  name        = "looked-up"
  description = "found by name"
  role        = "viewer"
}
data "horizon_service_account" "by_name" {
  name       = "looked-up"
  depends_on = [horizon_service_account.test]
}
data "horizon_service_account" "by_id" {
  id = horizon_service_account.test.id
}
`),
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttrPair("data.horizon_service_account.by_name", "id", saAddr, "id"),
					resource.TestCheckResourceAttr("data.horizon_service_account.by_name", "role", "viewer"),
					resource.TestCheckResourceAttr("data.horizon_service_account.by_name", "description", "found by name"),
					resource.TestCheckResourceAttr("data.horizon_service_account.by_id", "name", "looked-up"),
					resource.TestCheckResourceAttrPair("data.horizon_service_account.by_id", "created_at", saAddr, "created_at"),
				),
			},
		},
	})
}
