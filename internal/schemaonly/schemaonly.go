// Package schemaonly is a provider that does nothing but what the framework
// does: it has the same name, schemas (with their defaults, validators and
// plan modifiers) and identities as the provider it wraps, and resources and
// data sources that call no API. A resource keeps whatever its plan says,
// with a placeholder for each value known only after apply; a data source
// answers its configuration. `make bench` runs Terraform against it beside
// the real provider: the difference is what our own code costs.
package schemaonly

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// idPrefixes are the prefixes of the ids that the configurations refer to,
// which the Horizon provider's validators check: a placeholder id has one.
var idPrefixes = map[string]string{"horizon_server": "srv_", "horizon_service_account": "sa_"}

// New returns the schema-only twin of inner.
func New(inner provider.Provider) provider.Provider { return &schemaOnly{inner: inner} }

type schemaOnly struct{ inner provider.Provider }

func (p *schemaOnly) Metadata(ctx context.Context, req provider.MetadataRequest, resp *provider.MetadataResponse) {
	p.inner.Metadata(ctx, req, resp)
}

func (p *schemaOnly) Schema(ctx context.Context, req provider.SchemaRequest, resp *provider.SchemaResponse) {
	p.inner.Schema(ctx, req, resp)
}

func (p *schemaOnly) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {
}

func (p *schemaOnly) Resources(ctx context.Context) []func() resource.Resource {
	var out []func() resource.Resource
	for _, newResource := range p.inner.Resources(ctx) {
		out = append(out, func() resource.Resource { return &schemaOnlyResource{inner: newResource(), p: p} })
	}
	return out
}

func (p *schemaOnly) DataSources(ctx context.Context) []func() datasource.DataSource {
	var out []func() datasource.DataSource
	for _, newDataSource := range p.inner.DataSources(ctx) {
		out = append(out, func() datasource.DataSource { return &schemaOnlyDataSource{inner: newDataSource(), p: p} })
	}
	return out
}

type schemaOnlyResource struct {
	inner resource.Resource
	p     *schemaOnly
}

var (
	_ resource.ResourceWithIdentity    = (*schemaOnlyResource)(nil)
	_ resource.ResourceWithImportState = (*schemaOnlyResource)(nil)
)

func (r *schemaOnlyResource) Metadata(ctx context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	r.inner.Metadata(ctx, req, resp)
}

func (r *schemaOnlyResource) Schema(ctx context.Context, req resource.SchemaRequest, resp *resource.SchemaResponse) {
	r.inner.Schema(ctx, req, resp)
}

func (r *schemaOnlyResource) IdentitySchema(ctx context.Context, req resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	if withIdentity, ok := r.inner.(resource.ResourceWithIdentity); ok {
		withIdentity.IdentitySchema(ctx, req, resp)
	}
}

func (r *schemaOnlyResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	resp.State.Raw = known(req.Plan.Raw, r.typeName(ctx))
	setIdentity(resp.State.Raw, resp.Identity)
}

func (r *schemaOnlyResource) typeName(ctx context.Context) string {
	var resp resource.MetadataResponse
	r.inner.Metadata(ctx, resource.MetadataRequest{ProviderTypeName: "horizon"}, &resp)
	return resp.TypeName
}

// Read keeps the state, and gives it an identity as the real resources do.
func (r *schemaOnlyResource) Read(_ context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	setIdentity(req.State.Raw, resp.Identity)
}

func (r *schemaOnlyResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	resp.State.Raw = known(req.Plan.Raw, r.typeName(ctx))
	setIdentity(resp.State.Raw, resp.Identity)
}

func (r *schemaOnlyResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {
}

func (r *schemaOnlyResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resource.ImportStatePassthroughID(ctx, path.Root("id"), req, resp)
}

type schemaOnlyDataSource struct {
	inner datasource.DataSource
	p     *schemaOnly
}

func (d *schemaOnlyDataSource) Metadata(ctx context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	d.inner.Metadata(ctx, req, resp)
}

func (d *schemaOnlyDataSource) Schema(ctx context.Context, req datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	d.inner.Schema(ctx, req, resp)
}

// Read answers the configuration, with a placeholder for each computed
// attribute it leaves null, so that references to them are known.
func (d *schemaOnlyDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var meta datasource.MetadataResponse
	d.inner.Metadata(ctx, datasource.MetadataRequest{ProviderTypeName: "horizon"}, &meta)
	attributes := req.Config.Schema.GetAttributes()
	state, _ := tftypes.Transform(req.Config.Raw, func(p *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
		if steps := p.Steps(); len(steps) == 1 && v.IsNull() {
			if name, ok := steps[0].(tftypes.AttributeName); ok && attributes[string(name)].IsComputed() {
				return placeholder(meta.TypeName, p, v.Type()), nil
			}
		}
		return v, nil
	})
	resp.State.Raw = state
}

// known replaces every unknown value of a resource's state with a placeholder.
func known(v tftypes.Value, typeName string) tftypes.Value {
	out, _ := tftypes.Transform(v, func(p *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
		if !v.IsKnown() {
			return placeholder(typeName, p, v.Type()), nil
		}
		return v, nil
	})
	return out
}

// placeholder is a known value of typ for the attribute at p of a resource
// or data source: an id in the shape of its type's ids, another string, a
// number or bool, or an empty collection.
func placeholder(typeName string, p *tftypes.AttributePath, typ tftypes.Type) tftypes.Value {
	switch {
	case typ.Is(tftypes.String):
		if prefix, ok := idPrefixes[typeName]; ok && p.Equal(tftypes.NewAttributePath().WithAttributeName("id")) {
			return tftypes.NewValue(typ, prefix+"schemaonlyaaaaaa")
		}
		return tftypes.NewValue(typ, "schema-only")
	case typ.Is(tftypes.Bool):
		return tftypes.NewValue(typ, false)
	case typ.Is(tftypes.Number):
		return tftypes.NewValue(typ, 0)
	case typ.Is(tftypes.Set{}), typ.Is(tftypes.List{}):
		return tftypes.NewValue(typ, []tftypes.Value{})
	case typ.Is(tftypes.Map{}):
		return tftypes.NewValue(typ, map[string]tftypes.Value{})
	default:
		return tftypes.NewValue(typ, nil)
	}
}

// setIdentity fills each identity attribute from the state attribute of the
// same name, as the real resources' identities are their ids.
func setIdentity(state tftypes.Value, identity *tfsdk.ResourceIdentity) {
	if identity == nil {
		return
	}
	var attrs map[string]tftypes.Value
	_ = state.As(&attrs)
	identityType, ok := identity.Raw.Type().(tftypes.Object)
	if !ok {
		return
	}
	values := map[string]tftypes.Value{}
	for name, typ := range identityType.AttributeTypes {
		if v, ok := attrs[name]; ok && v.Type().Equal(typ) {
			values[name] = v
		} else {
			values[name] = placeholder("", tftypes.NewAttributePath().WithAttributeName(name), typ)
		}
	}
	identity.Raw = tftypes.NewValue(identityType, values)
}
