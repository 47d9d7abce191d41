package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

// maxBodyBytes caps request bodies; every valid request is far smaller.
const maxBodyBytes = 64 << 10

// hasBody reports whether requests of a method carry a body that the
// server reads.
func hasBody(method string) bool {
	return method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch
}

// createOnlyPut reads a PUT's If-None-Match: "*" asks to create the object
// only if there is none, which is how a client avoids taking over an object
// that something else made. Horizon's objects carry no ETags, so any other
// value is refused rather than ignored.
func createOnlyPut(r *http.Request) (bool, error) {
	values := r.Header.Values("If-None-Match")
	switch {
	case len(values) == 0:
		return false, nil
	case len(values) == 1 && strings.TrimSpace(values[0]) == "*":
		return true, nil
	default:
		return false, invalidField("If-None-Match", "the If-None-Match header accepts only * (create only when none exists); "+
			"Horizon's objects have no ETags")
	}
}

// readBody reads at most maxBodyBytes, however the body is framed: a
// Content-Length or chunks.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if !hasBody(r.Method) {
		return nil, nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		return nil, bodyReadError(err)
	}
	return body, nil
}

// bodyReadError tells the client's faults apart from the server's: a body
// that is too large (413), too slow (408, after the server's read timeout) or
// cut off or badly chunked (400).
func bodyReadError(err error) error {
	var (
		tooLarge *http.MaxBytesError
		netErr   net.Error
	)
	switch {
	case errors.As(err, &tooLarge):
		return err
	case errors.As(err, &netErr) && netErr.Timeout():
		return &apiError{
			status:  http.StatusRequestTimeout,
			code:    api.CodeRequestTimeout,
			message: "the request body did not arrive in time; send the whole request within the server's read timeout",
		}
	default:
		return invalidBody("the request body could not be read: %s", err.Error())
	}
}

// decodeBody decodes a JSON object into dst, which must point to a struct,
// and turns every failure into a 400. The body's syntax is checked as a
// whole first, so a body that is not one JSON object is reported as such,
// without a field; only then does a failure name the field at fault. An empty
// body counts as {} so that "name is required" beats "unexpected end of input".
//
// Decoding is strict, so that a proxy or an audit log that reads the body
// reads the request the server acts on: field names match exactly (NAME is
// not name), a field may appear only once, unknown fields are refused, and
// strings must be valid UTF-8 (no lone surrogate such as \ud800), where
// encoding/json would quietly put U+FFFD in their place. JSON v2
// (go-json-experiment/json, the mirror of encoding/json/v2) does all of this
// by default.
func decodeBody(body []byte, dst any) error {
	body = trimJSONSpace(body)
	if len(body) == 0 {
		body = []byte("{}")
	}
	// A duplicate field and invalid UTF-8 are faults of one field, reported
	// with its name below; here only the shape of the whole body counts.
	var whole jsontext.Value
	if err := json.Unmarshal(body, &whole, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)); err != nil {
		var syntaxErr *jsontext.SyntacticError
		if errors.As(err, &syntaxErr) {
			return invalidBody("request body is not valid JSON (at byte %d): %s", syntaxErr.ByteOffset, syntaxErr.Err)
		}
		return invalidBody("request body is not valid JSON")
	}
	if whole.Kind() != '{' {
		return invalidBody("request body must be a JSON object")
	}
	if err := json.Unmarshal(body, dst, json.RejectUnknownMembers(true)); err != nil {
		return decodeError(err, dst)
	}
	return nil
}

// trimJSONSpace trims the whitespace that JSON allows around a value, and
// nothing else: bytes.TrimSpace would also take Unicode spaces (U+0085,
// U+00A0, ...) that make a body invalid JSON.
func trimJSONSpace(b []byte) []byte { return bytes.Trim(b, " \t\r\n") }

// decodeError names the field at fault: the first member of the path that
// JSON v2 reports, so a bad element of capabilities names capabilities. The
// body's syntax was checked before, so a syntax error here is a duplicate
// field or a string that is not valid UTF-8.
func decodeError(err error, dst any) error {
	var (
		syntaxErr   *jsontext.SyntacticError
		semanticErr *json.SemanticError
	)
	switch {
	case errors.As(err, &syntaxErr) && errors.Is(syntaxErr.Err, jsontext.ErrDuplicateName):
		field := topField(syntaxErr.JSONPointer)
		return invalidField(field, "%s appears more than once in the request body; send each field once", quoteMember(syntaxErr.JSONPointer))
	case errors.As(err, &syntaxErr) && syntaxErr.JSONPointer == "":
		// A member name that is not valid UTF-8: there is no name to give.
		return invalidBody("request body is not valid JSON: a field name is not valid UTF-8 (at byte %d)", syntaxErr.ByteOffset)
	case errors.As(err, &syntaxErr):
		field := topField(syntaxErr.JSONPointer)
		return invalidField(field, "%s is not valid UTF-8 (a lone surrogate such as \\ud800 is not a character either)", quoteMember(syntaxErr.JSONPointer))
	case errors.As(err, &semanticErr) && errors.Is(semanticErr.Err, json.ErrUnknownName):
		field := topField(semanticErr.JSONPointer)
		return invalidField(field, "unknown field %q (field names are case-sensitive); accepted fields are: %s",
			field, strings.Join(jsonFieldNames(dst), ", "))
	case errors.As(err, &semanticErr) && semanticErr.JSONPointer != "":
		field := topField(semanticErr.JSONPointer)
		return invalidField(field, "%s must be %s", field, jsonKind(fieldType(dst, field, semanticErr.GoType)))
	default:
		return invalidBody("request body could not be decoded: %s", err.Error())
	}
}

// topField is the request field that a JSON pointer starts in.
func topField(p jsontext.Pointer) string {
	for token := range p.Tokens() {
		return token
	}
	return ""
}

// quoteMember names the member a pointer points to: the field, or the field
// and the path inside it.
func quoteMember(p jsontext.Pointer) string {
	if field := topField(p); string(p) != "/"+field {
		return fmt.Sprintf("%q (at %s)", field, p)
	}
	return fmt.Sprintf("%q", topField(p))
}

func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.String {
			return "an array of strings"
		}
		return "an array"
	default:
		return "an object"
	}
}

// fieldType is the type of dst's field with the given JSON name. A type
// error inside an array reports the element's type; the field's own type
// makes the better message ("an array of strings", not "a string").
func fieldType(dst any, name string, fallback reflect.Type) reflect.Type {
	t := reflect.TypeOf(dst)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for field := range t.Fields() {
		if tag, _, _ := strings.Cut(field.Tag.Get("json"), ","); tag == name {
			return field.Type
		}
	}
	return fallback
}

// jsonFieldNames lists the JSON names a request struct accepts, so that an
// unknown-field error can say what would have been right.
func jsonFieldNames(dst any) []string {
	t := reflect.TypeOf(dst)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var names []string
	for field := range t.Fields() {
		name, _, _ := strings.Cut(field.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return names
}
