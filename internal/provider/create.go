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

// Creates without the framework's pipeline: the plan of a create, which
// Terraform sends twice for every new resource (once to plan, once more in
// the apply), and the apply of a create.
//
// For the plan of a create the framework takes the proposed new state, sets
// the default of every attribute that the configuration leaves null, marks
// every other computed attribute that the configuration leaves null unknown,
// runs each attribute's plan modifiers and then the resource's ModifyPlan.
// The first three steps walk the schema by path and rebuild its map of
// attributes at each lookup, which made them 55% of the provider's CPU in an
// apply from empty (BenchmarkCreateRPCs). A createPath does the same from
// what it learnt of the schema once: the defaults (static ones only), the
// computed attributes, and that every plan modifier does nothing on a create
// (UseStateForUnknown and RequiresReplace, which both return at once when
// there is no prior state). It then calls the resource's ModifyPlan itself,
// as the framework would: a fresh resource, configured with the provider's
// data.
//
// For the apply of a create the framework calls the resource's Create, and
// then checks that it returned a state and an identity, applies semantic
// equality (which changes nothing without custom types) and nulls
// write-only attributes (there are none); with its conversions that was 40%
// of the provider's CPU in an apply from empty once creates were planned
// here. A createPath calls Create and makes the same checks.
//
// A resource type with anything else in its schema (blocks, nested,
// write-only or custom-typed attributes, another modifier or default) has no
// createPath and is planned, created and validated by the framework, as is
// a create with private state or an identity. (What a createPath knows of a
// schema also serves the validation of configurations, validate.go.)
// TestCreatePlansMatchTheFramework and TestCreateAppliesMatchTheFramework
// prove the answers equal to the framework's for every resource type, over
// configurations of every attribute.
type createPath struct {
	newResource    func() resource.Resource
	schema         schema.Schema
	identitySchema tfsdk.ResourceIdentity // the null identity, with its schema
	objectType     tftypes.Object
	identityType   tftypes.Type
	// defaults are the values of the attributes with a default, and computed
	// names the computed attributes without one, which a create leaves unknown.
	defaults map[string]tftypes.Value
	computed map[string]bool
	// attributeNames are the schema's attribute names, in order.
	attributeNames []string
	// applies is false for a resource whose Create writes private state,
	// which only the framework can carry (privateStateOnCreate).
	applies bool
}

// privateStateOnCreate is a resource whose Create writes private state. The
// fast path hands a Create no private state to write (the framework's type
// for it is internal to the framework), so such a resource is created by the
// framework; a Create that wrote some anyway would fail loudly rather than
// lose it.
type privateStateOnCreate interface {
	writesPrivateStateOnCreate()
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

// loadCreatePaths learns the createPath of each resource type whose schema
// allows one.
func loadCreatePaths(ctx context.Context, p provider.Provider) map[string]*createPath {
	var meta provider.MetadataResponse
	p.Metadata(ctx, provider.MetadataRequest{}, &meta)
	paths := map[string]*createPath{}
	for _, newResource := range p.Resources(ctx) {
		r := newResource()
		var md resource.MetadataResponse
		r.Metadata(ctx, resource.MetadataRequest{ProviderTypeName: meta.TypeName}, &md)
		if c := newCreatePath(ctx, newResource); c != nil {
			paths[md.TypeName] = c
		}
	}
	return paths
}

// newCreatePath returns the createPath of the resource that newResource
// makes, or nil if its schema has something it does not know.
func newCreatePath(ctx context.Context, newResource func() resource.Resource) *createPath {
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
	_, writesPrivate := r.(privateStateOnCreate)
	c := &createPath{
		applies:        !writesPrivate,
		newResource:    newResource,
		schema:         s.Schema,
		identitySchema: tfsdk.ResourceIdentity{Schema: id.IdentitySchema, Raw: tftypes.NewValue(identityType, nil)},
		identityType:   identityType,
		defaults:       map[string]tftypes.Value{},
		computed:       map[string]bool{},
		attributeNames: sortedAttributeNames(s.Schema),
	}
	objectType, ok := s.Schema.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		return nil
	}
	c.objectType = objectType
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
			c.defaults[name] = v
		} else if a.IsComputed() {
			c.computed[name] = true
		}
	}
	return c
}

// defaultOf computes an attribute's default, and says whether it could.
type defaultOf func(context.Context, path.Path) (tftypes.Value, bool)

