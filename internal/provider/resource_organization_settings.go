package provider

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/horizonhq/terraform-provider-horizon/internal/client"
)

var (
	_ resource.ResourceWithConfigure   = (*organizationSettingsResource)(nil)
	_ resource.ResourceWithImportState = (*organizationSettingsResource)(nil)
	_ resource.ResourceWithIdentity    = (*organizationSettingsResource)(nil)
)

type organizationSettingsResource struct {
	withIdentity
	client *client.Client
}

// NewOrganizationSettingsResource returns the horizon_organization_settings resource.
func NewOrganizationSettingsResource() resource.Resource {
	return &organizationSettingsResource{withIdentity: withIdentity{organizationSettingsIdentity}}
}

type organizationSettingsModel struct {
	OrganizationID    types.String `tfsdk:"organization_id"`
	DefaultServerRole types.String `tfsdk:"default_server_role"`
}

// privatePrevious holds, in the private state, the settings the organization
// had before Terraform managed them, which destroying the resource restores.
const privatePrevious = "previous"

type previousSettings struct {
	DefaultServerRole string `json:"default_server_role"`
}

func (r *organizationSettingsResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_organization_settings"
}

func (r *organizationSettingsResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The settings of the provider's organization: its `default_server_role`, the server role of members " +
			"and viewers on every server where they hold no grant. An organization cannot be deleted, so this resource manages " +
			"settings that always exist: creating it takes them over, and destroying it restores the value the organization had " +
			"before Terraform managed it (recorded when the resource was created or imported). Changing it needs an organization " +
			"`owner` or `admin` key; the change applies to the very next request of every actor.",
		Attributes: map[string]schema.Attribute{
			"organization_id": schema.StringAttribute{
				MarkdownDescription: "Id of the organization (`org_...`). Defaults to the provider's organization, the only one " +
					"it can manage; to manage another, configure a provider (or an alias) with that `organization_id`.",
				Optional:      true,
				Computed:      true,
				Validators:    []validator.String{idValidator("org_", "an organization id")},
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown(), stringplanmodifier.RequiresReplace()},
			},
			"default_server_role": schema.StringAttribute{
				MarkdownDescription: "Server role of members and viewers on servers where they have no grant: " + quoteList(defaultServerRoles) +
					". `none` hides such servers (they answer 404); `viewer` lets everyone discover them, which a plan-only key needs " +
					"for the servers a configuration reads; `user` also lets members call them. Owners and admins reach every server whatever it is.",
				Required:   true,
				Validators: []validator.String{stringvalidator.OneOf(defaultServerRoles...)},
			},
		},
	}
}

// steadyPlan: the resource has no ModifyPlan, and its attributes' plan
// modifiers (UseStateForUnknown, RequiresReplace) change nothing when the plan is the state.
func (*organizationSettingsResource) steadyPlan(context.Context, map[string]tftypes.Value) bool {
	return true
}

func (r *organizationSettingsResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.client = clientFrom(req.ProviderData, &resp.Diagnostics)
}

// organization reads the provider's organization and checks that it is the
// one the configuration names.
func (r *organizationSettingsResource) organization(ctx context.Context, want types.String, action string) (*client.Organization, diag.Diagnostics) {
	var diags diag.Diagnostics
	org, err := r.client.GetOrganization(ctx)
	if err != nil {
		diags.Append(apiErrorDiagnostic(action, err))
		return nil, diags
	}
	if !want.IsNull() && !want.IsUnknown() && want.ValueString() != org.ID {
		diags.AddAttributeError(path.Root("organization_id"), "Not the Provider's Organization", fmt.Sprintf(
			"organization_id is %s, but the provider manages organization %s (%q): a provider configures one organization. "+
				"Remove organization_id, or use a provider alias whose organization_id is %s and whose key belongs to it.",
			want.ValueString(), org.ID, org.Name, want.ValueString()))
		return nil, diags
	}
	return org, diags
}

func (r *organizationSettingsResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan organizationSettingsModel
	resp.Diagnostics.Append(readModel(ctx, req.Plan, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	org, diags := r.organization(ctx, plan.OrganizationID, "read the organization's settings")
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(rememberPrevious(ctx, resp.Private, org)...)
	r.apply(ctx, plan, &resp.State, &resp.Diagnostics)
	resp.Diagnostics.Append(r.setIdentity(ctx, resp.State, resp.Identity)...)
}

func (r *organizationSettingsResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan organizationSettingsModel
	resp.Diagnostics.Append(readModel(ctx, req.Plan, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.apply(ctx, plan, &resp.State, &resp.Diagnostics)
	resp.Diagnostics.Append(r.setIdentity(ctx, resp.State, resp.Identity)...)
}

func (r *organizationSettingsResource) apply(ctx context.Context, plan organizationSettingsModel, state stateSetter, diags *diag.Diagnostics) {
	role := plan.DefaultServerRole.ValueString()
	org, err := r.client.UpdateOrganization(ctx, client.UpdateOrganizationRequest{DefaultServerRole: &role})
	if err != nil {
		diags.Append(apiErrorDiagnostic("set the organization's default_server_role to "+role, err))
		return
	}
	diags.Append(writeModel(ctx, state, organizationSettingsModel{
		OrganizationID:    types.StringValue(org.ID),
		DefaultServerRole: types.StringValue(org.DefaultServerRole),
	})...)
}

// rememberPrevious records the settings as they are before Terraform manages
// them; a record already there (the resource was created or imported
// earlier) stays.
func rememberPrevious(ctx context.Context, private privateData, org *client.Organization) diag.Diagnostics {
	if existing, _ := private.GetKey(ctx, privatePrevious); existing != nil {
		return nil
	}
	previous, _ := json.Marshal(previousSettings{DefaultServerRole: org.DefaultServerRole})
	return private.SetKey(ctx, privatePrevious, previous)
}

// privateData is a resource's private state.
type privateData interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}

func (r *organizationSettingsResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state organizationSettingsModel
	resp.Diagnostics.Append(readModel(ctx, req.State, &state)...)
	resp.Diagnostics.Append(r.setIdentity(ctx, req.State, resp.Identity)...)
	if resp.Diagnostics.HasError() {
		return
	}
	org, diags := r.organization(ctx, state.OrganizationID, "read the organization's settings")
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	// After an import, the first read records what destroying restores.
	resp.Diagnostics.Append(rememberPrevious(ctx, resp.Private, org)...)
	resp.Diagnostics.Append(writeModel(ctx, &resp.State, organizationSettingsModel{
		OrganizationID:    types.StringValue(org.ID),
		DefaultServerRole: types.StringValue(org.DefaultServerRole),
	})...)
}

// Delete restores the settings the organization had before Terraform managed
// them: an organization cannot be deleted, and its settings always exist.
func (r *organizationSettingsResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	raw, diags := req.Private.GetKey(ctx, privatePrevious)
	resp.Diagnostics.Append(diags...)
	var previous previousSettings
	if raw == nil || json.Unmarshal(raw, &previous) != nil || previous.DefaultServerRole == "" {
		resp.Diagnostics.AddWarning("Organization Settings Left As They Are", "Terraform has no record of the organization's "+
			"settings before it managed them, so it leaves default_server_role as it is and only stops managing it.")
		return
	}
	_, err := r.client.UpdateOrganization(ctx, client.UpdateOrganizationRequest{DefaultServerRole: &previous.DefaultServerRole})
	if err != nil {
		resp.Diagnostics.Append(apiErrorDiagnostic("restore the organization's default_server_role to "+previous.DefaultServerRole, err))
	}
}
