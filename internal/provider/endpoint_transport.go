package provider

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// checkTransport warns about an endpoint that would carry the API key in
// clear text across a network: http:// on a host that is not this machine.
// Plain http:// to loopback (the reference server, a local tunnel) never
// leaves the machine, so it gets no warning. It returns "" when there is
// nothing to say.
func checkTransport(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "http" || isLoopbackHost(u.Hostname()) {
		return ""
	}
	return fmt.Sprintf("The endpoint %s is plain http:// on %s, which is not this machine: every request carries the "+
		"API key unencrypted across the network, where anyone on the way can read it and use it. "+
		"Use https:// for a Horizon across a network; keep plain http:// for a server on loopback "+
		"(127.0.0.1, ::1 or localhost), such as the reference server.", u.Redacted(), u.Hostname())
}

// isLoopbackHost reports whether host names this machine without a lookup:
// a loopback address, or localhost and its subdomains, which RFC 6761 keeps
// on loopback.
func isLoopbackHost(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
