package provider

import (
	"context"
	"fmt"
	"reflect"
	"sort"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/defaults"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// The plan of a create, the other plan Terraform sends for every new
// resource (twice: once to plan, once more in the apply), without the
// framework's pipeline. For a create the framework takes the proposed new
// state, sets the default of every attribute that the configuration leaves
// null, marks every other computed attribute that the configuration leaves
// null unknown, runs each attribute's plan modifiers and then the resource's
// ModifyPlan. The first three steps walk the schema by path and rebuild its
// map of attributes at each lookup, which made them 55% of the provider's
// CPU in an apply from empty (BenchmarkCreateRPCs).
//
// A createPlanner does the same from what it learnt of the schema once: the
// defaults (static ones only), the computed attributes, and that every plan
// modifier does nothing on a create (UseStateForUnknown and RequiresReplace,
// which both return at once when there is no prior state). It then calls the
// resource's ModifyPlan itself, as the framework would: a fresh resource,
// configured with the provider's data. A resource type with anything else in
// its schema (blocks, nested or write-only attributes, another modifier or
// default) has no planner and is planned by the framework.
// TestCreatePlansMatchTheFramework proves the two answers equal for every
// resource type, over configurations of every attribute.
type createPlanner struct {
	newResource    func() resource.Resource
	schema         schema.Schema
	identitySchema tfsdk.ResourceIdentity // the null identity, with its schema
	objectType     tftypes.Object
	identityType   tftypes.Type
	// defaults are the values of the attributes with a default, and computed
	// names the computed attributes without one, which a create leaves unknown.
	defaults map[string]tftypes.Value
	computed map[string]bool
}

// noOpOnCreate are the plan modifiers that change nothing in the plan of a
// create: the framework's UseStateForUnknown and RequiresReplace (and the
// RequiresReplaceIf of which RequiresReplace is one) of each attribute kind
// the resources use.
var noOpOnCreate = map[reflect.Type]bool{
	reflect.TypeOf(stringplanmodifier.UseStateForUnknown()): true,
	reflect.TypeOf(stringplanmodifier.RequiresReplace()):    true,
	reflect.TypeOf(boolplanmodifier.UseStateForUnknown()):   true,
	reflect.TypeOf(boolplanmodifier.RequiresReplace()):      true,
	reflect.TypeOf(setplanmodifier.UseStateForUnknown()):    true,
	reflect.TypeOf(setplanmodifier.RequiresReplace()):       true,
	reflect.TypeOf(mapplanmodifier.UseStateForUnknown()):    true,
	reflect.TypeOf(mapplanmodifier.RequiresReplace()):       true,
}

// loadCreatePlanners learns a planner for each resource type whose schema
// allows one.
func loadCreatePlanners(ctx context.Context, p provider.Provider) map[string]*createPlanner {
	var meta provider.MetadataResponse
	p.Metadata(ctx, provider.MetadataRequest{}, &meta)
	planners := map[string]*createPlanner{}
	for _, newResource := range p.Resources(ctx) {
		r := newResource()
		var md resource.MetadataResponse
		r.Metadata(ctx, resource.MetadataRequest{ProviderTypeName: meta.TypeName}, &md)
		if planner := newCreatePlanner(ctx, newResource); planner != nil {
			planners[md.TypeName] = planner
		}
	}
	return planners
}

// newCreatePlanner returns the planner of the resource that newResource
// makes, or nil if its schema has something the planner does not know.
func newCreatePlanner(ctx context.Context, newResource func() resource.Resource) *createPlanner {
	r := newResource()
	withIdentity, ok := r.(resource.ResourceWithIdentity)
	if !ok {
		return nil
	}
	var s resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &s)
	var id resource.IdentitySchemaResponse
	withIdentity.IdentitySchema(ctx, resource.IdentitySchemaRequest{}, &id)
	if s.Diagnostics.HasError() || id.Diagnostics.HasError() || len(s.Schema.Blocks) > 0 {
		return nil
	}
	identityType := id.IdentitySchema.Type().TerraformType(ctx)
	planner := &createPlanner{
		newResource:    newResource,
		schema:         s.Schema,
		identitySchema: tfsdk.ResourceIdentity{Schema: id.IdentitySchema, Raw: tftypes.NewValue(identityType, nil)},
		identityType:   identityType,
		defaults:       map[string]tftypes.Value{},
		computed:       map[string]bool{},
	}
	objectType, ok := s.Schema.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		return nil
	}
	planner.objectType = objectType
	for name, a := range s.Schema.Attributes {
		modifiers, def, known := attributePlanning(a)
		if !known || a.IsWriteOnly() {
			return nil
		}
		for _, m := range modifiers {
			if !noOpOnCreate[reflect.TypeOf(m)] {
				return nil
			}
		}
		if def != nil {
			v, ok := def(ctx, path.Root(name))
			if !ok {
				return nil
			}
			planner.defaults[name] = v
		} else if a.IsComputed() {
			planner.computed[name] = true
		}
	}
	return planner
}

