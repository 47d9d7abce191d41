package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"reflect"
	"strconv"
	"strings"
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
			code:    "request_timeout",
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
func decodeBody(body []byte, dst any) error {
	body = trimJSONSpace(body)
	if len(body) == 0 {
		body = []byte("{}")
	}
	if !json.Valid(body) {
		var syntaxErr *json.SyntaxError
		if errors.As(json.Unmarshal(body, new(json.RawMessage)), &syntaxErr) {
			return invalidBody("request body is not valid JSON (at byte %d): %s", syntaxErr.Offset, syntaxErr.Error())
		}
		return invalidBody("request body is not valid JSON")
	}
	if body[0] != '{' {
		return invalidBody("request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err, dst)
	}
	return nil
}

// trimJSONSpace trims the whitespace that JSON allows around a value, and
// nothing else: bytes.TrimSpace would also take Unicode spaces (U+0085,
// U+00A0, ...) that make a body invalid JSON.
func trimJSONSpace(b []byte) []byte { return bytes.Trim(b, " \t\r\n") }

func decodeError(err error, dst any) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		if typeErr.Field == "" {
			return invalidBody("request body must be a JSON object")
		}
		return invalidField(typeErr.Field, "%s must be %s", typeErr.Field, jsonKind(fieldType(dst, typeErr.Field, typeErr.Type)))
	}
	if quoted, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		field, unquoteErr := strconv.Unquote(quoted)
		if unquoteErr != nil {
			field = quoted
		}
		return invalidField(field, "unknown field %q; accepted fields are: %s", field, strings.Join(jsonFieldNames(dst), ", "))
	}
	return invalidBody("request body could not be decoded: %s", err.Error())
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
