package provider

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/defaults"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// NewServer returns the provider's protocol 6 server, as main serves it and
// the acceptance tests run it: the framework's server, with one shortcut in
// front of it, for the plan Terraform asks for most.
//
// In a refresh plan almost no resource changes: Terraform proposes the prior
// state, byte for byte. The framework still runs its whole pipeline for such
// a plan (defaults, write-only attributes, each attribute's plan modifiers,
// the resource's ModifyPlan), walking the schema by path for every attribute
// (see internal/cmd/horizon-bench/README.md). The shortcut answers the prior
// state unchanged, as the framework would, but only where nothing in that
// pipeline could change it: every attribute the configuration leaves null
// holds its default, the schema has no write-only attribute, and the
// resource itself says, with its steadyPlan rule beside its ModifyPlan, that
// it has nothing to decide. Anything else, and any resource without such a
// rule, goes to the framework.
// TestUnchangedPlansMatchTheFramework compares whole responses with the
// framework's for prior states drawn at random.
func NewServer(version string) func() (tfprotov6.ProviderServer, error) {
	return func() (tfprotov6.ProviderServer, error) {
		p := &horizonProvider{version: version}
		srv, err := providerserver.NewProtocol6WithError(p)()
		if err != nil {
			return nil, err
		}
		fw, ok := srv.(frameworkServer)
		if !ok {
			return nil, fmt.Errorf("the framework's server (%T) does not serve every optional protocol interface the provider passes on", srv)
		}
		return &providerServer{frameworkServer: fw, provider: p}, nil
	}
}

// frameworkServer is every server interface of the protocol that the
// framework's server implements. terraform-plugin-go finds the optional ones
// (list resources, actions, state stores) by a type assertion on the server
// it serves, so the wrapper must implement each of them too, or their RPCs
// would answer "unimplemented" (TestServerPassesOnEveryInterface).
type frameworkServer interface {
	tfprotov6.ProviderServer
	tfprotov6.ListResourceServer
	tfprotov6.ActionServer
	tfprotov6.StateStoreServer
}

type providerServer struct {
	frameworkServer
	provider *horizonProvider

	plansOnce sync.Once
	plans     map[string]*steadyPlans // by resource type
}

// steadyPlanner is a resource whose ModifyPlan (if it has one) and attribute
// plan modifiers have, for some plans of an unchanged resource, nothing to
// decide. Its ModifyPlan applies the same rule, so the two cannot disagree.
type steadyPlanner interface {
	// steadyPlan reports whether ModifyPlan and the plan modifiers of the
	// resource's attributes, given state as both the prior state and the
	// plan, change nothing and report nothing; when it reports true, it has
	// recorded what ModifyPlan would have recorded.
	steadyPlan(ctx context.Context, state map[string]tftypes.Value) bool
}

// unchangedPlan reports whether a ModifyPlan request plans an existing
// resource unchanged: where a resource's ModifyPlan applies its steadyPlan rule.
func unchangedPlan(req resource.ModifyPlanRequest) bool {
	return !req.State.Raw.IsNull() && req.Plan.Raw.Equal(req.State.Raw)
}

// stateAttributes are the prior state's attributes of a ModifyPlan request.
func stateAttributes(req resource.ModifyPlanRequest) map[string]tftypes.Value {
	var attrs map[string]tftypes.Value
	_ = req.State.Raw.As(&attrs)
	return attrs
}

// steadyPlans is what the shortcut knows of one resource type: how to make
// the resource, the types of its state and identity, and the default of each
// attribute that has one.
type steadyPlans struct {
	newResource  func() resource.Resource
	stateType    tftypes.Type
	identityType tftypes.Type
	defaults     map[string]tftypes.Value
}

func (s *providerServer) PlanResourceChange(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	if resp := s.steadyPlan(ctx, req); resp != nil {
		return resp, nil
	}
	return s.frameworkServer.PlanResourceChange(ctx, req)
}

// nullMsgPack is how msgpack writes null, a resource's state before a create
// and after a destroy.
var nullMsgPack = []byte{0xc0}

// steadyPlan is the framework's answer to the plan of an unchanged resource
// that has nothing to decide, or nil for any other plan.
func (s *providerServer) steadyPlan(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) *tfprotov6.PlanResourceChangeResponse {
	data := s.provider.configured()
	prior, proposed := req.PriorState, req.ProposedNewState
	if data == nil || prior == nil || proposed == nil || req.Config == nil || len(prior.JSON) > 0 || len(proposed.JSON) > 0 ||
		len(prior.MsgPack) == 0 || bytes.Equal(prior.MsgPack, nullMsgPack) || !bytes.Equal(prior.MsgPack, proposed.MsgPack) {
		return nil
	}
	p := s.steadyPlansOf(ctx)[req.TypeName]
	if p == nil {
		return nil
	}
	state, ok := attributes(prior, p.stateType)
	if !ok {
		return nil
	}
	config, ok := attributes(req.Config, p.stateType)
	if !ok || !p.defaultsHeld(state, config) {
		return nil
	}
	r := p.newResource()
	if c, ok := r.(resource.ResourceWithConfigure); ok {
		var resp resource.ConfigureResponse
		c.Configure(ctx, resource.ConfigureRequest{ProviderData: data}, &resp)
		if resp.Diagnostics.HasError() {
			return nil
		}
	}
	if !r.(steadyPlanner).steadyPlan(ctx, state) {
		return nil
	}
	resp := &tfprotov6.PlanResourceChangeResponse{PlannedState: prior, PlannedPrivate: req.PriorPrivate, PlannedIdentity: req.PriorIdentity}
	if resp.PlannedIdentity == nil {
		// As the framework does for a Terraform that sends no identity.
		null, err := tfprotov6.NewDynamicValue(p.identityType, tftypes.NewValue(p.identityType, nil))
		if err != nil {
			return nil
		}
		resp.PlannedIdentity = &tfprotov6.ResourceIdentityData{IdentityData: &null}
	}
	return resp
}

