package provider

import (
	"strings"
	"testing"
	"time"
)

func TestHumanDuration(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		time.Second:             "1 second",
		time.Minute:             "1 minute",
		90 * time.Minute:        "90 minutes",
		36 * time.Hour:          "36 hours",
		168 * time.Hour:         "7 days",
		365 * 24 * time.Hour:    "1 year",
		maxTTL:                  "10 years",
		1500 * time.Millisecond: "1.5s",
	} {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestGoDuration(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		time.Minute:      "1m",
		10 * time.Minute: "10m",
		168 * time.Hour:  "168h",
		90 * time.Minute: "1h30m",
		maxTTL:           "87600h",
		30 * time.Second: "30s",
	} {
		if got := goDuration(d); got != want {
			t.Errorf("goDuration(%s) = %q, want %q", d, got, want)
		}
	}
}

// Bounds are written as a person would, never as time.Duration prints them
// ("1m0s", "87600h0m0s").
func TestDurationMessages(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ got, want string }{
		{checkDuration("30s", minTTL, maxTTL), `"30s" is shorter than 1 minute (1m), the least it may be.`},
		{checkDuration("87601h", minTTL, maxTTL), `"87601h" is longer than 10 years (87600h), the most it may be.`},
		{checkDuration("169h", minGracePeriod, maxGracePeriod), `"169h" is longer than 7 days (168h), the most it may be.`},
		{checkDuration("720h", minTTL, maxTTL), ""},
		{durationValidator(minGracePeriod, maxGracePeriod).Description(t.Context()), "value must be a Go duration from 1 minute to 7 days"},
		{durationValidator(0, maxTTL).Description(t.Context()), "value must be a Go duration of at most 10 years"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
		if strings.Contains(tc.got, "m0s") || strings.Contains(tc.got, "h0m") {
			t.Errorf("%q writes a duration as time.Duration prints it", tc.got)
		}
	}
}

func TestCheckRFC3339(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]string{
		"2027-01-31T09:00:00Z":      "",
		"2027-01-31T09:00:00+09:00": "",
		"2027-01-31T09:00:00.5Z":    "whole seconds; write 2027-01-31T09:00:00Z",
		"2027-01-31":                "is not an RFC 3339 time",
	} {
		got := checkRFC3339(v)
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("checkRFC3339(%q) = %q, want it to say %q", v, got, want)
		}
	}
}

// An empty name says that it is empty, instead of quoting nothing.
func TestCheckNames(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ got, want string }{
		{serviceAccountName.check(""), "The name is empty"},
		{serviceAccountName.check("has space"), `"has space" is not a service account name`},
		{serviceAccountName.check("ci-deployer"), ""},
		{keyName.check(""), "The name is empty. Give the key a name"},
		{keyName.check(strings.Repeat("é", maxKeyNameLength+1)), "The name is 129 characters long; a key's name has at most 128."},
		{keyName.check("a\x01"), "non-printable"},
		{keyName.check("primary 2026-11"), ""},
		{serverName.check(""), "The name is empty. Give the server a name"},
		{serverSlug.check(""), "The slug is empty"},
		{serverSlug.check("Billing_1"), `"Billing_1" is not a slug`},
		{serverSlug.check("billing"), ""},
	} {
		if (tc.want == "") != (tc.got == "") || !strings.Contains(tc.got, tc.want) {
			t.Errorf("got %q, want it to say %q", tc.got, tc.want)
		}
		if strings.Contains(tc.got, `""`) {
			t.Errorf("%q quotes an empty value", tc.got)
		}
	}
}
