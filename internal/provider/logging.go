package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/horizonhq/terraform-provider-horizon/internal/client"
	"github.com/horizonhq/terraform-provider-horizon/internal/keyshape"
)

// tfLogger routes the client's request events to tflog. The client never passes
// credentials or bodies, and masks what a server says before it reaches an
// error; masking the API key, and anything shaped like a Horizon key, anyway
// keeps a future mistake from reaching a TF_LOG file.
type tfLogger struct {
	apiKey string
}

var _ client.Logger = tfLogger{}

func newTFLogger(apiKey string) tfLogger { return tfLogger{apiKey: apiKey} }

func (l tfLogger) mask(ctx context.Context) context.Context {
	ctx = tflog.MaskAllFieldValuesStrings(ctx, l.apiKey)
	ctx = tflog.MaskAllFieldValuesRegexes(ctx, keyshape.Pattern())
	ctx = tflog.MaskMessageStrings(ctx, l.apiKey)
	return tflog.MaskMessageRegexes(ctx, keyshape.Pattern())
}

func (l tfLogger) Debug(ctx context.Context, msg string, fields map[string]any) {
	tflog.Debug(l.mask(ctx), msg, fields)
}

func (l tfLogger) Warn(ctx context.Context, msg string, fields map[string]any) {
	tflog.Warn(l.mask(ctx), msg, fields)
}
