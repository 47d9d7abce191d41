// Command horizon-schema-provider serves the schema-only twin of the Horizon
// provider (package schemaonly): the same schemas, and nothing else, for
// `make bench` to measure what the framework itself costs for them.
package main

import (
	"context"
	"log"

	fwprovider "github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/horizonhq/terraform-provider-horizon/internal/process"
	"github.com/horizonhq/terraform-provider-horizon/internal/provider"
	"github.com/horizonhq/terraform-provider-horizon/internal/schemaonly"
	"github.com/horizonhq/terraform-provider-horizon/internal/tfrun"
)

func main() {
	process.Tune()
	err := providerserver.Serve(context.Background(), func() fwprovider.Provider {
		return schemaonly.New(provider.New("schema-only")())
	}, providerserver.ServeOpts{Address: "registry.terraform.io/" + tfrun.ProviderAddress, ProtocolVersion: 6})
	if err != nil {
		log.Fatal(err.Error())
	}
}
