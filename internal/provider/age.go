package provider

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"filippo.io/age/armor"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"golang.org/x/crypto/ssh"
)

// A key's secret can be kept out of the state by encrypting it, with age, to
// recipients the user names; only the ciphertext is stored, and the
// horizon_api_key_secret ephemeral resource decrypts it without any state
// holding the result. The cryptography is age's; this file only parses what
// users write and words the errors. No message here ever quotes a configured
// value: a recipient list or an identity may hold a private key pasted by
// mistake.

// acceptedRecipients says which forms age_recipients takes.
const acceptedRecipients = "an age X25519 recipient (age1..., printed by `age-keygen` or `age-keygen -y`) " +
	"or an SSH public key (ssh-ed25519 AAAA... or ssh-rsa AAAA..., as in ~/.ssh/id_ed25519.pub)"

// acceptedIdentities says which forms an age identity takes.
const acceptedIdentities = "an age identity (a line AGE-SECRET-KEY-1..., as age-keygen writes it) " +
	"or an unencrypted SSH private key (-----BEGIN OPENSSH PRIVATE KEY-----)"

// parseAgeRecipient parses one entry of age_recipients. Its error says what
// the entry looks like and what is accepted, without quoting it.
func parseAgeRecipient(entry string) (age.Recipient, error) {
	s := strings.TrimSpace(entry)
	switch {
	case looksLikePrivateKey(s):
		return nil, errors.New("one entry looks like a private key, which must never be written in a configuration: " +
			"give its public half instead (`age-keygen -y` prints the recipient of an age identity; an SSH key's is in its .pub file); " +
			"each entry must be " + acceptedRecipients)
	case strings.HasPrefix(s, "age1"):
		r, err := age.ParseX25519Recipient(s)
		if err != nil {
			return nil, fmt.Errorf("an entry that starts with %q is not a valid age X25519 recipient (it may be truncated or mistyped); "+
				"each entry must be %s", "age1", acceptedRecipients)
		}
		return r, nil
	case strings.HasPrefix(s, "ssh-"):
		r, err := agessh.ParseRecipient(s)
		if err != nil {
			kind, _, _ := strings.Cut(s, " ")
			return nil, fmt.Errorf("an entry that starts with %q is not a usable SSH public key (only ssh-ed25519 and ssh-rsa keys can receive age files); "+
				"each entry must be %s", safePrefix(kind), acceptedRecipients)
		}
		return r, nil
	default:
		return nil, fmt.Errorf("an entry of %d characters is neither an age recipient nor an SSH public key; each entry must be %s",
			len(s), acceptedRecipients)
	}
}

// looksLikePrivateKey spots the private keys that people paste by mistake.
func looksLikePrivateKey(s string) bool {
	upper := strings.ToUpper(s)
	return strings.HasPrefix(upper, "AGE-SECRET-KEY-") || strings.Contains(upper, "PRIVATE KEY")
}

// safePrefix is the start of an SSH key type, which is public, cut short in
// case it is something else.
func safePrefix(s string) string {
	if len(s) > 24 {
		return s[:24] + "..."
	}
	return s
}

// ageRecipients parses a known age_recipients set; an empty result means
// the secret stays in plaintext state.
func ageRecipients(ctx context.Context, set types.Set) ([]age.Recipient, error) {
	if set.IsNull() || set.IsUnknown() {
		return nil, nil
	}
	var entries []string
	if diags := set.ElementsAs(ctx, &entries, false); diags.HasError() {
		return nil, errors.New("age_recipients must be a set of strings")
	}
	recipients := make([]age.Recipient, 0, len(entries))
	for _, e := range entries {
		r, err := parseAgeRecipient(e)
		if err != nil {
			return nil, err
		}
		recipients = append(recipients, r)
	}
	return recipients, nil
}

// encryptSecret encrypts secret to every recipient, in age's ASCII armor.
func encryptSecret(secret string, recipients []age.Recipient) (string, error) {
	var out bytes.Buffer
	armored := armor.NewWriter(&out)
	w, err := age.Encrypt(armored, recipients...)
	if err != nil {
		return "", err
	}
	if _, err := io.WriteString(w, secret); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	if err := armored.Close(); err != nil {
		return "", err
	}
	return out.String(), nil
}

