package provider

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/horizonhq/terraform-provider-horizon/internal/client"
)

// These tests call ModifyPlan directly, because terraform-plugin-testing cannot
// observe the warnings a plan carries: they pin the warnings' text and the
// replacement decision. The acceptance tests pin the resulting plans end to end.

func baseKeyModel() serviceAccountKeyModel {
	return serviceAccountKeyModel{
		ID:               types.StringValue("key_aaaaaaaaaaaaaaaa"),
		ServiceAccountID: types.StringValue("sa_aaaaaaaaaaaaaaaa"),
		Name:             types.StringValue("primary"),
		ExpiresAt:        types.StringNull(),
		TTL:              types.StringNull(),
		RenewBefore:      types.StringNull(),
		Keepers:          types.MapNull(types.StringType),
		Secret:           types.StringValue("fmcp_" + strings.Repeat("x", 43)),
		MaskedSecret:     types.StringValue("fmcp_xxxx...xxxx"),
		Status:           types.StringValue(client.KeyStatusActive),
		CreatedAt:        types.StringValue("2026-11-01T00:00:00Z"),
		RevokedAt:        types.StringNull(),
	}
}

// configOf keeps only what a user can configure.
func configOf(m serviceAccountKeyModel) serviceAccountKeyModel {
	return serviceAccountKeyModel{
		ServiceAccountID: m.ServiceAccountID, Name: m.Name, ExpiresAt: m.ExpiresAt, TTL: m.TTL,
		RenewBefore: m.RenewBefore, Keepers: m.Keepers,
		ID: types.StringNull(), Secret: types.StringNull(), MaskedSecret: types.StringNull(),
		Status: types.StringNull(), CreatedAt: types.StringNull(), RevokedAt: types.StringNull(),
	}
}

// modifyPlan runs ModifyPlan for a key whose state is state (nil for a create)
// and whose configuration and proposed plan are derived from planned.
func modifyPlan(t *testing.T, r *serviceAccountKeyResource, state *serviceAccountKeyModel, planned serviceAccountKeyModel) resource.ModifyPlanResponse {
	t.Helper()
	ctx := context.Background()
	var schemaResp resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &schemaResp)
	sch := schemaResp.Schema
	toRaw := func(m serviceAccountKeyModel) tfsdk.State {
		st := tfsdk.State{Schema: sch}
		if diags := st.Set(ctx, m); diags.HasError() {
			t.Fatalf("building a value: %v", diags)
		}
		return st
	}
	req := resource.ModifyPlanRequest{
		Config: tfsdk.Config{Schema: sch, Raw: toRaw(configOf(planned)).Raw},
		Plan:   tfsdk.Plan{Schema: sch, Raw: toRaw(planned).Raw},
		State:  tfsdk.State{Schema: sch, Raw: tftypes.NewValue(sch.Type().TerraformType(ctx), nil)},
	}
	if state != nil {
		req.State = toRaw(*state)
	}
	resp := resource.ModifyPlanResponse{Plan: req.Plan}
	r.ModifyPlan(ctx, req, &resp)
	return resp
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

func TestModifyPlan_revokedAndExpiredKeysAreReplacedWithAWarning(t *testing.T) {
	t.Parallel()
	r := &serviceAccountKeyResource{}

	revoked := baseKeyModel()
	revoked.Status, revoked.RevokedAt = types.StringValue(client.KeyStatusRevoked), types.StringValue("2026-11-20T10:00:00Z")
	resp := modifyPlan(t, r, &revoked, revoked)
	if !requiresReplace(resp, "status") {
		t.Errorf("a revoked key must be replaced; RequiresReplace = %v", resp.RequiresReplace)
	}
	if w := warningsOf(resp); !strings.Contains(w, "API Key Revoked Outside Terraform") || !strings.Contains(w, "revoked at 2026-11-20T10:00:00Z") ||
		!strings.Contains(w, `key_aaaaaaaaaaaaaaaa ("primary") of service account sa_aaaaaaaaaaaaaaaa`) {
		t.Errorf("warning does not say which key was revoked and when:\n%s", w)
	}

	expired := baseKeyModel()
	expired.Status, expired.ExpiresAt = types.StringValue(client.KeyStatusExpired), types.StringValue("2026-11-21T00:00:00Z")
	resp = modifyPlan(t, r, &expired, expired)
	if !requiresReplace(resp, "status") {
		t.Errorf("an expired key must be replaced; RequiresReplace = %v", resp.RequiresReplace)
	}
	if w := warningsOf(resp); !strings.Contains(w, "API Key Expired") || !strings.Contains(w, "expired at 2026-11-21T00:00:00Z") {
		t.Errorf("warning does not say when the key expired:\n%s", w)
	}

	active := baseKeyModel()
	resp = modifyPlan(t, r, &active, active)
	if len(resp.RequiresReplace) != 0 || resp.Diagnostics.WarningsCount() != 0 {
		t.Errorf("an active key must be left alone; RequiresReplace = %v, warnings:\n%s", resp.RequiresReplace, warningsOf(resp))
	}
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
	r := &serviceAccountKeyResource{client: c}

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

func TestModifyPlan_createWarnsAtTheKeyLimit(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	saID, _ := env.serviceAccountKey(t, "full", "member")
	// A provider that did not create the account, as in any plan after the apply that did.
	r := &serviceAccountKeyResource{client: apiClient(env.srv.URL(), env.srv.BootstrapKey())}

	planned := configOf(baseKeyModel())
	planned.ServiceAccountID = types.StringValue(saID)
	planned.Name = types.StringValue("third")

	resp := modifyPlan(t, r, nil, planned)
	if resp.Diagnostics.WarningsCount() != 0 {
		t.Errorf("one active key leaves room: want no warning, got:\n%s", warningsOf(resp))
	}

	if _, err := env.api.CreateAPIKey(t.Context(), saID, client.CreateAPIKeyRequest{Name: "second"}); err != nil {
		t.Fatal(err)
	}
	resp = modifyPlan(t, r, nil, planned)
	w := warningsOf(resp)
	for _, want := range []string{"Service Account Key Limit Will Be Reached", `Creating API key "third"`, saID, "limit 2", `("full")`, `("second")`, "create_before_destroy"} {
		if !strings.Contains(w, want) {
			t.Errorf("limit warning lacks %q:\n%s", want, w)
		}
	}
	if resp.Diagnostics.HasError() {
		t.Errorf("the limit is a warning at plan time, not an error: %v", resp.Diagnostics)
	}

	// The client that created the account skips the listing: that is the apply
	// that creates the account and its keys together.
	creator := &serviceAccountKeyResource{client: env.api}
	if resp := modifyPlan(t, creator, nil, planned); resp.Diagnostics.WarningsCount() != 0 {
		t.Errorf("the apply that created the account listed its keys:\n%s", warningsOf(resp))
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
	r := &serviceAccountKeyResource{client: c}
	planned := configOf(baseKeyModel())
	planned.ExpiresAt = types.StringValue(time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339))
	resp := modifyPlan(t, r, nil, planned)
	if !resp.Diagnostics.HasError() || !strings.Contains(resp.Diagnostics.Errors()[0].Summary(), "Expiry In the Past") {
		t.Errorf("an expiry that is past by Horizon's clock must be refused at plan time, got %v", resp.Diagnostics)
	}
}
