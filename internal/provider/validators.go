package provider

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// Enumerations live here once: each feeds both a validator and the attribute's description.
var (
	serviceAccountRoles = []string{"viewer", "member", "admin"}
	keyStatuses         = []string{"active", "expired", "revoked"}
	serverGrantRoles    = []string{"viewer", "user", "admin"}
	defaultServerRoles  = []string{"none", "viewer", "user"}
	capabilities        = []string{"tools", "resources", "prompts"}
)

// quoteList renders values as "`a`, `b` or `c`" for descriptions and messages.
func quoteList(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = "`" + v + "`"
	}
	if len(quoted) == 1 {
		return quoted[0]
	}
	return strings.Join(quoted[:len(quoted)-1], ", ") + " or " + quoted[len(quoted)-1]
}

const apiKeyPrefix = "fmcp_"

// idPattern is the shape of every Horizon id after its prefix.
var idPattern = regexp.MustCompile(`^[a-z2-7]{16}$`)

func checkID(v, prefix, what string) string {
	rest, ok := strings.CutPrefix(v, prefix)
	if !ok || !idPattern.MatchString(rest) {
		return fmt.Sprintf("%q is not %s: expected %q followed by 16 lowercase letters or digits 2-7, such as %s%s.",
			v, what, prefix, prefix, "3h7k2m9q4w8eabcd")
	}
	return ""
}

func checkAPIKey(v string) string {
	if !strings.HasPrefix(v, apiKeyPrefix) || len(v) <= len(apiKeyPrefix) {
		// Never echo the value: it may be a real secret pasted in the wrong place.
		return "The API key must start with \"" + apiKeyPrefix + "\", the prefix of every Horizon API key. " +
			"Check that the whole key was copied, and that api_key or " + envAPIKey + " holds a key, not another secret."
	}
	return ""
}

func checkEndpoint(v string) string {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Sprintf("%q is not an absolute http:// or https:// URL. Set endpoint or %s to the base URL of the Horizon API, "+
			"for example https://horizon.example.com.", v, envEndpoint)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Sprintf("%q must not contain credentials, a query or a fragment: give only the base URL of the Horizon API.", u.Redacted())
	}
	return ""
}

// stringCheck adapts a check function (returning "" when the value is fine) to a validator.
type stringCheck struct {
	describe string
	check    func(string) string
	summary  string
}

func (v stringCheck) Description(context.Context) string         { return v.describe }
func (v stringCheck) MarkdownDescription(context.Context) string { return v.describe }

func (v stringCheck) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if problem := v.check(req.ConfigValue.ValueString()); problem != "" {
		resp.Diagnostics.AddAttributeError(req.Path, v.summary, problem)
	}
}

func endpointValidator() validator.String {
	return stringCheck{describe: "value must be an absolute http or https URL", check: checkEndpoint, summary: "Invalid Horizon Endpoint"}
}

func apiKeyValidator() validator.String {
	return stringCheck{describe: "value must start with " + apiKeyPrefix, check: checkAPIKey, summary: "Invalid Horizon API Key"}
}

func idValidator(prefix, what string) validator.String {
	return stringCheck{
		describe: "value must be " + what + " (" + prefix + "...)",
		check:    func(v string) string { return checkID(v, prefix, what) },
		summary:  "Invalid Id",
	}
}

func checkRFC3339(v string) string {
	if _, err := time.Parse(time.RFC3339, v); err != nil {
		return fmt.Sprintf("%q is not an RFC 3339 time; write it like 2027-01-31T00:00:00Z or 2027-01-31T09:00:00+09:00.", v)
	}
	return ""
}

func rfc3339Validator() validator.String {
	return stringCheck{describe: "value must be an RFC 3339 time", check: checkRFC3339, summary: "Invalid Time"}
}

func checkPrintable(v string) string {
	for _, r := range v {
		if !unicode.IsPrint(r) {
			return fmt.Sprintf("%q contains a control or non-printable character; use printable characters only.", v)
		}
	}
	return ""
}

func printableValidator() validator.String {
	return stringCheck{describe: "value must contain printable characters only", check: checkPrintable, summary: "Invalid Name"}
}

// Bounds of a key's ttl, as Horizon enforces them.
const (
	minTTL = time.Minute
	maxTTL = 10 * 365 * 24 * time.Hour
)

func checkDuration(v string, minD, maxD time.Duration) string {
	d, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Sprintf("%q is not a Go duration; write it like 720h, 90m or 1h30m (units: h, m, s).", v)
	}
	if d < minD || d > maxD {
		return fmt.Sprintf("%q is out of range: it must be between %s and %s.", v, minD, maxD)
	}
	return ""
}

func durationValidator(minD, maxD time.Duration) validator.String {
	return stringCheck{
		describe: fmt.Sprintf("value must be a Go duration between %s and %s", minD, maxD),
		check:    func(v string) string { return checkDuration(v, minD, maxD) },
		summary:  "Invalid Duration",
	}
}
