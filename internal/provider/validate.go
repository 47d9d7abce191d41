package provider

import (
	"context"
	"fmt"
	"sort"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// The validation of a resource's configuration, which Terraform asks for
// every resource in every plan and apply, and in a provider process that is
// often not yet configured. The framework's validation looks each attribute
// up by path, rebuilding the schema's attribute map at every step, before it
// calls the attribute's validators; in an apply from empty under Terraform
// 1.14 that was the largest cost left in the provider process, and the one
// on Terraform's path: a provider that skipped validation altogether applied
// 300 resources from empty in 1.47 s instead of 1.55 s.
//
// For the resource types that have a createPath (flat schemas of string,
// bool, set and map attributes that it fully knows), validate does what the
// framework does, in its order: configure a fresh resource, run the
// resource's ConfigValidators and ValidateConfig, then for each attribute
// refuse a value for a read-only attribute and a null for a required one,
// call the attribute's validators with the same request, and warn of a
// deprecated attribute that is set. TestValidationMatchesTheFramework proves
// the diagnostics the same, over valid and invalid configurations of every
// resource type, configured or not.
func (s *fastPlanServer) validate(ctx context.Context, req *tfprotov6.ValidateResourceConfigRequest) *tfprotov6.ValidateResourceConfigResponse {
	s.load(ctx)
	c := s.creates[req.TypeName]
	if c == nil || req.Config == nil || len(req.Config.JSON) > 0 {
		return nil
	}
	raw, err := req.Config.Unmarshal(c.objectType)
	if err != nil {
		return nil
	}
	var attrs map[string]tftypes.Value
	if raw.As(&attrs) != nil || attrs == nil {
		return nil
	}
	ctx, cancel := s.stoppable(ctx)
	defer cancel()
	r, diags := c.configured(ctx, s.provider.configured())
	if diags.HasError() {
		return &tfprotov6.ValidateResourceConfigResponse{Diagnostics: protoDiagnostics(ctx, diags)}
	}
	writeOnlyAllowed := req.ClientCapabilities != nil && req.ClientCapabilities.WriteOnlyAttributesAllowed
	config := tfsdk.Config{Schema: c.schema, Raw: raw}
	resourceReq := resource.ValidateConfigRequest{
		ClientCapabilities: resource.ValidateConfigClientCapabilities{WriteOnlyAttributesAllowed: writeOnlyAllowed},
		Config:             config,
	}
	if withValidators, ok := r.(resource.ResourceWithConfigValidators); ok {
		for _, v := range withValidators.ConfigValidators(ctx) {
			var resp resource.ValidateConfigResponse
			v.ValidateResource(ctx, resourceReq, &resp)
			diags.Append(resp.Diagnostics...)
		}
	}
	if withValidate, ok := r.(resource.ResourceWithValidateConfig); ok {
		var resp resource.ValidateConfigResponse
		withValidate.ValidateConfig(ctx, resourceReq, &resp)
		diags.Append(resp.Diagnostics...)
	}
	base := attributeValidation{
		capabilities: validator.ValidateSchemaClientCapabilities{WriteOnlyAttributesAllowed: writeOnlyAllowed},
		config:       config,
	}
	for _, name := range c.attributeNames {
		a := c.schema.Attributes[name]
		value, err := a.GetType().ValueFromTerraform(ctx, attrs[name])
		if err != nil {
			return nil
		}
		diags.Append(base.validate(ctx, name, a, value)...)
	}
	if c.schema.DeprecationMessage != "" {
		diags.AddWarning("Deprecated", c.schema.DeprecationMessage)
	}
	return &tfprotov6.ValidateResourceConfigResponse{Diagnostics: protoDiagnostics(ctx, diags)}
}

// attributeValidation is what every attribute's validation shares.
type attributeValidation struct {
	capabilities validator.ValidateSchemaClientCapabilities
	config       tfsdk.Config
}

// validate is the framework's AttributeValidate for a flat attribute whose
// value is value.
func (v attributeValidation) validate(ctx context.Context, name string, a schema.Attribute, value attr.Value) diag.Diagnostics {
	var diags diag.Diagnostics
	p, expression := path.Root(name), path.MatchRoot(name)
	if !a.IsRequired() && !a.IsOptional() && !a.IsComputed() {
		diags.AddAttributeError(p, "Invalid Attribute Definition",
			"Attribute missing Required, Optional, or Computed definition. This is always a problem with the provider and should be reported to the provider developer.")
		return diags
	}
	null, unknown := value.IsNull(), value.IsUnknown()
	if a.IsComputed() && !a.IsOptional() && !null {
		diags.AddAttributeError(p, "Invalid Configuration for Read-Only Attribute",
			"Cannot set value for this attribute as the provider has marked it as read-only. Remove the configuration line setting the value.\n\n"+
				"Refer to the provider documentation or contact the provider developers for additional information about configurable and read-only attributes that are supported.")
	}
	if a.IsRequired() && null {
		diags.AddAttributeError(p, "Missing Configuration for Required Attribute",
			fmt.Sprintf("Must set a configuration value for the %s attribute as the provider has marked it as required.\n\n", p.String())+
				"Refer to the provider documentation or contact the provider developers for additional information about configurable attributes that are required.")
	}
	switch a := a.(type) {
	case schema.StringAttribute:
		req := validator.StringRequest{ClientCapabilities: v.capabilities, Config: v.config, ConfigValue: value.(types.String), Path: p, PathExpression: expression}
		for _, check := range a.Validators {
			var resp validator.StringResponse
			check.ValidateString(ctx, req, &resp)
			diags.Append(resp.Diagnostics...)
		}
	case schema.BoolAttribute:
		req := validator.BoolRequest{ClientCapabilities: v.capabilities, Config: v.config, ConfigValue: value.(types.Bool), Path: p, PathExpression: expression}
		for _, check := range a.Validators {
			var resp validator.BoolResponse
			check.ValidateBool(ctx, req, &resp)
			diags.Append(resp.Diagnostics...)
		}
	case schema.SetAttribute:
		req := validator.SetRequest{ClientCapabilities: v.capabilities, Config: v.config, ConfigValue: value.(types.Set), Path: p, PathExpression: expression}
		for _, check := range a.Validators {
			var resp validator.SetResponse
			check.ValidateSet(ctx, req, &resp)
			diags.Append(resp.Diagnostics...)
		}
	case schema.MapAttribute:
		req := validator.MapRequest{ClientCapabilities: v.capabilities, Config: v.config, ConfigValue: value.(types.Map), Path: p, PathExpression: expression}
		for _, check := range a.Validators {
			var resp validator.MapResponse
			check.ValidateMap(ctx, req, &resp)
			diags.Append(resp.Diagnostics...)
		}
	}
	if a.GetDeprecationMessage() != "" && !null && !unknown {
		diags.AddAttributeWarning(p, "Attribute Deprecated", a.GetDeprecationMessage())
	}
	return diags
}

// sortedAttributeNames are a schema's attribute names in order; the
// framework validates them in a map's order, so the order of its
// diagnostics varies from run to run, and ours does not.
func sortedAttributeNames(s schema.Schema) []string {
	names := make([]string, 0, len(s.Attributes))
	for name := range s.Attributes {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
