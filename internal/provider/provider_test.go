package provider

import (
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/horizonhq/terraform-provider-horizon/internal/client"
	"github.com/horizonhq/terraform-provider-horizon/internal/server"
)

// testAccProtoV6ProviderFactories serves the provider in-process to the Terraform CLI that
// terraform-plugin-testing runs.
var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"horizon": NewServer("test"),
}

// testEnv is one reference server for one test, and an API client (the
// organization owner's) that tests use to look behind Terraform's back and to
// change things out of band.
type testEnv struct {
	srv   *server.Server
	clock *server.ManualClock
	api   *client.Client
}

// newTestEnv starts a reference server on a free loopback port; it stops with the test.
// Its clock starts at the real time and moves only when a test advances it.
func newTestEnv(t testing.TB, opts ...server.Option) *testEnv {
	t.Helper()
	clock := server.NewManualClock(time.Now().UTC().Truncate(time.Second))
	logOutput := io.Discard
	if os.Getenv("HORIZON_TEST_SERVER_LOG") != "" {
		logOutput = os.Stderr
	}
	srv, err := server.New(append([]server.Option{server.WithClock(clock), server.WithLogOutput(logOutput)}, opts...)...)
	if err != nil {
		t.Fatalf("starting reference server: %v", err)
	}
	t.Cleanup(srv.Stop)
	return &testEnv{srv: srv, clock: clock, api: apiClient(srv.URL(), srv.BootstrapKey())}
}

// apiClient returns a client that authenticates with key. Its configuration is
// fixed, so New can only fail on a programming error.
func apiClient(endpoint, key string) *client.Client {
	c, err := client.New(client.Config{Endpoint: endpoint, APIKey: key, MaxRetries: 1})
	if err != nil {
		panic(err)
	}
	return c
}

// config prefixes HCL with a provider block pointing at this test's server.
func (e *testEnv) config(body string) string {
	return e.configWithKey(e.srv.BootstrapKey(), body)
}

func (e *testEnv) configWithKey(apiKey, body string) string {
	return fmt.Sprintf(`
provider "horizon" {
  endpoint = %q
  api_key  = %q
}
%s`, e.srv.URL(), apiKey, body)
}

// attr reads one attribute of a resource from the state.
func stateAttr(s *terraform.State, resourceName, attribute string) (string, error) {
	rs, ok := s.RootModule().Resources[resourceName]
	if !ok {
		return "", fmt.Errorf("resource %s not in state", resourceName)
	}
	v, ok := rs.Primary.Attributes[attribute]
	if !ok {
		return "", fmt.Errorf("%s has no attribute %s", resourceName, attribute)
	}
	return v, nil
}

// capture stores an attribute's value for later steps.
func capture(resourceName, attribute string, into *string) func(*terraform.State) error {
	return func(s *terraform.State) error {
		v, err := stateAttr(s, resourceName, attribute)
		*into = v
		return err
	}
}

// importID builds "<a>/<b>" from two attributes of a resource in state.
func importID(resourceName, first, second string) func(*terraform.State) (string, error) {
	return func(s *terraform.State) (string, error) {
		a, err := stateAttr(s, resourceName, first)
		if err != nil {
			return "", err
		}
		b, err := stateAttr(s, resourceName, second)
		return a + "/" + b, err
	}
}

// phrases matches text that holds each phrase in turn, however Terraform
// wraps its lines: the words of a phrase may be separated by any whitespace.
func phrases(parts ...string) *regexp.Regexp {
	quoted := make([]string, len(parts))
	for i, p := range parts {
		words := strings.Fields(p)
		for j, w := range words {
			words[j] = regexp.QuoteMeta(w)
		}
		quoted[i] = strings.Join(words, `\s+`)
	}
	return regexp.MustCompile(`(?s)` + strings.Join(quoted, ".*"))
}

// bg is the context for checks that run outside a test's own goroutine.
func bg() context.Context { return context.Background() }

// configureProvider serves a fresh provider as Terraform does and configures it
// with attrs (attribute name to a string or an int64); every other attribute
// of the provider's schema is null, so the configuration has the schema's
// shape whatever attributes it gains.
func configureProvider(t *testing.T, attrs map[string]any) (tfprotov6.ProviderServer, *tfprotov6.ConfigureProviderResponse) {
	t.Helper()
	ctx := t.Context()
	srv, err := NewServer("test")()
	if err != nil {
		t.Fatal(err)
	}
	schema, err := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || schema.Provider == nil {
		t.Fatalf("provider schema: %v %v", err, schema)
	}
	values := map[string]tftypes.Value{}
	for _, attr := range schema.Provider.Block.Attributes {
		values[attr.Name] = tftypes.NewValue(attr.Type, attrs[attr.Name])
		delete(attrs, attr.Name)
	}
	if len(attrs) > 0 {
		t.Fatalf("the provider has no attributes %v", attrs)
	}
	configType := schema.Provider.ValueType()
	config, err := tfprotov6.NewDynamicValue(configType, tftypes.NewValue(configType, values))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{TerraformVersion: "1.11.4", Config: &config})
	if err != nil {
		t.Fatal(err)
	}
	return srv, resp
}
