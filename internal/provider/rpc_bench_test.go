package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// The provider's share of a refresh, without Terraform: the RPCs Terraform
// 1.14 sends for each resource of a refresh plan, in its order (upgrade the
// stored state, read, validate the configuration, plan), against a reference
// server on loopback. `make bench` measures whole Terraform runs; this
// measures, and profiles (-cpuprofile), only what the provider process does.

// rpcResource is one resource of the benchmark, as Terraform holds it.
type rpcResource struct {
	typeName  string
	stateJSON []byte
	state     *tfprotov6.DynamicValue
	config    *tfprotov6.DynamicValue
	private   []byte
	identity  *tfprotov6.DynamicValue
}

type rpcFixture struct {
	env       *testEnv
	server    tfprotov6.ProviderServer
	schemas   *tfprotov6.GetProviderSchemaResponse
	resources []rpcResource
}

func newRPCServer(tb testing.TB) *rpcFixture {
	tb.Helper()
	env := newTestEnv(tb)
	srv, schemas := configuredServer(tb, env)
	return &rpcFixture{env: env, server: srv, schemas: schemas}
}

// configuredServer is a provider server as Terraform starts one, configured
// for env's reference server.
func configuredServer(tb testing.TB, env *testEnv) (*providerServer, *tfprotov6.GetProviderSchemaResponse) {
	tb.Helper()
	return configuredServerAt(tb, env.srv.URL(), env.srv.BootstrapKey())
}

// configuredServerAt is a provider server configured for the Horizon at
// endpoint.
func configuredServerAt(tb testing.TB, endpoint, apiKey string) (*providerServer, *tfprotov6.GetProviderSchemaResponse) {
	tb.Helper()
	srv, err := NewServer("bench")()
	if err != nil {
		tb.Fatal(err)
	}
	return srv.(*providerServer), configure(tb, srv, endpoint, apiKey)
}

// configure configures srv as Terraform 1.14 does, for the Horizon at
// endpoint, and returns its schemas.
func configure(tb testing.TB, srv tfprotov6.ProviderServer, endpoint, apiKey string) *tfprotov6.GetProviderSchemaResponse {
	tb.Helper()
	ctx := context.Background()
	schemas, err := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		tb.Fatal(err)
	}
	providerConfig := dynamicValue(tb, schemas.Provider.ValueType(), map[string]any{"endpoint": endpoint, "api_key": apiKey})
	if resp, err := srv.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{TerraformVersion: "1.14.8", Config: providerConfig}); err != nil || len(resp.Diagnostics) > 0 {
		tb.Fatalf("configure: %v %v", err, resp.Diagnostics)
	}
	return schemas
}

// create plans and applies a new resource, as Terraform does, and keeps it
// for refresh; it returns the new state's attributes.
func (f *rpcFixture) create(tb testing.TB, typeName string, config map[string]any) map[string]any {
	tb.Helper()
	ctx := context.Background()
	typ := f.schemas.ResourceSchemas[typeName].ValueType()
	cfg := dynamicValue(tb, typ, config)
	null := dynamicValue(tb, typ, nil)
	planned, err := f.server.PlanResourceChange(ctx, &tfprotov6.PlanResourceChangeRequest{TypeName: typeName, PriorState: null, ProposedNewState: cfg, Config: cfg})
	if err != nil || hasError(planned.Diagnostics) {
		tb.Fatalf("plan %s: %v %s", typeName, err, diagnosticsText(planned.Diagnostics))
	}
	applied, err := f.server.ApplyResourceChange(ctx, &tfprotov6.ApplyResourceChangeRequest{TypeName: typeName, PriorState: null,
		PlannedState: planned.PlannedState, Config: cfg, PlannedPrivate: planned.PlannedPrivate})
	if err != nil || hasError(applied.Diagnostics) {
		tb.Fatalf("apply %s: %v %s", typeName, err, diagnosticsText(applied.Diagnostics))
	}
	state, err := applied.NewState.Unmarshal(typ)
	if err != nil {
		tb.Fatal(err)
	}
	attrs := goValue(tb, state).(map[string]any)
	stateJSON, err := json.Marshal(attrs)
	if err != nil {
		tb.Fatal(err)
	}
	f.resources = append(f.resources, rpcResource{
		typeName: typeName, stateJSON: stateJSON, state: applied.NewState, config: cfg,
		private: applied.Private, identity: applied.NewIdentity.IdentityData,
	})
	return attrs
}

func newRPCFixture(tb testing.TB) *rpcFixture {
	tb.Helper()
	f := newRPCServer(tb)
	sa := f.create(tb, "horizon_service_account", map[string]any{"name": "bench"})
	f.create(tb, "horizon_server_grant", map[string]any{"service_account_id": sa["id"], "server_id": f.env.server(tb, "weather").ID, "role": "user", "capabilities": []any{"tools"}})
	f.create(tb, "horizon_service_account_key", map[string]any{"service_account_id": sa["id"], "name": "primary"})
	return f
}

