package provider

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/horizonhq/terraform-provider-horizon/internal/client"
)

// NewServer returns the provider's protocol 6 server, as main serves it and
// the acceptance tests run it: the framework's server, with fast paths for
// the two most common plans, a resource that does not change and a resource
// that is created, and for the apply of a create (create.go).
//
// In a refresh plan, Terraform plans every resource, and almost all of them
// do not change: the proposed new state is the prior state, byte for byte.
// The framework still runs its whole pipeline for such a plan (defaults,
// write-only attributes, and for every attribute three value lookups and a
// set that each rebuild the schema's attribute map), which was 42% of the
// provider's CPU in a refresh (BenchmarkRefreshRPCs). For a resource whose
// plan provably changes nothing when nothing was proposed (unchangedPlans),
// the fast path answers as the framework would, the prior state, private
// state and identity unchanged; TestUnchangedPlansMatchTheFramework proves
// the two answers equal for every resource type and attribute.
func NewServer(version string) func() (tfprotov6.ProviderServer, error) {
	return func() (tfprotov6.ProviderServer, error) {
		p := &horizonProvider{version: version}
		srv, err := providerserver.NewProtocol6WithError(p)()
		if err != nil {
			return nil, err
		}
		fw, ok := srv.(frameworkServer)
		if !ok {
			return nil, fmt.Errorf("the framework's server (%T) does not serve list resources", srv)
		}
		stopped, stop := context.WithCancel(context.Background())
		return &fastPlanServer{frameworkServer: fw, provider: p, stopped: stopped, stop: stop}, nil
	}
}

// frameworkServer is what the framework's server implements and the wrapper
// passes on: terraform-plugin-go finds the list resources' RPCs by a type
// assertion on the server it serves, so a wrapper that embedded only
// tfprotov6.ProviderServer would answer terraform query that they are not
// implemented.
type frameworkServer interface {
	tfprotov6.ProviderServer
	tfprotov6.ListResourceServer
}

// The wrapper must serve list resources as the framework's server does
// (list_test.go runs them under Terraform 1.14).
var _ tfprotov6.ListResourceServer = (*fastPlanServer)(nil)

type fastPlanServer struct {
	frameworkServer
	provider *horizonProvider

	// stopped is cancelled when Terraform stops the provider, as the
	// framework's own contexts of the calls under way are; calls that begin
	// after the stop get a fresh one, as they do in the framework.
	stopMu  sync.Mutex
	stopped context.Context
	stop    context.CancelFunc

	typesOnce sync.Once
	types     map[string]tftypes.Type
	identity  map[string]tftypes.Type
	creates   map[string]*createPath
}

// unchangedPlans are the resources whose plan changes nothing when the
// proposed state is the prior state, given that state: no default or plan
// modifier has anything to fill in, and any ModifyPlan returns at once.
// Each may also record what the provider's own state needs to know.
var unchangedPlans = map[string]func(data *providerData, state tftypes.Value) bool{
	"horizon_service_account":       unchangedAccountPlan,
	"horizon_server_grant":          func(*providerData, tftypes.Value) bool { return true },
	"horizon_server":                func(*providerData, tftypes.Value) bool { return true },
	"horizon_organization_settings": func(*providerData, tftypes.Value) bool { return true },
	"horizon_service_account_key":   unchangedKeyPlan,
	"horizon_personal_api_key":      unchangedKeyPlan,
}

// unchangedAccountPlan does what serviceAccountResource.ModifyPlan does with a
// plan: it records the account's role, for the plans of its grants.
func unchangedAccountPlan(data *providerData, state tftypes.Value) bool {
	var attrs map[string]tftypes.Value
	if state.As(&attrs) != nil {
		return false
	}
	var id, role string
	if attrs["id"].As(&id) == nil && attrs["role"].As(&role) == nil {
		data.roles.learn(id, role)
	}
	return true
}