// defaultOf computes an attribute's default, and says whether it could.
type defaultOf func(context.Context, path.Path) (tftypes.Value, bool)

// attributePlanning returns an attribute's plan modifiers and default, and
// false for a kind of attribute the planner does not know, or a default that
// is not static.
func attributePlanning(a schema.Attribute) (modifiers []any, def defaultOf, known bool) {
	switch a := a.(type) {
	case schema.StringAttribute:
		if a.Default != nil && !isStatic(a.Default) {
			return nil, nil, false
		}
		if a.Default != nil {
			def = func(ctx context.Context, p path.Path) (tftypes.Value, bool) {
				var resp defaults.StringResponse
				a.Default.DefaultString(ctx, defaults.StringRequest{Path: p}, &resp)
				v, err := resp.PlanValue.ToTerraformValue(ctx)
				return v, err == nil && !resp.Diagnostics.HasError()
			}
		}
		return anys(a.PlanModifiers), def, a.CustomType == nil
	case schema.BoolAttribute:
		if a.Default != nil && !isStatic(a.Default) {
			return nil, nil, false
		}
		if a.Default != nil {
			def = func(ctx context.Context, p path.Path) (tftypes.Value, bool) {
				var resp defaults.BoolResponse
				a.Default.DefaultBool(ctx, defaults.BoolRequest{Path: p}, &resp)
				v, err := resp.PlanValue.ToTerraformValue(ctx)
				return v, err == nil && !resp.Diagnostics.HasError()
			}
		}
		return anys(a.PlanModifiers), def, a.CustomType == nil
	case schema.SetAttribute:
		if a.Default != nil && !isStatic(a.Default) {
			return nil, nil, false
		}
		if a.Default != nil {
			def = func(ctx context.Context, p path.Path) (tftypes.Value, bool) {
				var resp defaults.SetResponse
				a.Default.DefaultSet(ctx, defaults.SetRequest{Path: p}, &resp)
				v, err := resp.PlanValue.ToTerraformValue(ctx)
				return v, err == nil && !resp.Diagnostics.HasError()
			}
		}
		return anys(a.PlanModifiers), def, a.CustomType == nil
	case schema.MapAttribute:
		if a.Default != nil {
			return nil, nil, false
		}
		return anys(a.PlanModifiers), nil, a.CustomType == nil
	default:
		return nil, nil, false
	}
}

// staticDefaults are the framework's static defaults, the only ones a
// planner takes: it computes each default once.
var staticDefaults = map[reflect.Type]bool{
	reflect.TypeOf(stringdefault.StaticString("")):                          true,
	reflect.TypeOf(booldefault.StaticBool(false)):                           true,
	reflect.TypeOf(setdefault.StaticValue(types.SetNull(types.StringType))): true,
}

func isStatic(d any) bool { return staticDefaults[reflect.TypeOf(d)] }

