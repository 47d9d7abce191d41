package provider

import (
	"context"
	"errors"
	"os"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// envAgeIdentity stands in for the ephemeral resource's age_identity.
const envAgeIdentity = "HORIZON_AGE_IDENTITY"

var _ ephemeral.EphemeralResource = (*apiKeySecretEphemeralResource)(nil)

// apiKeySecretEphemeralResource decrypts a key's encrypted_secret locally. It
// calls no API, and Terraform keeps what it opens out of every plan and state.
type apiKeySecretEphemeralResource struct{}

// NewAPIKeySecretEphemeralResource returns the horizon_api_key_secret ephemeral resource.
func NewAPIKeySecretEphemeralResource() ephemeral.EphemeralResource {
	return &apiKeySecretEphemeralResource{}
}

type apiKeySecretModel struct {
	EncryptedSecret types.String `tfsdk:"encrypted_secret"`
	AgeIdentity     types.String `tfsdk:"age_identity"`
	Secret          types.String `tfsdk:"secret"`
}

func (e *apiKeySecretEphemeralResource) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_api_key_secret"
}

func (e *apiKeySecretEphemeralResource) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Decrypts the `encrypted_secret` of a key created with `age_recipients`, on the machine that runs " +
			"Terraform, with no call to Horizon. Terraform never writes an ephemeral value to a plan or a state, so the plaintext " +
			"can configure a provider (such as a second, aliased `horizon` provider that acts as the service account) or fill a " +
			"write-only attribute (`*_wo`) of a secret store, without any state holding it. Requires Terraform 1.10 or later.",
		Attributes: map[string]schema.Attribute{
			"encrypted_secret": schema.StringAttribute{
				MarkdownDescription: "The `encrypted_secret` of a `horizon_service_account_key`: age ciphertext in ASCII armor.",
				Required:            true,
			},
			"age_identity": schema.StringAttribute{
				MarkdownDescription: "The identity to decrypt with: " + acceptedIdentities + ", matching one of the key's " +
					"`age_recipients`. Defaults to the `" + envAgeIdentity + "` environment variable; prefer it, or an ephemeral " +
					"source such as a secret manager's ephemeral resource, to a literal in the configuration.",
				Optional:  true,
				Sensitive: true,
			},
			"secret": schema.StringAttribute{
				MarkdownDescription: "The key's secret (`fmcp_...`).",
				Computed:            true,
				Sensitive:           true,
			},
		},
	}
}

func (e *apiKeySecretEphemeralResource) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	var m apiKeySecretModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	identity, from := m.AgeIdentity.ValueString(), "age_identity"
	if m.AgeIdentity.IsNull() {
		identity, from = os.Getenv(envAgeIdentity), "the "+envAgeIdentity+" environment variable"
	}
	if strings.TrimSpace(identity) == "" {
		resp.Diagnostics.AddAttributeError(path.Root("age_identity"), "Missing age Identity",
			"Set age_identity, or the "+envAgeIdentity+" environment variable, to "+acceptedIdentities+
				", matching one of the key's age_recipients.")
		return
	}
	secret, err := decryptSecret(m.EncryptedSecret.ValueString(), identity)
	var identityErr *ageIdentityError
	var ciphertextErr *ciphertextError
	switch {
	case errors.As(err, &identityErr):
		resp.Diagnostics.AddAttributeError(path.Root("age_identity"), "Unusable age Identity",
			"Could not decrypt encrypted_secret with the identity from "+from+": "+identityErr.reason+".")
		return
	case errors.As(err, &ciphertextErr):
		resp.Diagnostics.AddAttributeError(path.Root("encrypted_secret"), "Unreadable Encrypted Secret",
			"Could not decrypt encrypted_secret: "+ciphertextErr.reason+".")
		return
	case err != nil:
		resp.Diagnostics.AddAttributeError(path.Root("encrypted_secret"), "Unreadable Encrypted Secret", "Could not decrypt encrypted_secret.")
		return
	}
	m.Secret = types.StringValue(secret)
	resp.Diagnostics.Append(resp.Result.Set(ctx, m)...)
}
