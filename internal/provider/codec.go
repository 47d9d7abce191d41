package provider

import (
	"context"
	"fmt"
	"reflect"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// The models of the hot paths (every resource's Read, and every call of the
// key resources) are converted to and from Terraform's values here, instead
// of by the framework's tfsdk Get and Set. Those reflect over the model on
// every call and compile a regular expression for each field
// (internal/reflect.isValidFieldName), 23% of the provider's CPU in a refresh
// (BenchmarkRefreshRPCs). The codec reads a model type's layout once, then
// converts each attribute with its own type's ValueFromTerraform and
// ToTerraformValue, as the framework does for flat models like ours (string,
// bool, number, set and map attributes, no blocks).
// TestCodecMatchesTheFramework proves both conversions equal to tfsdk's for
// every model, attribute and kind of value (known, null, unknown).

// codec converts one model type.
type codec struct {
	objectType tftypes.Object
	fields     []codecField
}

type codecField struct {
	index     []int
	attribute string
	typ       attr.Type
}

var codecs sync.Map // reflect.Type of the model → *codec

// schemaTyper is what a plan, state or configuration says of its schema.
type schemaTyper interface {
	Type() attr.Type
}

// codecFor returns the codec of the model type t, learning the attribute
// types from schema the first time.
func codecFor(ctx context.Context, t reflect.Type, schema schemaTyper) (*codec, error) {
	if c, ok := codecs.Load(t); ok {
		return c.(*codec), nil
	}
	object, ok := schema.Type().(attr.TypeWithAttributeTypes)
	if !ok {
		return nil, fmt.Errorf("the schema of %s is not an object", t)
	}
	c := &codec{objectType: object.TerraformType(ctx).(tftypes.Object)}
	if err := c.addFields(t, nil, object.AttributeTypes()); err != nil {
		return nil, err
	}
	if len(c.fields) != len(object.AttributeTypes()) {
		return nil, fmt.Errorf("%s has %d fields for %d attributes", t, len(c.fields), len(object.AttributeTypes()))
	}
	actual, _ := codecs.LoadOrStore(t, c)
	return actual.(*codec), nil
}

// addFields adds the fields of struct t, and of the structs it embeds.
func (c *codec) addFields(t reflect.Type, index []int, types map[string]attr.Type) error {
	for i := range t.NumField() {
		f := t.Field(i)
		at := append(append([]int{}, index...), i)
		if f.Anonymous {
			if err := c.addFields(f.Type, at, types); err != nil {
				return err
			}
			continue
		}
		name := f.Tag.Get("tfsdk")
		typ, ok := types[name]
		if !ok {
			return fmt.Errorf("%s.%s: no attribute %q in the schema", t, f.Name, name)
		}
		c.fields = append(c.fields, codecField{index: at, attribute: name, typ: typ})
	}
	return nil
}

// getModel decodes a plan, state or configuration into target, a pointer to
// a model, as tfsdk's Get does.
func getModel(ctx context.Context, raw tftypes.Value, schema schemaTyper, target any) diag.Diagnostics {
	var diags diag.Diagnostics
	v := reflect.ValueOf(target).Elem()
	c, err := codecFor(ctx, v.Type(), schema)
	if err != nil {
		diags.AddError("Value Conversion Error", "This is a bug in the provider; please report it: "+err.Error())
		return diags
	}
	var attrs map[string]tftypes.Value
	if err := raw.As(&attrs); err != nil {
		diags.AddError("Value Conversion Error", "This is a bug in the provider; please report it: "+err.Error())
		return diags
	}
	for _, f := range c.fields {
		value, err := f.typ.ValueFromTerraform(ctx, attrs[f.attribute])
		if err != nil {
			diags.AddError("Value Conversion Error", fmt.Sprintf("This is a bug in the provider; please report it: %s: %v", f.attribute, err))
			return diags
		}
		v.FieldByIndex(f.index).Set(reflect.ValueOf(value))
	}
	return diags
}

// modelValue encodes a model (a struct value) as tfsdk's Set does.
func modelValue(ctx context.Context, model any, schema schemaTyper) (tftypes.Value, diag.Diagnostics) {
	var diags diag.Diagnostics
	v := reflect.ValueOf(model)
	c, err := codecFor(ctx, v.Type(), schema)
	if err != nil {
		diags.AddError("Value Conversion Error", "This is a bug in the provider; please report it: "+err.Error())
		return tftypes.Value{}, diags
	}
	attrs := make(map[string]tftypes.Value, len(c.fields))
	for _, f := range c.fields {
		value, err := v.FieldByIndex(f.index).Interface().(attr.Value).ToTerraformValue(ctx)
		if err != nil {
			diags.AddError("Value Conversion Error", fmt.Sprintf("This is a bug in the provider; please report it: %s: %v", f.attribute, err))
			return tftypes.Value{}, diags
		}
		attrs[f.attribute] = value
	}
	return tftypes.NewValue(c.objectType, attrs), diags
}

// readModel decodes a plan, state or configuration into target.
func readModel(ctx context.Context, from planGetter, target any) diag.Diagnostics {
	switch data := from.(type) {
	case tfsdk.State:
		return getModel(ctx, data.Raw, data.Schema, target)
	case *tfsdk.State:
		return getModel(ctx, data.Raw, data.Schema, target)
	case tfsdk.Plan:
		return getModel(ctx, data.Raw, data.Schema, target)
	case *tfsdk.Plan:
		return getModel(ctx, data.Raw, data.Schema, target)
	case tfsdk.Config:
		return getModel(ctx, data.Raw, data.Schema, target)
	default:
		return from.Get(ctx, target)
	}
}

// writeModel encodes model into a state or plan.
func writeModel(ctx context.Context, to stateSetter, model any) diag.Diagnostics {
	switch data := to.(type) {
	case *tfsdk.State:
		raw, diags := modelValue(ctx, model, data.Schema)
		if !diags.HasError() {
			data.Raw = raw
		}
		return diags
	case *tfsdk.Plan:
		raw, diags := modelValue(ctx, model, data.Schema)
		if !diags.HasError() {
			data.Raw = raw
		}
		return diags
	default:
		return to.Set(ctx, model)
	}
}
