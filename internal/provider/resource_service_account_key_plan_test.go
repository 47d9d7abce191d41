package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
	"github.com/horizonhq/terraform-provider-horizon/internal/client"
	"github.com/horizonhq/terraform-provider-horizon/internal/server"
	"github.com/horizonhq/terraform-provider-horizon/internal/testutil"
)

// These tests call ModifyPlan directly, as Terraform would, against a
// reference server: they pin how ModifyPlan gathers the decision's inputs
// (Horizon's clock, the account's keys, the ledger of this plan's other key
// changes) and the warnings that come out. key_plan_test.go pins the decision
// itself; the acceptance tests pin the resulting plans end to end.

func baseKeyModel() serviceAccountKeyModel {
	return serviceAccountKeyModel{
		ServiceAccountID: types.StringValue("sa_aaaaaaaaaaaaaaaa"),
		apiKeyModel: apiKeyModel{
			ID:              types.StringValue("key_aaaaaaaaaaaaaaaa"),
			Name:            types.StringValue("primary"),
			ExpiresAt:       types.StringNull(),
			TTL:             types.StringNull(),
			RenewBefore:     types.StringNull(),
			Keepers:         types.MapNull(types.StringType),
			GracePeriod:     types.StringNull(),
			AgeRecipients:   types.SetNull(types.StringType),
			EncryptedSecret: types.StringNull(),
			Secret:          types.StringValue("fmcp_" + strings.Repeat("x", 43)),
			MaskedSecret:    types.StringValue("fmcp_xxxx...xxxx"),
			Status:          types.StringValue(api.KeyStatusActive),
			CreatedAt:       types.StringValue("2026-11-01T00:00:00Z"),
			RevokedAt:       types.StringNull(),
		},
	}
}

// configOf keeps only what a user can configure.
func configOf(m serviceAccountKeyModel) serviceAccountKeyModel {
	k := m.apiKeyModel
	null := types.StringNull()
	return serviceAccountKeyModel{
		ServiceAccountID: m.ServiceAccountID,
		apiKeyModel: apiKeyModel{
			Name: k.Name, ExpiresAt: k.ExpiresAt, TTL: k.TTL, RenewBefore: k.RenewBefore, Keepers: k.Keepers,
			GracePeriod: k.GracePeriod, AgeRecipients: k.AgeRecipients,
			ID: null, EncryptedSecret: null, Secret: null, MaskedSecret: null, Status: null, CreatedAt: null, RevokedAt: null,
		},
	}
}

// owned is m as the key resource's decision sees it.
func owned(m serviceAccountKeyModel) ownedKey {
	return ownedKey{Owner: m.ServiceAccountID, Key: m.apiKeyModel}
}

// modifyPlan runs ModifyPlan for a key whose state is state (nil for a
// create), whose configuration and proposed plan are derived from planned.
func modifyPlan(t *testing.T, r *apiKeyResource, state *serviceAccountKeyModel, planned serviceAccountKeyModel) resource.ModifyPlanResponse {
	t.Helper()
	return runModifyPlan(t, r, state, &planned)
}

// runModifyPlan is modifyPlan that also plans a destroy (planned nil).
func runModifyPlan(t *testing.T, r *apiKeyResource, state, planned *serviceAccountKeyModel) resource.ModifyPlanResponse {
	t.Helper()
	ctx := context.Background()
	sch := keySchema(t)
	var config *serviceAccountKeyModel
	if planned != nil {
		c := configOf(*planned)
		config = &c
	}
	req := resource.ModifyPlanRequest{
		Config: tfsdk.Config{Schema: sch, Raw: keyValue(t, config)},
		Plan:   tfsdk.Plan{Schema: sch, Raw: keyValue(t, planned)},
		State:  tfsdk.State{Schema: sch, Raw: keyValue(t, state)},
	}
	resp := resource.ModifyPlanResponse{Plan: req.Plan}
	r.ModifyPlan(ctx, req, &resp)
	return resp
}

func keySchema(t *testing.T) schema.Schema {
	t.Helper()
	var resp resource.SchemaResponse
	(&apiKeyResource{owner: serviceAccountKeys{}}).Schema(context.Background(), resource.SchemaRequest{}, &resp)
	return resp.Schema
}

