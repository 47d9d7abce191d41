package provider

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// createCase is the configuration of one create, by attribute (nil for
// null, tftypes.UnknownValue for a value known only after apply).
type createCase struct {
	typeName string
	config   map[string]any
}

// The plan of a create must answer exactly as the framework would: for every
// resource type, over configurations that give each attribute each kind of
// value (null, known, unknown), and the plans whose ModifyPlan has something
// to say (a grant that has no effect, an owner that does not exist, an owner
// at its key limit). Each plan is made twice, by two fresh provider servers
// on the same reference server, since a plan records what it planned.
func TestCreatePlansMatchTheFramework(t *testing.T) {
	t.Parallel()
	f := newRPCServer(t)
	k := newTestAgeKeys(t)
	weather := f.env.server(t, "weather").ID
	member := f.create(t, "horizon_service_account", map[string]any{"name": "member", "role": "member"})["id"]
	admin := f.create(t, "horizon_service_account", map[string]any{"name": "admin", "role": "admin"})["id"]
	full := f.create(t, "horizon_service_account", map[string]any{"name": "full"})["id"]
	f.create(t, "horizon_service_account_key", map[string]any{"service_account_id": full, "name": "one"})
	f.create(t, "horizon_service_account_key", map[string]any{"service_account_id": full, "name": "two"})
	const missing = "sa_0000000000000000missing"
	unknown := tftypes.UnknownValue
	later := f.env.clock.Now().Add(48 * time.Hour).Format(time.RFC3339)

	// Each attribute's values; every value of every attribute is planned
	// at least once, in rotation, and then in random combinations.
	options := map[string]map[string][]any{
		"horizon_service_account": {
			"name":        {"a", unknown},
			"description": {nil, "", "described", unknown},
			"role":        {nil, "admin", "member", "viewer", unknown},
			"disabled":    {nil, true, false, unknown},
		},
		"horizon_server_grant": {
			"service_account_id": {member, admin, missing, unknown},
			"server_id":          {weather, unknown},
			"role":               {"user", "viewer", unknown},
			"capabilities":       {nil, []any{"tools"}, []any{}, []any{"tools", "prompts"}, unknown},
		},
		"horizon_service_account_key": {
			"service_account_id": {member, missing, unknown},
			"name":               {"k", unknown},
			"expires_at":         {nil, later, unknown},
			"ttl":                {nil, "720h", unknown},
			"renew_before":       {nil, "168h"},
			"keepers":            {nil, map[string]any{"rotation": "1"}, unknown},
			"grace_period":       {nil, "1h", unknown},
			"age_recipients":     {nil, []any{k.ageRecipient}, unknown},
		},
		"horizon_personal_api_key": {
			"name":           {"laptop", unknown},
			"expires_at":     {nil, later, unknown},
			"ttl":            {nil, "720h"},
			"keepers":        {nil, map[string]any{"v": "2"}},
			"grace_period":   {nil, "30m"},
			"age_recipients": {nil, []any{k.ageRecipient}},
		},
		"horizon_server": {
			"name":        {"Fast", unknown},
			"slug":        {"fast", unknown},
			"description": {nil, "", "x", unknown},
		},
		"horizon_organization_settings": {
			"default_server_role": {"viewer", "user", unknown},
		},
	}
	var cases []createCase
	rng := rand.New(rand.NewPCG(1, 2))
	for _, typeName := range sortedKeys(options) {
		attrs := options[typeName]
		rotations := 0
		for _, values := range attrs {
			rotations = max(rotations, len(values))
		}
		for i := range rotations + 8 {
			config := map[string]any{}
			for name, values := range attrs {
				pick := i % len(values)
				if i >= rotations {
					pick = rng.IntN(len(values))
				}
				config[name] = values[pick]
			}
			cases = append(cases, createCase{typeName, config})
		}
	}
	// At the limit of active keys: the plan warns, after waiting for the
	// plans of the owner's keys that might free a slot.
	cases = append(cases, createCase{"horizon_service_account_key", map[string]any{"service_account_id": full, "name": "three"}})

	ctx := context.Background()
	said := map[string]bool{}
	for _, c := range cases {
		fast, _ := configuredServer(t, f.env)
		framework, _ := configuredServer(t, f.env)
		typ := f.schemas.ResourceSchemas[c.typeName].ValueType()
		config := dynamicValue(t, typ, c.config)
		req := &tfprotov6.PlanResourceChangeRequest{TypeName: c.typeName, PriorState: dynamicValue(t, typ, nil),
			ProposedNewState: config, Config: config}
		var got, want *tfprotov6.PlanResourceChangeResponse
		var err error
		var wg sync.WaitGroup
		wg.Go(func() { got = fast.createPlan(ctx, req) })
		wg.Go(func() { want, err = framework.frameworkServer.PlanResourceChange(ctx, req) })
		wg.Wait()
		name := fmt.Sprintf("%s %v", c.typeName, c.config)
		if got == nil {
			t.Errorf("%s: the fast path declined a create", name)
			continue
		}
		if err != nil {
			t.Fatalf("%s: the framework's plan: %v", name, err)
		}
		compareCreatePlans(t, name, typ, fast.creates[c.typeName].identityType, got, want)
		for _, d := range want.Diagnostics {
			said[d.Summary] = true
		}
	}
	for _, summary := range []string{"Grant Has No Effect", "Service Account Not Found", "Service Account Key Limit Will Be Reached"} {
		if !said[summary] {
			t.Errorf("no create plan said %q: the comparison missed the plans with something to say (said %v)", summary, sortedKeys(said))
		}
	}
}

