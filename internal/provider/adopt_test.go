package provider

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/horizonhq/terraform-provider-horizon/internal/client"
	"github.com/horizonhq/terraform-provider-horizon/internal/tfrun"
)

// adoptExample is the guide's example: a configuration with only the
// provider, and the query that finds everything.
var adoptExample = filepath.Join("..", "..", "examples", "adopt")

// An organization built through the API alone, as by hand in the UI, comes
// under Terraform in one step, the way the adoption guide tells: the guide's
// query, run with -generate-config-out, finds every server, service account,
// active key and grant by listing alone; the plan of the generated
// configuration imports all of them and changes nothing; after the apply,
// a plan is empty. No secret is ever written, to the generated configuration
// or to the state.
func TestAccAdoptOrganization(t *testing.T) {
	requireCLI(t)
	if !cliAtLeast(t, 1, 14) {
		t.Skip("terraform query needs Terraform 1.14 or later")
	}
	t.Parallel()
	env := newTestEnv(t)
	ctx := t.Context()
	secrets := buildOrganization(t, env.api)

	ws, err := tfrun.NewWorkspace(t.TempDir(), providerBinary(t),
		"HORIZON_ENDPOINT="+env.srv.URL(), "HORIZON_API_KEY="+env.srv.BootstrapKey())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"main.tf", "adopt.tfquery.hcl"} {
		data, err := os.ReadFile(filepath.Join(adoptExample, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := ws.WriteFile(name, string(data)); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	run := func(args ...string) {
		t.Helper()
		out.Reset()
		if err := ws.Run(ctx, &out, &out, append(args, "-no-color")...); err != nil {
			t.Fatalf("%v\n%s", err, out.String())
		}
	}

	before := env.srv.RequestCount()
	run("query", "-generate-config-out=generated.tf")
	// One list of servers, one of accounts, and one list of keys and one of
	// grants per account: no object is read on its own.
	if got, want := env.srv.RequestCount()-before, int64(2+2*3); got != want {
		t.Errorf("terraform query made %d API requests, want %d (one per list)", got, want)
	}
	generated, err := os.ReadFile(filepath.Join(ws.Dir, "generated.tf"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("generated configuration:\n%s", generated)
	for _, s := range secrets {
		if bytes.Contains(generated, []byte(s)) {
			t.Fatal("the generated configuration holds a key's secret")
		}
	}
	if bytes.Contains(generated, []byte("secret")) {
		t.Error("the generated configuration sets a secret attribute")
	}

	run("plan", "-input=false", "-out=adopt.plan")
	imports := importsInPlan(t, ws, "adopt.plan")
	want := map[string]int{"horizon_server": 4, "horizon_service_account": 3, "horizon_service_account_key": 3, "horizon_server_grant": 3}
	for typ, n := range want {
		if imports[typ] != n {
			t.Errorf("the plan imports %d %s, want %d (all: %v)", imports[typ], typ, n, imports)
		}
	}

	run("apply", "-input=false", "adopt.plan")
	run("plan", "-input=false", "-detailed-exitcode")
	state, err := os.ReadFile(filepath.Join(ws.Dir, "terraform.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if bytes.Contains(state, []byte(s)) {
			t.Fatal("the state holds a key's secret after the import")
		}
	}
}

// buildOrganization makes what a team builds by hand before it adopts
// Terraform, and returns the secrets of the keys it created.
func buildOrganization(t *testing.T, api *client.Client) (secrets []string) {
	t.Helper()
	ctx := t.Context()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	billing, err := api.CreateServer(ctx, client.CreateServerRequest{Name: "Billing", Slug: "billing", Description: "Invoices and payments."})
	must(err)
	servers, err := api.ListServers(ctx)
	must(err)
	bySlug := map[string]string{}
	for _, s := range servers {
		bySlug[s.Slug] = s.ID
	}

	deployer, err := api.CreateServiceAccount(ctx, client.CreateServiceAccountRequest{Name: "ci-deployer", Description: "Deploys from CI", Role: "admin"})
	must(err)
	planner, err := api.CreateServiceAccount(ctx, client.CreateServiceAccountRequest{Name: "ci-planner", Role: "viewer"})
	must(err)
	agent, err := api.CreateServiceAccount(ctx, client.CreateServiceAccountRequest{Name: "billing-agent", Role: "member"})
	must(err)
	disabled := true
	_, err = api.UpdateServiceAccount(ctx, planner.ID, client.UpdateServiceAccountRequest{Disabled: &disabled})
	must(err)

	ttl := int64(30 * 24 * 3600)
	for _, k := range []struct {
		sa, name string
		ttl      *int64
		revoke   bool
	}{
		{deployer.ID, "rotated-out", nil, true},
		{deployer.ID, "primary", &ttl, false},
		{deployer.ID, "next", nil, false},
		{agent.ID, "agent", &ttl, false},
	} {
		key, err := api.CreateAPIKey(ctx, k.sa, client.CreateAPIKeyRequest{Name: k.name, TTLSeconds: k.ttl})
		must(err)
		secrets = append(secrets, key.Secret)
		if k.revoke {
			_, err = api.RevokeAPIKey(ctx, k.sa, key.ID)
			must(err)
		}
	}

	for _, g := range []struct {
		sa, server string
		req        client.PutServerGrantRequest
	}{
		{deployer.ID, bySlug["weather"], client.PutServerGrantRequest{Role: "admin"}},
		{agent.ID, billing.ID, client.PutServerGrantRequest{Role: "user", Capabilities: &[]string{"tools"}}},
		{agent.ID, bySlug["search"], client.PutServerGrantRequest{Role: "viewer", Capabilities: &[]string{"resources", "prompts"}}},
	} {
		_, err := api.PutServerGrant(ctx, g.sa, g.server, g.req)
		must(err)
	}
	return secrets
}

// importsInPlan counts, by resource type, the resources a saved plan imports,
// and fails the test if the plan would do anything else to any resource.
func importsInPlan(t *testing.T, ws *tfrun.Workspace, planFile string) map[string]int {
	t.Helper()
	cmd := ws.Command(t.Context(), "show", "-json", planFile)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	data, err := cmd.Output()
	if err != nil {
		t.Fatalf("terraform show -json: %v\n%s", err, stderr.String())
	}
	var plan struct {
		ResourceChanges []struct {
			Address string `json:"address"`
			Type    string `json:"type"`
			Change  struct {
				Actions   []string        `json:"actions"`
				Importing json.RawMessage `json:"importing"`
			} `json:"change"`
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal(data, &plan); err != nil {
		t.Fatal(err)
	}
	imports := map[string]int{}
	for _, rc := range plan.ResourceChanges {
		if strings.Join(rc.Change.Actions, ",") != "no-op" || len(rc.Change.Importing) == 0 {
			t.Errorf("%s: actions %v, importing %s; want a no-op import", rc.Address, rc.Change.Actions, rc.Change.Importing)
			continue
		}
		imports[rc.Type]++
	}
	return imports
}
