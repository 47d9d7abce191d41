package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/importer"
	"go/token"
	"go/types"
	"maps"
	"math/big"
	mathrand "math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// The provider answers the plan of an unchanged resource itself when the
// framework would change nothing (server.go); everywhere else the framework
// plans. Both must give the same whole response for any prior state, not
// only the states this provider writes: TestUnchangedPlansMatchTheFramework
// draws prior states at random from the resources' schemas (values the
// provider writes, values it never writes, out-of-band values of every
// attribute the configuration may leave to a default, nulls) and configurations
// that leave each optional attribute to its default or set it, and compares
// every field of the provider's response with the framework's own server's,
// configured alike against the same Horizon.
func TestUnchangedPlansMatchTheFramework(t *testing.T) {
	t.Parallel()
	f := newPlanFixture(t)
	framework := frameworkServerAt(t, f.env.srv.URL(), f.env.srv.BootstrapKey())
	seed := uint64(time.Now().UnixNano())
	t.Logf("random prior states from seed %d", seed)
	rng := mathrand.New(mathrand.NewPCG(seed, seed>>1))
	pools := valuePools(t, f)
	ctx := context.Background()
	compared := map[string]int{}
	for _, c := range unchangedPlanCases(t, f, pools, rng) {
		schema := f.schemas.ResourceSchemas[c.typeName]
		typ := schema.ValueType()
		state := dynamicValueOf(t, typ, c.prior)
		config := dynamicValueOf(t, typ, c.config)
		for _, identity := range []*tfprotov6.ResourceIdentityData{nil, {IdentityData: c.identity}} {
			req := func() *tfprotov6.PlanResourceChangeRequest {
				return &tfprotov6.PlanResourceChangeRequest{TypeName: c.typeName, PriorState: state, ProposedNewState: state,
					Config: config, PriorPrivate: c.private, PriorIdentity: identity}
			}
			// The two are independent providers; a plan that waits for
			// the plans of a key's siblings (keyLedger) waits in both at once.
			var got, want *tfprotov6.PlanResourceChangeResponse
			var gotErr, wantErr error
			var wg sync.WaitGroup
			wg.Go(func() { got, gotErr = f.server.PlanResourceChange(ctx, req()) })
			wg.Go(func() { want, wantErr = framework.PlanResourceChange(ctx, req()) })
			wg.Wait()
			if gotErr != nil || wantErr != nil {
				t.Fatalf("%s: %v; the framework: %v", c.typeName, gotErr, wantErr)
			}
			identityType := f.identities.IdentitySchemas[c.typeName].ValueType()
			g, w := comparablePlan(t, typ, identityType, got), comparablePlan(t, typ, identityType, want)
			for field := range w {
				if g[field] != w[field] {
					t.Errorf("%s, prior state %s, configuration %s (identity sent: %v): %s\n provider  %s\n framework %s",
						c.typeName, c.prior, c.config, identity != nil, field, g[field], w[field])
				}
			}
			compared[c.typeName]++
		}
	}
	for name := range f.schemas.ResourceSchemas {
		if compared[name] == 0 {
			t.Errorf("no plan of %s was compared with the framework's", name)
		}
	}
	t.Logf("plans compared: %v", compared)
}

// planFixture is a configured provider server with one resource of every
// type created through it, and the schemas of their identities.
type planFixture struct {
	*rpcFixture
	identities *tfprotov6.GetResourceIdentitySchemasResponse
}

