package keyshape

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	generated := Prefix + "AbCdEfGh0123456789-_abcdefghijklmnopqrstuvw"
	for key, want := range map[string]bool{
		generated:                          true,
		Prefix + strings.Repeat("a", 16):   true,
		Prefix + strings.Repeat("a", 128):  true,
		Prefix + strings.Repeat("a", 15):   false,
		Prefix + strings.Repeat("a", 129):  false,
		"FMCP_" + strings.Repeat("a", 20):  false,
		"sk_" + strings.Repeat("a", 20):    false,
		Prefix + "chosen/by/a/user/0123":   false,
		Prefix + `chosen"by"a"user"0123`:   false,
		Prefix + `chosen\by\a\user\0123`:   false,
		Prefix + "chosen.by+a~user!0123":   false,
		Prefix + "padded-base64-0123456==": false,
		Prefix + "with space 0123456789":   false,
		Prefix + "0123456789abcdef\n":      false,
		" " + Prefix + "0123456789abcdef":  false,
		Prefix + "0123456789abcdef\u00e9":  false,
		Prefix + "0123456789abcdef\x00":    false,
	} {
		if err := Check(key); (err == nil) != want {
			t.Errorf("Check(%q) = %v, want ok %v", key, err, want)
		}
		if err := Check(key); err != nil && strings.Contains(err.Error(), key) {
			t.Errorf("Check's error quotes the key: %v", err)
		}
	}
}

// TestRedactCoversEveryKeyThatCheckAccepts is the property that the server's
// log and the client's errors rely on: a key that Check accepts is masked
// whole, whatever stands around it.
func TestRedactCoversEveryKeyThatCheckAccepts(t *testing.T) {
	t.Parallel()
	keys := []string{
		Prefix + "AbCdEfGh0123456789-_abcdefghijklmnopqrstuvw",
		Prefix + "----____----____",
		Prefix + strings.Repeat("Z9", 64),
	}
	for _, key := range keys {
		if err := Check(key); err != nil {
			t.Fatalf("Check(%q): %v", key, err)
		}
		random := strings.TrimPrefix(key, Prefix)
		for _, text := range []string{
			key,
			"bad key Bearer " + key,
			`{"message":"` + key + `"}`,
			"/api/v0/" + key + "/x?key=" + key,
			"'" + key + "'.",
			"x" + key + "=y",
		} {
			got := Redact(text)
			if strings.Contains(got, random) {
				t.Errorf("Redact(%q) = %q: the key's random part survived", text, got)
			}
			if !strings.Contains(got, Redacted) || !Contains(text) {
				t.Errorf("Redact(%q) = %q: no %s", text, got, Redacted)
			}
		}
	}
}

func TestRedactLeavesOtherTextAlone(t *testing.T) {
	t.Parallel()
	for _, text := range []string{
		"missing API key: send the header Authorization: Bearer fmcp_...",
		"Horizon API keys start with fmcp_",
		"masked_secret fmcp_AbCd...wXyZ, the four characters either side that a masked key shows",
	} {
		if got := Redact(text); got != text {
			t.Errorf("Redact(%q) = %q, want it unchanged", text, got)
		}
	}
}
