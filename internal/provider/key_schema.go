package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

// The key resources' schema, and the check of a configuration that the
// schema alone cannot make.

func (r *apiKeyResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	attributes := map[string]schema.Attribute{
		"id": schema.StringAttribute{
			MarkdownDescription: "Id of the key (`key_...`).",
			Computed:            true,
			PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"name": schema.StringAttribute{
			MarkdownDescription: fmt.Sprintf("Name of the key, 1 to %d characters, such as `primary` or the date of rotation. "+
				"Renaming updates the key in place; its secret does not change.", maxKeyNameLength),
			Required:   true,
			Validators: []validator.String{keyName.validator()},
		},
		"expires_at": schema.StringAttribute{
			MarkdownDescription: "When the key stops authenticating, as an RFC 3339 time in the future in whole seconds, such as `2027-01-31T00:00:00Z`. " +
				"Set it, or `ttl`, or neither for a key that does not expire. With `ttl`, Horizon sets it at creation. " +
				"Changing it creates a new key. A key that has expired is planned for replacement, with a warning.",
			Optional:   true,
			Computed:   true,
			Validators: []validator.String{rfc3339Validator(), stringvalidator.ConflictsWith(path.MatchRoot("ttl"))},
		},
		"ttl": schema.StringAttribute{
			MarkdownDescription: "Lifetime of the key as a Go duration (`720h`, `90m`) " + durationRange(minTTL, maxTTL) + ": " +
				"Horizon sets `expires_at` to the creation time plus `ttl`. Changing it creates a new key.",
			Optional:   true,
			Validators: []validator.String{durationValidator(minTTL, maxTTL)},
		},
		"renew_before": schema.StringAttribute{
			MarkdownDescription: "With `ttl`: a Go duration (such as `168h`). A plan made when less than this is left before " +
				"`expires_at` (by Horizon's clock) replaces the key, with a warning; with `create_before_destroy` the new key " +
				"exists before the old one is revoked. Must be shorter than `ttl`. Changing it changes only when renewal happens.",
			Optional:   true,
			Validators: []validator.String{durationValidator(0, maxTTL), stringvalidator.AlsoRequires(path.MatchRoot("ttl"))},
		},
		"keepers": schema.MapAttribute{
			MarkdownDescription: "Arbitrary map of strings; changing any value creates a new key. Use it to rotate on an event, " +
				"such as a new value of a `time_rotating` resource or a deployment version.",
			ElementType: types.StringType,
			Optional:    true,
		},
		"grace_period": schema.StringAttribute{
			MarkdownDescription: "How long the key keeps working after it is destroyed or replaced, as a Go duration " +
				"(such as `30m` or `24h`) " + durationRange(minGracePeriod, maxGracePeriod) + ". Instead of revoking the key, destroying it brings its expiry " +
				"forward to the end of the grace period (never later than an `expires_at` it already has), so consumers that pick up " +
				"the new secret on their own schedule keep working until then. A key in its grace period still counts toward the " +
				"owner's limit of active keys. Without it, destroying revokes the key at once. Changing it updates in place, " +
				"with no call to Horizon.",
			Optional:   true,
			Validators: []validator.String{durationValidator(minGracePeriod, maxGracePeriod)},
		},
		"age_recipients": schema.SetAttribute{
			MarkdownDescription: "Keeps the secret out of the state: a set of age recipients, each " + acceptedRecipients + ". " +
				"With it, `secret` stays null and `encrypted_secret` holds the secret encrypted to every recipient, so only " +
				"a holder of a matching identity can read it (`age -d -i identity.txt`, or the `horizon_api_key_secret` " +
				"ephemeral resource). Changing it creates a new key, since the plaintext is gone.",
			ElementType: types.StringType,
			Optional:    true,
			Validators:  []validator.Set{ageRecipientsValidator{}},
		},
		"encrypted_secret": schema.StringAttribute{
			MarkdownDescription: "With `age_recipients`: the secret, encrypted with age to every recipient, in ASCII armor " +
				"(`-----BEGIN AGE ENCRYPTED FILE-----`). Null without `age_recipients`, and after `terraform import`.",
			Computed:      true,
			PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"secret": schema.StringAttribute{
			MarkdownDescription: "The key's secret (`fmcp_...`), to send as `Authorization: Bearer <secret>`. Known only to the " +
				"apply that created the key; null after `terraform import`, because Horizon never shows a secret twice, " +
				"and null with `age_recipients`, which keeps it out of the state.",
			Computed:      true,
			Sensitive:     true,
			PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"masked_secret": schema.StringAttribute{
			MarkdownDescription: "A non-sensitive rendering of the secret (`fmcp_AbCd...wXyZ`) that is safe to show in outputs and logs, " +
				"to tell keys apart.",
			Computed:      true,
			PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"status": schema.StringAttribute{
			MarkdownDescription: "Status of the key: " + quoteList(api.KeyStatuses) + ". A key that is not `active` when Terraform " +
				"refreshes it is planned for replacement, with a warning that says why.",
			Computed: true,
		},
		"created_at": schema.StringAttribute{
			MarkdownDescription: "When the key was created (RFC 3339).",
			Computed:            true,
			PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"revoked_at": schema.StringAttribute{
			MarkdownDescription: "When the key was revoked (RFC 3339); null while it is not.",
			Computed:            true,
		},
	}
	for name, a := range r.owner.ownerAttributes() {
		attributes[name] = a
	}
	resp.Schema = schema.Schema{MarkdownDescription: r.owner.describe(), Attributes: attributes}
}

// ValidateConfig refuses a renew_before that is not shorter than ttl: every plan
// would then replace the key it just created.
func (r *apiKeyResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	ttl, renew := configString(ctx, req.Config, "ttl"), configString(ctx, req.Config, "renew_before")
	dt, okT := parseDuration(ttl)
	dr, okR := parseDuration(renew)
	if okT && okR && dr >= dt {
		resp.Diagnostics.AddAttributeError(path.Root("renew_before"), "Renewal Window Too Long", fmt.Sprintf(
			"renew_before (%s) must be shorter than ttl (%s), or every plan would replace the key it just created. "+
				"A common choice is a quarter of ttl, such as ttl = \"720h\" with renew_before = \"168h\".", renew.ValueString(), ttl.ValueString()))
	}
}