func newPlanFixture(t *testing.T) *planFixture {
	t.Helper()
	f := newRPCServer(t)
	k := newTestAgeKeys(t)
	weather := f.env.server(t, "weather")
	sa := f.create(t, "horizon_service_account", map[string]any{"name": "plain"})
	f.create(t, "horizon_service_account", map[string]any{"name": "full", "description": "d", "role": "admin", "disabled": true})
	f.create(t, "horizon_server_grant", map[string]any{"service_account_id": sa["id"], "server_id": weather.ID, "role": "user"})
	other := f.create(t, "horizon_service_account", map[string]any{"name": "other"})
	f.create(t, "horizon_server_grant", map[string]any{"service_account_id": other["id"], "server_id": weather.ID, "role": "viewer", "capabilities": []any{"tools", "prompts"}})
	f.create(t, "horizon_service_account_key", map[string]any{"service_account_id": sa["id"], "name": "plain"})
	f.create(t, "horizon_service_account_key", map[string]any{"service_account_id": other["id"], "name": "everything", "ttl": "720h",
		"grace_period": "1h", "keepers": map[string]any{"rotation": "1"}, "age_recipients": []any{k.ageRecipient}})
	f.create(t, "horizon_personal_api_key", map[string]any{"name": "laptop", "expires_at": f.env.clock.Now().Add(48 * time.Hour).Format(time.RFC3339)})
	f.create(t, "horizon_server", map[string]any{"name": "Fast", "slug": "fast", "description": "x"})
	f.create(t, "horizon_organization_settings", map[string]any{"default_server_role": "viewer"})
	identities, err := f.server.GetResourceIdentitySchemas(context.Background(), &tfprotov6.GetResourceIdentitySchemasRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return &planFixture{rpcFixture: f, identities: identities}
}

// frameworkServerAt is the framework's own server for the provider, with
// nothing of ours in front of it, configured for the Horizon at endpoint.
func frameworkServerAt(tb testing.TB, endpoint, apiKey string) tfprotov6.ProviderServer {
	tb.Helper()
	srv, err := providerserver.NewProtocol6WithError(&horizonProvider{version: "test"})()
	if err != nil {
		tb.Fatal(err)
	}
	configure(tb, srv, endpoint, apiKey)
	return srv
}

// unchangedPlanCase is a prior state, proposed unchanged, with a
// configuration that fits it.
type unchangedPlanCase struct {
	typeName      string
	prior, config tftypes.Value
	private       []byte
	identity      *tfprotov6.DynamicValue
}

// unchangedPlanCases are, for every resource the fixture created: its state
// as the provider wrote it; that state with each attribute the configuration
// may leave null changed out of band and left null; and states drawn at
// random, attribute by attribute, from the pools.
func unchangedPlanCases(t *testing.T, f *planFixture, pools map[string]map[string][]tftypes.Value, rng *mathrand.Rand) []unchangedPlanCase {
	t.Helper()
	const randomPerResource = 15
	var cases []unchangedPlanCase
	for _, r := range f.resources {
		block := f.schemas.ResourceSchemas[r.typeName].Block
		typ := f.schemas.ResourceSchemas[r.typeName].ValueType()
		written, err := r.state.Unmarshal(typ)
		if err != nil {
			t.Fatal(err)
		}
		var attrs map[string]tftypes.Value
		if err := written.As(&attrs); err != nil {
			t.Fatal(err)
		}
		add := func(prior map[string]tftypes.Value, leaveNull func(*tfprotov6.SchemaAttribute) bool) {
			config := map[string]tftypes.Value{}
			for _, a := range block.Attributes {
				switch {
				case a.Computed && !a.Optional, a.Optional && a.Computed && leaveNull(a):
					config[a.Name] = tftypes.NewValue(a.ValueType(), nil)
				default:
					config[a.Name] = prior[a.Name]
				}
			}
			cases = append(cases, unchangedPlanCase{typeName: r.typeName, prior: tftypes.NewValue(typ, prior),
				config: tftypes.NewValue(typ, config), private: r.private, identity: r.identity})
		}
		for _, leave := range []bool{false, true} {
			add(attrs, func(*tfprotov6.SchemaAttribute) bool { return leave })
		}
		for _, a := range block.Attributes {
			if !a.Optional || !a.Computed {
				continue
			}
			for _, v := range pools[r.typeName][a.Name] {
				if v.Equal(attrs[a.Name]) || v.IsNull() {
					continue
				}
				changed := maps.Clone(attrs)
				changed[a.Name] = v
				add(changed, func(b *tfprotov6.SchemaAttribute) bool { return b.Name == a.Name })
				break
			}
		}
		for range randomPerResource {
			prior := maps.Clone(attrs)
			for _, a := range block.Attributes {
				pool := pools[r.typeName][a.Name]
				if rng.IntN(2) == 0 && len(pool) > 0 {
					v := pool[rng.IntN(len(pool))]
					if v.IsNull() && a.Required {
						continue
					}
					prior[a.Name] = v
				}
			}
			add(prior, func(*tfprotov6.SchemaAttribute) bool { return rng.IntN(2) == 0 })
		}
	}
	return cases
}

// valuePools are, for each attribute of each resource type, the values a
// random state draws from: every value the fixture's states hold for it, and
// values of its type that the provider never writes there.
func valuePools(t *testing.T, f *planFixture) map[string]map[string][]tftypes.Value {
	t.Helper()
	seen := map[string]map[string][]tftypes.Value{}
	for _, r := range f.resources {
		typ := f.schemas.ResourceSchemas[r.typeName].ValueType()
		state, err := r.state.Unmarshal(typ)
		if err != nil {
			t.Fatal(err)
		}
		var attrs map[string]tftypes.Value
		_ = state.As(&attrs)
		if seen[r.typeName] == nil {
			seen[r.typeName] = map[string][]tftypes.Value{}
		}
		for name, v := range attrs {
			seen[r.typeName][name] = append(seen[r.typeName][name], v)
		}
	}
	now := f.env.clock.Now()
	strs := []string{"", "admin", "owner", "member", "viewer", "user", "active", "revoked", "expired", "1h", "168h",
		"out of band", now.Add(-time.Hour).Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339)}
	pools := map[string]map[string][]tftypes.Value{}
	for typeName, schema := range f.schemas.ResourceSchemas {
		pools[typeName] = map[string][]tftypes.Value{}
		for _, a := range schema.Block.Attributes {
			typ := a.ValueType()
			pool := append([]tftypes.Value{tftypes.NewValue(typ, nil)}, seen[typeName][a.Name]...)
			switch {
			case typ.Is(tftypes.String):
				for _, s := range strs {
					pool = append(pool, tftypes.NewValue(typ, s))
				}
			case typ.Is(tftypes.Bool):
				pool = append(pool, tftypes.NewValue(typ, true), tftypes.NewValue(typ, false))
			case typ.Is(tftypes.Number):
				pool = append(pool, tftypes.NewValue(typ, big.NewFloat(0)), tftypes.NewValue(typ, big.NewFloat(3)))
			case typ.Is(tftypes.Set{ElementType: tftypes.String}):
				pool = append(pool, tftypes.NewValue(typ, []tftypes.Value{}),
					tftypes.NewValue(typ, []tftypes.Value{tftypes.NewValue(tftypes.String, "tools")}),
					tftypes.NewValue(typ, []tftypes.Value{tftypes.NewValue(tftypes.String, "out of band")}))
			case typ.Is(tftypes.Map{ElementType: tftypes.String}):
				pool = append(pool, tftypes.NewValue(typ, map[string]tftypes.Value{}),
					tftypes.NewValue(typ, map[string]tftypes.Value{"rotation": tftypes.NewValue(tftypes.String, "2")}))
			default:
				t.Fatalf("%s.%s: no values of type %s to draw from", typeName, a.Name, typ)
			}
			pools[typeName][a.Name] = pool
		}
	}
	return pools
}

