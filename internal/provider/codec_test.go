package provider

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// codecCases are the models the codec serves, each with its resource's schema.
var codecCases = []struct {
	name     string
	resource resource.Resource
	model    func() any
}{
	{"horizon_service_account", NewServiceAccountResource(), func() any { return &serviceAccountModel{} }},
	{"horizon_server_grant", NewServerGrantResource(), func() any { return &serverGrantModel{} }},
	{"horizon_server", NewServerResource(), func() any { return &serverResourceModel{} }},
	{"horizon_organization_settings", NewOrganizationSettingsResource(), func() any { return &organizationSettingsModel{} }},
	{"horizon_service_account_key", NewServiceAccountKeyResource(), func() any { return &serviceAccountKeyModel{} }},
	{"horizon_personal_api_key", NewPersonalAPIKeyResource(), func() any { return &personalAPIKeyModel{} }},
}

// The codec decodes and encodes exactly as tfsdk's Get and Set do, for every
// model, attribute and kind of value.
func TestCodecMatchesTheFramework(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2)) //nolint:gosec // G404: repeatable test values
	for _, tc := range codecCases {
		t.Run(tc.name, func(t *testing.T) {
			var resp resource.SchemaResponse
			tc.resource.Schema(ctx, resource.SchemaRequest{}, &resp)
			schema := resp.Schema
			typ := schema.Type().TerraformType(ctx)
			for i := range 500 {
				raw := randomValue(rng, typ, true)
				state := tfsdk.State{Schema: schema, Raw: raw}

				viaFramework, viaCodec := tc.model(), tc.model()
				if diags := state.Get(ctx, viaFramework); diags.HasError() {
					t.Fatalf("tfsdk Get: %v", diags)
				}
				if diags := readModel(ctx, state, viaCodec); diags.HasError() {
					t.Fatalf("codec: %v", diags)
				}
				if !sameModel(viaFramework, viaCodec) {
					t.Fatalf("value %d: decoded\n codec     %+v\n framework %+v\nfrom %s", i, viaCodec, viaFramework, raw)
				}

				model := reflect.ValueOf(viaFramework).Elem().Interface()
				setByFramework := tfsdk.State{Schema: schema}
				if diags := setByFramework.Set(ctx, model); diags.HasError() {
					t.Fatalf("tfsdk Set: %v", diags)
				}
				setByCodec := tfsdk.State{Schema: schema}
				if diags := writeModel(ctx, &setByCodec, model); diags.HasError() {
					t.Fatalf("codec: %v", diags)
				}
				if !setByCodec.Raw.Equal(setByFramework.Raw) || !setByCodec.Raw.Equal(raw) {
					t.Fatalf("value %d: encoded\n codec     %s\n framework %s\n original  %s", i, setByCodec.Raw, setByFramework.Raw, raw)
				}
			}
		})
	}
}

// sameModel compares two models attribute by attribute.
func sameModel(a, b any) bool {
	va, vb := reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem()
	var equal func(x, y reflect.Value) bool
	equal = func(x, y reflect.Value) bool {
		for i := range x.NumField() {
			fx, fy := x.Field(i), y.Field(i)
			if x.Type().Field(i).Anonymous {
				if !equal(fx, fy) {
					return false
				}
				continue
			}
			if !fx.Interface().(attr.Value).Equal(fy.Interface().(attr.Value)) {
				return false
			}
		}
		return true
	}
	return equal(va, vb)
}

// randomValue is a value of typ: known, null or (below the top) unknown,
// with random contents.
func randomValue(rng *rand.Rand, typ tftypes.Type, top bool) tftypes.Value {
	if !top {
		switch rng.IntN(6) {
		case 0:
			return tftypes.NewValue(typ, nil)
		case 1:
			return tftypes.NewValue(typ, tftypes.UnknownValue)
		}
	}
	switch t := typ.(type) {
	case tftypes.Object:
		attrs := map[string]tftypes.Value{}
		for name, at := range t.AttributeTypes {
			attrs[name] = randomValue(rng, at, false)
		}
		return tftypes.NewValue(t, attrs)
	case tftypes.Set:
		n := rng.IntN(4)
		elems := make([]tftypes.Value, 0, n)
		for i := range n {
			elems = append(elems, tftypes.NewValue(t.ElementType, fmt.Sprintf("e%d-%d", i, rng.IntN(1000))))
		}
		return tftypes.NewValue(t, elems)
	case tftypes.Map:
		elems := map[string]tftypes.Value{}
		for i := range rng.IntN(4) {
			elems[fmt.Sprintf("k%d", i)] = tftypes.NewValue(t.ElementType, fmt.Sprintf("v%d", rng.IntN(1000)))
		}
		return tftypes.NewValue(t, elems)
	}
	switch {
	case typ.Is(tftypes.String):
		return tftypes.NewValue(typ, fmt.Sprintf("s-%d", rng.IntN(1_000_000)))
	case typ.Is(tftypes.Bool):
		return tftypes.NewValue(typ, rng.IntN(2) == 1)
	case typ.Is(tftypes.Number):
		return tftypes.NewValue(typ, big.NewFloat(float64(rng.IntN(1000))))
	}
	panic(fmt.Sprintf("no random values of %s", typ))
}

// One model type converted under two schemas whose attributes have other
// types gets each schema's own codec, never the first one it met.
func TestCodecKeepsSchemasApart(t *testing.T) {
	t.Parallel()
	type model struct {
		Value attr.Value `tfsdk:"value"`
	}
	ctx := context.Background()
	asString := rschema.Schema{Attributes: map[string]rschema.Attribute{"value": rschema.StringAttribute{Optional: true}}}
	asBool := rschema.Schema{Attributes: map[string]rschema.Attribute{"value": rschema.BoolAttribute{Optional: true}}}
	for _, c := range []struct {
		schema rschema.Schema
		value  tftypes.Value
	}{
		{asString, tftypes.NewValue(tftypes.String, "text")},
		{asBool, tftypes.NewValue(tftypes.Bool, true)},
		{asString, tftypes.NewValue(tftypes.String, "again")},
	} {
		raw := tftypes.NewValue(c.schema.Type().TerraformType(ctx), map[string]tftypes.Value{"value": c.value})
		var m model
		if diags := readModel(ctx, tfsdk.State{Raw: raw, Schema: c.schema}, &m); diags.HasError() {
			t.Fatalf("decode %s: %v", c.value, diags)
		}
		state := tfsdk.State{Schema: c.schema}
		if diags := writeModel(ctx, &state, m); diags.HasError() {
			t.Fatalf("encode %s: %v", c.value, diags)
		}
		if !state.Raw.Equal(raw) {
			t.Errorf("%s came back as %s", raw, state.Raw)
		}
	}
}
