package provider

import (
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

var planNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func TestPlanKey(t *testing.T) {
	t.Parallel()
	at := func(d time.Duration) types.String { return types.StringValue(planNow.Add(d).Format(time.RFC3339)) }
	keepers := func(v string) types.Map {
		return types.MapValueMust(types.StringType, map[string]attr.Value{"rotation": types.StringValue(v)})
	}
	type want struct {
		replace   []string // attributes that replace the key, in order; nil keeps it
		expiresAt types.String
		status    string
		warning   string // a substring of the one warning; "" for none
		error     string // a substring of the one error; "" for none
	}
	cases := []struct {
		name       string
		prior      func(*serviceAccountKeyModel) // nil: a create
		proposed   func(*serviceAccountKeyModel)
		configured types.String // expires_at as configured
		want       want
	}{
		{
			name: "create without expiry", want: want{expiresAt: types.StringNull(), status: "active"},
		},
		{
			name:     "create with ttl: Horizon sets the expiry",
			proposed: func(m *serviceAccountKeyModel) { m.TTL = types.StringValue("720h") },
			want:     want{expiresAt: types.StringUnknown(), status: "active"},
		},
		{
			name: "create with an expiry in the future", configured: at(time.Hour),
			want: want{expiresAt: at(time.Hour), status: "active"},
		},
		{
			name: "create with an expiry in Horizon's past", configured: at(-time.Second),
			want: want{expiresAt: at(-time.Second), status: "active", error: "Expiry In the Past"},
		},
		{
			name: "create with an expiry known only at apply", configured: types.StringUnknown(),
			want: want{expiresAt: types.StringUnknown(), status: "active"},
		},
		{
			name: "unchanged", prior: func(*serviceAccountKeyModel) {},
			want: want{expiresAt: types.StringNull(), status: "active"},
		},
		{
			name: "rename updates in place", prior: func(*serviceAccountKeyModel) {},
			proposed: func(m *serviceAccountKeyModel) { m.Name = types.StringValue("renamed") },
			want:     want{expiresAt: types.StringNull(), status: "active"},
		},
		{
			name: "grace_period updates in place", prior: func(*serviceAccountKeyModel) {},
			proposed: func(m *serviceAccountKeyModel) { m.GracePeriod = types.StringValue("1h") },
			want:     want{expiresAt: types.StringNull(), status: "active"},
		},
		{
			name:     "new keepers replace",
			prior:    func(m *serviceAccountKeyModel) { m.Keepers = keepers("1") },
			proposed: func(m *serviceAccountKeyModel) { m.Keepers = keepers("2") },
			want:     want{replace: []string{"keepers"}, expiresAt: types.StringNull(), status: "active"},
		},
		{
			name:     "keepers known only at apply replace",
			prior:    func(m *serviceAccountKeyModel) { m.Keepers = keepers("1") },
			proposed: func(m *serviceAccountKeyModel) { m.Keepers = types.MapUnknown(types.StringType) },
			want:     want{replace: []string{"keepers"}, expiresAt: types.StringNull(), status: "active"},
		},
		{
			name:     "another service account replaces",
			prior:    func(*serviceAccountKeyModel) {},
			proposed: func(m *serviceAccountKeyModel) { m.ServiceAccountID = types.StringValue("sa_bbbbbbbbbbbbbbbb") },
			want:     want{replace: []string{"service_account_id"}, expiresAt: types.StringNull(), status: "active"},
		},
		{
			name: "revoked outside Terraform: replaced, with a warning",
			prior: func(m *serviceAccountKeyModel) {
				m.Status, m.RevokedAt = types.StringValue(api.KeyStatusRevoked), types.StringValue("2026-11-20T10:00:00Z")
			},
			want: want{replace: []string{"status"}, expiresAt: types.StringNull(), status: "active", warning: "revoked at 2026-11-20T10:00:00Z, outside Terraform"},
		},
		{
			name: "expired: replaced, with a warning",
			prior: func(m *serviceAccountKeyModel) {
				m.Status, m.ExpiresAt = types.StringValue(api.KeyStatusExpired), at(-time.Hour)
			},
			configured: at(-time.Hour),
			want:       want{replace: []string{"status"}, expiresAt: at(-time.Hour), status: "active", warning: "API Key Expired"},
		},
		{
			name:       "a new expires_at replaces",
			prior:      func(m *serviceAccountKeyModel) { m.ExpiresAt = at(time.Hour) },
			configured: at(2 * time.Hour),
			want:       want{replace: []string{"expires_at"}, expiresAt: at(2 * time.Hour), status: "active"},
		},
		{
			name:       "the same instant in another offset is no change",
			prior:      func(m *serviceAccountKeyModel) { m.ExpiresAt = at(time.Hour) },
			configured: types.StringValue(planNow.Add(time.Hour).In(time.FixedZone("", 2*3600)).Format(time.RFC3339)),
			want:       want{expiresAt: at(time.Hour), status: "active"},
		},
		{
			name:  "dropping expires_at replaces",
			prior: func(m *serviceAccountKeyModel) { m.ExpiresAt = at(time.Hour) },
			want:  want{replace: []string{"expires_at"}, expiresAt: types.StringNull(), status: "active"},
		},
		{
			name: "an unchanged ttl keeps the key",
			prior: func(m *serviceAccountKeyModel) {
				m.TTL, m.ExpiresAt = types.StringValue("720h"), at(500*time.Hour)
			},
			proposed: func(m *serviceAccountKeyModel) { m.TTL = types.StringValue("43200m") },
			want:     want{expiresAt: at(500 * time.Hour), status: "active"},
		},
		{
			name: "a new ttl replaces",
			prior: func(m *serviceAccountKeyModel) {
				m.TTL, m.ExpiresAt = types.StringValue("720h"), at(500*time.Hour)
			},
			proposed: func(m *serviceAccountKeyModel) { m.TTL = types.StringValue("48h") },
			want:     want{replace: []string{"expires_at"}, expiresAt: types.StringUnknown(), status: "active"},
		},
		{
			name: "renew_before not reached keeps the key",
			prior: func(m *serviceAccountKeyModel) {
				m.TTL, m.RenewBefore, m.ExpiresAt = types.StringValue("720h"), types.StringValue("168h"), at(169*time.Hour)
			},
			want: want{expiresAt: at(169 * time.Hour), status: "active"},
		},
		{
			name: "renew_before reached replaces, with a warning",
			prior: func(m *serviceAccountKeyModel) {
				m.TTL, m.RenewBefore, m.ExpiresAt = types.StringValue("720h"), types.StringValue("168h"), at(167*time.Hour)
			},
			want: want{replace: []string{"expires_at"}, expiresAt: types.StringUnknown(), status: "active", warning: "within renew_before (168h) of now (2026-12-01T12:00:00Z"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			proposed := configOf(baseKeyModel())
			in := keyPlanInput{ConfiguredExpiresAt: tc.configured, Now: planNow,
				OwnerAttribute: "service_account_id", OwnerName: "service account sa_aaaaaaaaaaaaaaaa"}
			if tc.configured.IsNull() && !tc.configured.IsUnknown() {
				in.ConfiguredExpiresAt = types.StringNull()
			}
			if tc.prior != nil {
				prior := baseKeyModel()
				tc.prior(&prior)
				in.Prior = ptrTo(owned(prior))
				// Terraform proposes the configuration over the prior state.
				proposed = prior
			}
			if tc.proposed != nil {
				tc.proposed(&proposed)
			}
			in.Proposed = owned(proposed)
			got := planKey(in)
			var replaced []string
			for _, p := range got.Replace {
				replaced = append(replaced, p.String())
			}
			if strings.Join(replaced, ",") != strings.Join(tc.want.replace, ",") {
				t.Errorf("replace = %v, want %v", replaced, tc.want.replace)
			}
			if got.createsKey(in) != (in.Prior == nil || len(tc.want.replace) > 0) {
				t.Errorf("createsKey = %v", got.createsKey(in))
			}
			if !got.Planned.Key.ExpiresAt.Equal(tc.want.expiresAt) {
				t.Errorf("planned expires_at = %v, want %v", got.Planned.Key.ExpiresAt, tc.want.expiresAt)
			}
			if got.Planned.Key.Status.ValueString() != tc.want.status {
				t.Errorf("planned status = %v, want %s", got.Planned.Key.Status, tc.want.status)
			}
			checkOneDiagnostic(t, "warning", got.Diagnostics.Warnings(), tc.want.warning)
			checkOneDiagnostic(t, "error", got.Diagnostics.Errors(), tc.want.error)
		})
	}
}

func checkOneDiagnostic(t *testing.T, kind string, diags diag.Diagnostics, want string) {
	t.Helper()
	switch {
	case want == "" && len(diags) > 0:
		t.Errorf("unexpected %s: %s: %s", kind, diags[0].Summary(), diags[0].Detail())
	case want != "" && len(diags) != 1:
		t.Errorf("want one %s containing %q, got %d: %v", kind, want, len(diags), diags)
	case want != "" && !strings.Contains(diags[0].Summary()+": "+diags[0].Detail(), want):
		t.Errorf("%s lacks %q:\n%s: %s", kind, want, diags[0].Summary(), diags[0].Detail())
	}
}

func TestCheckKeyLimit(t *testing.T) {
	t.Parallel()
	key := func(id, name string) activeKey {
		return activeKey{ID: id, Name: name, CreatedAt: "2026-11-01T00:00:00Z"}
	}
	primary, secondary := key("key_primaryaaaaaaaaa", "primary"), key("key_secondaryaaaaaa", "secondary")
	retiring := activeKey{ID: "key_retiringaaaaaaa", Name: "old", CreatedAt: "2026-10-01T00:00:00Z", ExpiresAt: "2026-12-01T13:00:00Z", Retiring: true}
	replacing := func(id, name, grace string) *apiKeyModel {
		m := baseKeyModel().apiKeyModel
		m.ID, m.Name = types.StringValue(id), types.StringValue(name)
		if grace != "" {
			m.GracePeriod = types.StringValue(grace)
		}
		return &m
	}
	owner := "service account sa_aaaaaaaaaaaaaaaa"
	cases := []struct {
		name   string
		in     keyLimitInput
		want   []string // substrings of the one warning; nil for none
		absent []string
	}{
		{
			name: "a new key with room",
			in:   keyLimitInput{Name: "new", Keys: ownerKeys{Owner: owner, Limit: 2, Active: []activeKey{primary}}},
		},
		{
			name: "a new key on an account holding two",
			in:   keyLimitInput{Name: "third", Keys: ownerKeys{Owner: owner, Limit: 2, Active: []activeKey{primary, secondary}}},
			want: []string{"Service Account Key Limit Will Be Reached", `Creating API key "third"`, "needs 3 active keys on service account sa_aaaaaaaaaaaaaaaa",
				"more than the 2 Horizon allows", `key_primaryaaaaaaaaa ("primary")`, `key_secondaryaaaaaa ("secondary")`, "never expires"},
		},
		{
			name: "a new key where this plan revokes one of the two first",
			in: keyLimitInput{Name: "third", Keys: ownerKeys{Owner: owner, Limit: 2, Active: []activeKey{primary, secondary},
				Freed: map[string]bool{secondary.ID: true}}},
		},
		{
			name: "several new keys that together pass the limit",
			in:   keyLimitInput{Name: "c", Keys: ownerKeys{Owner: owner, Limit: 2, Active: []activeKey{primary}, OtherCreates: 1}},
			want: []string{`Creating API key "c"`, "needs 3 active keys", "This plan also creates 1 other key(s) of this service account"},
		},
		{
			name: "several new keys that fit",
			in:   keyLimitInput{Name: "b", Keys: ownerKeys{Owner: owner, Limit: 2, OtherCreates: 1}},
		},
		{
			name: "a replacement with room",
			in:   keyLimitInput{Name: "primary", Replacing: replacing(primary.ID, "primary", ""), Keys: ownerKeys{Owner: owner, Limit: 2, Active: []activeKey{primary}}},
		},
		{
			name: "a create_before_destroy replacement on an account holding two",
			in: keyLimitInput{Name: "primary", Replacing: replacing(primary.ID, "primary", ""),
				Keys: ownerKeys{Owner: owner, Limit: 2, Active: []activeKey{primary, secondary}}},
			want: []string{"Service Account Key Limit Will Be Reached", `Replacing API key key_primaryaaaaaaaaa ("primary") needs 3 active keys`,
				"create_before_destroy", "this key still counts", "Without create_before_destroy this key is revoked first", `("secondary")`},
		},
		{
			name: "a replacement on an account holding two, one revoked first by this plan",
			in: keyLimitInput{Name: "primary", Replacing: replacing(primary.ID, "primary", ""),
				Keys: ownerKeys{Owner: owner, Limit: 2, Active: []activeKey{primary, secondary}, Freed: map[string]bool{secondary.ID: true}}},
		},
		{
			name: "a replacement whose grace period keeps its slot",
			in: keyLimitInput{Name: "primary", Replacing: replacing(primary.ID, "primary", "1h"),
				Keys: ownerKeys{Owner: owner, Limit: 2, Active: []activeKey{primary, secondary}}},
			want:   []string{`grace_period = "1h"`, "keeps its slot", "whichever way Terraform orders the replacement"},
			absent: []string{"Without create_before_destroy"},
		},
		{
			name: "a second rotation inside the grace window of the first",
			in: keyLimitInput{Name: "primary", Replacing: replacing(primary.ID, "primary", "1h"),
				Keys: ownerKeys{Owner: owner, Limit: 2, Active: []activeKey{retiring, primary}}},
			want: []string{`key_retiringaaaaaaa ("old")`, "retiring: its grace period ends at 2026-12-01T13:00:00Z"},
		},
		{
			name: "a replacement of a revoked key does not count it",
			in: keyLimitInput{Name: "primary", Replacing: replacing("key_goneaaaaaaaaaaaa", "primary", ""),
				Keys: ownerKeys{Owner: owner, Limit: 2, Active: []activeKey{primary}}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			diags := checkKeyLimit(tc.in)
			if diags.HasError() {
				t.Fatalf("the limit is a warning at plan time, not an error: %v", diags)
			}
			if tc.want == nil {
				if len(diags) != 0 {
					t.Fatalf("want no warning, got %s: %s", diags[0].Summary(), diags[0].Detail())
				}
				return
			}
			if len(diags) != 1 {
				t.Fatalf("want one warning, got %v", diags)
			}
			text := diags[0].Summary() + ": " + diags[0].Detail()
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("warning lacks %q:\n%s", w, text)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(text, a) {
					t.Errorf("warning says %q, which does not apply:\n%s", a, text)
				}
			}
		})
	}
}