func anys[T any](s []T) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// createPlan answers the plan of a create, or returns nil to leave the plan
// to the framework: not a create, a resource type without a planner, a
// provider not yet configured, or a request with private state or an
// identity (which a create does not have).
func (s *fastPlanServer) createPlan(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) *tfprotov6.PlanResourceChangeResponse {
	s.load(ctx)
	planner := s.creates[req.TypeName]
	data := s.provider.configured()
	if planner == nil || data == nil || !isNullState(req.PriorState) || req.ProposedNewState == nil || req.Config == nil ||
		len(req.ProposedNewState.JSON) > 0 || len(req.Config.JSON) > 0 || len(req.PriorPrivate) > 0 {
		return nil
	}
	if req.PriorIdentity != nil && req.PriorIdentity.IdentityData != nil {
		prior, err := req.PriorIdentity.IdentityData.Unmarshal(planner.identityType)
		if err != nil || !prior.IsNull() {
			return nil
		}
	}
	proposed, err := req.ProposedNewState.Unmarshal(planner.objectType)
	if err != nil {
		return nil
	}
	config, err := req.Config.Unmarshal(planner.objectType)
	if err != nil {
		return nil
	}
	var attrs, configured map[string]tftypes.Value
	if proposed.As(&attrs) != nil || config.As(&configured) != nil || attrs == nil || configured == nil {
		return nil
	}
	for name, v := range configured {
		if !v.IsNull() {
			continue
		}
		if d, ok := planner.defaults[name]; ok {
			attrs[name] = d
		} else if planner.computed[name] {
			attrs[name] = tftypes.NewValue(planner.objectType.AttributeTypes[name], tftypes.UnknownValue)
		}
	}
	return s.modifyCreatePlan(ctx, req, planner, data, tftypes.NewValue(planner.objectType, attrs), config)
}

// modifyCreatePlan configures a fresh resource, runs its ModifyPlan on the
// plan, and answers with what it made, as the framework does. From here on
// the plan is answered: a ModifyPlan records what it planned, so it must not
// run twice.
func (s *fastPlanServer) modifyCreatePlan(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest, planner *createPlanner,
	data *providerData, planned, config tftypes.Value,
) *tfprotov6.PlanResourceChangeResponse {
	// As the framework's contexts are, this one is cancelled when Terraform
	// stops the provider.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(s.stopped, cancel)()

	r := planner.newResource()
	var diags diag.Diagnostics
	if configurable, ok := r.(resource.ResourceWithConfigure); ok {
		var resp resource.ConfigureResponse
		configurable.Configure(ctx, resource.ConfigureRequest{ProviderData: data}, &resp)
		diags.Append(resp.Diagnostics...)
		if diags.HasError() {
			return &tfprotov6.PlanResourceChangeResponse{Diagnostics: protoDiagnostics(ctx, diags)}
		}
	}
	plan := tfsdk.Plan{Schema: planner.schema, Raw: planned}
	identity := planner.identitySchema
	resp := resource.ModifyPlanResponse{Diagnostics: diags, Plan: plan, RequiresReplace: path.Paths{}, Identity: &identity}
	if modifier, ok := r.(resource.ResourceWithModifyPlan); ok {
		priorIdentity := planner.identitySchema
		modifier.ModifyPlan(ctx, resource.ModifyPlanRequest{
			ClientCapabilities: resource.ModifyPlanClientCapabilities{
				DeferralAllowed: req.ClientCapabilities != nil && req.ClientCapabilities.DeferralAllowed,
			},
			Config:   tfsdk.Config{Schema: planner.schema, Raw: config},
			Plan:     plan,
			State:    tfsdk.State{Schema: planner.schema, Raw: tftypes.NewValue(planner.objectType, nil)},
			Identity: &priorIdentity,
			// Private stays nil: a create has none, and a ModifyPlan that
			// wrote some would get an error from SetKey rather than lose it.
		}, &resp)
	}

	out := &tfprotov6.PlanResourceChangeResponse{Diagnostics: protoDiagnostics(ctx, resp.Diagnostics)}
	if resp.Deferred != nil {
		out.Deferred = &tfprotov6.Deferred{Reason: tfprotov6.DeferredReason(resp.Deferred.Reason)}
	}
	state, err := tfprotov6.NewDynamicValue(planner.objectType, resp.Plan.Raw)
	if err != nil {
		out.Diagnostics = append(out.Diagnostics, encodingDiagnostic("planned state", err))
		return out
	}
	out.PlannedState = &state
	if resp.Identity != nil {
		id, err := tfprotov6.NewDynamicValue(planner.identityType, resp.Identity.Raw)
		if err != nil {
			out.Diagnostics = append(out.Diagnostics, encodingDiagnostic("planned identity", err))
			return out
		}
		out.PlannedIdentity = &tfprotov6.ResourceIdentityData{IdentityData: &id}
	}
	replace := append(path.Paths(nil), resp.RequiresReplace...)
	sort.Slice(replace, func(i, j int) bool { return replace[i].String() < replace[j].String() })
	for i, p := range replace {
		if i > 0 && p.Equal(replace[i-1]) {
			continue
		}
		tp, err := attributePath(ctx, p)
		if err != nil {
			out.Diagnostics = append(out.Diagnostics, encodingDiagnostic("attribute path "+p.String(), err))
			continue
		}
		out.RequiresReplace = append(out.RequiresReplace, tp)
	}
	return out
}

