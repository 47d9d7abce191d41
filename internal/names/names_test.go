package names

import "testing"

func TestNormalize(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Weather":         "Weather",
		"Weather ":        "Weather",
		" Weather":        "Weather",
		"\tWeather\n":     "Weather",
		"Internal  Tools": "Internal  Tools", // inside, spaces are the user's
		"Cafe\u0301":      "Caf\u00e9",       // e and a combining acute: NFC composes them
		"\uff37eather":    "\uff37eather",    // fullwidth is kept; only Fold maps it
		"W\u0435ather":    "W\u0435ather",    // Cyrillic е is kept; only Fold maps it
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
		if IsNormal(in) != (in == want) {
			t.Errorf("IsNormal(%q) = %v", in, IsNormal(in))
		}
	}
}

// TestFoldLookalikes holds the lookalikes that an organization accepted
// beside Weather, each of which now folds to the same name.
func TestFoldLookalikes(t *testing.T) {
	t.Parallel()
	for _, pair := range [][2]string{
		{"Weather", "W\u0435ather"}, // Cyrillic е
		{"Weather", "\uff37eather"}, // fullwidth Ｗ
		{"Weather", "Weather "},     // a trailing space
		{"Weather", " Weather"},     // a leading space
		{"Weather", "weather"},      // case
		{"Weather", "WEATHER"},      //
		{"Internal Tools", "Internal  Tools"},
		{"Café", "Cafe\u0301"},    // two ways of writing é
		{"\u0391pollo", "Apollo"}, // Greek capital alpha
		{"ci-deployer-1", "ci-deployer-l"},
		{"ci-deployer-0", "ci-deployer-O"},
		{"ﬁles", "files"}, // a ligature
	} {
		if a, b := Fold(pair[0]), Fold(pair[1]); a != b {
			t.Errorf("Fold(%q) = %q and Fold(%q) = %q, want one", pair[0], a, pair[1], b)
		}
	}
}

func TestFoldKeepsDifferentNamesApart(t *testing.T) {
	t.Parallel()
	for _, pair := range [][2]string{
		{"Weather", "Search"},
		{"Weather", "Weathers"},
		{"ci-deployer", "ci_deployer"},
		{"ci-deployer", "cideployer"},
		{"Café", "Cafe"}, // an accent is a different letter, not a lookalike
		{"Internal Tools", "InternalTools"},
	} {
		if a, b := Fold(pair[0]), Fold(pair[1]); a == b {
			t.Errorf("Fold(%q) = Fold(%q) = %q, want them apart", pair[0], pair[1], a)
		}
	}
}
