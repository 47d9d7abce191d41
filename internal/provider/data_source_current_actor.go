package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/horizonhq/terraform-provider-horizon/internal/client"
)

var _ datasource.DataSourceWithConfigure = (*currentActorDataSource)(nil)

type currentActorDataSource struct {
	client *client.Client
}

// NewCurrentActorDataSource returns the horizon_current_actor data source.
func NewCurrentActorDataSource() datasource.DataSource { return &currentActorDataSource{} }

type currentActorModel struct {
	ID                types.String `tfsdk:"id"`
	Type              types.String `tfsdk:"type"`
	Name              types.String `tfsdk:"name"`
	Role              types.String `tfsdk:"role"`
	OrganizationID    types.String `tfsdk:"organization_id"`
	OrganizationName  types.String `tfsdk:"organization_name"`
	DefaultServerRole types.String `tfsdk:"default_server_role"`
}

func (d *currentActorDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_current_actor"
}

func (d *currentActorDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The user or service account that owns the provider's API key, and its organization. " +
			"Use it to check which identity and role a pipeline runs with.",
		Attributes: map[string]schema.Attribute{
			"id":   schema.StringAttribute{Computed: true, MarkdownDescription: "Id of the actor (`usr_...` or `sa_...`)."},
			"type": schema.StringAttribute{Computed: true, MarkdownDescription: "`user` or `service_account`."},
			"name": schema.StringAttribute{Computed: true, MarkdownDescription: "Name of the actor."},
			"role": schema.StringAttribute{Computed: true, MarkdownDescription: "The actor's organization role: `owner`, `admin`, `member` or `viewer`."},
			"organization_id": schema.StringAttribute{Computed: true,
				MarkdownDescription: "Id of the organization the provider manages."},
			"organization_name": schema.StringAttribute{Computed: true, MarkdownDescription: "Name of that organization."},
			"default_server_role": schema.StringAttribute{Computed: true,
				MarkdownDescription: "The organization's role on servers for actors without an explicit grant: `none`, `viewer` or `user`."},
		},
	}
}

func (d *currentActorDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.client = clientFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *currentActorDataSource) Read(ctx context.Context, _ datasource.ReadRequest, resp *datasource.ReadResponse) {
	me, err := d.client.Me(ctx)
	if err != nil {
		resp.Diagnostics.Append(apiErrorDiagnostic("read the current actor", err))
		return
	}
	// /me carries the actor's organization: a second request only for another one.
	wanted := d.client.OrganizationID()
	if wanted == client.CurrentOrganization {
		wanted = me.Actor.OrganizationID
	}
	var org *client.Organization
	for i := range me.Organizations {
		if me.Organizations[i].ID == wanted {
			org = &me.Organizations[i]
		}
	}
	if org == nil {
		if org, err = d.client.GetOrganization(ctx); err != nil {
			resp.Diagnostics.Append(apiErrorDiagnostic("read the organization "+d.client.OrganizationID(), err))
			return
		}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, currentActorModel{
		ID:                types.StringValue(me.Actor.ID),
		Type:              types.StringValue(me.Actor.Type),
		Name:              types.StringValue(me.Actor.Name),
		Role:              types.StringValue(me.Actor.Role),
		OrganizationID:    types.StringValue(org.ID),
		OrganizationName:  types.StringValue(org.Name),
		DefaultServerRole: types.StringValue(org.DefaultServerRole),
	})...)
}
