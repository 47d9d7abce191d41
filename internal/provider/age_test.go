package provider

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"filippo.io/age"
	"golang.org/x/crypto/ssh"
)

// testAgeKeys are an age X25519 identity and an SSH ed25519 key pair, with
// the recipients to encrypt to and the identities to decrypt with.
type testAgeKeys struct {
	ageIdentity, ageRecipient string
	sshPrivate, sshPublic     string
	// sshEncrypted is the SSH private key protected by a passphrase.
	sshEncrypted string
}

func newTestAgeKeys(t *testing.T) testAgeKeys {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "test")
	if err != nil {
		t.Fatal(err)
	}
	encrypted, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "test", []byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	return testAgeKeys{
		ageIdentity: id.String(), ageRecipient: id.Recipient().String(),
		sshPrivate: string(pem.EncodeToMemory(block)), sshPublic: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub))) + " test@example",
		sshEncrypted: string(pem.EncodeToMemory(encrypted)),
	}
}

func TestAgeRoundTrip(t *testing.T) {
	t.Parallel()
	k := newTestAgeKeys(t)
	var recipients []age.Recipient
	for _, entry := range []string{k.ageRecipient, k.sshPublic} {
		r, err := parseAgeRecipient(entry)
		if err != nil {
			t.Fatalf("parsing a valid recipient: %v", err)
		}
		recipients = append(recipients, r)
	}
	secret := "fmcp_" + strings.Repeat("A", 43)
	armored, err := encryptSecret(secret, recipients)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(armored, "-----BEGIN AGE ENCRYPTED FILE-----") || strings.Contains(armored, secret[5:15]) {
		t.Fatalf("not age armor, or it shows the secret:\n%s", armored)
	}
	for name, identity := range map[string]string{"age identity": k.ageIdentity, "SSH key": k.sshPrivate,
		"age identity file with a comment": "# created: today\n" + k.ageIdentity + "\n"} {
		got, err := decryptSecret(armored, identity)
		if err != nil || got != secret {
			t.Errorf("decrypting with the %s: %q, %v", name, got, err)
		}
	}
}

func TestAgeErrorsNeverQuoteTheirInput(t *testing.T) {
	t.Parallel()
	k := newTestAgeKeys(t)
	other := newTestAgeKeys(t)
	r, _ := parseAgeRecipient(k.ageRecipient)
	armored, err := encryptSecret("fmcp_"+strings.Repeat("B", 43), []age.Recipient{r})
	if err != nil {
		t.Fatal(err)
	}

	recipientCases := map[string]struct{ entry, want string }{
		"an age identity pasted by mistake": {k.ageIdentity, "looks like a private key"},
		"an SSH private key pasted":         {k.sshPrivate, "looks like a private key"},
		"a truncated age recipient":         {k.ageRecipient[:40], `starts with "age1" is not a valid age X25519 recipient`},
		"an ECDSA SSH key":                  {"ssh-ecdsa AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY= me", `starts with "ssh-ecdsa" is not a usable SSH public key`},
		"a password":                        {"hunter2-correct-horse", "an entry of 21 characters is neither"},
	}
	for name, tc := range recipientCases {
		_, err := parseAgeRecipient(tc.entry)
		switch {
		case err == nil:
			t.Errorf("%s: accepted", name)
		case !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "age1...") || !strings.Contains(err.Error(), "ssh-ed25519"):
			t.Errorf("%s: the error does not say what it saw and what is accepted: %v", name, err)
		case containsPart(err.Error(), tc.entry):
			t.Errorf("%s: the error quotes the entry: %v", name, err)
		}
	}

	identityCases := map[string]struct {
		identity, armored string
		wantIdentityErr   bool
		want              string
	}{
		"a wrong identity":               {other.ageIdentity, armored, true, "matches none of the recipients"},
		"a passphrase-protected SSH key": {k.sshEncrypted, armored, true, "protected by a passphrase"},
		"not an identity":                {"AGE-SECRET-KEY-1NOTAKEY", armored, true, "is not an age identity"},
		"a damaged ciphertext":           {k.ageIdentity, strings.Replace(armored, armored[60:70], "AAAAAAAAAA", 1), false, "damaged or truncated"},
		"not a ciphertext":               {k.ageIdentity, "fmcp_plaintext", false, "not an age-encrypted secret"},
	}
	for name, tc := range identityCases {
		_, err := decryptSecret(tc.armored, tc.identity)
		var identityErr *ageIdentityError
		switch {
		case err == nil:
			t.Errorf("%s: decrypted", name)
		case errors.As(err, &identityErr) != tc.wantIdentityErr:
			t.Errorf("%s: blamed the wrong attribute: %T %v", name, err, err)
		case !strings.Contains(err.Error(), tc.want):
			t.Errorf("%s: error lacks %q: %v", name, tc.want, err)
		case containsPart(err.Error(), tc.identity):
			t.Errorf("%s: the error quotes the identity: %v", name, err)
		}
	}
}

// containsPart reports whether s holds any 12 consecutive characters of the
// key material in secret: its text less the public framing (PEM armor lines,
// the AGE-SECRET-KEY-1 prefix), which messages may name, and less what public
// holds (an OpenSSH private key file embeds its public key).
func containsPart(s, secret string, public ...string) bool {
	const window = 12
	var material strings.Builder
	for line := range strings.Lines(secret) {
		if !strings.HasPrefix(line, "-----") {
			material.WriteString(strings.TrimSpace(strings.TrimPrefix(line, "AGE-SECRET-KEY-1")))
		}
	}
	m := material.String()
	for i := 0; i+window <= len(m); i++ {
		part := m[i : i+window]
		isPublic := false
		for _, p := range public {
			isPublic = isPublic || strings.Contains(p, part)
		}
		if !isPublic && strings.Contains(s, part) {
			return true
		}
	}
	return false
}
