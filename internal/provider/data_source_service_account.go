package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/horizonhq/terraform-provider-horizon/internal/client"
)

var (
	_ datasource.DataSourceWithConfigure        = (*serviceAccountDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*serviceAccountDataSource)(nil)
)

type serviceAccountDataSource struct {
	client *client.Client
}

// NewServiceAccountDataSource returns the horizon_service_account data source.
func NewServiceAccountDataSource() datasource.DataSource { return &serviceAccountDataSource{} }

func (d *serviceAccountDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_service_account"
}

func (d *serviceAccountDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A service account of the organization, by `id` or `name`: for accounts that another configuration manages.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Optional: true, Computed: true,
				MarkdownDescription: "Id of the service account (`sa_...`). Give exactly one of `id` and `name`.",
				Validators:          []validator.String{idValidator("sa_", "a service account id")},
			},
			"name": schema.StringAttribute{
				Optional: true, Computed: true,
				MarkdownDescription: "Name of the service account, unique in the organization. Give exactly one of `id` and `name`.",
			},
			"organization_id": schema.StringAttribute{Computed: true, MarkdownDescription: "Id of the organization."},
			"description":     schema.StringAttribute{Computed: true, MarkdownDescription: "Description."},
			"role": schema.StringAttribute{Computed: true,
				MarkdownDescription: "Organization role: " + quoteList(serviceAccountRoles) + "."},
			"disabled":   schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the account (and so each of its keys) is disabled."},
			"created_at": schema.StringAttribute{Computed: true, MarkdownDescription: "When the account was created (RFC 3339)."},
		},
	}
}

func (d *serviceAccountDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{datasourcevalidator.ExactlyOneOf(path.MatchRoot("id"), path.MatchRoot("name"))}
}

func (d *serviceAccountDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.client = clientFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *serviceAccountDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var cfg serviceAccountModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	found := lookup[client.ServiceAccount]{
		what: "service account", keyAttr: "name",
		get: d.client.GetServiceAccount, list: d.client.ListServiceAccounts,
		keyOf: func(sa client.ServiceAccount) string { return sa.Name },
		hint:  func([]client.ServiceAccount) string { return "Names are case-sensitive." },
	}.find(ctx, cfg.ID, cfg.Name, &resp.Diagnostics)
	if found == nil {
		return
	}
	var m serviceAccountModel
	m.fromAPI(found)
	resp.Diagnostics.Append(resp.State.Set(ctx, m)...)
}
