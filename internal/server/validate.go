package server

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

const maxDescriptionLength = 1024

var (
	serviceAccountNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	serverSlugPattern         = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
)

func validateServiceAccountName(name string) error {
	if !serviceAccountNamePattern.MatchString(name) {
		return invalidField("name", "name must be 1 to 64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	return nil
}

func validateDescription(description string) error {
	if !utf8.ValidString(description) || utf8.RuneCountInString(description) > maxDescriptionLength {
		return invalidField("description", "description must be at most %d characters of valid UTF-8", maxDescriptionLength)
	}
	return nil
}

// parseServiceAccountRole accepts the roles a service account may hold; an
// empty role means the default, viewer: least privilege, so that an account
// does only what it was explicitly given the role for.
func parseServiceAccountRole(role string) (Role, error) {
	if role == "" {
		return api.RoleViewer, nil
	}
	for _, r := range serviceAccountRoles {
		if Role(role) == r {
			return r, nil
		}
	}
	return "", invalidField("role", "role must be one of viewer, member or admin (service accounts cannot be owners)")
}

func validatePrintable(field, value string, maxLength int) error {
	n := utf8.RuneCountInString(value)
	ok := utf8.ValidString(value) && n >= 1 && n <= maxLength &&
		strings.IndexFunc(value, func(r rune) bool { return !unicode.IsPrint(r) }) < 0
	if !ok {
		return invalidField(field, "%s must be 1 to %d printable characters", field, maxLength)
	}
	return nil
}

func validateAPIKeyName(name string) error { return validatePrintable("name", name, 128) }

func validateServerName(name string) error { return validatePrintable("name", name, 64) }

func validateServerSlug(slug string) error {
	if !serverSlugPattern.MatchString(slug) {
		return invalidField("slug", "slug must be 1 to 63 characters of lowercase letters, digits and '-', starting and ending with a letter or digit")
	}
	return nil
}

// parseExpiresAt requires whole seconds because responses carry second
// precision; silently truncating would make the stored value differ from the
// one the client sent.
func parseExpiresAt(value string, now time.Time) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, value)
	if err != nil {
		return time.Time{}, invalidField("expires_at", "expires_at must be an RFC 3339 timestamp such as 2030-01-02T15:04:05Z")
	}
	if t.Nanosecond() != 0 {
		return time.Time{}, invalidField("expires_at", "expires_at must have whole-second precision, such as 2030-01-02T15:04:05Z")
	}
	if !t.After(now) {
		return time.Time{}, invalidField("expires_at", "expires_at must be in the future (now is %s)", formatTime(now))
	}
	return t.UTC(), nil
}

// The bounds of ttl_seconds: a key that lives under a minute cannot be put to
// use, and ten years (of 365 days) is longer than any rotation policy.
const (
	minTTLSeconds = 60
	maxTTLSeconds = 10 * 365 * 24 * 60 * 60
)

// parseTTLSeconds turns ttl_seconds into the expiry of a key created at now.
// The expiry counts from created_at as the API shows it, in whole seconds, so
// that expires_at - created_at is exactly the ttl a client asked for.
func parseTTLSeconds(ttl int64, now time.Time) (time.Time, error) {
	if ttl < minTTLSeconds || ttl > maxTTLSeconds {
		return time.Time{}, invalidField("ttl_seconds", "ttl_seconds must be a whole number of seconds from %d (one minute) to %d (ten years)", minTTLSeconds, maxTTLSeconds)
	}
	return now.UTC().Truncate(time.Second).Add(time.Duration(ttl) * time.Second), nil
}

func parseGrantRole(role string) (AccessRole, error) {
	for _, r := range grantRoles {
		if AccessRole(role) == r {
			return r, nil
		}
	}
	return "", invalidField("role", "role must be one of viewer, user or admin")
}

// parseCapabilities reads a grant's capabilities: absent (or null) means all
// three. An empty list is refused: a grant that allows nothing would look
// like access while giving none, and deleting the grant says that plainly.
func parseCapabilities(list *[]string) (CapabilitySet, error) {
	if list == nil {
		return AllCapabilities, nil
	}
	names := *list
	switch {
	case len(names) == 0:
		return 0, invalidField("capabilities", "capabilities must list at least one of tools, resources or prompts: a grant must allow at least one capability (omit the field for all three, or delete the grant to remove access)")
	case len(names) > len(capabilityOrder):
		return 0, invalidField("capabilities", "capabilities may have at most %d entries: tools, resources and prompts, each at most once", len(capabilityOrder))
	}
	var set CapabilitySet
	for _, name := range names {
		c := Capability(name)
		switch {
		case c.bit() == 0:
			return 0, invalidField("capabilities", "capabilities: unknown capability %q; the capabilities are tools, resources and prompts", name)
		case set.Has(c):
			return 0, invalidField("capabilities", "capabilities: %q is listed more than once; list each capability at most once", name)
		}
		set |= c.bit()
	}
	return set, nil
}

// ValidateDefaultServerRole reports whether role can be an organization's
// default_server_role: none, viewer or user.
func ValidateDefaultServerRole(role string) error {
	for _, r := range defaultServerRoles {
		if AccessRole(role) == r {
			return nil
		}
	}
	return fmt.Errorf("default server role %q is not one of none, viewer or user", role)
}

func parseDefaultServerRole(role string) (AccessRole, error) {
	if err := ValidateDefaultServerRole(role); err != nil {
		return "", invalidField("default_server_role", "default_server_role must be one of none, viewer or user "+
			"(admin comes only from a grant or the organization role)")
	}
	return AccessRole(role), nil
}
