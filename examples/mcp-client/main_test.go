package main

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/horizonhq/terraform-provider-horizon/internal/client"
	"github.com/horizonhq/terraform-provider-horizon/internal/server"
)

// The program the provider's docs show works against the reference server:
// the owner's key lists echo and calls it; an unknown key is refused, saying so.
func TestTry(t *testing.T) {
	t.Parallel()
	srv, err := server.New(server.WithLogOutput(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	api, err := client.New(client.Config{Endpoint: srv.URL(), APIKey: srv.BootstrapKey()})
	if err != nil {
		t.Fatal(err)
	}
	servers, err := api.ListServers(t.Context())
	if err != nil || len(servers) == 0 {
		t.Fatalf("listing servers: %v (%d)", err, len(servers))
	}
	var out bytes.Buffer
	if err := try(t.Context(), servers[0].URL, srv.BootstrapKey(), &out); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.Contains(got, "tool echo: ") || !strings.Contains(got, `echo: {"text":"hello"}`) {
		t.Errorf("output = %q, want the echo tool listed and called", got)
	}
	err = try(t.Context(), servers[0].URL, "fmcp_unknownunknownunknownunknown", io.Discard)
	if err == nil || !strings.Contains(err.Error(), "API key not recognized") {
		t.Errorf("an unknown key: err = %v, want Horizon's refusal", err)
	}
}