func dynamicValueOf(tb testing.TB, typ tftypes.Type, v tftypes.Value) *tfprotov6.DynamicValue {
	tb.Helper()
	dv, err := tfprotov6.NewDynamicValue(typ, v)
	if err != nil {
		tb.Fatal(err)
	}
	return &dv
}

// comparablePlan is every field of a plan's response, with the values that
// have more than one encoding decoded: states and identities as values,
// private state as the JSON object the framework reads (where nothing and
// an empty object are the same). A field that the protocol adds later is
// compared as it is.
func comparablePlan(t *testing.T, typ, identityType tftypes.Type, resp *tfprotov6.PlanResourceChangeResponse) map[string]string {
	t.Helper()
	out := map[string]string{}
	v := reflect.ValueOf(resp).Elem()
	for i := range v.NumField() {
		name := v.Type().Field(i).Name
		switch field := v.Field(i).Interface().(type) {
		case *tfprotov6.DynamicValue:
			out[name] = decoded(t, typ, field)
		case *tfprotov6.ResourceIdentityData:
			if field != nil {
				out[name] = decoded(t, identityType, field.IdentityData)
			} else {
				out[name] = "<nil>"
			}
		case []byte:
			out[name] = string(privateJSON(t, field))
		case []*tfprotov6.Diagnostic:
			var b bytes.Buffer
			for _, d := range field {
				fmt.Fprintf(&b, "%s|%s|%s|%v;", d.Severity, d.Summary, d.Detail, d.Attribute)
			}
			out[name] = b.String()
		default:
			out[name] = fmt.Sprintf("%#v", derefAll(v.Field(i)))
		}
	}
	return out
}