// keyValue is m as Terraform sends it; nil is a null object.
func keyValue(t *testing.T, m *serviceAccountKeyModel) tftypes.Value {
	t.Helper()
	ctx := context.Background()
	sch := keySchema(t)
	if m == nil {
		return tftypes.NewValue(sch.Type().TerraformType(ctx), nil)
	}
	st := tfsdk.State{Schema: sch}
	if diags := st.Set(ctx, *m); diags.HasError() {
		t.Fatalf("building a value: %v", diags)
	}
	return st.Raw
}

func requiresReplace(resp resource.ModifyPlanResponse, attribute string) bool {
	for _, p := range resp.RequiresReplace {
		if p.Equal(path.Root(attribute)) {
			return true
		}
	}
	return false
}

func warningsOf(resp resource.ModifyPlanResponse) string {
	var b strings.Builder
	for _, d := range resp.Diagnostics.Warnings() {
		b.WriteString(d.Summary() + ": " + d.Detail() + "\n")
	}
	return b.String()
}

func TestModifyPlan_renewBeforeUsesHorizonsClock(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	c := apiClient(env.srv.URL(), env.srv.BootstrapKey())
	// Horizon's clock runs 400 days ahead of this machine's; the plan must follow Horizon's.
	env.clock.Advance(400 * 24 * time.Hour)
	if _, err := c.Me(t.Context()); err != nil {
		t.Fatal(err)
	}
	horizonNow := env.clock.Now()
	r := planningResource(c)

	key := baseKeyModel()
	key.TTL, key.RenewBefore = types.StringValue("720h"), types.StringValue("168h")

	key.ExpiresAt = types.StringValue(horizonNow.Add(169 * time.Hour).Format(time.RFC3339))
	resp := modifyPlan(t, r, &key, key)
	if len(resp.RequiresReplace) != 0 || resp.Diagnostics.WarningsCount() != 0 {
		t.Errorf("169h before expiry with renew_before 168h: want no change, got RequiresReplace = %v, warnings:\n%s", resp.RequiresReplace, warningsOf(resp))
	}

	key.ExpiresAt = types.StringValue(horizonNow.Add(167 * time.Hour).Format(time.RFC3339))
	resp = modifyPlan(t, r, &key, key)
	if !requiresReplace(resp, "expires_at") {
		t.Errorf("167h before expiry with renew_before 168h: want a replacement, RequiresReplace = %v", resp.RequiresReplace)
	}
	var planned types.String
	resp.Plan.GetAttribute(context.Background(), path.Root("expires_at"), &planned)
	if !planned.IsUnknown() {
		t.Errorf("the renewed key's expires_at must be unknown until Horizon sets it, got %v", planned)
	}
	if w := warningsOf(resp); !strings.Contains(w, "API Key Due for Renewal") || !strings.Contains(w, "within renew_before (168h)") ||
		!strings.Contains(w, horizonNow.Format(time.RFC3339)[:13]) {
		t.Errorf("renewal warning does not explain itself with Horizon's time:\n%s", w)
	}
}

// keyResource is horizon_service_account_key configured with c, as a new
// provider process would be.
func keyResource(c *client.Client) *apiKeyResource {
	data := newProviderData(c)
	return &apiKeyResource{owner: serviceAccountKeys{}, data: data, client: c, keys: data.keys}
}

// planningResource is the key resource of a provider that serves a plan (it
// has refreshed something), as in `terraform plan`.
func planningResource(c *client.Client) *apiKeyResource {
	r := keyResource(c)
	r.keys.planning()
	return r
}

// newKeyPlan is the proposed plan of a new key of saID.
func newKeyPlan(saID, name string) serviceAccountKeyModel {
	planned := configOf(baseKeyModel())
	planned.ServiceAccountID, planned.Name = types.StringValue(saID), types.StringValue(name)
	return planned
}

