package provider

import (
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

// The plan of an API key is decided here, in two pure steps that ModifyPlan
// calls: planKey decides the action (keep, update in place, or replace, and
// why), and checkKeyLimit decides whether the new key that a create or a
// replacement makes fits the owner's limit of active keys. Neither calls
// Horizon or Terraform: ModifyPlan gathers their inputs (the refreshed state,
// the configuration, Horizon's clock, the owner's active keys and this plan's
// other key changes) and applies their outputs.

// keyPlanInput is what the plan of one key depends on.
type keyPlanInput struct {
	// Prior is the key as refreshed; nil when the plan creates it.
	Prior *ownedKey
	// Proposed is Terraform's proposed new state: the configuration over the
	// prior state.
	Proposed ownedKey
	// OwnerAttribute is the attribute that names the key's owner, whose
	// change replaces the key ("" when the resource has none).
	OwnerAttribute string
	// OwnerName names the owner in messages, such as "service account sa_...".
	OwnerName string
	// ConfiguredExpiresAt is expires_at as the configuration writes it:
	// Terraform copies the prior state into an Optional+Computed attribute
	// that is not configured, so only the configuration says what was asked.
	ConfiguredExpiresAt types.String
	// Now is Horizon's current time.
	Now time.Time
}

// keyPlan is planKey's decision.
type keyPlan struct {
	// Planned is the plan to propose. Terraform replaces a resource only for
	// attributes whose planned value differs from the state, so every
	// replacement reason also changes a value: status becomes "active", or
	// expires_at becomes unknown.
	Planned ownedKey
	// Replace lists the attributes whose change replaces the key; empty when
	// the key is kept (perhaps updated in place).
	Replace     []path.Path
	Diagnostics diag.Diagnostics
}

// createsKey reports whether applying the plan makes a new key.
func (p keyPlan) createsKey(in keyPlanInput) bool { return in.Prior == nil || len(p.Replace) > 0 }

// planKey decides what a plan does with a key:
//   - a create plans an active key, whose expires_at is the configured time, or
//     unknown (Horizon sets it from ttl), or null; a configured time that is
//     not in Horizon's future is an error;
//   - a new owner (service_account_id), new keepers or new age_recipients
//     replace the key;
//   - a key that is no longer active (revoked or expired) is replaced, with a
//     warning that says which and when, instead of being dropped from state;
//   - expires_at changes (including to or from a ttl) replace the key, but a new
//     spelling of the same instant does not;
//   - a key within renew_before of its expiry (by Horizon's clock) is replaced,
//     with a warning;
//   - anything else (name, grace_period) updates in place.
func planKey(in keyPlanInput) keyPlan {
	p := keyPlan{Planned: in.Proposed}
	if in.Prior == nil {
		p.planCreate(in)
		return p
	}
	prior, proposed, planned := in.Prior.Key, in.Proposed.Key, &p.Planned.Key
	replace := func(attribute string) { p.Replace = append(p.Replace, path.Root(attribute)) }
	who := who(prior, in.OwnerName)

	if in.OwnerAttribute != "" && !in.Proposed.Owner.Equal(in.Prior.Owner) {
		replace(in.OwnerAttribute)
	}
	if !proposed.Keepers.Equal(prior.Keepers) {
		replace("keepers")
	}
	if !proposed.AgeRecipients.Equal(prior.AgeRecipients) {
		// The plaintext is gone: only a new key can be encrypted to other recipients.
		replace("age_recipients")
	}

	planned.Status, planned.RevokedAt = prior.Status, prior.RevokedAt
	switch prior.Status.ValueString() {
	case api.KeyStatusRevoked:
		planned.Status, planned.RevokedAt = types.StringValue(api.KeyStatusActive), types.StringNull()
		replace("status")
		p.Diagnostics.AddWarning("API Key Revoked Outside Terraform", fmt.Sprintf(
			"%s was revoked at %s, outside Terraform. It no longer authenticates, so Terraform plans a replacement key with a new secret.",
			who, orUnknown(prior.RevokedAt)))
	case api.KeyStatusExpired:
		planned.Status = types.StringValue(api.KeyStatusActive)
		replace("status")
		p.Diagnostics.AddWarning("API Key Expired", fmt.Sprintf(
			"%s expired at %s. It no longer authenticates, so Terraform plans a replacement key with a new secret. "+
				"If expires_at is set in the configuration, set a new time in the future (or use ttl).",
			who, orUnknown(prior.ExpiresAt)))
	}

	configured := in.ConfiguredExpiresAt
	switch {
	case configured.IsUnknown():
		planned.ExpiresAt = types.StringUnknown()
		replace("expires_at")
	case !configured.IsNull():
		if sameInstant(configured, prior.ExpiresAt) {
			planned.ExpiresAt = prior.ExpiresAt
		} else {
			planned.ExpiresAt = configured
			replace("expires_at")
		}
	case !proposed.TTL.IsNull():
		// A ttl that is unchanged, or newly written for a key that already has an
		// expiry (an imported key), keeps the key; any other change makes a new one.
		if !prior.ExpiresAt.IsNull() && (prior.TTL.IsNull() || sameDuration(prior.TTL, proposed.TTL)) {
			planned.ExpiresAt = prior.ExpiresAt
		} else {
			planned.ExpiresAt = types.StringUnknown()
			replace("expires_at")
		}
	default:
		planned.ExpiresAt = types.StringNull()
		if !prior.ExpiresAt.IsNull() {
			replace("expires_at")
		}
	}

	if prior.Status.ValueString() == api.KeyStatusActive && !planned.ExpiresAt.IsUnknown() {
		renewBefore, renewOK := parseDuration(proposed.RenewBefore)
		expires, expiresOK := parseTime(planned.ExpiresAt)
		if renewOK && expiresOK && !in.Now.Before(expires.Add(-renewBefore)) {
			planned.ExpiresAt = types.StringUnknown()
			replace("expires_at")
			p.Diagnostics.AddWarning("API Key Due for Renewal", fmt.Sprintf(
				"%s expires at %s, which is within renew_before (%s) of now (%s by Horizon's clock), so Terraform plans a replacement key. "+
					"With lifecycle { create_before_destroy = true }, the new key is created before this one is revoked.",
				who, prior.ExpiresAt.ValueString(), proposed.RenewBefore.ValueString(), in.Now.Format(time.RFC3339)))
		}
	}
	return p
}

func (p *keyPlan) planCreate(in keyPlanInput) {
	planned := &p.Planned.Key
	planned.Status, planned.RevokedAt = types.StringValue(api.KeyStatusActive), types.StringNull()
	// The secret goes to exactly one of secret and encrypted_secret.
	switch recipients := in.Proposed.Key.AgeRecipients; {
	case recipients.IsUnknown():
		planned.Secret, planned.EncryptedSecret = types.StringUnknown(), types.StringUnknown()
	case recipients.IsNull():
		planned.Secret, planned.EncryptedSecret = types.StringUnknown(), types.StringNull()
	default:
		planned.Secret, planned.EncryptedSecret = types.StringNull(), types.StringUnknown()
	}
	planned.ExpiresAt = in.ConfiguredExpiresAt
	if !in.Proposed.Key.TTL.IsNull() {
		planned.ExpiresAt = types.StringUnknown()
		return
	}
	if at, ok := parseTime(planned.ExpiresAt); ok && !at.After(in.Now) {
		p.Diagnostics.AddAttributeError(path.Root("expires_at"), "Expiry In the Past", fmt.Sprintf(
			"expires_at %s is not in the future (Horizon's time is %s), so a key created now would never work. "+
				"Set a time in the future, or use ttl to have Horizon compute the expiry at creation.",
			planned.ExpiresAt.ValueString(), in.Now.Format(time.RFC3339)))
	}
}

// activeKey is one of an owner's keys that authenticates now.
type activeKey struct {
	ID, Name, CreatedAt string
	// ExpiresAt is empty for a key that does not expire.
	ExpiresAt string
	// Retiring is set for a key whose expiry this provider brought forward
	// for its grace period: it works, and holds its slot, until ExpiresAt.
	Retiring bool
}

// ownerKeys is what a plan knows of the keys of a new key's owner.
type ownerKeys struct {
	// Owner names the owner in messages, such as "service account sa_...".
	Owner string
	Limit int
	// Active are the owner's keys that authenticate now, by Horizon, less
	// those this provider has revoked or is revoking.
	Active []activeKey
	// Freed are the ids of Active keys that this plan revokes at once (a
	// destroy without grace_period): their slots are free before any create
	// needs them, because a create that meets the limit waits for the
	// revokes this provider is making.
	Freed map[string]bool
	// OtherCreates is how many other keys of the owner this plan creates and
	// has not created yet.
	OtherCreates int
}

// keyLimitInput is what checkKeyLimit decides on.
type keyLimitInput struct {
	// Name is the name of the new key.
	Name string
	// Replacing is the key that the new one replaces; nil for a plain create.
	Replacing *apiKeyModel
	Keys      ownerKeys
}

// checkKeyLimit warns, at plan time, when the apply will need more active
// keys than the owner may hold: a new key on an owner already at the limit, a
// create_before_destroy replacement on an owner at the limit (the key being
// replaced still counts while its successor is created), or several new keys
// that together pass it. It says nothing when there is room.
func checkKeyLimit(in keyLimitInput) diag.Diagnostics {
	k := in.Keys
	held := 0
	for _, key := range k.Active {
		if !k.Freed[key.ID] {
			held++
		}
	}
	// A replaced key that is active is among held: it keeps its slot while its
	// successor is created with create_before_destroy, and always while it has
	// a grace period.
	needed := held + k.OtherCreates + 1
	if needed <= k.Limit {
		return nil
	}
	var context strings.Builder
	if k.OtherCreates > 0 {
		fmt.Fprintf(&context, "This plan also creates %d other key(s) of this %s. ", k.OtherCreates, ownerKind(k.Owner))
	}
	if freed := len(k.Active) - held; freed > 0 {
		fmt.Fprintf(&context, "It revokes %d of the keys above first, which frees their slots. ", freed)
	}
	summary := titleCase(ownerKind(k.Owner)) + " Key Limit Will Be Reached"
	var diags diag.Diagnostics
	if in.Replacing == nil {
		diags.AddWarning(summary, fmt.Sprintf(
			"Creating API key %q needs %d active keys on %s, more than the %d Horizon allows. It holds %d active key(s):\n%s%s\n"+
				"The create will fail at apply. Revoke one of the keys above first (remove its resource, or revoke it in Horizon), "+
				"or create fewer keys in this apply.",
			in.Name, needed, k.Owner, k.Limit, len(k.Active), describeActiveKeys(k.Active), context.String()))
		return diags
	}
	prior := in.Replacing
	how := "With lifecycle { create_before_destroy = true } the replacement is created while this key still counts, so the create will fail at apply."
	switch {
	case !holdsSlot(k, prior.ID.ValueString()):
	case !prior.GracePeriod.IsNull():
		how = fmt.Sprintf("This key has grace_period = %q: it keeps working, and keeps its slot, until the grace period ends, "+
			"so the create will fail at apply whichever way Terraform orders the replacement.", prior.GracePeriod.ValueString())
	case needed-1 <= k.Limit:
		how += " Without create_before_destroy this key is revoked first and the replacement fits, at the cost of a moment in which neither key works."
	}
	diags.AddWarning(summary, fmt.Sprintf(
		"Replacing API key %s (%q) needs %d active keys on %s, more than the %d Horizon allows. It holds %d active key(s):\n%s%s\n%s "+
			"Revoke another of the keys above first (remove its resource, or revoke it in Horizon), then apply.",
		prior.ID.ValueString(), prior.Name.ValueString(), needed, k.Owner, k.Limit, len(k.Active), describeActiveKeys(k.Active), context.String(), how))
	return diags
}

// holdsSlot reports whether the key with id is one of the owner's active keys
// that this plan does not revoke first.
func holdsSlot(k ownerKeys, id string) bool {
	for _, key := range k.Active {
		if key.ID == id {
			return !k.Freed[id]
		}
	}
	return false
}

// ownerKind is the first word of an owner's description: "service account".
func ownerKind(owner string) string {
	words := strings.Fields(owner)
	if len(words) > 1 {
		return strings.Join(words[:len(words)-1], " ")
	}
	return owner
}

// describeActiveKeys lists keys one per line, for diagnostics about the key limit.
func describeActiveKeys(keys []activeKey) string {
	var b strings.Builder
	for _, k := range keys {
		expires := "never expires"
		switch {
		case k.Retiring:
			expires = "retiring: its grace period ends at " + k.ExpiresAt
		case k.ExpiresAt != "":
			expires = "expires at " + k.ExpiresAt
		}
		fmt.Fprintf(&b, "  - %s (%q), created %s, %s\n", k.ID, k.Name, k.CreatedAt, expires)
	}
	return b.String()
}

func parseTime(v types.String) (time.Time, bool) {
	if v.IsNull() || v.IsUnknown() {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, v.ValueString())
	return t, err == nil
}

func parseDuration(v types.String) (time.Duration, bool) {
	if v.IsNull() || v.IsUnknown() {
		return 0, false
	}
	d, err := time.ParseDuration(v.ValueString())
	return d, err == nil
}

func sameInstant(a, b types.String) bool {
	ta, okA := parseTime(a)
	tb, okB := parseTime(b)
	return okA && okB && ta.Equal(tb)
}

func sameDuration(a, b types.String) bool {
	da, okA := parseDuration(a)
	db, okB := parseDuration(b)
	return okA && okB && da == db
}

func orUnknown(v types.String) string {
	if v.IsNull() || v.IsUnknown() {
		return "an unknown time"
	}
	return v.ValueString()
}
