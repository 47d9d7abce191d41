package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
	"github.com/horizonhq/terraform-provider-horizon/internal/client"
)

var _ datasource.DataSourceWithConfigure = (*serviceAccountKeysDataSource)(nil)

type serviceAccountKeysDataSource struct {
	client *client.Client
}

// NewServiceAccountKeysDataSource returns the horizon_service_account_keys data source.
func NewServiceAccountKeysDataSource() datasource.DataSource { return &serviceAccountKeysDataSource{} }

// keyMetadataObject is one key of the key list data sources; never its secret.
var keyMetadataObject = schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
	"id":            schema.StringAttribute{Computed: true, MarkdownDescription: "Id of the key (`key_...`)."},
	"name":          schema.StringAttribute{Computed: true, MarkdownDescription: "Name of the key."},
	"masked_secret": schema.StringAttribute{Computed: true, MarkdownDescription: "Non-sensitive rendering of the secret (`fmcp_AbCd...wXyZ`)."},
	"status":        schema.StringAttribute{Computed: true, MarkdownDescription: "Status of the key: " + quoteList(api.KeyStatuses) + "."},
	"created_at":    schema.StringAttribute{Computed: true, MarkdownDescription: "When the key was created (RFC 3339)."},
	"expires_at":    schema.StringAttribute{Computed: true, MarkdownDescription: "When the key expires (RFC 3339); null if it does not."},
	"last_used_at": schema.StringAttribute{Computed: true, MarkdownDescription: "When the key last authenticated a request (RFC 3339, to the minute); " +
		"null if never. Use it to verify that traffic moved to a new key before the old one is revoked."},
	"revoked_at": schema.StringAttribute{Computed: true, MarkdownDescription: "When the key was revoked (RFC 3339); null while it is not."},
}}

// keyStatusFilter is the optional status attribute of the key list data
// sources: only the keys with that status.
var keyStatusFilter = schema.StringAttribute{
	Optional: true,
	MarkdownDescription: "Only the keys with this status: " + quoteList(api.KeyStatuses) + ". `active` lists the keys that " +
		"authenticate now (the common case); leave it out to list every key, revoked and expired ones included.",
	Validators: []validator.String{stringvalidator.OneOf(api.KeyStatuses...)},
}

type keyMetadataModel struct {
	ID           types.String `tfsdk:"id"`
	Name         types.String `tfsdk:"name"`
	MaskedSecret types.String `tfsdk:"masked_secret"`
	Status       types.String `tfsdk:"status"`
	CreatedAt    types.String `tfsdk:"created_at"`
	ExpiresAt    types.String `tfsdk:"expires_at"`
	LastUsedAt   types.String `tfsdk:"last_used_at"`
	RevokedAt    types.String `tfsdk:"revoked_at"`
}

func (d *serviceAccountKeysDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_service_account_keys"
}

func (d *serviceAccountKeysDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Metadata of the API keys of one service account, ordered by creation: every key, active, expired " +
			"and revoked, or only those with the given `status`. Secrets are never listed: Horizon shows a secret only once, " +
			"to the create call.",
		Attributes: map[string]schema.Attribute{
			"service_account_id": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Id of the service account (`sa_...`).",
				Validators:          []validator.String{idValidator("sa_", "a service account id")},
			},
			"keys": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The keys.",
				NestedObject:        keyMetadataObject,
			},
			"status": keyStatusFilter,
		},
	}
}

func (d *serviceAccountKeysDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.client = clientFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *serviceAccountKeysDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var saID, status types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("service_account_id"), &saID)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("status"), &status)...)
	if resp.Diagnostics.HasError() {
		return
	}
	keys, err := d.client.ListAPIKeys(ctx, saID.ValueString())
	if err != nil {
		resp.Diagnostics.Append(lookupDiagnostic(path.Root("service_account_id"), "service account",
			fmt.Sprintf("id %q", saID.ValueString()), err))
		return
	}
	list, diags := keyMetadataList(ctx, keys, status)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("service_account_id"), saID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("status"), status)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("keys"), list)...)
}

// keyMetadataList is the keys attribute of the key list data sources: the
// keys with status, or all of them when status is null.
func keyMetadataList(ctx context.Context, keys []client.APIKey, status types.String) (types.List, diag.Diagnostics) {
	models := make([]keyMetadataModel, 0, len(keys))
	for _, k := range keys {
		if !status.IsNull() && k.Status != status.ValueString() {
			continue
		}
		models = append(models, keyMetadataModel{
			ID:           types.StringValue(k.ID),
			Name:         types.StringValue(k.Name),
			MaskedSecret: types.StringValue(k.MaskedSecret),
			Status:       types.StringValue(k.Status),
			CreatedAt:    types.StringValue(k.CreatedAt),
			ExpiresAt:    types.StringPointerValue(k.ExpiresAt),
			LastUsedAt:   types.StringPointerValue(k.LastUsedAt),
			RevokedAt:    types.StringPointerValue(k.RevokedAt),
		})
	}
	return types.ListValueFrom(ctx, keyMetadataObject.Type(), models)
}
