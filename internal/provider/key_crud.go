package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
	"github.com/horizonhq/terraform-provider-horizon/internal/client"
)

// Create, Read, Update and Delete of a key, and their diagnostics.

func (r *apiKeyResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	r.keys.applyingChanges()
	planned, ownerID, ownerName, ok := r.load(ctx, req.Plan, "create", &resp.Diagnostics)
	if !ok {
		return
	}
	k := &planned.Key
	body := client.CreateAPIKeyRequest{Name: k.Name.ValueString()}
	if ttl, ok := parseDuration(k.TTL); ok {
		seconds := int64(ttl / time.Second)
		body.TTLSeconds = &seconds
	} else {
		body.ExpiresAt = k.ExpiresAt.ValueStringPointer()
	}
	ctx, cancel := uninterruptible(ctx)
	defer cancel()
	revokesBefore := r.keys.revokeCount(ownerID)
	key, err := r.owner.create(ctx, r.client, ownerID, body)
	if errors.Is(err, client.ErrKeyLimitExceeded) && r.keys.waitForRevokes(ctx, ownerID, revokesBefore) {
		// This apply was revoking a key of the owner while Horizon refused:
		// the revoke has finished now, so the slot is free.
		key, err = r.owner.create(ctx, r.client, ownerID, body)
	}
	if err != nil {
		r.keys.settleCreate(ownerID, nil)
		resp.Diagnostics.Append(r.keyCreateDiagnostic(ownerID, ownerName, k.Name.ValueString(), err))
		return
	}
	r.keys.settleCreate(ownerID, &activeKey{ID: key.ID, Name: key.Name, CreatedAt: key.CreatedAt, ExpiresAt: derefOr(key.ExpiresAt, "")})
	k.fromAPI(key)
	resp.Diagnostics.Append(k.keepSecret(ctx, key.Secret)...)
	resp.Diagnostics.Append(r.owner.write(ctx, &resp.State, planned)...)
	resp.Diagnostics.Append(r.setIdentity(ctx, resp.State, resp.Identity)...)
}

// keepSecret puts a new key's secret into the model: in secret, or, with
// age_recipients, only encrypted, in encrypted_secret. The plaintext goes
// nowhere else, whatever happens: a key whose secret cannot be encrypted is
// kept without it, so that it is recorded (and can be replaced), never stored
// in the clear.
func (m *apiKeyModel) keepSecret(ctx context.Context, secret string) diag.Diagnostics {
	m.Secret, m.EncryptedSecret = types.StringValue(secret), types.StringNull()
	if m.AgeRecipients.IsNull() {
		return nil
	}
	m.Secret = types.StringNull()
	var diags diag.Diagnostics
	recipients, err := ageRecipients(ctx, m.AgeRecipients)
	if err == nil {
		var encrypted string
		if encrypted, err = encryptSecret(secret, recipients); err == nil {
			m.EncryptedSecret = types.StringValue(encrypted)
			return nil
		}
	}
	diags.AddAttributeError(path.Root("age_recipients"), "Secret Not Encrypted", fmt.Sprintf(
		"API key %s was created, but its secret could not be encrypted to age_recipients (%v), so Terraform keeps the key without its secret. "+
			"Correct age_recipients and replace the key (terraform apply -replace=...).", m.ID.ValueString(), err))
	return diags
}

func (r *apiKeyResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	resp.Diagnostics.Append(r.setIdentity(ctx, req.State, resp.Identity)...)
	r.keys.planning()
	state, ownerID, ownerName, ok := r.load(ctx, req.State, "read", &resp.Diagnostics)
	if !ok {
		return
	}
	key, err := r.owner.get(ctx, r.client, ownerID, state.Key.ID.ValueString())
	if errors.Is(err, client.ErrNotFound) {
		resp.Diagnostics.AddWarning("API Key Deleted Outside Terraform", fmt.Sprintf(
			"API key %s of %s no longer exists in Horizon (or its owner was deleted), so Terraform will create a new key.",
			state.Key.ID.ValueString(), ownerName))
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.Append(apiErrorDiagnostic("read "+who(state.Key, ownerName), err))
		return
	}
	state.Key.fromAPI(key)
	resp.Diagnostics.Append(r.owner.write(ctx, &resp.State, state)...)
}

// Update renames the key. Every other configurable attribute either replaces
// the key or, like grace_period, only matters to the provider: changing it
// calls no API. The plan already holds every other value (planKey).
func (r *apiKeyResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	plan, diags := r.owner.read(ctx, req.Plan)
	resp.Diagnostics.Append(diags...)
	state, diags := r.owner.read(ctx, req.State)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.keys.applyingChanges()
	if !plan.Key.Name.Equal(state.Key.Name) {
		ownerID, ownerName, err := r.resolveOwner(ctx, state)
		if err == nil {
			var key *client.APIKey
			key, err = r.owner.update(ctx, r.client, ownerID, state.Key.ID.ValueString(), client.UpdateAPIKeyRequest{Name: plan.Key.Name.ValueStringPointer()})
			if err == nil {
				plan.Key.fromAPI(key)
			}
		}
		if err != nil {
			resp.Diagnostics.Append(ownerDiagnostic("rename "+who(state.Key, ownerName), err))
			return
		}
	}
	resp.Diagnostics.Append(r.owner.write(ctx, &resp.State, plan)...)
	resp.Diagnostics.Append(r.setIdentity(ctx, resp.State, resp.Identity)...)
}

