package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
	"github.com/horizonhq/terraform-provider-horizon/internal/client"
)

// The plan of a key: ModifyPlan gathers the inputs of planKey and
// checkKeyLimit (key_plan.go, pure functions) and records in the ledger what
// this plan creates and revokes.

// privateCreateCounted marks, in the private state of a replacement's plan,
// that the ledger has counted its create: Terraform plans a replacement a
// second time as a create, with this private state, and drops that second
// plan's warnings.
const privateCreateCounted = "create_counted"

// ModifyPlan applies the decision of planKey and checkKeyLimit (key_plan.go),
// after gathering their inputs, and records in the ledger what this plan
// creates and revokes, for the plans of the owner's other keys.
func (r *apiKeyResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		r.planDestroy(ctx, req)
		return
	}
	if unchangedPlan(req) && r.steadyPlan(ctx, stateAttributes(req)) {
		return
	}
	in := keyPlanInput{ConfiguredExpiresAt: configString(ctx, req.Config, "expires_at"), Now: r.now(), OwnerAttribute: r.owner.ownerAttribute()}
	var diags diag.Diagnostics
	in.Proposed, diags = r.owner.read(ctx, req.Plan)
	resp.Diagnostics.Append(diags...)
	if !req.State.Raw.IsNull() {
		prior, diags := r.owner.read(ctx, req.State)
		resp.Diagnostics.Append(diags...)
		in.Prior = &prior
		r.keys.keyPlanned(prior.Key.ID.ValueString())
	}
	if resp.Diagnostics.HasError() {
		return
	}
	ownerID, ownerName, err := r.resolveOwner(ctx, in.Proposed)
	if err != nil {
		resp.Diagnostics.Append(ownerDiagnostic("plan API key "+in.Proposed.Key.Name.String(), err))
		return
	}
	in.OwnerName = ownerName
	decision := planKey(in)
	resp.Diagnostics.Append(decision.Diagnostics...)
	if decision.createsKey(in) && ownerID != "" && !resp.Diagnostics.HasError() {
		resp.Diagnostics.Append(r.gatherKeyLimit(ctx, in, ownerID, req, resp)...)
	}
	resp.Diagnostics.Append(r.owner.write(ctx, &resp.Plan, decision.Planned)...)
	resp.RequiresReplace = append(resp.RequiresReplace, decision.Replace...)
}

// load decodes the key from a plan or state and resolves its owner; ok is
// false when diags holds why it could not.
func (r *apiKeyResource) load(ctx context.Context, from planGetter, action string, diags *diag.Diagnostics) (k ownedKey, ownerID, ownerName string, ok bool) {
	k, d := r.owner.read(ctx, from)
	diags.Append(d...)
	if diags.HasError() {
		return k, "", "", false
	}
	ownerID, ownerName, err := r.resolveOwner(ctx, k)
	if err != nil {
		diags.Append(ownerDiagnostic(action+" "+who(k.Key, "its owner"), err))
		return k, "", "", false
	}
	return k, ownerID, ownerName, true
}

// resolveOwner is the owner's id and name, or "" while it is unknown.
func (r *apiKeyResource) resolveOwner(ctx context.Context, k ownedKey) (id, name string, err error) {
	if r.data == nil {
		return "", "", nil
	}
	return r.owner.resolve(ctx, r.data, k)
}

// planDestroy records in the ledger a key that this plan revokes at once, so
// that a create planned for its owner counts the slot as free.
func (r *apiKeyResource) planDestroy(ctx context.Context, req resource.ModifyPlanRequest) {
	if r.keys == nil || req.State.Raw.IsNull() {
		return
	}
	r.keys.planning()
	prior, diags := r.owner.read(ctx, req.State)
	if diags.HasError() {
		return
	}
	if prior.Key.GracePeriod.IsNull() && prior.Key.Status.ValueString() == api.KeyStatusActive {
		if ownerID, _, err := r.resolveOwner(ctx, prior); err == nil && ownerID != "" {
			r.keys.planRevoke(ownerID, prior.Key.ID.ValueString())
			return
		}
	}
	r.keys.keyPlanned(prior.Key.ID.ValueString())
}