// refresh sends the RPCs of one refresh plan of every resource.
func (f *rpcFixture) refresh(tb testing.TB) {
	ctx := context.Background()
	for _, r := range f.resources {
		upgraded, err := f.server.UpgradeResourceState(ctx, &tfprotov6.UpgradeResourceStateRequest{TypeName: r.typeName, RawState: &tfprotov6.RawState{JSON: r.stateJSON}})
		if err != nil || hasError(upgraded.Diagnostics) {
			tb.Fatalf("upgrade %s: %v %v", r.typeName, err, upgraded.Diagnostics)
		}
		read, err := f.server.ReadResource(ctx, &tfprotov6.ReadResourceRequest{TypeName: r.typeName, CurrentState: upgraded.UpgradedState,
			Private: r.private, CurrentIdentity: &tfprotov6.ResourceIdentityData{IdentityData: r.identity}})
		if err != nil || hasError(read.Diagnostics) {
			tb.Fatalf("read %s: %v %v", r.typeName, err, read.Diagnostics)
		}
		validated, err := f.server.ValidateResourceConfig(ctx, &tfprotov6.ValidateResourceConfigRequest{TypeName: r.typeName, Config: r.config})
		if err != nil || hasError(validated.Diagnostics) {
			tb.Fatalf("validate %s: %v %v", r.typeName, err, validated.Diagnostics)
		}
		// Terraform proposes the prior state with the configuration over it:
		// for an unchanged resource, the state itself.
		planned, err := f.server.PlanResourceChange(ctx, &tfprotov6.PlanResourceChangeRequest{TypeName: r.typeName, PriorState: read.NewState,
			ProposedNewState: read.NewState, Config: r.config, PriorPrivate: read.Private, PriorIdentity: read.NewIdentity})
		if err != nil || hasError(planned.Diagnostics) || len(planned.RequiresReplace) > 0 {
			tb.Fatalf("plan %s: %v %v (replace %v)", r.typeName, err, planned.Diagnostics, planned.RequiresReplace)
		}
	}
}

// BenchmarkRefreshRPCs is the provider's CPU for a refresh plan of one
// service account, one grant and one key (reported per resource); the API's
// share, one GET each, is in it.
func BenchmarkRefreshRPCs(b *testing.B) {
	f := newRPCFixture(b)
	b.ReportAllocs()
	for b.Loop() {
		f.refresh(b)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(f.resources)), "µs/resource")
}

// createRPCs sends the RPCs of an apply from empty of one resource, in
// Terraform's order (validate, plan, plan again at apply, apply), and returns
// the new state's attributes.
func (f *rpcFixture) createRPCs(tb testing.TB, typeName string, config map[string]any) map[string]any {
	tb.Helper()
	ctx := context.Background()
	typ := f.schemas.ResourceSchemas[typeName].ValueType()
	cfg := dynamicValue(tb, typ, config)
	null := dynamicValue(tb, typ, nil)
	validated, err := f.server.ValidateResourceConfig(ctx, &tfprotov6.ValidateResourceConfigRequest{TypeName: typeName, Config: cfg})
	if err != nil || hasError(validated.Diagnostics) {
		tb.Fatalf("validate %s: %v %v", typeName, err, validated.Diagnostics)
	}
	var planned *tfprotov6.PlanResourceChangeResponse
	for range 2 {
		planned, err = f.server.PlanResourceChange(ctx, &tfprotov6.PlanResourceChangeRequest{TypeName: typeName, PriorState: null, ProposedNewState: cfg, Config: cfg})
		if err != nil || hasError(planned.Diagnostics) {
			tb.Fatalf("plan %s: %v %s", typeName, err, diagnosticsText(planned.Diagnostics))
		}
	}
	applied, err := f.server.ApplyResourceChange(ctx, &tfprotov6.ApplyResourceChangeRequest{TypeName: typeName, PriorState: null,
		PlannedState: planned.PlannedState, Config: cfg, PlannedPrivate: planned.PlannedPrivate})
	if err != nil || hasError(applied.Diagnostics) {
		tb.Fatalf("apply %s: %v %s", typeName, err, diagnosticsText(applied.Diagnostics))
	}
	state, err := applied.NewState.Unmarshal(typ)
	if err != nil {
		tb.Fatal(err)
	}
	return goValue(tb, state).(map[string]any)
}

// BenchmarkCreateRPCs is the provider's CPU for an apply from empty of one
// service account, its grant and its key (reported per resource), the API's
// share (one POST each) in it.
func BenchmarkCreateRPCs(b *testing.B) {
	f := newRPCServer(b)
	server := f.env.server(b, "weather").ID
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		sa := f.createRPCs(b, "horizon_service_account", map[string]any{"name": fmt.Sprintf("bench-%d", i)})
		f.createRPCs(b, "horizon_server_grant", map[string]any{"service_account_id": sa["id"], "server_id": server, "role": "user", "capabilities": []any{"tools"}})
		f.createRPCs(b, "horizon_service_account_key", map[string]any{"service_account_id": sa["id"], "name": "primary"})
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*3), "µs/resource")
}

