package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// The fast path of unchanged plans must answer exactly as the framework
// would: for every resource type, with a range of attribute values (defaults,
// optional attributes set, sets, maps, encrypted secrets, expiries), with and
// without the identity that Terraform 1.12+ sends.
func TestUnchangedPlansMatchTheFramework(t *testing.T) {
	t.Parallel()
	f := newRPCServer(t)
	k := newTestAgeKeys(t)
	weather := f.env.server(t, "weather")
	sa := f.create(t, "horizon_service_account", map[string]any{"name": "plain"})
	f.create(t, "horizon_service_account", map[string]any{"name": "full", "description": "d", "role": "admin", "disabled": true})
	f.create(t, "horizon_server_grant", map[string]any{"service_account_id": sa["id"], "server_id": weather.ID, "role": "user"})
	other := f.create(t, "horizon_service_account", map[string]any{"name": "other"})
	f.create(t, "horizon_server_grant", map[string]any{"service_account_id": other["id"], "server_id": weather.ID, "role": "viewer", "capabilities": []any{"tools", "prompts"}})
	f.create(t, "horizon_service_account_key", map[string]any{"service_account_id": sa["id"], "name": "plain"})
	f.create(t, "horizon_service_account_key", map[string]any{"service_account_id": sa["id"], "name": "everything", "ttl": "720h",
		"grace_period": "1h", "keepers": map[string]any{"rotation": "1"}, "age_recipients": []any{k.ageRecipient}})
	f.create(t, "horizon_personal_api_key", map[string]any{"name": "laptop", "expires_at": f.env.clock.Now().Add(48 * 3600e9).Format("2006-01-02T15:04:05Z07:00")})
	f.create(t, "horizon_server", map[string]any{"name": "Fast", "slug": "fast", "description": "x"})
	f.create(t, "horizon_organization_settings", map[string]any{"default_server_role": "viewer"})

	fast := f.server.(*fastPlanServer)
	ctx := context.Background()
	covered := map[string]bool{}
	for _, r := range f.resources {
		for _, withIdentity := range []bool{true, false} {
			req := &tfprotov6.PlanResourceChangeRequest{TypeName: r.typeName, PriorState: r.state, ProposedNewState: r.state,
				Config: r.config, PriorPrivate: r.private}
			if withIdentity {
				req.PriorIdentity = &tfprotov6.ResourceIdentityData{IdentityData: r.identity}
			}
			got := fast.unchangedPlan(ctx, req)
			if got == nil {
				t.Errorf("%s (identity %v): the fast path declined an unchanged plan", r.typeName, withIdentity)
				continue
			}
			want, err := fast.frameworkServer.PlanResourceChange(ctx, req)
			if err != nil || len(want.Diagnostics) > 0 || len(want.RequiresReplace) > 0 {
				t.Fatalf("%s: the framework's plan: %v %s %v", r.typeName, err, diagnosticsText(want.Diagnostics), want.RequiresReplace)
			}
			typ := f.schemas.ResourceSchemas[r.typeName].ValueType()
			gotState, _ := got.PlannedState.Unmarshal(typ)
			wantState, _ := want.PlannedState.Unmarshal(typ)
			if !gotState.Equal(wantState) {
				t.Errorf("%s: planned state\n fast      %s\n framework %s", r.typeName, gotState, wantState)
			}
			if !samePrivate(got.PlannedPrivate, want.PlannedPrivate) {
				t.Errorf("%s: planned private %q, the framework's %q", r.typeName, got.PlannedPrivate, want.PlannedPrivate)
			}
			idType := fast.identity[r.typeName]
			gotID, _ := got.PlannedIdentity.IdentityData.Unmarshal(idType)
			wantID, _ := want.PlannedIdentity.IdentityData.Unmarshal(idType)
			if !gotID.Equal(wantID) {
				t.Errorf("%s (identity %v): planned identity %s, the framework's %s", r.typeName, withIdentity, gotID, wantID)
			}
			covered[r.typeName] = true
		}
	}
	for typeName := range unchangedPlans {
		if !covered[typeName] {
			t.Errorf("no state of %s was compared with the framework", typeName)
		}
	}
}