func TestModifyPlan_createWarnsAtTheKeyLimit(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	saID, _ := env.serviceAccountKey(t, "full", "member")
	r := planningResource(env.api)

	if resp := modifyPlan(t, r, nil, newKeyPlan(saID, "second")); resp.Diagnostics.WarningsCount() != 0 {
		t.Errorf("one active key leaves room: want no warning, got:\n%s", warningsOf(resp))
	}

	// A third key in the same plan passes the limit: the ledger counted the second.
	resp := modifyPlan(t, r, nil, newKeyPlan(saID, "third"))
	w := warningsOf(resp)
	for _, want := range []string{"Service Account Key Limit Will Be Reached", `Creating API key "third"`, saID, "2 Horizon allows", `("full")`,
		"This plan also creates 1 other key(s)"} {
		if !strings.Contains(w, want) {
			t.Errorf("limit warning lacks %q:\n%s", want, w)
		}
	}
	if resp.Diagnostics.HasError() {
		t.Errorf("the limit is a warning at plan time, not an error: %v", resp.Diagnostics)
	}

	// In a new plan (a new provider), the account holding two keys is enough.
	if _, err := env.api.CreateAPIKey(t.Context(), saID, client.CreateAPIKeyRequest{Name: "second"}); err != nil {
		t.Fatal(err)
	}
	r = planningResource(env.api)
	if w := warningsOf(modifyPlan(t, r, nil, newKeyPlan(saID, "third"))); !strings.Contains(w, `("second")`) || !strings.Contains(w, "It holds 2 active key(s)") {
		t.Errorf("limit warning does not list the active keys:\n%s", w)
	}
}

func TestModifyPlan_accountCreatedByThisProviderIsNotListed(t *testing.T) {
	t.Parallel()
	logs := &testutil.SyncBuffer{}
	env := newTestEnv(t, server.WithLogOutput(logs))
	saID, _ := env.serviceAccountKey(t, "made-here", "member")
	r := planningResource(env.api)
	// This provider created the account in this apply, so it started with no
	// keys, and the plans of its keys need not ask Horizon.
	r.keys.ownerCreated(saID)
	before := countLines(logs.String(), "GET", "/api-keys")
	for _, name := range []string{"a", "b"} {
		if resp := modifyPlan(t, r, nil, newKeyPlan(saID, name)); resp.Diagnostics.WarningsCount() != 0 {
			t.Errorf("key %s: want no warning, got:\n%s", name, warningsOf(resp))
		}
	}
	if w := warningsOf(modifyPlan(t, r, nil, newKeyPlan(saID, "c"))); !strings.Contains(w, "This plan also creates 2 other key(s)") {
		t.Errorf("a third key of an account created here must still be warned about:\n%s", w)
	}
	if n := countLines(logs.String(), "GET", "/api-keys") - before; n != 0 {
		t.Errorf("the plans listed the keys of an account this provider created %d times", n)
	}
}

// A replacement is planned twice, the second time as a create carrying the
// first plan's private state (node_resource_abstract_instance.go in
// Terraform); this runs both through the provider's protocol server, as
// Terraform does, and checks that the first warns and the pair counts as one
// create.
func TestModifyPlan_replacementWarnsOnceAndCountsOnce(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	saID, _ := env.serviceAccountKey(t, "rotating", "member")
	keys, err := env.api.ListAPIKeys(t.Context(), saID)
	if err != nil || len(keys) != 1 {
		t.Fatalf("keys = %v, %v", keys, err)
	}
	if _, err := env.api.CreateAPIKey(t.Context(), saID, client.CreateAPIKeyRequest{Name: "secondary"}); err != nil {
		t.Fatal(err)
	}
	p := env.protoProvider(t)
	prior := baseKeyModel()
	prior.ID, prior.ServiceAccountID, prior.Name = types.StringValue(keys[0].ID), types.StringValue(saID), types.StringValue(keys[0].Name)
	proposed := prior
	proposed.Keepers = types.MapValueMust(types.StringType, map[string]attr.Value{"rotation": types.StringValue("2")})

	p.plan(t, &prior, &prior, nil) // an unchanged key, as in any plan that refreshes
	first := p.plan(t, &prior, &proposed, nil)
	if len(first.RequiresReplace) == 0 {
		t.Fatal("new keepers must replace the key")
	}
	w := diagnosticsText(first.Diagnostics)
	for _, want := range []string{"Service Account Key Limit Will Be Reached", "Replacing API key " + keys[0].ID, "needs 3 active keys", `("secondary")`, "create_before_destroy"} {
		if !strings.Contains(w, want) {
			t.Errorf("replacement warning lacks %q:\n%s", want, w)
		}
	}
	// Terraform's second plan of the replacement: a create with the first
	// plan's private state. Were it counted again, a plan of one more new key
	// would see two other creates.
	p.plan(t, nil, &proposed, first.PlannedPrivate)
	third := newKeyPlan(saID, "third")
	if w := diagnosticsText(p.plan(t, nil, &third, nil).Diagnostics); !strings.Contains(w, "This plan also creates 1 other key(s)") {
		t.Errorf("the replacement must count as one create:\n%s", w)
	}
}