// Delete revokes the key, or, with a grace period, brings its expiry forward to
// the end of the grace period.
func (r *apiKeyResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	r.keys.applyingChanges()
	state, ownerID, ownerName, ok := r.load(ctx, req.State, "revoke", &resp.Diagnostics)
	if !ok {
		return
	}
	if grace, ok := parseDuration(state.Key.GracePeriod); ok {
		resp.Diagnostics.Append(r.retire(ctx, ownerID, ownerName, state.Key, grace)...)
		return
	}
	keyID := state.Key.ID.ValueString()
	end := r.keys.beginRevoke(ownerID, keyID)
	_, err := r.owner.revoke(ctx, r.client, ownerID, keyID)
	end(err == nil)
	if err != nil && !errors.Is(err, client.ErrNotFound) {
		resp.Diagnostics.Append(apiErrorDiagnostic("revoke "+who(state.Key, ownerName), err))
	}
}

// retire gives a destroyed key its grace period: its expiry moves forward to
// now + grace by Horizon's clock, unless it already expires sooner.
func (r *apiKeyResource) retire(ctx context.Context, ownerID, ownerName string, k apiKeyModel, grace time.Duration) diag.Diagnostics {
	keyID := k.ID.ValueString()
	action := "start the grace period of " + who(k, ownerName)
	var diags diag.Diagnostics
	now, known := r.client.ServerTime()
	if !known {
		// The first request of this process: reading the key tells Horizon's
		// time, and its current expiry.
		key, err := r.owner.get(ctx, r.client, ownerID, keyID)
		if errors.Is(err, client.ErrNotFound) {
			return nil
		}
		if err != nil {
			diags.Append(apiErrorDiagnostic(action, err))
			return diags
		}
		k.fromAPI(key)
		now, _ = r.client.ServerTime()
	}
	end := graceEnd(now, grace)
	if k.Status.ValueString() != api.KeyStatusActive {
		return nil
	}
	if current, ok := parseTime(k.ExpiresAt); ok && !current.After(end) {
		// Its expiry is already sooner, and Horizon never lets it move later.
		return nil
	}
	expiresAt := end.Format(time.RFC3339)
	_, err := r.owner.update(ctx, r.client, ownerID, keyID, client.UpdateAPIKeyRequest{ExpiresAt: &expiresAt})
	if apiErr, ok := client.AsAPIError(err); ok && (apiErr.StatusCode == http.StatusNotFound || apiErr.Field() == "expires_at") {
		// Gone, or it expires sooner already (changed since the refresh).
		return nil
	}
	if err != nil {
		diags.Append(apiErrorDiagnostic(action, err))
		return diags
	}
	r.keys.retire(ownerID, keyID, expiresAt)
	return nil
}

// keyCreateDiagnostic explains the key limit, the one create failure users hit
// in normal operation, and how to get past it.
func (r *apiKeyResource) keyCreateDiagnostic(ownerID, ownerName, name string, err error) diag.Diagnostic {
	action := fmt.Sprintf("create API key %q for %s", name, ownerName)
	apiErr, ok := client.AsAPIError(err)
	if !ok {
		return apiErrorDiagnostic(action, err)
	}
	if apiErr.StatusCode == http.StatusNotFound && apiErr.Resource() != "" && apiErr.Resource() != "api_key" {
		return r.owner.missing(ownerName)
	}
	limit, ok := apiErr.KeyLimit()
	if !ok {
		return apiErrorDiagnostic(action, err)
	}
	if limit.Limit == 0 {
		limit.Limit = r.owner.limit()
	}
	active := make([]activeKey, len(limit.ActiveKeys))
	for i, k := range limit.ActiveKeys {
		active[i] = activeKey{ID: k.ID, Name: k.Name, CreatedAt: k.CreatedAt, ExpiresAt: derefOr(k.ExpiresAt, "")}
	}
	r.keys.markRetiring(ownerID, active)
	summary := titleCase(ownerKind(ownerName)) + " Key Limit Reached"
	return diag.NewErrorDiagnostic(summary, fmt.Sprintf(
		"Could not %s: %s already has %d active keys, the most Horizon allows (limit %d):\n%s\n%s\n"+
			"A key that expires, such as one in the grace period of an earlier rotation (grace_period), keeps its slot until it expires: "+
			"apply again after that, or revoke it in Horizon once its consumers use the new key.",
		action, ownerName, len(limit.ActiveKeys), limit.Limit, describeActiveKeys(active), r.owner.limitAdvice()))
}
