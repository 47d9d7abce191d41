package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// importIdentity is a resource's identity (Terraform 1.12+): the ids that its
// import id is made of, in the import id's order. Each is also a string
// attribute of the resource with the same name, so the identity is always a
// copy of state: it is set from the state after every create, read and
// update, and an import, by import id or by identity, sets the same state
// attributes.
//
// A resource gets an identity in four steps: declare its importIdentity
// below, embed withIdentity (which brings IdentitySchema and ImportState, so
// the resource drops its own ImportState), set it in the constructor, and call
// setIdentity after the state is set in Create and Update, and at the start
// of Read (so that a Read that removes the resource still answers with one):
//
//	type fooResource struct {
//		withIdentity
//		client *client.Client
//	}
//
//	func NewFooResource() resource.Resource {
//		return &fooResource{withIdentity: withIdentity{fooIdentity}}
//	}
//
//	resp.Diagnostics.Append(r.setIdentity(ctx, resp.State, resp.Identity)...)  // Create, Update
//	resp.Diagnostics.Append(r.setIdentity(ctx, req.State, resp.Identity)...)   // Read
//
// The API key resources (key_resource.go) take their identity from their
// keyOwner instead of embedding one.
type importIdentity struct {
	// resourceType is the resource's type name, such as horizon_server_grant,
	// and noun how messages name one, such as "server grant".
	resourceType, noun string
	parts              []identityPart
}

// identityPart is one id of an identity.
type identityPart struct {
	// attribute names the id in the identity and in the resource's state.
	attribute string
	// prefix and what describe a valid value: "srv_" and "a server id".
	prefix, what string
}

// bare is what without its article: "server id".
func (p identityPart) bare() string {
	return strings.TrimPrefix(strings.TrimPrefix(p.what, "a "), "an ")
}

// The identities of the resources, by resource type.
var (
	serviceAccountIdentity = importIdentity{"horizon_service_account", "service account", []identityPart{
		{"id", "sa_", "a service account id"},
	}}
	serviceAccountKeyIdentity = importIdentity{"horizon_service_account_key", "service account's API key", []identityPart{
		{"service_account_id", "sa_", "a service account id"},
		{"id", "key_", "a key id"},
	}}
	serverGrantIdentity = importIdentity{"horizon_server_grant", "server grant", []identityPart{
		{"service_account_id", "sa_", "a service account id"},
		{"server_id", "srv_", "a server id"},
	}}
	serverIdentity = importIdentity{"horizon_server", "server", []identityPart{
		{"id", "srv_", "a server id"},
	}}
	personalAPIKeyIdentity = importIdentity{"horizon_personal_api_key", "personal key of the provider's user", []identityPart{
		{"id", "key_", "a personal key id"},
	}}
	organizationSettingsIdentity = importIdentity{"horizon_organization_settings", "organization's settings", []identityPart{
		{"organization_id", "org_", "an organization id"},
	}}
)

// schema is the identity schema: every id is required to import.
func (ident importIdentity) schema() identityschema.Schema {
	attrs := make(map[string]identityschema.Attribute, len(ident.parts))
	for _, p := range ident.parts {
		attrs[p.attribute] = identityschema.StringAttribute{
			RequiredForImport: true,
			Description:       fmt.Sprintf("The %s (`%s...`): the resource's `%s`.", p.bare(), p.prefix, p.attribute),
		}
	}
	return identityschema.Schema{Attributes: attrs}
}

// importIDFormat is the import id as users write it: <service_account_id>/<key_id>.
func (ident importIdentity) importIDFormat() string {
	names := make([]string, len(ident.parts))
	for i, p := range ident.parts {
		names[i] = "<" + strings.ReplaceAll(p.bare(), " ", "_") + ">"
	}
	return strings.Join(names, "/")
}

// importIDExample is an import id with the prefixes: sa_.../srv_....
func (ident importIdentity) importIDExample() string {
	examples := make([]string, len(ident.parts))
	for i, p := range ident.parts {
		examples[i] = p.prefix + "..."
	}
	return strings.Join(examples, "/")
}

// importState sets the resource's id attributes, and its identity, from an
// import id (terraform import, or an import block with id) or from an import
// block's identity (Terraform 1.12+). Read then fills in the rest.
func (ident importIdentity) importState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	values, ok := ident.values(ctx, req, &resp.Diagnostics)
	if !ok {
		return
	}
	for i, p := range ident.parts {
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root(p.attribute), values[i])...)
		if resp.Identity != nil {
			resp.Diagnostics.Append(resp.Identity.SetAttribute(ctx, path.Root(p.attribute), values[i])...)
		}
	}
}

