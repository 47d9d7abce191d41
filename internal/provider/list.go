package provider

import (
	"context"
	"iter"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// List resources (terraform query, Terraform 1.14+) stream what Horizon's list
// endpoints return, page by page, without reading each object again: every
// result has the resource's identity, a display name and, when Terraform asks
// for it (include_resource, or -generate-config-out), the resource exactly as
// its Read would store it. A secret is never in a list result: Horizon lists
// no secrets, so a key's secret is null, as after an import.

// listPageSize is how many objects one list request asks Horizon for, unless
// the list block's limit is smaller.
const listPageSize = 100

// pageSize is the page to ask for when Terraform wants at most limit results.
func pageSize(limit int64) int {
	if limit > 0 && limit < listPageSize {
		return int(limit)
	}
	return listPageSize
}

// listed is what a list resource knows about one API object: whether to list
// it at all, its display name, and how it maps into the resource's state.
type listed[T any] struct {
	include     func(T) bool
	displayName func(T) string
	// toState sets the resource from the object; the resource starts with
	// every attribute null, as an import's state before its Read.
	toState func(context.Context, T, *tfsdk.Resource) diag.Diagnostics
}

// stream sets the response's results to the objects of items that l
// includes, at most req.Limit of them. An error of the API ends the stream
// with a diagnostic that says what failed.
func stream[T any](ctx context.Context, req list.ListRequest, resp *list.ListResultsStream, ident importIdentity, action string, items iter.Seq2[T, error], l listed[T]) {
	resp.Results = func(push func(list.ListResult) bool) {
		var pushed int64
		for item, err := range items {
			if err != nil {
				push(list.ListResult{Diagnostics: diag.Diagnostics{apiErrorDiagnostic(action, err)}})
				return
			}
			if l.include != nil && !l.include(item) {
				continue
			}
			result := req.NewListResult(ctx)
			result.DisplayName = l.displayName(item)
			result.Diagnostics.Append(nullAttributes(ctx, result.Resource)...)
			result.Diagnostics.Append(l.toState(ctx, item, result.Resource)...)
			result.Diagnostics.Append(setIdentity(ctx, ident, result.Resource, result.Identity)...)
			if !push(result) {
				return
			}
			if pushed++; req.Limit > 0 && pushed >= req.Limit {
				return
			}
		}
	}
}

// ofServiceAccount is the configuration of a list of one service account's
// objects (its keys, its grants).
type ofServiceAccount struct {
	ServiceAccountID types.String `tfsdk:"service_account_id"`
}

// ofServiceAccountSchema is the list configuration schema of ofServiceAccount;
// what names the objects listed, such as "keys".
func ofServiceAccountSchema(description, what string) schema.Schema {
	return schema.Schema{
		MarkdownDescription: description,
		Attributes: map[string]schema.Attribute{
			"service_account_id": schema.StringAttribute{
				MarkdownDescription: "Id of the service account (`sa_...`) whose " + what + " to list.",
				Required:            true,
				Validators:          []validator.String{idValidator("sa_", "a service account id")},
			},
		},
	}
}

// configuredServiceAccount reads the service account of a list; on error
// the results are the diagnostics.
func configuredServiceAccount(ctx context.Context, req list.ListRequest, resp *list.ListResultsStream) (string, bool) {
	var cfg ofServiceAccount
	if diags := req.Config.Get(ctx, &cfg); diags.HasError() {
		resp.Results = list.ListResultsStreamDiagnostics(diags)
		return "", false
	}
	return cfg.ServiceAccountID.ValueString(), true
}

// nullAttributes makes r an object whose attributes are all null, so that
// the resource's model can be read from it and filled in.
func nullAttributes(ctx context.Context, r *tfsdk.Resource) diag.Diagnostics {
	var diags diag.Diagnostics
	objectType, ok := r.Schema.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		diags.AddError("Unexpected Resource Schema", "A resource schema is not an object. This is a bug in the provider; please report it.")
		return diags
	}
	values := make(map[string]tftypes.Value, len(objectType.AttributeTypes))
	for name, t := range objectType.AttributeTypes {
		values[name] = tftypes.NewValue(t, nil)
	}
	r.Raw = tftypes.NewValue(objectType, values)
	return diags
}

// modelState returns a toState that reads the resource's model M, lets fill
// map the object into it (the resource's own fromAPI), and writes it back.
func modelState[T, M any](fill func(*M, *T)) func(context.Context, T, *tfsdk.Resource) diag.Diagnostics {
	return func(ctx context.Context, item T, r *tfsdk.Resource) diag.Diagnostics {
		var m M
		diags := r.Get(ctx, &m)
		if diags.HasError() {
			return diags
		}
		fill(&m, &item)
		diags.Append(r.Set(ctx, m)...)
		return diags
	}
}