// The fast path keeps what the resources' plans record for later plans: an
// account's role (for its grants), and that this process plans a key.
func TestFastPathRecordsWhatThePlansRecord(t *testing.T) {
	t.Parallel()
	f := newRPCServer(t)
	sa := f.create(t, "horizon_service_account", map[string]any{"name": "admin", "role": "admin"})
	f.create(t, "horizon_service_account_key", map[string]any{"service_account_id": sa["id"], "name": "k"})
	fast := f.server.(*fastPlanServer)
	data := newProviderData(fast.provider.configured().client)
	fast.provider.data.Store(data)
	for _, r := range f.resources {
		if fast.unchangedPlan(context.Background(), &tfprotov6.PlanResourceChangeRequest{TypeName: r.typeName, PriorState: r.state,
			ProposedNewState: r.state, Config: r.config}) == nil {
			t.Fatalf("%s: the fast path declined", r.typeName)
		}
	}
	if role, err := data.roles.lookup(context.Background(), nil, sa["id"].(string)); err != nil || role != "admin" {
		t.Errorf("the account's role after its unchanged plan: %q, %v; want admin, learnt without asking Horizon", role, err)
	}
	select {
	case <-data.keys.phaseKnown:
	default:
		t.Error("an unchanged key's plan must tell the ledger that this process plans")
	}
}

// samePrivate compares private state as the framework reads it: JSON, where
// nothing and an empty object are the same.
func samePrivate(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var ma, mb map[string]any
	if len(a) > 0 && json.Unmarshal(a, &ma) != nil || len(b) > 0 && json.Unmarshal(b, &mb) != nil {
		return false
	}
	return len(ma) == 0 && len(mb) == 0 || bytes.Equal(mustJSON(ma), mustJSON(mb))
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// The fast path takes only plans that propose no change, of resources that
// have nothing to decide then.
func TestFastPathDeclinesPlansWithSomethingToDecide(t *testing.T) {
	t.Parallel()
	f := newRPCServer(t)
	sa := f.create(t, "horizon_service_account", map[string]any{"name": "svc"})
	f.create(t, "horizon_service_account_key", map[string]any{"service_account_id": sa["id"], "name": "renewing", "ttl": "720h", "renew_before": "168h"})
	renewing := f.resources[1]
	f.create(t, "horizon_service_account_key", map[string]any{"service_account_id": sa["id"], "name": "changing"})
	changing := f.resources[2]
	fast := f.server.(*fastPlanServer)
	ctx := context.Background()

	if fast.unchangedPlan(ctx, &tfprotov6.PlanResourceChangeRequest{TypeName: renewing.typeName, PriorState: renewing.state,
		ProposedNewState: renewing.state, Config: renewing.config}) != nil {
		t.Error("a key with renew_before must be planned by the key resource: renewal depends on the time")
	}
	renamed := changing.config
	if fast.unchangedPlan(ctx, &tfprotov6.PlanResourceChangeRequest{TypeName: changing.typeName, PriorState: changing.state,
		ProposedNewState: renamed, Config: renamed}) != nil {
		t.Error("a plan that proposes a change must go to the framework")
	}
	null := dynamicValue(t, f.schemas.ResourceSchemas[changing.typeName].ValueType(), nil)
	if fast.unchangedPlan(ctx, &tfprotov6.PlanResourceChangeRequest{TypeName: changing.typeName, PriorState: changing.state,
		ProposedNewState: null}) != nil {
		t.Error("a destroy must go to the framework")
	}
	if fast.unchangedPlan(ctx, &tfprotov6.PlanResourceChangeRequest{TypeName: changing.typeName, PriorState: null,
		ProposedNewState: null}) != nil {
		t.Error("a plan of nothing must go to the framework")
	}
}