func TestModifyPlan_destroyFreesASlot(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	saID, _ := env.serviceAccountKey(t, "shrinking", "member")
	second, err := env.api.CreateAPIKey(t.Context(), saID, client.CreateAPIKeyRequest{Name: "secondary"})
	if err != nil {
		t.Fatal(err)
	}
	r := planningResource(env.api)
	removed := baseKeyModel()
	removed.ID, removed.ServiceAccountID, removed.Name = types.StringValue(second.ID), types.StringValue(saID), types.StringValue("secondary")

	// A key destroyed with a grace period keeps its slot.
	graceful := removed
	graceful.GracePeriod = types.StringValue("1h")
	runModifyPlan(t, r, &graceful, nil)
	if w := warningsOf(modifyPlan(t, r, nil, newKeyPlan(saID, "third"))); !strings.Contains(w, "Key Limit Will Be Reached") {
		t.Errorf("a key in its grace period holds its slot: want a warning, got none")
	}

	// A key destroyed at once frees it.
	r = planningResource(env.api)
	runModifyPlan(t, r, &removed, nil)
	if resp := modifyPlan(t, r, nil, newKeyPlan(saID, "third")); resp.Diagnostics.WarningsCount() != 0 {
		t.Errorf("this plan revokes secondary: want no warning, got:\n%s", warningsOf(resp))
	}
}

// During an apply, Terraform re-plans each create just before it, without
// the plan's knowledge of the apply's other changes: that re-plan does not
// warn about the limit (the plan did, and the create reports it). A process
// that has not yet shown whether it plans or applies waits for it to show,
// and counts as a plan if it does not.
func TestModifyPlan_limitWarningsOnlyInAPlan(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	saID, _ := env.serviceAccountKey(t, "full", "member")
	if _, err := env.api.CreateAPIKey(t.Context(), saID, client.CreateAPIKeyRequest{Name: "second"}); err != nil {
		t.Fatal(err)
	}

	applying := keyResource(env.api)
	applying.keys.applyingChanges()
	if resp := modifyPlan(t, applying, nil, newKeyPlan(saID, "third")); resp.Diagnostics.WarningsCount() != 0 {
		t.Errorf("an apply's re-plan warned:\n%s", warningsOf(resp))
	}

	// Unknown at first; the apply shows itself (a delete starts) while the plan waits.
	undecided := keyResource(env.api)
	go func() {
		time.Sleep(50 * time.Millisecond)
		undecided.keys.applyingChanges()
	}()
	if resp := modifyPlan(t, undecided, nil, newKeyPlan(saID, "third")); resp.Diagnostics.WarningsCount() != 0 {
		t.Errorf("a re-plan that learned it is in an apply warned:\n%s", warningsOf(resp))
	}

	// Unknown, and nothing shows: a plan, which must not lose its warning.
	silent := keyResource(env.api)
	if w := warningsOf(modifyPlan(t, silent, nil, newKeyPlan(saID, "third"))); !strings.Contains(w, "Key Limit Will Be Reached") {
		t.Errorf("a process that never showed its phase lost the warning")
	}
}

// Terraform and OpenTofu plan independent resources in no set order: the
// replacement of one key may be planned before the destroy of the other key
// that frees its slot. The replacement's plan waits for the account's other
// keys to be planned before it warns.
func TestModifyPlan_replacementPlannedBeforeTheDestroyThatFreesItsSlot(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	saID, _ := env.serviceAccountKey(t, "rotating", "member")
	keys, err := env.api.ListAPIKeys(t.Context(), saID)
	if err != nil {
		t.Fatal(err)
	}
	secondary, err := env.api.CreateAPIKey(t.Context(), saID, client.CreateAPIKeyRequest{Name: "secondary"})
	if err != nil {
		t.Fatal(err)
	}
	prior := baseKeyModel()
	prior.ID, prior.ServiceAccountID, prior.Name = types.StringValue(keys[0].ID), types.StringValue(saID), types.StringValue(keys[0].Name)
	rotated := prior
	rotated.Keepers = types.MapValueMust(types.StringType, map[string]attr.Value{"rotation": types.StringValue("2")})
	other := baseKeyModel()
	other.ID, other.ServiceAccountID, other.Name = types.StringValue(secondary.ID), types.StringValue(saID), types.StringValue("secondary")

	for _, tc := range []struct {
		name string
		// planOther plans the other key, as the plan does a moment later.
		planOther func(r *apiKeyResource)
		warns     bool
	}{
		{"destroyed", func(r *apiKeyResource) { runModifyPlan(t, r, &other, nil) }, false},
		{"kept", func(r *apiKeyResource) { modifyPlan(t, r, &other, other) }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := planningResource(env.api)
			done := make(chan resource.ModifyPlanResponse)
			go func() { done <- modifyPlan(t, r, &prior, rotated) }()
			time.Sleep(20 * time.Millisecond)
			tc.planOther(r)
			resp := <-done
			if !requiresReplace(resp, "keepers") {
				t.Fatalf("new keepers must replace the key")
			}
			if w := warningsOf(resp); strings.Contains(w, "Key Limit Will Be Reached") != tc.warns {
				t.Errorf("the other key %s: want a limit warning %v, got:\n%s", tc.name, tc.warns, w)
			}
		})
	}
}