// attributePlanning returns an attribute's plan modifiers and default, and
// false for a kind of attribute a createPath does not know, or a default
// that is not static.
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
// createPath takes: it computes each default once.
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
// to the framework: not a create, a resource type without a createPath, a
// provider not yet configured, or a request with private state or an
// identity (which a create does not have).
func (s *fastPlanServer) createPlan(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) *tfprotov6.PlanResourceChangeResponse {
	s.load(ctx)
	c := s.creates[req.TypeName]
	data := s.provider.configured()
	if c == nil || data == nil || !isNullState(req.PriorState) || req.ProposedNewState == nil || req.Config == nil ||
		len(req.ProposedNewState.JSON) > 0 || len(req.Config.JSON) > 0 || len(req.PriorPrivate) > 0 {
		return nil
	}
	if !c.nullIdentityIn(req.PriorIdentity) {
		return nil
	}
	proposed, err := req.ProposedNewState.Unmarshal(c.objectType)
	if err != nil {
		return nil
	}
	config, err := req.Config.Unmarshal(c.objectType)
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
		if d, ok := c.defaults[name]; ok {
			attrs[name] = d
		} else if c.computed[name] {
			attrs[name] = tftypes.NewValue(c.objectType.AttributeTypes[name], tftypes.UnknownValue)
		}
	}
	return s.modifyCreatePlan(ctx, req, c, data, tftypes.NewValue(c.objectType, attrs), config)
}

