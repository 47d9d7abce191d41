package server

import (
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
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
// empty role means the default, member.
func parseServiceAccountRole(role string) (Role, error) {
	if role == "" {
		return RoleMember, nil
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
