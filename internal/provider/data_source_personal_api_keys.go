package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var _ datasource.DataSourceWithConfigure = (*personalAPIKeysDataSource)(nil)

type personalAPIKeysDataSource struct {
	data *providerData
}

// NewPersonalAPIKeysDataSource returns the horizon_personal_api_keys data source.
func NewPersonalAPIKeysDataSource() datasource.DataSource { return &personalAPIKeysDataSource{} }

func (d *personalAPIKeysDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_personal_api_keys"
}

func (d *personalAPIKeysDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Metadata of the personal API keys of the user whose key configures the provider, ordered by creation: " +
			"every key, active, expired and revoked, or only those with the given `status`; for example to find active keys that " +
			"were not used for months. Secrets are never listed.",
		Attributes: map[string]schema.Attribute{
			"keys": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The keys.",
				NestedObject:        keyMetadataObject,
			},
			"status": keyStatusFilter,
		},
	}
}

func (d *personalAPIKeysDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *personalAPIKeysDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var status types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("status"), &status)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ownerID, _, err := personalKeys{}.resolve(ctx, d.data, ownedKey{})
	if err != nil {
		resp.Diagnostics.Append(ownerDiagnostic("list the provider user's personal keys", err))
		return
	}
	keys, err := d.data.client.ListPersonalAPIKeys(ctx)
	if err != nil {
		resp.Diagnostics.Append(apiErrorDiagnostic(fmt.Sprintf("list the personal keys of user %s", ownerID), err))
		return
	}
	list, diags := keyMetadataList(ctx, keys, status)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("status"), status)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("keys"), list)...)
}