// gatherKeyLimit gathers what checkKeyLimit decides on: the owner's active
// keys (from Horizon, unless this provider created the owner and knows them)
// and this plan's other key changes, and counts this create in the ledger.
func (r *apiKeyResource) gatherKeyLimit(ctx context.Context, in keyPlanInput, ownerID string, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) diag.Diagnostics {
	if in.Prior == nil {
		if counted, _ := req.Private.GetKey(ctx, privateCreateCounted); counted != nil {
			// The second plan of a replacement: counted, and Terraform drops its warnings.
			return nil
		}
	} else {
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateCreateCounted, []byte("true"))...)
	}
	others := r.keys.planCreate(ownerID)
	var listed []activeKey
	if !r.keys.createdHere(ownerID) {
		keys, err := r.owner.list(ctx, r.client, ownerID)
		switch {
		case errors.Is(err, client.ErrNotFound):
			return diag.Diagnostics{r.owner.missing(in.OwnerName)}
		case err != nil:
			tflog.Debug(ctx, "Could not list keys to check the key limit at plan time", map[string]any{"error": err.Error()})
			return nil
		}
		listed = activeKeysOf(keys)
	}
	limitIn := keyLimitInput{Name: in.Proposed.Key.Name.ValueString()}
	if in.Prior != nil && in.Prior.Owner.Equal(in.Proposed.Owner) {
		limitIn.Replacing = &in.Prior.Key
	}
	limitIn.Keys = r.keys.view(ownerID, in.OwnerName, r.owner.limit(), listed, others)
	diags := checkKeyLimit(limitIn)
	if len(diags) == 0 {
		return nil
	}
	if in.Prior == nil && r.keys.inApply(ctx) {
		// The re-plan of a create during the apply (see keyLedger).
		return nil
	}
	// Before warning, let the plans of the owner's other keys arrive: one of
	// them may destroy a key and free its slot (see planWait).
	var held []string
	for _, k := range limitIn.Keys.Active {
		if limitIn.Replacing == nil || k.ID != limitIn.Replacing.ID.ValueString() {
			held = append(held, k.ID)
		}
	}
	r.keys.awaitKeyPlans(ctx, held)
	limitIn.Keys = r.keys.view(ownerID, in.OwnerName, r.owner.limit(), listed, r.keys.pendingCreates(ownerID)-1)
	return checkKeyLimit(limitIn)
}

func activeKeysOf(keys []client.APIKey) []activeKey {
	var active []activeKey
	for _, k := range keys {
		if k.Status == api.KeyStatusActive {
			active = append(active, activeKey{ID: k.ID, Name: k.Name, CreatedAt: k.CreatedAt, ExpiresAt: derefOr(k.ExpiresAt, "")})
		}
	}
	return active
}

func derefOr(s *string, fallback string) string {
	if s == nil {
		return fallback
	}
	return *s
}

// steadyPlan is the rule of the most common plan, a refresh that changes
// nothing: an active key without renew_before whose proposed value is its
// state has nothing to decide (and its attributes' plan modifiers,
// UseStateForUnknown, change nothing known). The ledger learns that this
// process plans, and that it planned this key. It reads three attributes
// instead of decoding the whole model twice, which matters for plans of
// hundreds of keys.
func (r *apiKeyResource) steadyPlan(_ context.Context, state map[string]tftypes.Value) bool {
	var id, status string
	if r.keys == nil || state["id"].As(&id) != nil || state["status"].As(&status) != nil ||
		status != api.KeyStatusActive || !state["renew_before"].IsNull() {
		return false
	}
	r.keys.planning()
	r.keys.keyPlanned(id)
	return true
}

// now is Horizon's current time as last seen by the client, or the local time
// before any response: expiry is Horizon's decision, so its clock is the one to ask.
func (r *apiKeyResource) now() time.Time {
	if r.client != nil {
		if t, ok := r.client.ServerTime(); ok {
			return t
		}
	}
	return time.Now()
}

// configString reads a string attribute of the configuration; the schema
// guarantees the type, so a failure can only mean "not there".
func configString(ctx context.Context, config tfsdk.Config, attribute string) types.String {
	var v types.String
	if diags := config.GetAttribute(ctx, path.Root(attribute), &v); diags.HasError() {
		return types.StringNull()
	}
	return v
}

// who names a key in messages: "API key key_... ("primary") of service account sa_...".
func who(k apiKeyModel, ownerName string) string {
	return fmt.Sprintf("API key %s (%q) of %s", k.ID.ValueString(), k.Name.ValueString(), ownerName)
}
