package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/horizonhq/terraform-provider-horizon/internal/client"
)

var (
	_ datasource.DataSourceWithConfigure        = (*serverDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*serverDataSource)(nil)
	_ datasource.DataSourceWithConfigure        = (*serversDataSource)(nil)
)

// serverURLDescription describes a server's url wherever it appears.
const serverURLDescription = "The server's MCP endpoint (the MCP Streamable HTTP transport): point any MCP client at it " +
	"with the header `Authorization: Bearer <key>`. A key whose owner has the organization role `member` and a `user` " +
	"or `admin` grant on the server (or an `admin` or `owner`) may call it; the provider's index page shows how to try one."

// serverObject is one server of horizon_servers.
var serverObject = schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
	"id":          schema.StringAttribute{Computed: true, MarkdownDescription: "Id of the server (`srv_...`)."},
	"name":        schema.StringAttribute{Computed: true, MarkdownDescription: "Display name of the server."},
	"slug":        schema.StringAttribute{Computed: true, MarkdownDescription: "Short, unique, URL-safe name of the server, such as `weather`."},
	"description": schema.StringAttribute{Computed: true, MarkdownDescription: "Description of the server."},
	"url":         schema.StringAttribute{Computed: true, MarkdownDescription: serverURLDescription},
}}

type serverModel struct {
	ID          types.String `tfsdk:"id"`
	Name        types.String `tfsdk:"name"`
	Slug        types.String `tfsdk:"slug"`
	Description types.String `tfsdk:"description"`
	URL         types.String `tfsdk:"url"`
}

func serverModelFrom(s client.Server) serverModel {
	return serverModel{
		ID:          types.StringValue(s.ID),
		Name:        types.StringValue(s.Name),
		Slug:        types.StringValue(s.Slug),
		Description: types.StringValue(s.Description),
		URL:         types.StringValue(s.URL),
	}
}

type serverDataSource struct {
	client *client.Client
}

// NewServerDataSource returns the horizon_server data source.
func NewServerDataSource() datasource.DataSource { return &serverDataSource{} }

func (d *serverDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_server"
}

func (d *serverDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "One MCP server of the organization, by `id` or `slug`. Only servers the provider key's owner " +
			"may discover are found: organization owners and admins see every server, others only those they have a grant on " +
			"or that the organization's `default_server_role` opens.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Optional: true, Computed: true,
				MarkdownDescription: "Id of the server (`srv_...`). Give exactly one of `id` and `slug`.",
				Validators:          []validator.String{idValidator("srv_", "a server id")},
			},
			"slug": schema.StringAttribute{
				Optional: true, Computed: true,
				MarkdownDescription: "Short, unique, URL-safe name of the server, such as `weather`. Give exactly one of `id` and `slug`.",
			},
			"name":        schema.StringAttribute{Computed: true, MarkdownDescription: "Display name of the server."},
			"description": schema.StringAttribute{Computed: true, MarkdownDescription: "Description of the server."},
			"url":         schema.StringAttribute{Computed: true, MarkdownDescription: serverURLDescription},
		},
	}
}

func (d *serverDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{datasourcevalidator.ExactlyOneOf(path.MatchRoot("id"), path.MatchRoot("slug"))}
}

func (d *serverDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.client = clientFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *serverDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var cfg serverModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	found := lookup[client.Server]{
		what: "server", keyAttr: "slug",
		get: d.client.GetServer, list: d.client.ListServers,
		keyOf: func(s client.Server) string { return s.Slug },
		hint:  func(all []client.Server) string { return "The key's owner sees these servers: " + slugList(all) + "." },
		hidden: "Horizon hides from a member or viewer the servers it may not discover, as if they did not exist. " +
			planOnlyKeyAdvice,
	}.find(ctx, cfg.ID, cfg.Slug, &resp.Diagnostics)
	if found == nil {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, serverModelFrom(*found))...)
}

type serversDataSource struct {
	client *client.Client
}

// NewServersDataSource returns the horizon_servers data source.
func NewServersDataSource() datasource.DataSource { return &serversDataSource{} }

func (d *serversDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_servers"
}

func (d *serversDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Every MCP server of the organization that the provider key's owner may discover, ordered by creation.",
		Attributes: map[string]schema.Attribute{
			"servers": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The servers.",
				NestedObject:        serverObject,
			},
		},
	}
}

func (d *serversDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.client = clientFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *serversDataSource) Read(ctx context.Context, _ datasource.ReadRequest, resp *datasource.ReadResponse) {
	servers, err := d.client.ListServers(ctx)
	if err != nil {
		resp.Diagnostics.Append(apiErrorDiagnostic("list servers", err))
		return
	}
	models := make([]serverModel, len(servers))
	for i, s := range servers {
		models[i] = serverModelFrom(s)
	}
	list, diags := types.ListValueFrom(ctx, serverObject.Type(), models)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("servers"), list)...)
}

func slugList(servers []client.Server) string {
	if len(servers) == 0 {
		return "none"
	}
	slugs := make([]string, len(servers))
	for i, s := range servers {
		slugs[i] = s.Slug
	}
	return quoteList(slugs)
}