// unchangedKeyPlan is apiKeyResource.ModifyPlan's own fast path: an active key
// without renew_before has nothing to decide, and the ledger learns that this
// process plans, and that it planned this key.
func unchangedKeyPlan(data *providerData, state tftypes.Value) bool {
	var attrs map[string]tftypes.Value
	if state.As(&attrs) != nil {
		return false
	}
	var id, status string
	if attrs["id"].As(&id) != nil || attrs["status"].As(&status) != nil || !attrs["renew_before"].IsNull() ||
		status != client.KeyStatusActive {
		return false
	}
	data.keys.planning()
	data.keys.keyPlanned(id)
	return true
}

func (s *fastPlanServer) PlanResourceChange(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	if resp := s.unchangedPlan(ctx, req); resp != nil {
		return resp, nil
	}
	if resp := s.createPlan(ctx, req); resp != nil {
		return resp, nil
	}
	return s.frameworkServer.PlanResourceChange(ctx, req)
}

func (s *fastPlanServer) ValidateResourceConfig(ctx context.Context, req *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	if resp := s.validate(ctx, req); resp != nil {
		return resp, nil
	}
	return s.frameworkServer.ValidateResourceConfig(ctx, req)
}

func (s *fastPlanServer) ApplyResourceChange(ctx context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	if resp := s.createApply(ctx, req); resp != nil {
		return resp, nil
	}
	return s.frameworkServer.ApplyResourceChange(ctx, req)
}

func (s *fastPlanServer) StopProvider(ctx context.Context, req *tfprotov6.StopProviderRequest) (*tfprotov6.StopProviderResponse, error) {
	s.stopMu.Lock()
	s.stop()
	s.stopped, s.stop = context.WithCancel(context.Background())
	s.stopMu.Unlock()
	return s.frameworkServer.StopProvider(ctx, req)
}

// nullMsgPack is how msgpack writes null, a resource's state before a create
// and after a destroy.
var nullMsgPack = []byte{0xc0}

func (s *fastPlanServer) unchangedPlan(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) *tfprotov6.PlanResourceChangeResponse {
	check := unchangedPlans[req.TypeName]
	data := s.provider.configured()
	prior, proposed := req.PriorState, req.ProposedNewState
	if check == nil || data == nil || prior == nil || proposed == nil || len(prior.JSON) > 0 || len(proposed.JSON) > 0 ||
		len(prior.MsgPack) == 0 || bytes.Equal(prior.MsgPack, nullMsgPack) || !bytes.Equal(prior.MsgPack, proposed.MsgPack) {
		return nil
	}
	s.load(ctx)
	typ, ok := s.types[req.TypeName]
	if !ok {
		return nil
	}
	state, err := prior.Unmarshal(typ)
	if err != nil || !check(data, state) {
		return nil
	}
	resp := &tfprotov6.PlanResourceChangeResponse{PlannedState: prior, PlannedPrivate: req.PriorPrivate, PlannedIdentity: req.PriorIdentity}
	if resp.PlannedIdentity == nil {
		// As the framework does for a Terraform that sends no identity.
		null, err := tfprotov6.NewDynamicValue(s.identity[req.TypeName], tftypes.NewValue(s.identity[req.TypeName], nil))
		if err != nil {
			return nil
		}
		resp.PlannedIdentity = &tfprotov6.ResourceIdentityData{IdentityData: &null}
	}
	return resp
}

// load learns, once per server, the value types of the resources and their
// identities, and the planners of their creates.
func (s *fastPlanServer) load(ctx context.Context) {
	s.typesOnce.Do(func() {
		s.loadTypes(ctx)
		s.creates = loadCreatePaths(ctx, s.provider)
	})
}

func (s *fastPlanServer) loadTypes(ctx context.Context) {
	s.types, s.identity = map[string]tftypes.Type{}, map[string]tftypes.Type{}
	schemas, err := s.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		return
	}
	identities, err := s.GetResourceIdentitySchemas(ctx, &tfprotov6.GetResourceIdentitySchemasRequest{})
	if err != nil {
		return
	}
	for name, schema := range schemas.ResourceSchemas {
		if id, ok := identities.IdentitySchemas[name]; ok {
			s.types[name], s.identity[name] = schema.ValueType(), id.ValueType()
		}
	}
}
