// Package provider is the Terraform side of Horizon: the provider, its resources
// and data sources. It talks to Horizon only through internal/client.
package provider

import (
	"context"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/horizonhq/terraform-provider-horizon/internal/client"
)

// Environment variables that stand in for the provider's attributes.
const (
	envEndpoint       = "HORIZON_ENDPOINT"
	envAPIKey         = "HORIZON_API_KEY" //nolint:gosec // G101: the name of a variable, not a credential
	envOrganizationID = "HORIZON_ORGANIZATION_ID"
)

const maxMaxRetries = 10

// providerTypeName is the provider's name, the prefix of its resource types.
const providerTypeName = "horizon"

// The bounds of max_wait: a second leaves room for one quick retry, an hour
// is longer than any rate limit worth waiting out.
const (
	minMaxWait = time.Second
	maxMaxWait = time.Hour
)

var (
	_ provider.Provider                       = (*horizonProvider)(nil)
	_ provider.ProviderWithEphemeralResources = (*horizonProvider)(nil)
	_ provider.ProviderWithListResources      = (*horizonProvider)(nil)
)

type horizonProvider struct {
	version string
	// data is what Configure made, for the fast path of NewServer.
	data atomic.Pointer[providerData]
}

// configured returns what Configure made, or nil before it ran.
func (p *horizonProvider) configured() *providerData { return p.data.Load() }

// New returns a constructor of the provider, as providerserver expects.
func New(version string) func() provider.Provider {
	return func() provider.Provider { return &horizonProvider{version: version} }
}

type providerModel struct {
	Endpoint       types.String `tfsdk:"endpoint"`
	APIKey         types.String `tfsdk:"api_key"`
	OrganizationID types.String `tfsdk:"organization_id"`
	MaxRetries     types.Int64  `tfsdk:"max_retries"`
	MaxWait        types.String `tfsdk:"max_wait"`
}

func (p *horizonProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = providerTypeName
	resp.Version = p.version
}

func (p *horizonProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The Horizon provider manages service accounts, their server grants and their API keys " +
			"in a Horizon organization, whose members and service accounts reach MCP servers with bearer API keys.",
		Attributes: map[string]schema.Attribute{
			"endpoint": schema.StringAttribute{
				MarkdownDescription: "Base URL of the Horizon API, such as `https://horizon.example.com`. " +
					"A plain `http://` endpoint on a host other than this machine's loopback gets a warning at plan time, " +
					"since every request would carry the API key unencrypted. " +
					"May also be set with the `" + envEndpoint + "` environment variable.",
				Optional:   true,
				Validators: []validator.String{endpointValidator()},
			},
			"api_key": schema.StringAttribute{
				MarkdownDescription: "API key (`fmcp_...`) of a user or service account of the organization. " +
					"Its owner's organization role decides what Terraform may do: `viewer` is enough for `terraform plan` " +
					"when it may discover every server the configuration reads (a `viewer` grant on each, or a `default_server_role` " +
					"of at least `viewer`), `admin` or `owner` is needed to apply. May also be set with the `" + envAPIKey + "` environment variable.",
				Optional:   true,
				Sensitive:  true,
				Validators: []validator.String{apiKeyValidator()},
			},
			"organization_id": schema.StringAttribute{
				MarkdownDescription: "Id of the organization to manage. Defaults to the organization of the API key's owner. " +
					"May also be set with the `" + envOrganizationID + "` environment variable.",
				Optional:   true,
				Validators: []validator.String{idValidator("org_", "an organization id")},
			},
			"max_retries": schema.Int64Attribute{
				MarkdownDescription: "How many times a request that failed with a server error (5xx) or a network fault is retried, " +
					"with exponential backoff. Rate-limited requests (429) are always retried after the `Retry-After` " +
					"the server asks for and do not count; `max_wait` bounds them all. Defaults to `4`.",
				Optional:   true,
				Validators: []validator.Int64{int64validator.Between(0, maxMaxRetries)},
			},
			"max_wait": schema.StringAttribute{
				MarkdownDescription: "How long one API request may take, retries and waits included, before the provider gives up on it: " +
					"a Go duration from `" + minMaxWait.String() + "` to `" + maxMaxWait.String() + "`, such as `10m`. " +
					"No wait for a `Retry-After`, a backoff or the organization's rate limit begins that would end later, so a server " +
					"that asks for a longer wait fails the request at once, with an error that says how long it waited and why; " +
					"an attempt already under way is never cut off. Defaults to `" + client.DefaultMaxWait.String() + "`.",
				Optional:   true,
				Validators: []validator.String{durationValidator(minMaxWait, maxMaxWait)},
			},
		},
	}
}