// compareCreatePlans reports how the fast path's plan differs from the
// framework's.
func compareCreatePlans(t *testing.T, name string, typ, identityType tftypes.Type, got, want *tfprotov6.PlanResourceChangeResponse) {
	t.Helper()
	if g, w := diagnosticsList(got.Diagnostics), diagnosticsList(want.Diagnostics); !slices.Equal(g, w) {
		t.Errorf("%s: diagnostics\n fast      %q\n framework %q", name, g, w)
	}
	if (got.PlannedState == nil) != (want.PlannedState == nil) {
		t.Fatalf("%s: planned state %v, the framework's %v", name, got.PlannedState, want.PlannedState)
	}
	if want.PlannedState != nil {
		gotState, err1 := got.PlannedState.Unmarshal(typ)
		wantState, err2 := want.PlannedState.Unmarshal(typ)
		if err1 != nil || err2 != nil || !gotState.Equal(wantState) {
			t.Errorf("%s: planned state\n fast      %s\n framework %s", name, gotState, wantState)
		}
	}
	if !samePrivate(got.PlannedPrivate, want.PlannedPrivate) {
		t.Errorf("%s: planned private %q, the framework's %q", name, got.PlannedPrivate, want.PlannedPrivate)
	}
	if (got.PlannedIdentity == nil) != (want.PlannedIdentity == nil) {
		t.Errorf("%s: planned identity %v, the framework's %v", name, got.PlannedIdentity, want.PlannedIdentity)
	} else if want.PlannedIdentity != nil {
		gotID, _ := got.PlannedIdentity.IdentityData.Unmarshal(identityType)
		wantID, _ := want.PlannedIdentity.IdentityData.Unmarshal(identityType)
		if !gotID.Equal(wantID) {
			t.Errorf("%s: planned identity %s, the framework's %s", name, gotID, wantID)
		}
	}
	if fmt.Sprint(got.RequiresReplace) != fmt.Sprint(want.RequiresReplace) || (got.Deferred == nil) != (want.Deferred == nil) {
		t.Errorf("%s: replace %v deferred %v, the framework's %v %v", name, got.RequiresReplace, got.Deferred, want.RequiresReplace, want.Deferred)
	}
}

// diagnosticsList renders diagnostics whole: severity, attribute, summary and
// detail.
func diagnosticsList(diags []*tfprotov6.Diagnostic) []string {
	var out []string
	for _, d := range diags {
		out = append(out, fmt.Sprintf("%s %s %s: %s", d.Severity, d.Attribute, d.Summary, d.Detail))
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Every resource type has a planner of its creates: a schema change that
// took one away (a plan modifier or default the planner does not know)
// would quietly double the provider's cost of an apply from empty.
func TestEveryResourceHasACreatePlanner(t *testing.T) {
	t.Parallel()
	srv, schemas := configuredServer(t, newTestEnv(t))
	srv.load(context.Background())
	for typeName := range schemas.ResourceSchemas {
		if srv.creates[typeName] == nil {
			t.Errorf("%s has no create planner: its schema has something newCreatePlanner does not know", typeName)
		}
	}
}

// The planner leaves to the framework what it cannot answer as the
// framework would.
func TestCreatePlannerDeclines(t *testing.T) {
	t.Parallel()
	f := newRPCServer(t)
	f.create(t, "horizon_service_account", map[string]any{"name": "svc"})
	fast := f.server.(*fastPlanServer)
	ctx := context.Background()
	typ := f.schemas.ResourceSchemas["horizon_service_account"].ValueType()
	config := dynamicValue(t, typ, map[string]any{"name": "other"})
	null := dynamicValue(t, typ, nil)
	for what, req := range map[string]*tfprotov6.PlanResourceChangeRequest{
		"an update": {TypeName: "horizon_service_account", PriorState: f.resources[0].state, ProposedNewState: config, Config: config},
		"a destroy": {TypeName: "horizon_service_account", PriorState: f.resources[0].state, ProposedNewState: null, Config: null},
		"a create with private state": {TypeName: "horizon_service_account", PriorState: null, ProposedNewState: config, Config: config,
			PriorPrivate: []byte(`{"create_counted":"dHJ1ZQ=="}`)},
		"a create with an identity": {TypeName: "horizon_service_account", PriorState: null, ProposedNewState: config, Config: config,
			PriorIdentity: &tfprotov6.ResourceIdentityData{IdentityData: f.resources[0].identity}},
		"an unknown resource type": {TypeName: "horizon_nothing", PriorState: null, ProposedNewState: config, Config: config},
	} {
		if fast.createPlan(ctx, req) != nil {
			t.Errorf("the planner answered %s", what)
		}
	}
	unconfigured, err := NewServer("test")()
	if err != nil {
		t.Fatal(err)
	}
	if unconfigured.(*fastPlanServer).createPlan(ctx, &tfprotov6.PlanResourceChangeRequest{TypeName: "horizon_service_account",
		PriorState: null, ProposedNewState: config, Config: config}) != nil {
		t.Error("the planner answered for a provider that is not configured")
	}
}