// TestCreateRPCsCreate keeps BenchmarkCreateRPCs honest: its RPCs create
// what they say, with ids from the API.
func TestCreateRPCsCreate(t *testing.T) {
	t.Parallel()
	f := newRPCServer(t)
	sa := f.createRPCs(t, "horizon_service_account", map[string]any{"name": "created"})
	key := f.createRPCs(t, "horizon_service_account_key", map[string]any{"service_account_id": sa["id"], "name": "primary"})
	if id, _ := sa["id"].(string); !strings.HasPrefix(id, "sa_") {
		t.Fatalf("service account id %q", sa["id"])
	}
	if key["service_account_id"] != sa["id"] || key["status"] != "active" {
		t.Fatalf("key of %v, status %v", key["service_account_id"], key["status"])
	}
	keys, err := f.env.api.ListAPIKeys(context.Background(), sa["id"].(string))
	if err != nil || len(keys) != 1 || keys[0].ID != key["id"] {
		t.Fatalf("Horizon has keys %v (%v), want the one created", keys, err)
	}
}

func TestRefreshRPCsChangeNothing(t *testing.T) {
	t.Parallel()
	newRPCFixture(t).refresh(t)
}

func hasError(diags []*tfprotov6.Diagnostic) bool {
	for _, d := range diags {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			return true
		}
	}
	return false
}

// dynamicValue builds a value of typ from Go values (nil for null), filling
// the attributes it does not name with nulls, as a configuration does.
func dynamicValue(tb testing.TB, typ tftypes.Type, v map[string]any) *tfprotov6.DynamicValue {
	tb.Helper()
	val := tftypes.NewValue(typ, nil)
	if v != nil {
		var err error
		if val, err = tfValue(typ, v); err != nil {
			tb.Fatal(err)
		}
	}
	dv, err := tfprotov6.NewDynamicValue(typ, val)
	if err != nil {
		tb.Fatal(err)
	}
	return &dv
}

func tfValue(typ tftypes.Type, v any) (tftypes.Value, error) {
	switch v {
	case nil:
		return tftypes.NewValue(typ, nil), nil
	case tftypes.UnknownValue:
		return tftypes.NewValue(typ, tftypes.UnknownValue), nil
	}
	switch t := typ.(type) {
	case tftypes.Object:
		m, ok := v.(map[string]any)
		if !ok {
			return tftypes.Value{}, fmt.Errorf("want an object, got %T", v)
		}
		attrs := map[string]tftypes.Value{}
		for name, at := range t.AttributeTypes {
			av, err := tfValue(at, m[name])
			if err != nil {
				return tftypes.Value{}, fmt.Errorf("%s: %w", name, err)
			}
			attrs[name] = av
		}
		return tftypes.NewValue(t, attrs), nil
	case tftypes.Map:
		elems := map[string]tftypes.Value{}
		for k, e := range v.(map[string]any) {
			ev, err := tfValue(t.ElementType, e)
			if err != nil {
				return tftypes.Value{}, err
			}
			elems[k] = ev
		}
		return tftypes.NewValue(t, elems), nil
	case tftypes.Set:
		var elems []tftypes.Value
		for _, e := range v.([]any) {
			ev, err := tfValue(t.ElementType, e)
			if err != nil {
				return tftypes.Value{}, err
			}
			elems = append(elems, ev)
		}
		return tftypes.NewValue(t, elems), nil
	default:
		return tftypes.NewValue(typ, v), nil
	}
}

// goValue turns a known value into what encoding/json writes as Terraform's
// state JSON.
func goValue(tb testing.TB, v tftypes.Value) any {
	tb.Helper()
	if v.IsNull() {
		return nil
	}
	switch {
	case v.Type().Is(tftypes.String):
		var s string
		_ = v.As(&s)
		return s
	case v.Type().Is(tftypes.Bool):
		var b bool
		_ = v.As(&b)
		return b
	case v.Type().Is(tftypes.Number):
		var n big.Float
		_ = v.As(&n)
		f, _ := n.Float64()
		return f
	case v.Type().Is(tftypes.Object{}), v.Type().Is(tftypes.Map{}):
		var m map[string]tftypes.Value
		_ = v.As(&m)
		out := map[string]any{}
		for k, e := range m {
			out[k] = goValue(tb, e)
		}
		return out
	default:
		var l []tftypes.Value
		if err := v.As(&l); err != nil {
			tb.Fatalf("value of type %s: %v", v.Type(), err)
		}
		out := make([]any, len(l))
		for i, e := range l {
			out[i] = goValue(tb, e)
		}
		return out
	}
}