func (p *horizonProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	for name, v := range map[string]types.String{"endpoint": cfg.Endpoint, "api_key": cfg.APIKey, "organization_id": cfg.OrganizationID} {
		if v.IsUnknown() {
			resp.Diagnostics.AddAttributeError(path.Root(name), "Unknown Horizon Provider Attribute",
				"The provider's "+name+" depends on a value that is only known after apply, and a provider must be configured "+
					"to plan. Set it to a value known at plan time, or use the "+envVarFor(name)+" environment variable. "+
					"If it comes from a horizon_api_key_secret of a key that this run creates, create the key first "+
					"(terraform apply -target=<the key's address>), then apply the whole configuration.")
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}

	endpoint := stringOrEnv(cfg.Endpoint, envEndpoint)
	apiKey := stringOrEnv(cfg.APIKey, envAPIKey)
	orgID := stringOrEnv(cfg.OrganizationID, envOrganizationID)
	maxRetries := int64(client.DefaultMaxRetries)
	if !cfg.MaxRetries.IsNull() && !cfg.MaxRetries.IsUnknown() {
		maxRetries = cfg.MaxRetries.ValueInt64()
	}
	maxWait := client.DefaultMaxWait
	if !cfg.MaxWait.IsNull() && !cfg.MaxWait.IsUnknown() {
		// The validator has checked it.
		maxWait, _ = time.ParseDuration(cfg.MaxWait.ValueString())
	}

	if endpoint == "" {
		resp.Diagnostics.AddAttributeError(path.Root("endpoint"), "Missing Horizon Endpoint",
			"Set the provider's endpoint attribute or the "+envEndpoint+" environment variable to the base URL of the Horizon API, "+
				"for example https://horizon.example.com (or the HORIZON_ENDPOINT line the reference server prints).")
	} else if problem := checkEndpoint(endpoint); problem != "" {
		resp.Diagnostics.AddAttributeError(path.Root("endpoint"), "Invalid Horizon Endpoint", problem)
	} else if warning := checkTransport(endpoint); warning != "" {
		resp.Diagnostics.AddAttributeWarning(path.Root("endpoint"), "Unencrypted Horizon Endpoint", warning)
	}
	if apiKey == "" {
		resp.Diagnostics.AddAttributeError(path.Root("api_key"), "Missing Horizon API Key",
			"Set the provider's api_key attribute or the "+envAPIKey+" environment variable to a Horizon API key (fmcp_...).")
	} else if problem := checkAPIKey(apiKey); problem != "" {
		resp.Diagnostics.AddAttributeError(path.Root("api_key"), "Invalid Horizon API Key", problem)
	}
	if orgID != "" {
		if problem := checkID(orgID, "org_", "an organization id"); problem != "" {
			resp.Diagnostics.AddAttributeError(path.Root("organization_id"), "Invalid Horizon Organization Id", problem)
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}

	c, err := client.New(client.Config{
		Endpoint:       endpoint,
		APIKey:         apiKey,
		OrganizationID: orgID,
		MaxRetries:     int(maxRetries),
		MaxWait:        maxWait,
		UserAgent:      "terraform-provider-horizon/" + p.version,
		Logger:         newTFLogger(apiKey),
	})
	if err != nil {
		resp.Diagnostics.AddError("Invalid Horizon Provider Configuration", err.Error())
		return
	}
	data := newProviderData(c)
	p.data.Store(data)
	resp.DataSourceData = data
	resp.ResourceData = data
	resp.ListResourceData = data
}

func (p *horizonProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewServiceAccountResource,
		NewServiceAccountKeyResource,
		NewPersonalAPIKeyResource,
		NewOrganizationSettingsResource,
		NewServerGrantResource,
		NewServerResource,
	}
}

func (p *horizonProvider) EphemeralResources(context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{
		NewAPIKeySecretEphemeralResource,
	}
}

// ListResources are listed by terraform query (Terraform 1.14+), each under
// the name of the resource whose objects it lists.
func (p *horizonProvider) ListResources(context.Context) []func() list.ListResource {
	return []func() list.ListResource{
		NewServiceAccountList,
		NewServiceAccountKeyList,
		NewServerGrantList,
		NewServerList,
	}
}

func (p *horizonProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewCurrentActorDataSource,
		NewServerDataSource,
		NewServersDataSource,
		NewServiceAccountDataSource,
		NewServiceAccountKeysDataSource,
		NewPersonalAPIKeysDataSource,
	}
}

func stringOrEnv(v types.String, env string) string {
	if !v.IsNull() {
		return strings.TrimSpace(v.ValueString())
	}
	return strings.TrimSpace(os.Getenv(env))
}

func envVarFor(attr string) string {
	switch attr {
	case "endpoint":
		return envEndpoint
	case "api_key":
		return envAPIKey
	default:
		return envOrganizationID
	}
}
