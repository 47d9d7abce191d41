package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/horizonhq/terraform-provider-horizon/internal/client"
)

// lookup finds one object for a data source configured with exactly one of
// `id` (one GET) or a unique key such as `slug` or `name` (one list, filtered).
type lookup[T any] struct {
	what    string // "server", for messages
	keyAttr string // the attribute that holds the unique key
	get     func(context.Context, string) (*T, error)
	list    func(context.Context) ([]T, error)
	keyOf   func(T) string
	// hint says, after a failed search by key, what the key's owner can see.
	hint func([]T) string
	// hidden, when set, says why a key may not find an object that exists
	// and what to do about it: Horizon conceals what the caller may not see.
	hidden string
}

func (l lookup[T]) find(ctx context.Context, id, key types.String, diags *diag.Diagnostics) *T {
	if !id.IsNull() {
		found, err := l.get(ctx, id.ValueString())
		by := fmt.Sprintf("id %q", id.ValueString())
		if errors.Is(err, client.ErrNotFound) {
			diags.Append(notFoundDiagnostic(path.Root("id"), l.what, by, strings.TrimSpace("Check the value. "+l.hidden)))
			return nil
		}
		if err != nil {
			diags.Append(lookupDiagnostic(path.Root("id"), l.what, by, err))
			return nil
		}
		return found
	}
	all, err := l.list(ctx)
	if err != nil {
		diags.Append(apiErrorDiagnostic("list "+l.what+"s", err))
		return nil
	}
	for i := range all {
		if l.keyOf(all[i]) == key.ValueString() {
			return &all[i]
		}
	}
	diags.Append(notFoundDiagnostic(path.Root(l.keyAttr), l.what, fmt.Sprintf("%s %q", l.keyAttr, key.ValueString()),
		strings.TrimSpace(l.hint(all)+" "+l.hidden)))
	return nil
}
