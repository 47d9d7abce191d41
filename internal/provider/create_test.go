package provider

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"maps"
	mathrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/horizonhq/terraform-provider-horizon/internal/client"
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
	cases := createCases(options, 8, mathrand.New(mathrand.NewPCG(1, 2)))
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

// createCases are the configurations of each resource type's creates, from
// each attribute's values: every value of every attribute at least once.
func createCases(options map[string]map[string][]any, random int, rng *mathrand.Rand) []createCase {
	var cases []createCase
	for _, typeName := range sortedKeys(options) {
		for _, config := range configurations(options[typeName], random, func(values []any) any { return values[rng.IntN(len(values))] }) {
			cases = append(cases, createCase{typeName, config})
		}
	}
	return cases
}

// configurations gives every value of every attribute at least once, in
// rotation, then random more configurations, each attribute's value from
// pick, in the order of the attributes' names (so that a seed repeats them).
func configurations(options map[string][]any, random int, pick func(values []any) any) []map[string]any {
	rotations := 0
	for _, values := range options {
		rotations = max(rotations, len(values))
	}
	var configs []map[string]any
	for i := range rotations + random {
		config := map[string]any{}
		for _, name := range sortedKeys(options) {
			values := options[name]
			if i < rotations {
				config[name] = values[i%len(values)]
			} else {
				config[name] = pick(values)
			}
		}
		configs = append(configs, config)
	}
	return configs
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
	compareIdentities(t, name+": planned identity", identityType, got.PlannedIdentity, want.PlannedIdentity)
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
			t.Errorf("%s has no create planner: its schema has something newCreatePath does not know", typeName)
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

// replayedHorizon lets two providers see the same Horizon: the requests that
// reach its record endpoint go to the reference server, and their answers
// are kept in order, by method, path, query and body; the replay endpoint
// answers each request with the next answer recorded for it, and with a 599
// for one that was never recorded. A provider that sends the requests of the
// recorded one gets its answers, ids and secrets included.
type replayedHorizon struct {
	record, replay *httptest.Server
	mu             sync.Mutex
	answers        map[string][]recordedAnswer
	unrecorded     []string
}

type recordedAnswer struct {
	status int
	header http.Header
	body   []byte
}

func newReplayedHorizon(t *testing.T, target string) *replayedHorizon {
	h := &replayedHorizon{answers: map[string][]recordedAnswer{}}
	h.record = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, err := http.NewRequestWithContext(r.Context(), r.Method, target+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		req.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		answer := recordedAnswer{status: resp.StatusCode, header: resp.Header.Clone()}
		answer.body, _ = io.ReadAll(resp.Body)
		h.mu.Lock()
		key := requestKey(r, body)
		h.answers[key] = append(h.answers[key], answer)
		h.mu.Unlock()
		answer.write(w)
	}))
	h.replay = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		key := requestKey(r, body)
		h.mu.Lock()
		answers := h.answers[key]
		if len(answers) == 0 {
			h.unrecorded = append(h.unrecorded, key)
			h.mu.Unlock()
			http.Error(w, "not recorded", 599)
			return
		}
		h.answers[key] = answers[1:]
		h.mu.Unlock()
		answers[0].write(w)
	}))
	t.Cleanup(h.record.Close)
	t.Cleanup(h.replay.Close)
	return h
}

func requestKey(r *http.Request, body []byte) string {
	return r.Method + " " + r.URL.RequestURI() + "\n" + string(body)
}