// modifyCreatePlan configures a fresh resource, runs its ModifyPlan on the
// plan, and answers with what it made, as the framework does. From here on
// the plan is answered: a ModifyPlan records what it planned, so it must not
// run twice.
func (s *fastPlanServer) modifyCreatePlan(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest, c *createPath,
	data *providerData, planned, config tftypes.Value,
) *tfprotov6.PlanResourceChangeResponse {
	ctx, cancel := s.stoppable(ctx)
	defer cancel()
	r, diags := c.configured(ctx, data)
	if diags.HasError() {
		return &tfprotov6.PlanResourceChangeResponse{Diagnostics: protoDiagnostics(ctx, diags)}
	}
	plan := tfsdk.Plan{Schema: c.schema, Raw: planned}
	resp := resource.ModifyPlanResponse{Diagnostics: diags, Plan: plan, RequiresReplace: path.Paths{}, Identity: c.nullIdentity()}
	if modifier, ok := r.(resource.ResourceWithModifyPlan); ok {
		modifier.ModifyPlan(ctx, resource.ModifyPlanRequest{
			ClientCapabilities: resource.ModifyPlanClientCapabilities{
				DeferralAllowed: req.ClientCapabilities != nil && req.ClientCapabilities.DeferralAllowed,
			},
			Config:   tfsdk.Config{Schema: c.schema, Raw: config},
			Plan:     plan,
			State:    tfsdk.State{Schema: c.schema, Raw: tftypes.NewValue(c.objectType, nil)},
			Identity: c.nullIdentity(),
			// Private stays nil: a create has none, and a ModifyPlan that
			// wrote some would get an error from SetKey rather than lose it.
		}, &resp)
	}

	out := &tfprotov6.PlanResourceChangeResponse{Diagnostics: protoDiagnostics(ctx, resp.Diagnostics)}
	if resp.Deferred != nil {
		out.Deferred = &tfprotov6.Deferred{Reason: tfprotov6.DeferredReason(resp.Deferred.Reason)}
	}
	var encoding []*tfprotov6.Diagnostic
	out.PlannedState, out.PlannedIdentity, encoding = c.encode(resp.Plan.Raw, resp.Identity)
	out.Diagnostics = append(out.Diagnostics, encoding...)
	if len(encoding) > 0 {
		return out
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

// stoppable is ctx, also cancelled when Terraform stops the provider, as
// the framework's own contexts are.
func (s *fastPlanServer) stoppable(ctx context.Context) (context.Context, context.CancelFunc) {
	s.stopMu.Lock()
	stopped := s.stopped
	s.stopMu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(stopped, cancel)
	return ctx, func() { stop(); cancel() }
}

// configured is a fresh resource, configured with the provider's data, as
// the framework makes one for each call.
func (c *createPath) configured(ctx context.Context, data *providerData) (resource.Resource, diag.Diagnostics) {
	r := c.newResource()
	var resp resource.ConfigureResponse
	if configurable, ok := r.(resource.ResourceWithConfigure); ok {
		req := resource.ConfigureRequest{}
		if data != nil {
			// Not a typed nil: before the provider is configured the framework
			// hands resources no data at all.
			req.ProviderData = data
		}
		configurable.Configure(ctx, req, &resp)
	}
	return r, resp.Diagnostics
}

// nullIdentity is a fresh null identity.
func (c *createPath) nullIdentity() *tfsdk.ResourceIdentity {
	identity := c.identitySchema
	return &identity
}

// nullIdentityIn says whether an identity that Terraform sent is absent or
// null, as it is for a create.
func (c *createPath) nullIdentityIn(data *tfprotov6.ResourceIdentityData) bool {
	if data == nil || data.IdentityData == nil {
		return true
	}
	v, err := data.IdentityData.Unmarshal(c.identityType)
	return err == nil && v.IsNull()
}

// encode is a state (planned or new) and an identity as Terraform receives
// them, with a diagnostic for what could not be encoded.
func (c *createPath) encode(state tftypes.Value, identity *tfsdk.ResourceIdentity) (*tfprotov6.DynamicValue, *tfprotov6.ResourceIdentityData, []*tfprotov6.Diagnostic) {
	encodedState, err := tfprotov6.NewDynamicValue(c.objectType, state)
	if err != nil {
		return nil, nil, []*tfprotov6.Diagnostic{encodingDiagnostic("state", err)}
	}
	if identity == nil {
		return &encodedState, nil, nil
	}
	encodedIdentity, err := tfprotov6.NewDynamicValue(c.identityType, identity.Raw)
	if err != nil {
		return &encodedState, nil, []*tfprotov6.Diagnostic{encodingDiagnostic("identity", err)}
	}
	return &encodedState, &tfprotov6.ResourceIdentityData{IdentityData: &encodedIdentity}, nil
}

// isNullState is a state that holds no resource: none sent, or null.
func isNullState(v *tfprotov6.DynamicValue) bool {
	return v == nil || len(v.JSON) == 0 && (len(v.MsgPack) == 0 || string(v.MsgPack) == string(nullMsgPack))
}

func encodingDiagnostic(what string, err error) *tfprotov6.Diagnostic {
	return &tfprotov6.Diagnostic{Severity: tfprotov6.DiagnosticSeverityError, Summary: "Error Encoding Response",
		Detail: "The provider could not encode the " + what + " it answers with. This is always a problem with the provider; please report it.\n\n" + err.Error()}
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

// createApply answers the apply of a create, or returns nil to leave it to
// the framework: not a create, a resource type without a createPath or
// whose Create writes private state, a provider not yet configured, or a
// request with private state or an identity.
func (s *fastPlanServer) createApply(ctx context.Context, req *tfprotov6.ApplyResourceChangeRequest) *tfprotov6.ApplyResourceChangeResponse {
	s.load(ctx)
	c := s.creates[req.TypeName]
	data := s.provider.configured()
	if c == nil || !c.applies || data == nil || !isNullState(req.PriorState) || req.PlannedState == nil || req.Config == nil ||
		len(req.PlannedState.JSON) > 0 || len(req.Config.JSON) > 0 || len(req.PlannedPrivate) > 0 || !c.nullIdentityIn(req.PlannedIdentity) {
		return nil
	}
	planned, err := req.PlannedState.Unmarshal(c.objectType)
	if err != nil || planned.IsNull() {
		return nil
	}
	config, err := req.Config.Unmarshal(c.objectType)
	if err != nil {
		return nil
	}

	// From here on the create is answered: it must not run twice.
	ctx, cancel := s.stoppable(ctx)
	defer cancel()
	r, diags := c.configured(ctx, data)
	if diags.HasError() {
		return &tfprotov6.ApplyResourceChangeResponse{Diagnostics: protoDiagnostics(ctx, diags)}
	}
	null := tftypes.NewValue(c.objectType, nil)
	resp := resource.CreateResponse{State: tfsdk.State{Schema: c.schema, Raw: null}, Identity: c.nullIdentity()}
	r.Create(ctx, resource.CreateRequest{
		Config:   tfsdk.Config{Schema: c.schema, Raw: config},
		Plan:     tfsdk.Plan{Schema: c.schema, Raw: planned},
		Identity: c.nullIdentity(),
		// Private stays nil: see privateStateOnCreate.
	}, &resp)
	diags.Append(resp.Diagnostics...)
	if !diags.HasError() && resp.State.Raw.Equal(null) {
		detail := "The Terraform Provider unexpectedly returned no resource state after having no errors in the resource creation. " +
			"This is always an issue in the Terraform Provider and should be reported to the provider developers.\n\n" +
			"The resource may have been successfully created, but Terraform is not tracking it. " +
			"Applying the configuration again with no other action may result in duplicate resource errors."
		if _, ok := r.(resource.ResourceWithImportState); ok {
			detail += " Import the resource if the resource was actually created and Terraform should be tracking it."
		}
		diags.AddError("Missing Resource State After Create", detail)
	}
	if !diags.HasError() && (resp.Identity == nil || resp.Identity.Raw.IsFullyNull()) {
		diags.AddError("Missing Resource Identity After Create",
			"The Terraform Provider unexpectedly returned no resource identity data after having no errors in the resource create. "+
				"This is always an issue in the Terraform Provider and should be reported to the provider developers.")
	}
	out := &tfprotov6.ApplyResourceChangeResponse{Diagnostics: protoDiagnostics(ctx, diags)}
	var encoding []*tfprotov6.Diagnostic
	out.NewState, out.NewIdentity, encoding = c.encode(resp.State.Raw, resp.Identity)
	out.Diagnostics = append(out.Diagnostics, encoding...)
	return out
}
