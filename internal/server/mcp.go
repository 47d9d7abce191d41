package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

// Each server's MCP endpoint is served by the official Go SDK: the Streamable
// HTTP transport, stateless, one JSON response per POST. What is Horizon's
// own (authentication, concealment, roles, capabilities) runs in front of it,
// on every request (mcp_access.go).

// mcpPathPrefix is where the MCP endpoints live; a server's url is the
// prefix followed by its id.
const mcpPathPrefix = "/mcp/"

// mcpPattern is the MCP endpoint's route, for every method: the SDK answers
// the methods the transport does not use (GET, DELETE) with 405.
const mcpPattern = mcpPathPrefix + "{server}"

// mcpProtocolVersions are the MCP revisions the endpoint negotiates, newest
// first. A request whose MCP-Protocol-Version header names another is a 400
// (the SDK's check).
var mcpProtocolVersions = []string{"2025-11-25", "2025-06-18"}

// mcpServerVersion is what initialize reports as the server's version.
const mcpServerVersion = "0.1.0"

// newMCPHandler is the endpoint: Horizon's checks, then the SDK.
func (s *Server) newMCPHandler() http.Handler {
	sdk := mcp.NewStreamableHTTPHandler(mcpServerOf, &mcp.StreamableHTTPOptions{
		// Stateless: nothing about a client outlives its request, so every
		// message is evaluated against current access, a restarted server
		// keeps serving its clients, and there is no session to expire,
		// hijack or drain on shutdown.
		Stateless:           true,
		JSONResponse:        true,
		MaxRequestBodyBytes: maxBodyBytes,
	})
	return s.protectOrigin(s.admitMCP(sdk))
}

type mcpServerKey struct{}

// mcpServerOf hands the SDK the MCP server that admitMCP built for this
// request, from the caller's current access.
func mcpServerOf(r *http.Request) *mcp.Server {
	srv, _ := r.Context().Value(mcpServerKey{}).(*mcp.Server)
	return srv
}

func withMCPServer(r *http.Request, srv *mcp.Server) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), mcpServerKey{}, srv))
}

// newMCPServer builds what one caller sees of a server: the echo tool, the
// readme resource and the summarize prompt, each only if the caller may use
// its capability, so that initialize advertises exactly those.
func newMCPServer(srv MCPServer, capabilities CapabilitySet) *mcp.Server {
	advertised := &mcp.ServerCapabilities{}
	if capabilities.Has(api.CapabilityTools) {
		advertised.Tools = &mcp.ToolCapabilities{}
	}
	if capabilities.Has(api.CapabilityResources) {
		advertised.Resources = &mcp.ResourceCapabilities{}
	}
	if capabilities.Has(api.CapabilityPrompts) {
		advertised.Prompts = &mcp.PromptCapabilities{}
	}
	server := mcp.NewServer(&mcp.Implementation{Name: srv.Slug, Title: srv.Name, Version: mcpServerVersion}, &mcp.ServerOptions{
		Capabilities:              advertised,
		SupportedProtocolVersions: mcpProtocolVersions,
	})
	if advertised.Tools != nil {
		server.AddTool(echoTool, echo)
	}
	if advertised.Resources != nil {
		readme := readmeResource(srv)
		server.AddResource(readme, readReadme(srv, readme))
	}
	if advertised.Prompts != nil {
		server.AddPrompt(summarizePrompt, summarize)
	}
	return server
}

// echoTool returns its arguments, so a client can see exactly what reached
// the server.
var echoTool = &mcp.Tool{
	Name:        "echo",
	Description: "Returns its arguments as JSON text.",
	// A schema value rather than JSON text: the SDK checks JSON text by
	// decoding it, which on every request would be the largest cost of the
	// server built per request.
	InputSchema: &jsonschema.Schema{
		Type:       "object",
		Properties: map[string]*jsonschema.Schema{"text": {Type: "string", Description: "Text to echo."}},
	},
}

func echo(_ context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	arguments := trimJSONSpace(req.Params.Arguments)
	if len(arguments) == 0 || bytes.Equal(arguments, []byte("null")) {
		arguments = []byte("{}")
	}
	if arguments[0] != '{' {
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: "invalid params: the arguments of echo must be an object"}
	}
	// Compacted, but otherwise as sent: key order and number spelling are
	// the client's own.
	var text bytes.Buffer
	if err := json.Compact(&text, arguments); err != nil {
		return nil, err
	}
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text.String()}}}, nil
}

// readmeResource describes the server in Markdown.
func readmeResource(srv MCPServer) *mcp.Resource {
	return &mcp.Resource{
		URI:         "horizon://" + srv.Slug + "/readme",
		Name:        "readme",
		Description: "What the " + srv.Name + " server offers.",
		MIMEType:    "text/markdown",
	}
}

func readReadme(srv MCPServer, readme *mcp.Resource) mcp.ResourceHandler {
	text := fmt.Sprintf("# %s\n\n%s\n\nThis Horizon server offers the tool `echo`, the resource `%s` and the prompt `summarize`.\n",
		srv.Name, srv.Description, readme.URI)
	return func(context.Context, *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
		return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: readme.URI, MIMEType: readme.MIMEType, Text: text}}}, nil
	}
}

// summarizePrompt asks the model to summarize a text.
var summarizePrompt = &mcp.Prompt{
	Name:        "summarize",
	Description: "Summarize a text.",
	Arguments:   []*mcp.PromptArgument{{Name: "text", Description: "The text to summarize.", Required: true}},
}

func summarize(_ context.Context, req *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
	text, ok := req.Params.Arguments["text"]
	if !ok {
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: `invalid params: the prompt summarize needs the argument "text"`}
	}
	return &mcp.GetPromptResult{
		Description: summarizePrompt.Description,
		Messages:    []*mcp.PromptMessage{{Role: "user", Content: &mcp.TextContent{Text: "Summarize this text:\n\n" + text}}},
	}, nil
}
