package provider

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// TestAccSecrets_neverInTraceLogs runs a create and a rotation with Terraform and
// the provider both logging at TRACE into one file, and asserts that neither the
// provider's API key nor any key secret appears in it. It sets process-wide
// environment variables, so it must not run in parallel.
func TestAccSecrets_neverInTraceLogs(t *testing.T) {
	readLogs := traceLogs(t)
	env := newTestEnv(t)
	// Credentials come from the environment, as in CI: the testing framework logs
	// each step's configuration, and a key written there would be its leak, not ours.
	t.Setenv(envEndpoint, env.srv.URL())
	t.Setenv(envAPIKey, env.srv.BootstrapKey())
	var first, second string

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: keyConfig("primary", `{ generation = "1" }`, ""),
				Check:  capture(keyAddr, "secret", &first),
			},
			{
				Config: keyConfig("primary", `{ generation = "2" }`, ""),
				Check: resource.ComposeTestCheckFunc(
					capture(keyAddr, "secret", &second),
					env.checkSecretRefused(&first),
				),
			},
		},
	})

	text, files := readLogs()
	// The log must really hold both sides' TRACE output, or the absence of secrets proves nothing.
	for _, want := range []string{"Horizon API request", "horizon_service_account_key", "ApplyResourceChange"} {
		if !strings.Contains(text, want) {
			t.Errorf("the TRACE log (%d bytes) lacks %q: it does not capture what it should", len(text), want)
		}
	}
	for name, secret := range map[string]string{"provider api_key": env.srv.BootstrapKey(), "first key secret": first, "second key secret": second} {
		if secret == "" {
			t.Fatalf("%s was not captured", name)
		}
		if n := strings.Count(text, secret); n != 0 {
			i := strings.Index(text, secret)
			t.Errorf("the %s appears %d times in the TRACE log, first in: %q", name, n, strings.ReplaceAll(text[max(0, i-300):min(len(text), i+100)], secret, "<SECRET>"))
		}
		// A secret's random part alone is as good as the whole.
		if n := strings.Count(text, strings.TrimPrefix(secret, apiKeyPrefix)); n != 0 {
			t.Errorf("the random part of the %s appears %d times in the TRACE log", name, n)
		}
	}
	t.Logf("TRACE log: %d bytes in %d file(s); 0 occurrences of the api_key and of %d key secrets", len(text), files, 2)
}

// TestAccSecrets_hostileServerEchoesTheKey is the attack that found the leak:
// a server whose 400 echoes the Authorization header put "bad key Bearer
// fmcp_..." into the plan's output and the TRACE log. The diagnostic now shows
// the server's words with the key masked, and the log holds no key. It sets
// process-wide environment variables, so it must not run in parallel.
func TestAccSecrets_hostileServerEchoesTheKey(t *testing.T) {
	readLogs := traceLogs(t)
	const key = "fmcp_HostileServerTestKeyThatMustNeverShow000000"
	const bystander = "fmcp_SomeoneElsesKeyTheServerAlsoQuotes0000000"
	hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		echoed := r.Header.Get("Authorization")
		body, _ := json.Marshal(map[string]any{"error": map[string]any{
			"code":    "invalid_request",
			"message": "bad key " + echoed + " (the last caller sent Bearer " + bystander + ")",
			"details": map[string]any{"field": "Authorization", "received": echoed},
		}})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write(body)
	}))
	t.Cleanup(hostile.Close)
	t.Setenv(envEndpoint, hostile.URL)
	t.Setenv(envAPIKey, key)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      `data "horizon_current_actor" "me" {}`,
			ExpectError: regexp.MustCompile(`bad\s+key\s+Bearer\s+fmcp_REDACTED\s+\(the\s+last\s+caller\s+sent\s+Bearer\s+fmcp_REDACTED\)`),
		}},
	})

	text, _ := readLogs()
	if !strings.Contains(text, "Horizon API response") || !strings.Contains(text, "bad key Bearer fmcp_REDACTED") {
		t.Errorf("the TRACE log (%d bytes) lacks the request or the diagnostic: it does not capture what it should", len(text))
	}
	for name, secret := range map[string]string{"provider api_key": key, "bystander's key": bystander} {
		if n := strings.Count(text, strings.TrimPrefix(secret, apiKeyPrefix)); n != 0 {
			t.Errorf("the %s appears %d times in the TRACE log", name, n)
		}
	}
}

// traceLogs makes Terraform and the provider log at TRACE into files of a
// temporary directory, and returns what reads them all back, with how many
// files there were. It sets process-wide environment variables: its tests
// must not run in parallel.
func traceLogs(t *testing.T) func() (string, int) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("TF_ACC_LOG", "TRACE")
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_LOG_PATH_MASK", filepath.Join(dir, "%s.log"))
	return func() (string, int) {
		t.Helper()
		files, err := filepath.Glob(filepath.Join(dir, "*.log"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no TRACE log was written to %s (err=%v)", dir, err)
		}
		var all strings.Builder
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			all.Write(data)
		}
		return all.String(), len(files)
	}
}