func (a recordedAnswer) write(w http.ResponseWriter) {
	for k, v := range a.header {
		w.Header()[k] = v
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// left is what the replay has not used up, and what it could not answer.
func (h *replayedHorizon) left() (unused, unrecorded []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for key, answers := range h.answers {
		for range answers {
			unused = append(unused, key)
		}
	}
	h.answers = map[string][]recordedAnswer{}
	unrecorded, h.unrecorded = h.unrecorded, nil
	return unused, unrecorded
}

// The apply of a create must answer exactly as the framework would, given
// the same answers from Horizon: for every resource type the fast path
// creates, over configurations that give each attribute each known value,
// and for the creates that fail (a name or slug taken, an owner that does
// not exist, an owner at its key limit, a grant that exists). The framework
// plans and creates through the recording endpoint of a replayedHorizon,
// then the fast path, in a fresh provider, through its replay.
func TestCreateAppliesMatchTheFramework(t *testing.T) {
	t.Parallel()
	f := newRPCServer(t)
	k := newTestAgeKeys(t)
	ctx := context.Background()
	h := newReplayedHorizon(t, f.env.srv.URL())
	weather := f.env.server(t, "weather").ID
	later := f.env.clock.Now().Add(48 * time.Hour).Format(time.RFC3339)
	full := f.create(t, "horizon_service_account", map[string]any{"name": "full"})["id"]
	f.create(t, "horizon_service_account_key", map[string]any{"service_account_id": full, "name": "one"})
	f.create(t, "horizon_service_account_key", map[string]any{"service_account_id": full, "name": "two"})
	taken := f.create(t, "horizon_service_account", map[string]any{"name": "taken", "role": "member"})["id"]
	f.create(t, "horizon_server_grant", map[string]any{"service_account_id": taken, "server_id": weather, "role": "user"})

	// A new service account for each case that needs an owner: "member",
	// "admin", or "deleted" for one deleted between the plan and the apply.
	account := func(role string) any {
		if role == "deleted" {
			role = "member"
		}
		sa, err := f.env.api.CreateServiceAccount(ctx, client.CreateServiceAccountRequest{Name: "owner-" + rand.Text()[:10], Role: role})
		if err != nil {
			t.Fatal(err)
		}
		return sa.ID
	}
	options := map[string]map[string][]any{
		"horizon_service_account": {
			"description": {nil, "", "described"},
			"role":        {nil, "admin", "member", "viewer"},
			"disabled":    {nil, true, false},
		},
		"horizon_server_grant": {
			"service_account_id": {"member", "admin", "deleted"},
			"role":               {"user", "viewer"},
			"capabilities":       {nil, []any{"tools"}, []any{"tools", "prompts"}},
		},
		"horizon_service_account_key": {
			"service_account_id": {"member", "deleted"},
			"expires_at":         {nil, later},
			"ttl":                {nil, "720h"},
			"keepers":            {nil, map[string]any{"rotation": "1"}},
			"grace_period":       {nil, "1h"},
			"age_recipients":     {nil, []any{k.ageRecipient}},
		},
		"horizon_personal_api_key": {
			"expires_at":     {nil, later},
			"ttl":            {nil, "720h"},
			"age_recipients": {nil, []any{k.ageRecipient}},
		},
		"horizon_server": {
			"description": {nil, "", "x"},
		},
	}
	cases := createCases(options, 2, mathrand.New(mathrand.NewPCG(3, 4)))
	cases = append(cases,
		createCase{"horizon_service_account", map[string]any{"name": "taken"}},
		createCase{"horizon_server", map[string]any{"name": "Weather again", "slug": "weather"}},
		createCase{"horizon_server_grant", map[string]any{"service_account_id": taken, "server_id": weather, "role": "user"}},
		createCase{"horizon_service_account_key", map[string]any{"service_account_id": full, "name": "three"}},
	)

	covered := map[string]bool{}
	said := map[string]bool{}
	for i, c := range cases {
		config := maps.Clone(c.config)
		deleted := config["service_account_id"] == "deleted"
		if role, ok := config["service_account_id"].(string); ok && !strings.HasPrefix(role, "sa_") {
			config["service_account_id"] = account(role)
		}
		switch c.typeName {
		case "horizon_service_account", "horizon_service_account_key", "horizon_personal_api_key":
			if config["name"] == nil {
				config["name"] = fmt.Sprintf("apply-%d", i)
			}
		case "horizon_server":
			if config["slug"] == nil {
				config["name"], config["slug"] = fmt.Sprintf("Apply %d", i), fmt.Sprintf("apply-%d", i)
			}
		case "horizon_server_grant":
			config["server_id"] = weather
		}
		name := fmt.Sprintf("%s %v", c.typeName, config)
		typ := f.schemas.ResourceSchemas[c.typeName].ValueType()
		cfg := dynamicValue(t, typ, config)
		null := dynamicValue(t, typ, nil)
		planReq := &tfprotov6.PlanResourceChangeRequest{TypeName: c.typeName, PriorState: null, ProposedNewState: cfg, Config: cfg}

		framework, _ := configuredServerAt(t, h.record.URL, f.env.srv.BootstrapKey())
		wantPlan, err := framework.frameworkServer.PlanResourceChange(ctx, planReq)
		if err != nil || hasError(wantPlan.Diagnostics) {
			t.Fatalf("%s: the framework's plan: %v %s", name, err, diagnosticsText(wantPlan.Diagnostics))
		}
		if deleted {
			if err := f.env.api.DeleteServiceAccount(ctx, config["service_account_id"].(string)); err != nil {
				t.Fatal(err)
			}
		}
		applyReq := &tfprotov6.ApplyResourceChangeRequest{TypeName: c.typeName, PriorState: null, PlannedState: wantPlan.PlannedState,
			Config: cfg, PlannedPrivate: wantPlan.PlannedPrivate, PlannedIdentity: wantPlan.PlannedIdentity}
		want, err := framework.frameworkServer.ApplyResourceChange(ctx, applyReq)
		if err != nil {
			t.Fatalf("%s: the framework's apply: %v", name, err)
		}

		fast, _ := configuredServerAt(t, h.replay.URL, f.env.srv.BootstrapKey())
		if plan, err := fast.PlanResourceChange(ctx, planReq); err != nil || !bytes.Equal(plan.PlannedState.MsgPack, wantPlan.PlannedState.MsgPack) {
			t.Fatalf("%s: the fast path planned differently: %v", name, err)
		}
		got := fast.createApply(ctx, applyReq)
		if got == nil {
			t.Errorf("%s: the fast path declined a create", name)
			continue
		}
		if unused, unrecorded := h.left(); len(unused) > 0 || len(unrecorded) > 0 {
			t.Errorf("%s: the fast path sent other requests than the framework: not sent %q, not recorded %q", name, unused, unrecorded)
		}
		compareCreateApplies(t, name, typ, fast.creates[c.typeName].identityType, k.ageIdentity, got, want)
		covered[c.typeName] = true
		for _, d := range want.Diagnostics {
			said[d.Summary] = true
		}
	}
	for typeName, c := range f.server.(*fastPlanServer).creates {
		if c.applies && !covered[typeName] {
			t.Errorf("no create of %s was compared with the framework's", typeName)
		}
	}
	for _, summary := range []string{"Service Account Name Taken", "Service Account Not Found", "Service Account Key Limit Reached"} {
		if !said[summary] {
			t.Errorf("no create said %q: the comparison missed the creates that fail (said %v)", summary, sortedKeys(said))
		}
	}
}

// compareCreateApplies reports how the fast path's apply differs from the
// framework's. An encrypted secret is compared by what it decrypts to: age
// encrypts with a fresh key each time.
func compareCreateApplies(t *testing.T, name string, typ, identityType tftypes.Type, identity string, got, want *tfprotov6.ApplyResourceChangeResponse) {
	t.Helper()
	if g, w := diagnosticsList(got.Diagnostics), diagnosticsList(want.Diagnostics); !slices.Equal(g, w) {
		t.Errorf("%s: diagnostics\n fast      %q\n framework %q", name, g, w)
	}
	if (got.NewState == nil) != (want.NewState == nil) {
		t.Fatalf("%s: new state %v, the framework's %v", name, got.NewState, want.NewState)
	}
	if want.NewState != nil {
		gotState, err1 := got.NewState.Unmarshal(typ)
		wantState, err2 := want.NewState.Unmarshal(typ)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v %v", name, err1, err2)
		}
		g, w := decryptedState(t, gotState, identity), decryptedState(t, wantState, identity)
		if !g.Equal(w) {
			t.Errorf("%s: new state\n fast      %s\n framework %s", name, g, w)
		}
	}
	if !samePrivate(got.Private, want.Private) {
		t.Errorf("%s: private %q, the framework's %q", name, got.Private, want.Private)
	}
	compareIdentities(t, name+": new identity", identityType, got.NewIdentity, want.NewIdentity)
}

// compareIdentities reports an identity of the fast path's that differs
// from the framework's.
func compareIdentities(t *testing.T, what string, identityType tftypes.Type, got, want *tfprotov6.ResourceIdentityData) {
	t.Helper()
	if (got == nil) != (want == nil) {
		t.Errorf("%s %v, the framework's %v", what, got, want)
		return
	}
	if want == nil {
		return
	}
	gotID, _ := got.IdentityData.Unmarshal(identityType)
	wantID, _ := want.IdentityData.Unmarshal(identityType)
	if !gotID.Equal(wantID) {
		t.Errorf("%s %s, the framework's %s", what, gotID, wantID)
	}
}

// decryptedState is a state with its encrypted_secret, if it has one,
// replaced by what it decrypts to.
func decryptedState(t *testing.T, state tftypes.Value, identity string) tftypes.Value {
	t.Helper()
	var attrs map[string]tftypes.Value
	if state.As(&attrs) != nil {
		return state
	}
	var armored string
	if v, ok := attrs["encrypted_secret"]; !ok || !v.IsKnown() || v.IsNull() || v.As(&armored) != nil {
		return state
	}
	secret, err := decryptSecret(armored, identity)
	if err != nil {
		t.Fatalf("decrypting encrypted_secret: %v", err)
	}
	attrs["encrypted_secret"] = tftypes.NewValue(tftypes.String, "decrypts to "+secret)
	return tftypes.NewValue(state.Type(), attrs)
}

// The organization's settings remember in private state what they replace,
// which only the framework can carry: the framework creates them.
func TestCreateApplyLeavesPrivateStateToTheFramework(t *testing.T) {
	t.Parallel()
	f := newRPCServer(t)
	fast := f.server.(*fastPlanServer)
	typ := f.schemas.ResourceSchemas["horizon_organization_settings"].ValueType()
	cfg := dynamicValue(t, typ, map[string]any{"default_server_role": "viewer"})
	null := dynamicValue(t, typ, nil)
	planned, err := fast.PlanResourceChange(context.Background(), &tfprotov6.PlanResourceChangeRequest{TypeName: "horizon_organization_settings",
		PriorState: null, ProposedNewState: cfg, Config: cfg})
	if err != nil || hasError(planned.Diagnostics) {
		t.Fatalf("plan: %v %s", err, diagnosticsText(planned.Diagnostics))
	}
	if fast.createApply(context.Background(), &tfprotov6.ApplyResourceChangeRequest{TypeName: "horizon_organization_settings",
		PriorState: null, PlannedState: planned.PlannedState, Config: cfg}) != nil {
		t.Fatal("the fast path created the organization's settings, whose Create writes private state")
	}
	applied, err := fast.ApplyResourceChange(context.Background(), &tfprotov6.ApplyResourceChangeRequest{TypeName: "horizon_organization_settings",
		PriorState: null, PlannedState: planned.PlannedState, Config: cfg})
	if err != nil || hasError(applied.Diagnostics) || !strings.Contains(string(applied.Private), privatePrevious) {
		t.Fatalf("the framework's create: %v %s, private %q", err, diagnosticsText(applied.Diagnostics), applied.Private)
	}
}

// As the framework's, the fast paths' calls under way are cancelled when
// Terraform stops the provider, and calls that begin after the stop are not.
func TestFastPathsStopWithTheProvider(t *testing.T) {
	t.Parallel()
	srv, _ := configuredServer(t, newTestEnv(t))
	during, cancel := srv.stoppable(context.Background())
	defer cancel()
	if _, err := srv.StopProvider(context.Background(), &tfprotov6.StopProviderRequest{}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-during.Done():
	case <-time.After(10 * time.Second):
		t.Error("a call under way when the provider stopped was not cancelled")
	}
	after, cancel := srv.stoppable(context.Background())
	defer cancel()
	select {
	case <-after.Done():
		t.Errorf("a call that began after the stop was cancelled: %v", after.Err())
	case <-time.After(200 * time.Millisecond):
	}
}
