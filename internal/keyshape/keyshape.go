// Package keyshape says what a Horizon API key looks like: fmcp_ followed by
// URL-safe base64 (A-Z, a-z, 0-9, '-' and '_'). The reference server checks
// bootstrap keys against it and masks keys in its log with it; the client
// masks keys in everything a server says with it. It imports nothing of the
// project, so that both may use it without depending on each other.
package keyshape

import (
	"fmt"
	"regexp"
)

// Prefix starts every Horizon API key.
const Prefix = "fmcp_"

// Redacted stands in for a key that was masked.
const Redacted = Prefix + "REDACTED"

// The bounds of a key's random part, after the prefix. A generated key has 43
// characters (32 random bytes); a chosen one needs at least 16 (96 bits) to
// be masked as fmcp_AbCd...wXyZ without giving itself away, and at most 128
// keeps it a reasonable header.
const (
	MinRandomLength = 16
	MaxRandomLength = 128
)

// inText matches a key anywhere in a text, up to the first character that no
// key holds. Since every key is drawn from this alphabet, the match covers
// the whole key. Four characters or fewer after the prefix are no more than a
// masked key (fmcp_AbCd...wXyZ) shows on purpose, so masked keys and the
// "fmcp_..." of help texts are left alone.
var inText = regexp.MustCompile(Prefix + `[A-Za-z0-9_-]{5,}`)

var whole = regexp.MustCompile(fmt.Sprintf(`^%s[A-Za-z0-9_-]{%d,%d}$`, Prefix, MinRandomLength, MaxRandomLength))

// Pattern matches anything shaped like a key in a text, for loggers that mask
// by regular expression.
func Pattern() *regexp.Regexp { return inText }

// Contains reports whether s holds anything shaped like a key.
func Contains(s string) bool { return inText.MatchString(s) }

// Redact replaces everything shaped like a key in s with Redacted.
func Redact(s string) string { return inText.ReplaceAllLiteralString(s, Redacted) }

// Check reports whether key has the shape of a key: the prefix, then 16 to
// 128 characters of URL-safe base64. The error never quotes the key.
func Check(key string) error {
	if whole.MatchString(key) {
		return nil
	}
	return fmt.Errorf("an API key is %s followed by %d to %d characters of URL-safe base64 (A-Z, a-z, 0-9, '-' and '_'), "+
		"such as the keys the server generates", Prefix, MinRandomLength, MaxRandomLength)
}