func decoded(t *testing.T, typ tftypes.Type, dv *tfprotov6.DynamicValue) string {
	if dv == nil {
		return "<nil>"
	}
	value, err := dv.Unmarshal(typ)
	if err != nil {
		t.Fatalf("decode %s: %v", typ, err)
	}
	return value.String()
}

func privateJSON(t *testing.T, private []byte) []byte {
	if len(private) == 0 {
		return []byte("{}")
	}
	var m map[string]any
	if err := json.Unmarshal(private, &m); err != nil {
		t.Fatalf("private state %q: %v", private, err)
	}
	b, _ := json.Marshal(m)
	return b
}

// derefAll prints what pointers point to, so that two equal answers built
// apart compare equal.
func derefAll(v reflect.Value) any {
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() == reflect.Slice {
		items := make([]any, v.Len())
		for i := range items {
			items[i] = derefAll(v.Index(i))
		}
		return items
	}
	return v.Interface()
}

// The shortcut answers the unchanged plan of every resource type as the
// provider wrote it: without this, a shortcut that always declined would
// pass TestUnchangedPlansMatchTheFramework.
func TestShortcutAnswersUnchangedPlansOfEveryResourceType(t *testing.T) {
	t.Parallel()
	f := newPlanFixture(t)
	fast := f.server.(*providerServer)
	answered := map[string]bool{}
	for _, r := range f.resources {
		if fast.steadyPlan(context.Background(), &tfprotov6.PlanResourceChangeRequest{TypeName: r.typeName, PriorState: r.state,
			ProposedNewState: r.state, Config: r.config, PriorPrivate: r.private}) != nil {
			answered[r.typeName] = true
		}
	}
	for name := range f.schemas.ResourceSchemas {
		if !answered[name] {
			t.Errorf("%s: the shortcut declined every unchanged plan", name)
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
	fast := f.server.(*providerServer)
	data := newProviderData(fast.provider.configured().client)
	fast.provider.data.Store(data)
	for _, r := range f.resources {
		if fast.steadyPlan(context.Background(), &tfprotov6.PlanResourceChangeRequest{TypeName: r.typeName, PriorState: r.state,
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

// The fast path takes only plans that propose no change, of resources that
// have nothing to decide then.
func TestFastPathDeclinesPlansWithSomethingToDecide(t *testing.T) {
	t.Parallel()
	f := newRPCServer(t)
	sa := f.create(t, "horizon_service_account", map[string]any{"name": "svc"})
	account := f.resources[0]
	f.create(t, "horizon_service_account_key", map[string]any{"service_account_id": sa["id"], "name": "renewing", "ttl": "720h", "renew_before": "168h"})
	renewing := f.resources[1]
	f.create(t, "horizon_service_account_key", map[string]any{"service_account_id": sa["id"], "name": "changing"})
	changing := f.resources[2]
	fast := f.server.(*providerServer)
	ctx := context.Background()

	if fast.steadyPlan(ctx, &tfprotov6.PlanResourceChangeRequest{TypeName: renewing.typeName, PriorState: renewing.state,
		ProposedNewState: renewing.state, Config: renewing.config}) != nil {
		t.Error("a key with renew_before must be planned by the key resource: renewal depends on the time")
	}
	if fast.steadyPlan(ctx, &tfprotov6.PlanResourceChangeRequest{TypeName: account.typeName, PriorState: account.state,
		ProposedNewState: account.state, Config: dynamicValue(t, f.schemas.ResourceSchemas[account.typeName].ValueType(),
			map[string]any{"name": "svc", "role": "admin"})}) == nil {
		t.Error("an account whose role the configuration sets, and holds, has nothing to decide")
	}
	raised := raisedAccount(t, f, account)
	if fast.steadyPlan(ctx, &tfprotov6.PlanResourceChangeRequest{TypeName: account.typeName, PriorState: raised,
		ProposedNewState: raised, Config: account.config}) != nil {
		t.Error("an account raised to admin by hand, whose role the configuration leaves to its default, must be planned back by the framework")
	}
	renamed := changing.config
	if fast.steadyPlan(ctx, &tfprotov6.PlanResourceChangeRequest{TypeName: changing.typeName, PriorState: changing.state,
		ProposedNewState: renamed, Config: renamed}) != nil {
		t.Error("a plan that proposes a change must go to the framework")
	}
	null := dynamicValue(t, f.schemas.ResourceSchemas[changing.typeName].ValueType(), nil)
	if fast.steadyPlan(ctx, &tfprotov6.PlanResourceChangeRequest{TypeName: changing.typeName, PriorState: changing.state,
		ProposedNewState: null}) != nil {
		t.Error("a destroy must go to the framework")
	}
	if fast.steadyPlan(ctx, &tfprotov6.PlanResourceChangeRequest{TypeName: changing.typeName, PriorState: null,
		ProposedNewState: null}) != nil {
		t.Error("a plan of nothing must go to the framework")
	}
}

// raisedAccount is an account's state with the role admin, as a refresh
// reads it after someone raised the role by hand.
func raisedAccount(t *testing.T, f *rpcFixture, account rpcResource) *tfprotov6.DynamicValue {
	t.Helper()
	typ := f.schemas.ResourceSchemas[account.typeName].ValueType()
	state, err := account.state.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	var attrs map[string]tftypes.Value
	if err := state.As(&attrs); err != nil {
		t.Fatal(err)
	}
	attrs["role"] = tftypes.NewValue(tftypes.String, "admin")
	return dynamicValueOf(t, typ, tftypes.NewValue(typ, attrs))
}

// terraform-plugin-go serves an optional RPC only when the server it serves
// implements that RPC's interface, so the wrapper must implement every
// interface of the protocol that the framework's server implements. The
// interfaces are read from terraform-plugin-go's source, so one that a later
// version adds is checked too.
func TestServerPassesOnEveryInterface(t *testing.T) {
	t.Parallel()
	pkg, err := importer.ForCompiler(token.NewFileSet(), "source", nil).Import("github.com/hashicorp/terraform-plugin-go/tfprotov6")
	if err != nil {
		t.Fatalf("reading tfprotov6's interfaces: %v", err)
	}
	framework, err := providerserver.NewProtocol6WithError(&horizonProvider{version: "test"})()
	if err != nil {
		t.Fatal(err)
	}
	wrapper, err := NewServer("test")()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, name := range pkg.Scope().Names() {
		obj, ok := pkg.Scope().Lookup(name).(*types.TypeName)
		if !ok || !obj.Exported() {
			continue
		}
		iface, ok := obj.Type().Underlying().(*types.Interface)
		if !ok || !strings.HasSuffix(name, "Server") && !strings.HasPrefix(name, "ProviderServerWith") {
			continue
		}
		if missing := missingMethods(framework, iface); len(missing) > 0 {
			continue // the framework does not serve it either
		}
		checked++
		if missing := missingMethods(wrapper, iface); len(missing) > 0 {
			t.Errorf("the framework's server implements tfprotov6.%s, the provider's server lacks %v: pass it on", name, missing)
		}
	}
	if checked < 3 {
		t.Fatalf("only %d interfaces of tfprotov6 checked: did its source change shape?", checked)
	}
}

// missingMethods are the methods of iface that v's type lacks.
func missingMethods(v any, iface *types.Interface) []string {
	typ := reflect.TypeOf(v)
	var missing []string
	for i := range iface.NumMethods() {
		if _, ok := typ.MethodByName(iface.Method(i).Name()); !ok {
			missing = append(missing, iface.Method(i).Name())
		}
	}
	return missing
}
