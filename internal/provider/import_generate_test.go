package provider

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/horizonhq/terraform-provider-horizon/internal/client"
)

// TestAccImportGeneratesConfigThatPlansClean imports one object of every resource
// type with import blocks and -generate-config-out, and asserts that the
// generated configuration applies (the imports) and then plans with no change.
func TestAccImportGeneratesConfigThatPlansClean(t *testing.T) {
	requireCLI(t)
	t.Parallel()
	env := newTestEnv(t)
	ctx := t.Context()
	sa, err := env.api.CreateServiceAccount(ctx, client.CreateServiceAccountRequest{Name: "imported", Description: "made elsewhere", Role: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	ttl := int64(3600 * 24 * 30)
	key, err := env.api.CreateAPIKey(ctx, sa.ID, client.CreateAPIKeyRequest{Name: "imported-key", TTLSeconds: &ttl})
	if err != nil {
		t.Fatal(err)
	}
	weather := env.server(t, "weather")
	if _, err := env.api.PutServerGrant(ctx, sa.ID, weather.ID, client.PutServerGrantRequest{Role: "user", Capabilities: &[]string{"tools", "prompts"}}); err != nil {
		t.Fatal(err)
	}

	ws := env.workspace(t, fmt.Sprintf(`
import {
  to = horizon_service_account.imported
  id = %q
}
import {
  to = horizon_service_account_key.imported
  id = "%s/%s"
}
import {
  to = horizon_server_grant.imported
  id = "%s/%s"
}
`, sa.ID, sa.ID, key.ID, sa.ID, weather.ID))
	var out bytes.Buffer
	run := func(args ...string) {
		t.Helper()
		if err := ws.Run(ctx, &out, &out, args...); err != nil {
			t.Fatalf("%v\n%s", err, out.String())
		}
	}
	run("plan", "-generate-config-out=generated.tf", "-input=false", "-no-color")
	generated, err := os.ReadFile(filepath.Join(ws.Dir, "generated.tf"))
	if err != nil {
		t.Fatal(err)
	}
	run("apply", "-auto-approve", "-input=false", "-no-color")
	out.Reset()
	run("plan", "-detailed-exitcode", "-input=false", "-no-color")
	t.Logf("generated configuration:\n%s", generated)
}