// values reads and checks the ids of an import, in the order of parts.
func (ident importIdentity) values(ctx context.Context, req resource.ImportStateRequest, diags *diag.Diagnostics) ([]string, bool) {
	if req.ID == "" && req.Identity != nil {
		values := make([]string, len(ident.parts))
		for i, p := range ident.parts {
			var v types.String
			diags.Append(req.Identity.GetAttribute(ctx, path.Root(p.attribute), &v)...)
			if problem := checkID(v.ValueString(), p.prefix, p.what); problem != "" {
				diags.AddAttributeError(path.Root(p.attribute), "Invalid Import Identity", fmt.Sprintf(
					"The import block's identity attribute %s: %s", p.attribute, problem))
			}
			values[i] = v.ValueString()
		}
		return values, !diags.HasError()
	}
	values := strings.Split(req.ID, "/")
	valid := len(values) == len(ident.parts)
	for i := 0; valid && i < len(values); i++ {
		valid = checkID(values[i], ident.parts[i].prefix, ident.parts[i].what) == ""
	}
	if !valid {
		detail := fmt.Sprintf("%q is not %s.", req.ID, ident.importIDFormat())
		if len(ident.parts) == 1 {
			detail = checkID(req.ID, ident.parts[0].prefix, ident.parts[0].what)
		}
		diags.AddError("Invalid Import Id", fmt.Sprintf(
			"%s Import a %s as: terraform import %s.NAME %s, or with an import block whose id is %s or whose identity names %s.",
			detail, ident.noun, ident.resourceType, ident.importIDExample(), ident.importIDFormat(), ident.attributeList()))
		return nil, false
	}
	return values, true
}

func (ident importIdentity) attributeList() string {
	names := make([]string, len(ident.parts))
	for i, p := range ident.parts {
		names[i] = p.attribute
	}
	return strings.Join(names, " and ")
}

// attributeGetter is what holds a resource's attributes: its state, or a
// list result's resource.
type attributeGetter interface {
	GetAttribute(ctx context.Context, p path.Path, target any) diag.Diagnostics
}

// setIdentity copies the identity's ids from the resource's attributes. The
// framework hands no identity to a resource type without one, and then there
// is nothing to set.
//
// From a state, the ids are copied as Terraform values, without the
// framework's lookups by path (5% of the provider's CPU in an apply from
// empty); TestSetIdentityMatchesTheFramework proves the two the same.
func setIdentity(ctx context.Context, ident importIdentity, from attributeGetter, to *tfsdk.ResourceIdentity) diag.Diagnostics {
	var diags diag.Diagnostics
	if to == nil {
		return diags
	}
	if state, ok := from.(tfsdk.State); ok && copyIdentity(ident, state.Raw, to) {
		return diags
	}
	for _, p := range ident.parts {
		var v types.String
		diags.Append(from.GetAttribute(ctx, path.Root(p.attribute), &v)...)
		diags.Append(to.SetAttribute(ctx, path.Root(p.attribute), v)...)
	}
	return diags
}

// copyIdentity sets to's ids from the state's raw value, and says whether it
// could: the identity is an object of exactly the ids, each a string as in
// the state.
func copyIdentity(ident importIdentity, state tftypes.Value, to *tfsdk.ResourceIdentity) bool {
	identityType, ok := to.Raw.Type().(tftypes.Object)
	if !ok || len(identityType.AttributeTypes) != len(ident.parts) {
		return false
	}
	var attrs map[string]tftypes.Value
	if state.As(&attrs) != nil {
		return false
	}
	ids := make(map[string]tftypes.Value, len(ident.parts))
	for _, p := range ident.parts {
		v, ok := attrs[p.attribute]
		if !ok {
			v = tftypes.NewValue(tftypes.String, nil)
		}
		if !v.Type().Equal(tftypes.String) || !identityType.AttributeTypes[p.attribute].Equal(tftypes.String) {
			return false
		}
		ids[p.attribute] = v
	}
	to.Raw = tftypes.NewValue(identityType, ids)
	return true
}

// withIdentity gives a resource its identity schema and its import, by import
// id or by identity; embed it in the resource type.
type withIdentity struct {
	identity importIdentity
}

func (w withIdentity) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = w.identity.schema()
}

func (w withIdentity) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	w.identity.importState(ctx, req, resp)
}

// setIdentity copies the resource's identity from its state.
func (w withIdentity) setIdentity(ctx context.Context, from attributeGetter, to *tfsdk.ResourceIdentity) diag.Diagnostics {
	return setIdentity(ctx, w.identity, from, to)
}