// isNullState is a state that holds no resource: none sent, or null.
func isNullState(v *tfprotov6.DynamicValue) bool {
	return v == nil || len(v.JSON) == 0 && (len(v.MsgPack) == 0 || string(v.MsgPack) == string(nullMsgPack))
}

func encodingDiagnostic(what string, err error) *tfprotov6.Diagnostic {
	return &tfprotov6.Diagnostic{Severity: tfprotov6.DiagnosticSeverityError, Summary: "Error Encoding Plan",
		Detail: "The provider could not encode the " + what + " of its plan. This is always a problem with the provider; please report it.\n\n" + err.Error()}
}

// protoDiagnostics converts diagnostics as the framework does.
func protoDiagnostics(ctx context.Context, diags diag.Diagnostics) []*tfprotov6.Diagnostic {
	var out []*tfprotov6.Diagnostic
	for _, d := range diags {
		pd := &tfprotov6.Diagnostic{Summary: d.Summary(), Detail: d.Detail(), Severity: tfprotov6.DiagnosticSeverityInvalid}
		switch d.Severity() {
		case diag.SeverityError:
			pd.Severity = tfprotov6.DiagnosticSeverityError
		case diag.SeverityWarning:
			pd.Severity = tfprotov6.DiagnosticSeverityWarning
		}
		if withPath, ok := d.(diag.DiagnosticWithPath); ok {
			p, err := attributePath(ctx, withPath.Path())
			if err != nil {
				out = append(out, encodingDiagnostic("attribute path "+withPath.Path().String(), err))
			}
			pd.Attribute = p
		}
		out = append(out, pd)
	}
	return out
}

// attributePath converts a path as the framework does.
func attributePath(ctx context.Context, p path.Path) (*tftypes.AttributePath, error) {
	var steps []tftypes.AttributePathStep
	for _, step := range p.Steps() {
		switch step := step.(type) {
		case path.PathStepAttributeName:
			steps = append(steps, tftypes.AttributeName(string(step)))
		case path.PathStepElementKeyInt:
			steps = append(steps, tftypes.ElementKeyInt(int64(step)))
		case path.PathStepElementKeyString:
			steps = append(steps, tftypes.ElementKeyString(string(step)))
		case path.PathStepElementKeyValue:
			v, err := step.ToTerraformValue(ctx)
			if err != nil {
				return nil, err
			}
			steps = append(steps, tftypes.ElementKeyValue(v))
		default:
			return nil, fmt.Errorf("unknown path step %#v", step)
		}
	}
	return tftypes.NewAttributePathWithSteps(steps), nil
}
