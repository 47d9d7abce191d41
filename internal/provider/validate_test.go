package provider

import (
	"context"
	mathrand "math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// The validation of a configuration must say exactly what the framework's
// says, for every resource type, over configurations that give each
// attribute valid, invalid, null and unknown values (a value for a read-only
// attribute, none for a required one, values each validator refuses), in a
// provider configured or not yet configured, as Terraform validates both.
func TestValidationMatchesTheFramework(t *testing.T) {
	t.Parallel()
	k := newTestAgeKeys(t)
	configured := newRPCServer(t)
	unconfigured, err := NewServer("test")()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	unknown := tftypes.UnknownValue
	long := strings.Repeat("x", 300)
	// Values beyond the ones every attribute of its kind gets, by name.
	special := map[string][]any{
		"name":                {"primary", long, " padded ", "bad\nname"},
		"description":         {long},
		"role":                {"admin", "member", "viewer", "user", "owner"},
		"default_server_role": {"none", "viewer", "user", "admin"},
		"slug":                {"weather", "Not A Slug", long},
		"service_account_id":  {"sa_abcdefghijklmnop", "key_abcdefghijklmnop", "sa_"},
		"server_id":           {"srv_abcdefghijklmnop", "sa_abcdefghijklmnop"},
		"expires_at":          {"2030-01-02T15:04:05Z", "2030-01-02T15:04:05.5Z", "2000-01-01T00:00:00Z", "tomorrow", "2030-01-02T17:04:05+02:00"},
		"ttl":                 {"720h", "1s", "1000000h", "thirty days"},
		"renew_before":        {"168h", "0s", "-1h", "soon"},
		"grace_period":        {"1h", "1s", "1000h", "later"},
		"organization_id":     {"org_abcdefghijklmnop"},
	}
	sets := map[string][]any{
		"age_recipients": {[]any{k.ageRecipient}, []any{k.sshPublic}, []any{k.ageIdentity}, []any{"not a recipient"}, []any{k.ageRecipient, "age1bad"}},
		"capabilities":   {[]any{"tools"}, []any{"tools", "prompts", "resources"}, []any{"everything"}},
	}
	rng := mathrand.New(mathrand.NewPCG(5, 6))
	compared := 0
	said := map[string]bool{}
	for typeName, schema := range configured.schemas.ResourceSchemas {
		typ := schema.ValueType().(tftypes.Object)
		options := map[string][]any{}
		for name, at := range typ.AttributeTypes {
			switch {
			case at.Is(tftypes.String):
				options[name] = append([]any{nil, unknown, "", "x"}, special[name]...)
			case at.Is(tftypes.Bool):
				options[name] = []any{nil, unknown, true, false}
			case at.Is(tftypes.Set{}):
				options[name] = append([]any{nil, unknown, []any{}, []any{"x"}}, sets[name]...)
			case at.Is(tftypes.Map{}):
				options[name] = []any{nil, unknown, map[string]any{}, map[string]any{"rotation": "1"}}
			default:
				t.Fatalf("%s.%s: no values for type %s", typeName, name, at)
			}
		}
		// Mostly null, as configurations are, so that each attribute's own
		// refusals show.
		mostlyNull := func(values []any) any {
			if rng.IntN(3) == 0 {
				return values[rng.IntN(len(values))]
			}
			return values[0]
		}
		for _, config := range configurations(options, 40, mostlyNull) {
			req := &tfprotov6.ValidateResourceConfigRequest{TypeName: typeName, Config: dynamicValue(t, typ, config)}
			for _, srv := range []*fastPlanServer{configured.server.(*fastPlanServer), unconfigured.(*fastPlanServer)} {
				got := srv.validate(ctx, req)
				if got == nil {
					t.Fatalf("%s %v: the fast path declined a validation", typeName, config)
				}
				want, err := srv.frameworkServer.ValidateResourceConfig(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				g, w := diagnosticsList(got.Diagnostics), diagnosticsList(want.Diagnostics)
				slices.Sort(g)
				slices.Sort(w)
				if !slices.Equal(g, w) {
					t.Errorf("%s %v (configured %v): diagnostics\n fast      %q\n framework %q", typeName, config,
						srv.provider.configured() != nil, g, w)
				}
				compared++
				for _, d := range want.Diagnostics {
					said[d.Summary] = true
				}
			}
		}
	}
	t.Logf("%d validations compared; they said %q", compared, sortedKeys(said))
	for _, summary := range []string{"Invalid Configuration for Read-Only Attribute", "Missing Configuration for Required Attribute",
		"Invalid Attribute Combination", "Invalid age Recipient", "Invalid Duration", "Invalid Time", "Invalid Name", "Invalid Slug"} {
		if !said[summary] {
			t.Errorf("no validation said %q: the comparison missed a kind of refusal", summary)
		}
	}
}
