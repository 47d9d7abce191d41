// Command terraform-provider-horizon serves the Horizon Terraform provider.
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/horizonhq/terraform-provider-horizon/internal/provider"
)

// Format the examples and generate the docs from the schema, templates/ and examples/.
//go:generate terraform fmt -recursive ./examples/
//go:generate go run github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs@v0.25.0 generate --provider-name horizon

// version is set at release time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "start the provider with support for debuggers like delve")
	flag.Parse()

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: "registry.terraform.io/horizonhq/horizon",
		Debug:   debug,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}
