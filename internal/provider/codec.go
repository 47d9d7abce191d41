package provider

import (
	"context"
	"fmt"
	"reflect"
	"slices"
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

// codec converts one model type to and from one schema's object type.
type codec struct {
	schemaType attr.Type
	objectType tftypes.Object
	fields     []codecField
}

type codecField struct {
	index     []int
	attribute string
	typ       attr.Type
}

// codecs holds, for each model type, the codecs of the schemas it has met:
// one model may serve schemas whose attributes have other types (a resource
// and a data source), and each must convert with its own.
var codecs sync.Map // reflect.Type of the model → *codecList

// codecList is never changed once stored: an addition stores a new one.
type codecList struct{ codecs []*codec }

func asCodecList(v any) *codecList {
	l, _ := v.(*codecList)
	return l
}

func (l *codecList) find(schemaType attr.Type) *codec {
	if l != nil {
		for _, c := range l.codecs {
			if c.schemaType.Equal(schemaType) {
				return c
			}
		}
	}
	return nil
}

// schemaTyper is what a plan, state or configuration says of its schema.
type schemaTyper interface {
	Type() attr.Type
}

// codecFor returns the codec of the model type t for schema, learning the
// attribute types from schema the first time they meet.
func codecFor(ctx context.Context, t reflect.Type, schema schemaTyper) (*codec, error) {
	schemaType := schema.Type()
	known, _ := codecs.Load(t)
	if c := asCodecList(known).find(schemaType); c != nil {
		return c, nil
	}
	object, ok := schemaType.(attr.TypeWithAttributeTypes)
	if !ok {
		return nil, fmt.Errorf("the schema of %s is not an object", t)
	}
	c := &codec{schemaType: schemaType, objectType: object.TerraformType(ctx).(tftypes.Object)}
	if err := c.addFields(t, nil, object.AttributeTypes()); err != nil {
		return nil, err
	}
	if len(c.fields) != len(object.AttributeTypes()) {
		return nil, fmt.Errorf("%s has %d fields for %d attributes", t, len(c.fields), len(object.AttributeTypes()))
	}
	for {
		known, loaded := codecs.LoadOrStore(t, &codecList{codecs: []*codec{c}})
		if !loaded {
			return c, nil
		}
		list := known.(*codecList)
		if other := list.find(schemaType); other != nil {
			return other, nil // learnt meanwhile by another call
		}
		if codecs.CompareAndSwap(t, list, &codecList{codecs: append(slices.Clip(list.codecs), c)}) {
			return c, nil
		}
	}
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