// ageIdentityError is a problem with an age identity, worded for the
// attribute or variable that holds it.
type ageIdentityError struct{ reason string }

func (e *ageIdentityError) Error() string { return e.reason }

// ciphertextError is a problem with an encrypted secret.
type ciphertextError struct{ reason string }

func (e *ciphertextError) Error() string { return e.reason }

// parseAgeIdentity parses an age identity file (AGE-SECRET-KEY-1... lines,
// comments allowed) or an unencrypted SSH private key.
func parseAgeIdentity(s string) ([]age.Identity, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "-----BEGIN") {
		id, err := agessh.ParseIdentity([]byte(s))
		var missing *ssh.PassphraseMissingError
		switch {
		case errors.As(err, &missing):
			return nil, &ageIdentityError{"it is an SSH private key protected by a passphrase, which Terraform cannot ask for; " +
				"use an unencrypted copy of the key, or an age identity (age-keygen), as " + acceptedIdentities}
		case err != nil:
			return nil, &ageIdentityError{"it is not an SSH private key that age can use (only ed25519 and RSA keys work); it must be " + acceptedIdentities}
		}
		return []age.Identity{id}, nil
	}
	ids, err := age.ParseIdentities(strings.NewReader(s))
	if err != nil {
		return nil, &ageIdentityError{"it is not an age identity: it must be " + acceptedIdentities}
	}
	return ids, nil
}

// decryptSecret decrypts an armored age ciphertext with the identity.
func decryptSecret(armored, identity string) (string, error) {
	ids, err := parseAgeIdentity(identity)
	if err != nil {
		return "", err
	}
	if !strings.Contains(armored, "-----BEGIN AGE ENCRYPTED FILE-----") {
		return "", &ciphertextError{"it is not an age-encrypted secret in ASCII armor (-----BEGIN AGE ENCRYPTED FILE-----): " +
			"pass the encrypted_secret attribute of a horizon_service_account_key, unchanged"}
	}
	r, err := age.Decrypt(armor.NewReader(strings.NewReader(armored)), ids...)
	var noMatch *age.NoIdentityMatchError
	switch {
	case errors.As(err, &noMatch):
		return "", &ageIdentityError{"it matches none of the recipients the secret was encrypted to: use the identity " +
			"whose recipient is in the key's age_recipients"}
	case err != nil:
		return "", &ciphertextError{"it could not be decrypted: the ciphertext is damaged or truncated; pass the encrypted_secret attribute unchanged"}
	}
	plain, err := io.ReadAll(io.LimitReader(r, 4096))
	if err != nil {
		return "", &ciphertextError{"it could not be decrypted: the ciphertext is damaged or truncated; pass the encrypted_secret attribute unchanged"}
	}
	if !strings.HasPrefix(string(plain), apiKeyPrefix) {
		return "", &ciphertextError{"it decrypts, but not to a Horizon API key (fmcp_...): it is not an encrypted_secret of this provider"}
	}
	return string(plain), nil
}

// ageRecipientsValidator checks age_recipients at plan time. It reports on
// the attribute, never on an element: an element's path would print the
// element, which may be a private key pasted by mistake.
type ageRecipientsValidator struct{}

func (ageRecipientsValidator) Description(context.Context) string {
	return "each entry must be " + acceptedRecipients
}

func (v ageRecipientsValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (ageRecipientsValidator) ValidateSet(ctx context.Context, req validator.SetRequest, resp *validator.SetResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if len(req.ConfigValue.Elements()) == 0 {
		resp.Diagnostics.AddAttributeError(req.Path, "No age Recipients",
			"age_recipients lists no recipient, so the secret could be decrypted by nobody. List at least one, each "+
				acceptedRecipients+", or remove age_recipients to keep the secret in the (sensitive) secret attribute.")
		return
	}
	for _, e := range req.ConfigValue.Elements() {
		s, ok := e.(types.String)
		if !ok || s.IsUnknown() || s.IsNull() {
			continue
		}
		if _, err := parseAgeRecipient(s.ValueString()); err != nil {
			resp.Diagnostics.AddAttributeError(req.Path, "Invalid age Recipient", "age_recipients: "+err.Error()+".")
		}
	}
}
