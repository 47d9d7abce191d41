package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
	"github.com/horizonhq/terraform-provider-horizon/internal/client"
	"github.com/horizonhq/terraform-provider-horizon/internal/names"
)

var (
	_ resource.ResourceWithConfigure   = (*serverResource)(nil)
	_ resource.ResourceWithImportState = (*serverResource)(nil)
	_ resource.ResourceWithIdentity    = (*serverResource)(nil)
)

var serverSlug = patternName{
	field: "slug", owner: "server", noun: "slug", example: "weather",
	rule:    "1 to 63 lowercase letters, digits and '-', starting and ending with a letter or digit",
	pattern: regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`),
}

const maxServerNameLength = 64

var serverName = printableName{what: "server", example: "Weather", max: maxServerNameLength, stored: true}

type serverResource struct {
	withIdentity
	client *client.Client
}

// NewServerResource returns the horizon_server resource.
func NewServerResource() resource.Resource {
	return &serverResource{withIdentity: withIdentity{serverIdentity}}
}

type serverResourceModel struct {
	ID          types.String `tfsdk:"id"`
	Name        types.String `tfsdk:"name"`
	Slug        types.String `tfsdk:"slug"`
	Description types.String `tfsdk:"description"`
	URL         types.String `tfsdk:"url"`
	CreatedAt   types.String `tfsdk:"created_at"`
}

func (m *serverResourceModel) fromAPI(s *client.Server) {
	m.ID = types.StringValue(s.ID)
	m.Name = types.StringValue(s.Name)
	m.Slug = types.StringValue(s.Slug)
	m.Description = types.StringValue(s.Description)
	m.URL = types.StringValue(s.URL)
	m.CreatedAt = types.StringValue(s.CreatedAt)
}

func (r *serverResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_server"
}

func (r *serverResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "An MCP server of the organization, which its actors reach at `url` with their API keys. " +
			"Who may discover and call it is decided by `horizon_server_grant` and the organization's `default_server_role`; " +
			"organization owners and admins reach every server. Creating, changing and destroying a server needs an " +
			"organization admin or owner key. Destroying it removes every grant on it in the same step: the keys of accounts " +
			"that held those grants lose access to it at once.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Id of the server (`srv_...`).",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: fmt.Sprintf("Display name, unique in the organization: 1 to %d printable characters, "+
					"without leading or trailing spaces. Horizon compares names without regard to case, width and lookalike "+
					"characters, so `Wеather` with a Cyrillic `е` is taken when `Weather` exists. "+
					"Renaming updates the server in place.", maxServerNameLength),
				Required:   true,
				Validators: []validator.String{serverName.validator()},
			},
			"slug": schema.StringAttribute{
				MarkdownDescription: "Short, URL-safe name, unique in the organization, such as `weather`: " + serverSlug.rule + ". " +
					"Horizon never changes a slug, so " +
					"changing it creates a new server (with a new `id` and `url`, and none of the old one's grants).",
				Required:      true,
				Validators:    []validator.String{serverSlug.validator()},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"description": schema.StringAttribute{
				MarkdownDescription: fmt.Sprintf("Free-text description, at most %d characters. Defaults to empty. Updates in place.", maxDescriptionLength),
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(""),
				Validators:          []validator.String{stringvalidator.LengthAtMost(maxDescriptionLength)},
			},
			"url": schema.StringAttribute{
				MarkdownDescription: serverURLDescription,
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"created_at": schema.StringAttribute{
				MarkdownDescription: "When the server was created (RFC 3339).",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
		},
	}
}

// steadyPlan: the resource has no ModifyPlan, and its attributes' plan
// modifiers (UseStateForUnknown, RequiresReplace) change nothing when the plan is the state.
func (*serverResource) steadyPlan(context.Context, map[string]tftypes.Value) bool { return true }

func (r *serverResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.client = clientFrom(req.ProviderData, &resp.Diagnostics)
}

func (r *serverResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan serverResourceModel
	resp.Diagnostics.Append(readModel(ctx, req.Plan, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := uninterruptible(ctx)
	defer cancel()
	srv, err := r.client.CreateServer(ctx, client.CreateServerRequest{
		Name:        plan.Name.ValueString(),
		Slug:        plan.Slug.ValueString(),
		Description: plan.Description.ValueString(),
	})
	if err != nil {
		resp.Diagnostics.Append(r.diagnostic(ctx, fmt.Sprintf("create server %q", plan.Slug.ValueString()), plan, "", err))
		return
	}
	plan.fromAPI(srv)
	resp.Diagnostics.Append(writeModel(ctx, &resp.State, plan)...)
	resp.Diagnostics.Append(r.setIdentity(ctx, resp.State, resp.Identity)...)
}

func (r *serverResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state serverResourceModel
	resp.Diagnostics.Append(readModel(ctx, req.State, &state)...)
	resp.Diagnostics.Append(r.setIdentity(ctx, req.State, resp.Identity)...)
	if resp.Diagnostics.HasError() {
		return
	}
	action := fmt.Sprintf("read server %s", state.ID.ValueString())
	srv, err := r.client.GetServer(ctx, state.ID.ValueString())
	if errors.Is(err, client.ErrNotFound) {
		if serverGone(ctx, r.client, action, &resp.Diagnostics) {
			resp.Diagnostics.AddWarning("Server Deleted Outside Terraform", fmt.Sprintf(
				"Server %s (%q) no longer exists in Horizon, so Terraform will create it again, with a new id and url. "+
					"The grants on it were removed with it.", state.ID.ValueString(), state.Slug.ValueString()))
			resp.State.RemoveResource(ctx)
		}
		return
	}
	if err != nil {
		resp.Diagnostics.Append(apiErrorDiagnostic(action, err))
		return
	}
	state.fromAPI(srv)
	resp.Diagnostics.Append(writeModel(ctx, &resp.State, state)...)
}

func (r *serverResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state serverResourceModel
	resp.Diagnostics.Append(readModel(ctx, req.Plan, &plan)...)
	resp.Diagnostics.Append(readModel(ctx, req.State, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	srv, err := r.client.UpdateServer(ctx, state.ID.ValueString(), client.UpdateServerRequest{
		Name:        changedString(state.Name, plan.Name),
		Description: changedString(state.Description, plan.Description),
	})
	if err != nil {
		resp.Diagnostics.Append(r.diagnostic(ctx, fmt.Sprintf("update server %s", state.ID.ValueString()), plan, state.ID.ValueString(), err))
		return
	}
	plan.fromAPI(srv)
	resp.Diagnostics.Append(writeModel(ctx, &resp.State, plan)...)
	resp.Diagnostics.Append(r.setIdentity(ctx, resp.State, resp.Identity)...)
}

func (r *serverResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state serverResourceModel
	resp.Diagnostics.Append(readModel(ctx, req.State, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	err := r.client.DeleteServer(ctx, state.ID.ValueString())
	if err != nil && !errors.Is(err, client.ErrNotFound) {
		resp.Diagnostics.Append(apiErrorDiagnostic(fmt.Sprintf("delete server %s", state.ID.ValueString()), err))
	}
}

// diagnostic adds the server-specific advice to apiErrorDiagnostic: a name or
// slug that another server of the organization already has, named by its id.
// self is the id of the server being updated, "" for a create.
func (r *serverResource) diagnostic(ctx context.Context, action string, planned serverResourceModel, self string, err error) diag.Diagnostic {
	apiErr, ok := client.AsAPIError(err)
	if !ok || apiErr.Code != api.CodeNameConflict {
		return apiErrorDiagnostic(action, err)
	}
	field := apiErr.Field()
	if field != "slug" {
		field = "name"
	}
	n := nameTaken{attribute: field, summary: "Server " + titleCase(field) + " Taken", action: action, noun: "server", updating: self != ""}
	if servers, err := r.client.ListServers(ctx); err == nil {
		for _, s := range servers {
			// Horizon compares names folded, slugs as they are.
			taken := names.Fold(s.Name) == names.Fold(planned.Name.ValueString())
			if field == "slug" {
				taken = s.Slug == planned.Slug.ValueString()
			}
			if taken && s.ID != self {
				n.holder = s.ID
				if field == "name" && s.Name != planned.Name.ValueString() {
					n.lookalike = s.Name
				}
			}
		}
	}
	return nameTakenDiagnostic(n)
}
