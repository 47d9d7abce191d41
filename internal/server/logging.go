package server

import (
	"context"
	"encoding"
	"fmt"
	"log/slog"
	"reflect"

	"github.com/horizonhq/terraform-provider-horizon/internal/keyshape"
)

// No log line may hold a credential. The access log writes the method, the
// path, the status and the duration only (never headers, bodies or the query
// string), and every line, access log or not, passes through
// redactingHandler, which masks anything that looks like an API key: a key
// pasted into a URL by mistake, a panic value or an error that quotes one.

// Every key the server accepts has the shape of keyshape (generated keys, and
// bootstrap keys, which ValidateBootstrapKey holds to it), so masking that
// shape masks every key whole.
func redactSecrets(s string) string { return keyshape.Redact(s) }

func redactPath(path string) string { return redactSecrets(path) }

// redactingHandler masks secrets in the message and in every attribute
// before the wrapped handler formats them.
type redactingHandler struct {
	slog.Handler
}

func (h redactingHandler) Handle(ctx context.Context, rec slog.Record) error {
	clean := slog.NewRecord(rec.Time, rec.Level, redactSecrets(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		clean.AddAttrs(redactAttr(a))
		return true
	})
	return h.Handler.Handle(ctx, clean)
}

func (h redactingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = redactAttr(a)
	}
	return redactingHandler{h.Handler.WithAttrs(clean)}
}

func (h redactingHandler) WithGroup(name string) slog.Handler {
	return redactingHandler{h.Handler.WithGroup(name)}
}

func redactAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, redactSecrets(v.String()))
	case slog.KindGroup:
		group := v.Group()
		clean := make([]any, len(group))
		for i, member := range group {
			clean[i] = redactAttr(member)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindAny:
		// Errors and other values are printed by the handler; print them
		// here first, as it would, and replace them when the text holds a
		// secret.
		if text := anyText(v.Any()); keyshape.Contains(text) {
			return slog.String(a.Key, redactSecrets(text))
		}
		return slog.Attr{Key: a.Key, Value: v}
	default:
		return slog.Attr{Key: a.Key, Value: v}
	}
}

// anyText prints a value the way slog's handlers do: byte slices as text,
// TextMarshalers by their text, everything else with fmt.
func anyText(v any) string {
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8 {
		return string(rv.Bytes())
	}
	if m, ok := v.(encoding.TextMarshaler); ok {
		if text, err := m.MarshalText(); err == nil {
			return string(text)
		}
	}
	return fmt.Sprint(v)
}
