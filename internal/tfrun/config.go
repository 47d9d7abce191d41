package tfrun

import "fmt"

// RequiredProviders is the terraform block that names this provider, for the
// configurations that code writes into a workspace.
var RequiredProviders = fmt.Sprintf(`terraform {
  required_providers {
    horizon = { source = %q }
  }
}
`, ProviderAddress)

// FleetConfig is what a platform team provisions, n times over: a service
// account with a tools grant on the weather server and one API key. The
// benchmarks, and the tests of faults, interrupts and request counts, apply it.
func FleetConfig(n int) string { return FleetConfigNamed("agent", n) }

// FleetConfigNamed is FleetConfig with service accounts named prefix-0,
// prefix-1 and so on, so that several fleets can share one organization.
func FleetConfigNamed(prefix string, n int) string {
	return fmt.Sprintf(`
data "horizon_server" "weather" {
  slug = "weather"
}

resource "horizon_service_account" "fleet" {
  count = %d
  name  = "%s-${count.index}"
}

resource "horizon_server_grant" "fleet" {
  count              = %d
  service_account_id = horizon_service_account.fleet[count.index].id
  server_id          = data.horizon_server.weather.id
  role               = "user"
  capabilities       = ["tools"]
}

resource "horizon_service_account_key" "fleet" {
  count              = %d
  service_account_id = horizon_service_account.fleet[count.index].id
  name               = "primary"
}
`, n, prefix, n, n)
}