// attributes decodes a resource's state or configuration.
func attributes(v *tfprotov6.DynamicValue, typ tftypes.Type) (map[string]tftypes.Value, bool) {
	value, err := v.Unmarshal(typ)
	if err != nil {
		return nil, false
	}
	var attrs map[string]tftypes.Value
	if value.As(&attrs) != nil || attrs == nil {
		return nil, false
	}
	return attrs, true
}

// defaultsHeld reports whether the framework would apply no default: every
// attribute with a default that the configuration leaves null already holds it.
func (p *steadyPlans) defaultsHeld(state, config map[string]tftypes.Value) bool {
	for name, def := range p.defaults {
		if config[name].IsNull() && !state[name].Equal(def) {
			return false
		}
	}
	return true
}

// steadyPlansOf learns, once per server, what the shortcut needs to know of
// each resource type that has a steadyPlan rule.
func (s *providerServer) steadyPlansOf(ctx context.Context) map[string]*steadyPlans {
	s.plansOnce.Do(func() {
		s.plans = map[string]*steadyPlans{}
		identities, err := s.GetResourceIdentitySchemas(ctx, &tfprotov6.GetResourceIdentitySchemasRequest{})
		if err != nil {
			return
		}
		for _, newResource := range s.provider.Resources(ctx) {
			r := newResource()
			if _, ok := r.(steadyPlanner); !ok {
				continue
			}
			var meta resource.MetadataResponse
			r.Metadata(ctx, resource.MetadataRequest{ProviderTypeName: providerTypeName}, &meta)
			var sch resource.SchemaResponse
			r.Schema(ctx, resource.SchemaRequest{}, &sch)
			identity, ok := identities.IdentitySchemas[meta.TypeName]
			if sch.Diagnostics.HasError() || !ok {
				continue
			}
			defaults, ok := schemaDefaults(ctx, sch.Schema)
			if !ok {
				continue
			}
			s.plans[meta.TypeName] = &steadyPlans{newResource: newResource, stateType: sch.Schema.Type().TerraformType(ctx),
				identityType: identity.ValueType(), defaults: defaults}
		}
	})
	return s.plans
}

// schemaDefaults are the defaults of a schema's attributes, as the
// attributes' own Default computes them; ok is false for a schema the
// shortcut does not take: one with blocks, or an attribute that is
// write-only or of a kind whose default it cannot read.
func schemaDefaults(ctx context.Context, sch schema.Schema) (map[string]tftypes.Value, bool) {
	if len(sch.Blocks) > 0 {
		return nil, false
	}
	out := map[string]tftypes.Value{}
	for name, a := range sch.Attributes {
		def, ok := attributeDefault(ctx, path.Root(name), a)
		if !ok || a.IsWriteOnly() {
			return nil, false
		}
		if def == nil {
			continue
		}
		v, err := def.ToTerraformValue(ctx)
		if err != nil {
			return nil, false
		}
		out[name] = v
	}
	return out, true
}

// attributeDefault is the default of an attribute of the kinds our schemas
// use, nil when it has none; ok is false for any other kind.
func attributeDefault(ctx context.Context, p path.Path, a schema.Attribute) (def attr.Value, ok bool) {
	var diags diag.Diagnostics
	switch a := a.(type) {
	case schema.StringAttribute:
		if a.Default != nil {
			var resp defaults.StringResponse
			a.Default.DefaultString(ctx, defaults.StringRequest{Path: p}, &resp)
			def, diags = resp.PlanValue, resp.Diagnostics
		}
	case schema.BoolAttribute:
		if a.Default != nil {
			var resp defaults.BoolResponse
			a.Default.DefaultBool(ctx, defaults.BoolRequest{Path: p}, &resp)
			def, diags = resp.PlanValue, resp.Diagnostics
		}
	case schema.Int64Attribute:
		if a.Default != nil {
			var resp defaults.Int64Response
			a.Default.DefaultInt64(ctx, defaults.Int64Request{Path: p}, &resp)
			def, diags = resp.PlanValue, resp.Diagnostics
		}
	case schema.SetAttribute:
		if a.Default != nil {
			var resp defaults.SetResponse
			a.Default.DefaultSet(ctx, defaults.SetRequest{Path: p}, &resp)
			def, diags = resp.PlanValue, resp.Diagnostics
		}
	case schema.MapAttribute:
		if a.Default != nil {
			var resp defaults.MapResponse
			a.Default.DefaultMap(ctx, defaults.MapRequest{Path: p}, &resp)
			def, diags = resp.PlanValue, resp.Diagnostics
		}
	default:
		return nil, false
	}
	return def, !diags.HasError()
}
