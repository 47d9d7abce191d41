package api

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"testing"
)

// goldenTypes are the types whose examples API.md marks with <!-- api.Name -->.
var goldenTypes = map[string]func() any{
	"Organization": func() any { return new(Organization) },
	"Actor":        func() any { return new(Actor) },
	"ServiceAccount": func() any {
		return new(ServiceAccount)
	},
	"Key":         func() any { return new(Key) },
	"Server":      func() any { return new(Server) },
	"ServerGrant": func() any { return new(ServerGrant) },
}

var goldenExample = regexp.MustCompile("(?s)<!-- api\\.(\\w+) -->\n```json\n(.*?)```")

// Every object example of API.md decodes strictly (no field the type lacks)
// into the one type the client and the server share, and encodes back to
// the same JSON: field names, nulls and omitted fields alike. Every shared
// object type has an example.
func TestObjectsAreThoseOfAPIMD(t *testing.T) {
	doc, err := os.ReadFile("../server/API.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range goldenExample.FindAllSubmatch(doc, -1) {
		name, example := string(m[1]), m[2]
		newValue, ok := goldenTypes[name]
		if !ok {
			t.Errorf("API.md marks an example as api.%s, which is not a shared object type", name)
			continue
		}
		seen[name] = true
		value := newValue()
		dec := json.NewDecoder(bytes.NewReader(example))
		dec.DisallowUnknownFields()
		if err := dec.Decode(value); err != nil {
			t.Errorf("api.%s: the example of API.md does not decode: %v\n%s", name, err, example)
			continue
		}
		encoded, err := json.Marshal(value)
		if err != nil {
			t.Fatal(err)
		}
		var want, got map[string]any
		if err := json.Unmarshal(example, &want); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(encoded, &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("api.%s encodes the example of API.md as\n %s\nnot\n %s", name, encoded, example)
		}
	}
	for name := range goldenTypes {
		if !seen[name] {
			t.Errorf("API.md has no example marked <!-- api.%s -->", name)
		}
	}
}