func TestModifyPlan_createOnAMissingAccount(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	r := planningResource(env.api)
	resp := modifyPlan(t, r, nil, newKeyPlan("sa_aaaaaaaaaaaaaaaa", "k"))
	if !resp.Diagnostics.HasError() || !strings.Contains(resp.Diagnostics.Errors()[0].Summary(), "Service Account Not Found") ||
		!strings.Contains(resp.Diagnostics.Errors()[0].Detail(), "sa_aaaaaaaaaaaaaaaa does not exist") {
		t.Errorf("a key of a missing account must fail at plan time, naming it; got %v", resp.Diagnostics)
	}
}

func TestModifyPlan_createRefusesAnExpiryInHorizonsPast(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	c := apiClient(env.srv.URL(), env.srv.BootstrapKey())
	env.clock.Advance(48 * time.Hour)
	if _, err := c.Me(t.Context()); err != nil {
		t.Fatal(err)
	}
	r := planningResource(c)
	planned := configOf(baseKeyModel())
	planned.ExpiresAt = types.StringValue(time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339))
	resp := modifyPlan(t, r, nil, planned)
	if !resp.Diagnostics.HasError() || !strings.Contains(resp.Diagnostics.Errors()[0].Summary(), "Expiry In the Past") {
		t.Errorf("an expiry that is past by Horizon's clock must be refused at plan time, got %v", resp.Diagnostics)
	}
}

// protoProvider is the provider behind its protocol 6 server, configured for
// this test's reference server, as Terraform drives it.
type protoProvider struct {
	server tfprotov6.ProviderServer
}

func (e *testEnv) protoProvider(t *testing.T) *protoProvider {
	t.Helper()
	srv, resp := configureProvider(t, map[string]any{"endpoint": e.srv.URL(), "api_key": e.srv.BootstrapKey()})
	if len(resp.Diagnostics) > 0 {
		t.Fatalf("configure: %v", diagnosticsText(resp.Diagnostics))
	}
	return &protoProvider{server: srv}
}

// plan sends one PlanResourceChange for a key, as Terraform does; nil state
// is a create, nil planned a destroy.
func (p *protoProvider) plan(t *testing.T, state, planned *serviceAccountKeyModel, priorPrivate []byte) *tfprotov6.PlanResourceChangeResponse {
	t.Helper()
	typ := keySchema(t).Type().TerraformType(context.Background())
	dynamic := func(v tftypes.Value) *tfprotov6.DynamicValue {
		d, err := tfprotov6.NewDynamicValue(typ, v)
		if err != nil {
			t.Fatal(err)
		}
		return &d
	}
	var config *serviceAccountKeyModel
	if planned != nil {
		c := configOf(*planned)
		config = &c
	}
	resp, err := p.server.PlanResourceChange(t.Context(), &tfprotov6.PlanResourceChangeRequest{
		TypeName:         "horizon_service_account_key",
		PriorState:       dynamic(keyValue(t, state)),
		ProposedNewState: dynamic(keyValue(t, planned)),
		Config:           dynamic(keyValue(t, config)),
		PriorPrivate:     priorPrivate,
	})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func diagnosticsText(diags []*tfprotov6.Diagnostic) string {
	var b strings.Builder
	for _, d := range diags {
		fmt.Fprintf(&b, "%s: %s\n", d.Summary, d.Detail)
	}
	return b.String()
}
