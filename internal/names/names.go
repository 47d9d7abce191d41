// Package names holds the two forms of a name that Horizon keeps unique (a
// service account's, a server's): the form it is stored in, and the form in
// which two names are compared. The reference server uses both; the provider
// checks that a configured name is already in its stored form, so that
// Terraform never sees Horizon change it. It imports nothing of the project.
package names

import (
	"strings"
	"unicode"

	"github.com/mtibben/confusables"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Normalize is the stored form of a name: Unicode NFC, without leading or
// trailing white space. Two ways of writing é become one, and "Weather " is
// "Weather".
func Normalize(name string) string {
	return strings.TrimFunc(norm.NFC.String(name), unicode.IsSpace)
}

// IsNormal reports whether name is already in its stored form.
func IsNormal(name string) bool { return Normalize(name) == name }

// Fold is the form in which names are compared: two names with the same Fold
// look alike, and an organization holds at most one of them. In order:
//
//   - the stored form (Normalize), then NFKC, which maps compatibility forms
//     to their plain letters: fullwidth Ｗ is W, the ligature ﬁ is fi;
//   - case folding: Weather, weather and WEATHER are one name;
//   - the confusable skeleton of Unicode TR39 (UTS #39), which maps each
//     character to the one it is mistaken for: Cyrillic е is Latin e, Greek
//     ο is o, the digit 0 is O and 1 is l; and case folding again, because
//     some of those prototypes are capitals;
//   - runs of white space inside the name count as one space.
//
// Case is folded before the skeleton, so a capital I is an i (as case
// folding says) and not an l (as the skeleton would): one key cannot make I
// both, unless every i were an l, and mail and mall are different names.
//
// A Fold is for comparing only: it is no name to show anyone.
func Fold(name string) string {
	folder := cases.Fold()
	s := folder.String(norm.NFKC.String(Normalize(name)))
	s = folder.String(confusables.Skeleton(s))
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
}
