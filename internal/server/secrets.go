package server

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/horizonhq/terraform-provider-horizon/internal/keyshape"
)

// Where secrets are compared, and why each comparison leaks nothing through
// its timing:
//
//   - API keys (authenticate, in authenticate.go): the presented key is hashed with
//     SHA-256 and looked up by that hash, and the stored hash is then compared
//     with subtle.ConstantTimeCompare. The lookup's timing could tell at most
//     something about a hash, from which no key can be recovered.
//   - Idempotency-Keys (idempotency.go): the server keeps only a SHA-256
//     lookup id, and opens a stored response with AES-256-GCM under a key
//     derived from the Idempotency-Key; GCM checks its tag in constant time.
//   - Nothing else compares a secret: a plaintext secret exists only in the
//     request that presents it and in the response that creates it. The
//     store keeps hashes (see TestSnapshotHoldsNoSecret) and the logs mask
//     anything that looks like a key (logging.go).

const secretPrefix = keyshape.Prefix

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newID returns prefix followed by 16 lowercase base32 characters (80 random
// bits).
func newID(prefix string) string {
	var b [10]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails; it crashes the program instead.
	return prefix + strings.ToLower(idEncoding.EncodeToString(b[:]))
}

// newSecret returns a fresh API key secret: fmcp_ and 32 random bytes in
// unpadded base64url.
func newSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return secretPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

func hashSecret(secret string) [sha256.Size]byte {
	return sha256.Sum256([]byte(secret))
}

// maskSecret shows the first and last four characters of the random part, so
// people can tell keys apart without the secret being recoverable. Every
// secret it sees is a generated one or a validated bootstrap key, both long
// enough.
func maskSecret(secret string) string {
	random := strings.TrimPrefix(secret, secretPrefix)
	return secretPrefix + random[:4] + "..." + random[len(random)-4:]
}

// ValidateBootstrapKey reports whether key can serve as the seeded owner's API
// key: it must have the shape of a generated key (fmcp_ and URL-safe base64,
// see keyshape.Check), because the log masks keys by that shape, and a key
// with other characters would be masked only up to the first of them.
func ValidateBootstrapKey(key string) error {
	if err := keyshape.Check(key); err != nil {
		return fmt.Errorf("bootstrap key: %w", err)
	}
	return nil
}
