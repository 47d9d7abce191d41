package provider

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
	"github.com/horizonhq/terraform-provider-horizon/internal/client"
	"github.com/horizonhq/terraform-provider-horizon/internal/names"
)

// Enumerations are package api's, once for the client, the server and the
// provider: each feeds both a validator and the attribute's description.
var (
	serviceAccountRoles       = api.ServiceAccountRoles
	defaultServiceAccountRole = api.DefaultServiceAccountRole
	serverGrantRoles          = api.GrantRoles
	defaultServerRoles        = api.DefaultServerRoles
)

// seesEveryServer reports whether an organization role holds admin on every
// server, whatever its grants: owners and admins.
func seesEveryServer(role string) bool { return role == "owner" || role == "admin" }

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
	if base, found := strings.CutSuffix(strings.TrimRight(u.Path, "/"), client.APIPath); found {
		u.Path = base
		return fmt.Sprintf("%q ends in %s, which the provider adds itself: set endpoint (or %s) to %s.",
			v, client.APIPath, envEndpoint, u.String())
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

// checkRFC3339 accepts an RFC 3339 time in whole seconds, as Horizon takes
// expiry times: it refuses a fraction rather than round it.
func checkRFC3339(v string) string {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return fmt.Sprintf("%q is not an RFC 3339 time; write it like 2027-01-31T00:00:00Z or 2027-01-31T09:00:00+09:00.", v)
	}
	if t.Nanosecond() != 0 {
		return fmt.Sprintf("%q has a fraction of a second, and Horizon takes expiry times in whole seconds; write %s.",
			v, t.Truncate(time.Second).Format(time.RFC3339))
	}
	return ""
}

func rfc3339Validator() validator.String {
	return stringCheck{describe: "value must be an RFC 3339 time in whole seconds", check: checkRFC3339, summary: "Invalid Time"}
}

// printableName is Horizon's rule for the name of a key or a server: 1 to
// max printable characters. A server's name is unique, and Horizon stores it
// normalized (internal/names): stored says so, and the name must then be in
// that form already, or Terraform would see Horizon change it and fail the
// apply with an inconsistent result.
type printableName struct {
	what, example string
	max           int
	stored        bool
}

func (n printableName) check(v string) string {
	switch count := utf8.RuneCountInString(v); {
	case count == 0:
		return fmt.Sprintf("The name is empty. Give the %s a name of 1 to %d printable characters, such as %s.", n.what, n.max, n.example)
	case count > n.max:
		return fmt.Sprintf("The name is %d characters long; a %s's name has at most %d.", count, n.what, n.max)
	}
	for _, r := range v {
		if !unicode.IsPrint(r) {
			return fmt.Sprintf("%q contains a control or non-printable character; use printable characters only.", v)
		}
	}
	if n.stored && !names.IsNormal(v) {
		return fmt.Sprintf("%q would be stored by Horizon as %q (without leading or trailing white space, in Unicode NFC); "+
			"write it that way.", v, names.Normalize(v))
	}
	return ""
}

func (n printableName) validator() validator.String {
	return stringCheck{
		describe: fmt.Sprintf("value must be 1 to %d printable characters", n.max),
		check:    n.check,
		summary:  "Invalid Name",
	}
}

var keyName = printableName{what: "key", example: "primary or the month of its rotation", max: maxKeyNameLength}

// patternName is Horizon's rule for a name of a restricted alphabet: a
// service account's name, a server's slug. pattern mirrors the server's
// check, and rule says it in words.
type patternName struct {
	// field is the attribute ("name"), owner what has it ("service
	// account"), noun what a value is called ("service account name").
	field, owner, noun string
	rule, example      string
	pattern            *regexp.Regexp
}

func (n patternName) check(v string) string {
	switch {
	case v == "":
		return fmt.Sprintf("The %s is empty. Give the %s a %s of %s, such as %s.", n.field, n.owner, n.field, n.rule, n.example)
	case !n.pattern.MatchString(v):
		return fmt.Sprintf("%q is not a %s: a %s is %s, such as %s.", v, n.noun, n.field, n.rule, n.example)
	}
	return ""
}

func (n patternName) validator() validator.String {
	return stringCheck{describe: "value must be " + n.rule, check: n.check, summary: "Invalid " + titleCase(n.field)}
}

var serviceAccountName = patternName{
	field: "name", owner: "service account", noun: "service account name", example: "ci-deployer",
	rule:    "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
	pattern: regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`),
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
	switch {
	case d < minD:
		return fmt.Sprintf("%q is shorter than %s, the least it may be.", v, bothDurations(minD))
	case d > maxD:
		return fmt.Sprintf("%q is longer than %s, the most it may be.", v, bothDurations(maxD))
	}
	return ""
}

func durationValidator(minD, maxD time.Duration) validator.String {
	return stringCheck{
		describe: "value must be a Go duration " + durationRange(minD, maxD),
		check:    func(v string) string { return checkDuration(v, minD, maxD) },
		summary:  "Invalid Duration",
	}
}

// durationRange says which durations a bound admits, as a person would:
// "from 1 minute to 7 days", or "of at most 10 years" when any short one will do.
func durationRange(minD, maxD time.Duration) string {
	if minD <= 0 {
		return "of at most " + humanDuration(maxD)
	}
	return "from " + humanDuration(minD) + " to " + humanDuration(maxD)
}

// bothDurations writes d for people and in the Go form the configuration
// takes: "7 days (168h)".
func bothDurations(d time.Duration) string {
	return humanDuration(d) + " (" + goDuration(d) + ")"
}

// The units humanDuration writes, largest first; a year is 365 days, as
// Horizon counts the longest ttl.
var durationUnits = []struct {
	name string
	size time.Duration
}{
	{"year", 365 * 24 * time.Hour},
	{"day", 24 * time.Hour},
	{"hour", time.Hour},
	{"minute", time.Minute},
	{"second", time.Second},
}

// humanDuration writes d in the largest unit that measures it exactly:
// "1 minute", "7 days", "10 years", "90 minutes".
func humanDuration(d time.Duration) string {
	for _, u := range durationUnits {
		if d >= u.size && d%u.size == 0 {
			n := int64(d / u.size)
			if n == 1 {
				return "1 " + u.name
			}
			return fmt.Sprintf("%d %ss", n, u.name)
		}
	}
	return d.String()
}

// goDuration writes d as the shortest Go duration: "168h" rather than
// time.Duration's "168h0m0s".
func goDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
