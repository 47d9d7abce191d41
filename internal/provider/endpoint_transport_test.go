package provider

import (
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

func TestCheckTransport(t *testing.T) {
	t.Parallel()
	for endpoint, warn := range map[string]bool{
		"http://horizon.example.com":    true,
		"http://10.0.0.7:8787":          true,
		"http://[2001:db8::1]:8787":     true,
		"http://127.0.0.1.example.com":  true,
		"http://localhost.example.com":  true,
		"https://horizon.example.com":   false,
		"http://127.0.0.1:8787":         false,
		"http://127.1.2.3:8787":         false,
		"http://[::1]:8787":             false,
		"http://localhost:8787":         false,
		"http://LocalHost:8787":         false,
		"http://horizon.localhost:8787": false,
		"http://localhost.:8787":        false,
		"https://127.0.0.1:8787":        false,
	} {
		got := checkTransport(endpoint)
		if (got != "") != warn {
			t.Errorf("checkTransport(%q) = %q, want a warning: %v", endpoint, got, warn)
		}
		if warn && !strings.Contains(got, "https://") {
			t.Errorf("the warning for %q does not say what to use: %q", endpoint, got)
		}
	}
}

// TestConfigureWarnsAboutPlainHTTP: the warning comes from Configure, so it
// shows at plan time, whether the endpoint comes from the configuration or
// from HORIZON_ENDPOINT; the provider still works.
func TestConfigureWarnsAboutPlainHTTP(t *testing.T) {
	const key = "fmcp_aConfigureTestKeyThatIsNeverSent0000000000"
	for _, tt := range []struct {
		name, endpoint, env string
		warn                bool
	}{
		{"remote host", "http://horizon.example.com", "", true},
		{"remote host from the environment", "", "http://horizon.example.com", true},
		{"loopback", "http://127.0.0.1:8787", "", false},
		{"https", "https://horizon.example.com", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(envEndpoint, tt.env)
			attrs := map[string]any{"api_key": key}
			if tt.endpoint != "" {
				attrs["endpoint"] = tt.endpoint
			}
			_, resp := configureProvider(t, attrs)
			var warnings []*tfprotov6.Diagnostic
			for _, d := range resp.Diagnostics {
				if d.Severity == tfprotov6.DiagnosticSeverityError {
					t.Fatalf("configure failed: %s", diagnosticsText(resp.Diagnostics))
				}
				warnings = append(warnings, d)
			}
			if got := len(warnings) == 1 && warnings[0].Summary == "Unencrypted Horizon Endpoint"; got != tt.warn {
				t.Errorf("warnings %s, want the unencrypted-endpoint warning: %v", diagnosticsText(warnings), tt.warn)
			}
			if tt.warn && strings.Contains(diagnosticsText(warnings), key) {
				t.Errorf("the warning quotes the key")
			}
		})
	}
}
