package provider

import (
	"strings"
	"testing"
)

// TestServerNameIsInItsStoredForm: the provider refuses a server name that
// Horizon would store otherwise. Terraform already writes string literals in
// NFC; a name from a variable or a function may not be.
func TestServerNameIsInItsStoredForm(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{
		"Weather":      "",
		"Caf\u00e9":    "",
		"Cafe\u0301":   `as "Café"`,
		" Weather":     `as "Weather"`,
		"Weather  ":    `as "Weather"`,
		"W\u0435ather": "", // a lookalike is Horizon's to refuse, with the name it looks like
	} {
		got := serverName.check(name)
		if (got == "") != (want == "") || !strings.Contains(got, want) {
			t.Errorf("serverName.check(%q) = %q, want %q", name, got, want)
		}
		if key := keyName.check(name); key != "" {
			t.Errorf("keyName.check(%q) = %q: key names are stored as sent", name, key)
		}
	}
}
