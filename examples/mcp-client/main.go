// Command mcp-client tries an API key against a Horizon server's MCP endpoint
// (its url) with the official MCP Go SDK: it lists the tools the key may use
// and calls echo.
//
//	HORIZON_API_KEY=fmcp_... go run ./examples/mcp-client http://127.0.0.1:8787/mcp/srv_...
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: HORIZON_API_KEY=fmcp_... mcp-client <server url>")
		os.Exit(2)
	}
	if err := try(context.Background(), os.Args[1], os.Getenv("HORIZON_API_KEY"), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// try connects to the MCP endpoint at url with key, lists its tools and calls echo.
func try(ctx context.Context, url, key string, out io.Writer) error {
	client := mcp.NewClient(&mcp.Implementation{Name: "horizon-try", Version: "1.0.0"}, nil)
	session, err := client.Connect(ctx, &mcp.StreamableClientTransport{
		Endpoint:   url,
		HTTPClient: &http.Client{Transport: bearer(key)},
	}, nil)
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", url, err)
	}
	defer func() { _ = session.Close() }()

	tools, err := session.ListTools(ctx, nil)
	if err != nil {
		return fmt.Errorf("tools/list: %w", err)
	}
	for _, tool := range tools.Tools {
		fmt.Fprintf(out, "tool %s: %s\n", tool.Name, tool.Description)
	}
	result, err := session.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hello"}})
	if err != nil {
		return fmt.Errorf("tools/call echo: %w", err)
	}
	for _, content := range result.Content {
		if text, ok := content.(*mcp.TextContent); ok {
			fmt.Fprintf(out, "echo: %s\n", text.Text)
		}
	}
	return nil
}

// bearer sends the key with every request of the session.
type bearer string

func (key bearer) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+string(key))
	return http.DefaultTransport.RoundTrip(req)
}
