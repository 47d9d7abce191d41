package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/horizonhq/terraform-provider-horizon/internal/client"
)

// apiErrorDiagnostic turns a client error into a diagnostic that says what failed
// (action, such as "create service account \"ci\"") and what to do next. Client
// errors never contain secrets, and neither does anything added here.
func apiErrorDiagnostic(action string, err error) diag.Diagnostic {
	var (
		transport *client.TransportError
		budget    *client.WaitBudgetError
	)
	apiErr, isAPI := client.AsAPIError(err)
	switch {
	case errors.As(err, &budget):
		return diag.NewErrorDiagnostic("Horizon Request Gave Up Waiting", fmt.Sprintf(
			"Could not %s: the request gave up after %s and %d attempt(s): %s, which would take it past the %s "+
				"that the provider waits for one request (max_wait).\n\n"+
				"Run again later, or lower Terraform's -parallelism when the organization's rate limit is shared; "+
				"raise max_wait to wait longer.",
			action, budget.Elapsed.Round(time.Millisecond), budget.Attempts, budget.Reason, budget.Budget))
	case errors.As(err, &transport) && transport.PlainHTTP():
		return diag.NewAttributeErrorDiagnostic(path.Root("endpoint"), "Horizon Endpoint Is Not HTTPS", fmt.Sprintf(
			"Could not %s: the provider's endpoint is %s, but the server there answers in plain HTTP, not TLS, "+
				"so no request can succeed and none was retried.\n\n"+
				"If that server has no TLS (the reference server has none), set endpoint (or %s) to %s; "+
				"otherwise check the port.",
			action, transport.Endpoint, envEndpoint, strings.Replace(transport.Endpoint, "https://", "http://", 1)))
	case errors.As(err, &transport):
		return diag.NewErrorDiagnostic("Horizon Endpoint Unreachable", fmt.Sprintf(
			"Could not %s: no response from %s after %d attempt(s): %v.\n\n"+
				"Check the provider's endpoint attribute (or %s) and that Horizon is reachable from here; "+
				"raise max_retries if the network is only briefly unavailable.",
			action, transport.Endpoint, transport.Attempts, transport.Err, envEndpoint))
	case errors.Is(err, client.ErrUnauthenticated):
		key := "the provider's API key"
		if apiErr.MaskedAPIKey != "" {
			key += " " + apiErr.MaskedAPIKey
		}
		reason := "it is unknown, revoked or expired, or its owner is disabled or deleted"
		if apiErr.Message != "" {
			reason = strings.TrimSuffix(apiErr.Message, ".")
		}
		return diag.NewAttributeErrorDiagnostic(path.Root("api_key"), "Horizon API Key Not Accepted", fmt.Sprintf(
			"Could not %s: Horizon refused %s (from api_key, or %s) with HTTP 401: %s.\n\n"+
				"Configure a current key of a user or service account of the organization: not revoked, not expired, "+
				"and whose owner is enabled.",
			action, key, envAPIKey, reason))
	case isAPI && apiErr.StatusCode == http.StatusNotFound && apiErr.Resource() == "organization":
		return diag.NewAttributeErrorDiagnostic(path.Root("organization_id"), "Horizon Organization Not Found", fmt.Sprintf(
			"Could not %s: Horizon has no organization %s that the provider's API key may see (HTTP 404).\n\n"+
				"organization_id (or %s) must name the organization of the key's owner. Leave it unset to use that organization, "+
				"or set it to the organization_id that the horizon_current_actor data source shows "+
				"(the reference server prints it as its %s line).",
			action, organizationOfPath(apiErr.Path), envOrganizationID, envOrganizationID))
	case isAPI && apiErr.StatusCode == http.StatusNotFound && apiErr.Resource() == "":
		return diag.NewAttributeErrorDiagnostic(path.Root("endpoint"), "No Horizon API at the Endpoint", fmt.Sprintf(
			"Could not %s: the server at the provider's endpoint answered HTTP 404 without naming a missing object (%s), "+
				"so the endpoint does not lead to Horizon's API.\n\n"+
				"Set endpoint (or %s) to Horizon's base URL, such as https://horizon.example.com: "+
				"the provider adds /api/v0 itself.",
			action, strings.TrimSuffix(apiErr.Message, "."), envEndpoint))
	case errors.Is(err, client.ErrPermissionDenied):
		detail := fmt.Sprintf("Could not %s: the owner of the provider's API key is not permitted to (HTTP 403).", action)
		if p, ok := apiErr.Permission(); ok && p.RequiredRole != "" {
			detail = fmt.Sprintf("Could not %s: the owner of the provider's API key has the organization role %q, "+
				"and this needs %q or higher (HTTP 403).", action, p.ActorRole, p.RequiredRole)
		}
		return diag.NewErrorDiagnostic("Insufficient Horizon Permission", detail+
			"\n\nUse a key whose owner has the required role, or ask an organization owner to raise the owner's role. "+
			"A viewer key can plan but not apply.")
	case errors.Is(err, client.ErrRateLimited):
		return diag.NewErrorDiagnostic("Horizon Rate Limit", fmt.Sprintf(
			"Could not %s: Horizon kept answering 429 after every permitted wait (%v). "+
				"Run again later, or lower Terraform's -parallelism so the organization's rate limit is shared by fewer requests.",
			action, err))
	case isAPI && apiErr.StatusCode == http.StatusBadRequest:
		detail := fmt.Sprintf("Could not %s: Horizon refused the request: %s.", action, strings.TrimSuffix(apiErr.Message, "."))
		if f := apiErr.Field(); f != "" {
			detail += fmt.Sprintf(" The field at fault is %q.", f)
		}
		return diag.NewErrorDiagnostic("Invalid Horizon Request", detail+" Correct the configuration and apply again.")
	case isAPI && apiErr.StatusCode >= 500:
		return diag.NewErrorDiagnostic("Horizon Server Error", fmt.Sprintf(
			"Could not %s: %v.\n\nHorizon failed after every permitted retry; run again later. "+
				"Creates are retried with the same Idempotency-Key, so running again never duplicates an object.", action, err))
	default:
		return diag.NewErrorDiagnostic("Horizon API Error", fmt.Sprintf("Could not %s: %v.", action, err))
	}
}

// organizationOfPath is the organization an API path names, as the
// configuration gave it ("current" when it gave none).
func organizationOfPath(p string) string {
	_, rest, ok := strings.Cut(p, "/organizations/")
	if !ok {
		return "(unknown)"
	}
	org, _, _ := strings.Cut(rest, "/")
	return org
}

// nameTaken is a create or update refused because another object of the
// organization holds a unique name or slug.
type nameTaken struct {
	// attribute is the attribute at fault, "name" or "slug"; summary the
	// diagnostic's; action what failed, as apiErrorDiagnostic takes it.
	attribute, summary, action string
	// noun is the kind of object ("service account"); holder the id of the
	// one that has the name, "" when it could not be found.
	noun, holder string
	// lookalike is the holder's name when it is not this one but looks like
	// it: Horizon compares names folded (internal/names).
	lookalike string
	// updating is set when the object exists and was being changed: it
	// cannot be imported over the holder, only given another name.
	updating bool
}

// nameTakenDiagnostic names the object that holds the name and says what to
// do: a create may import that object instead, an update must choose another
// name or free this one first.
func nameTakenDiagnostic(n nameTaken) diag.Diagnostic {
	holder := fmt.Sprintf("%s %s", n.noun, n.holder)
	if n.holder == "" {
		holder = "another " + n.noun + " of the organization"
	}
	detail := fmt.Sprintf("Could not %s: %s already has this %s, and no two %ss of an organization share one. ",
		n.action, holder, n.attribute, n.noun)
	if n.lookalike != "" {
		detail = fmt.Sprintf("Could not %s: %s is named %q, which looks like this name: Horizon compares names without regard "+
			"to case, width and lookalike characters (such as a Cyrillic е for an e), and no two %ss of an organization share one. ",
			n.action, holder, n.lookalike, n.noun)
	}
	switch {
	case n.updating && n.holder != "":
		detail += fmt.Sprintf("Choose another %s, or rename or delete %s first.", n.attribute, holder)
	case n.updating:
		detail += fmt.Sprintf("Choose another %s.", n.attribute)
	case n.holder != "":
		detail += fmt.Sprintf("Choose another %s, or, to manage %s here instead, import it: "+
			"terraform import <this resource's address> %s, or an import block with id = %q.", n.attribute, holder, n.holder, n.holder)
	default:
		detail += fmt.Sprintf("Choose another %s, or import the existing %s (terraform import, or an import block).", n.attribute, n.noun)
	}
	return diag.NewAttributeErrorDiagnostic(path.Root(n.attribute), n.summary, detail)
}

// planGetter and stateSetter let one function serve both Create and Update.
type planGetter interface {
	Get(ctx context.Context, target any) diag.Diagnostics
}

type stateSetter interface {
	Set(ctx context.Context, val any) diag.Diagnostics
}

// planOnlyKeyAdvice is what a key that only plans needs, for the errors of a
// server it may not discover (the provider's index page says it too).
const planOnlyKeyAdvice = "A key that only plans must be able to discover every server the configuration reads: " +
	"give its owner a grant of role viewer on each (horizon_server_grant), or set the organization's default_server_role " +
	"to viewer or user (horizon_organization_settings)."

// notFoundDiagnostic is a data source lookup that found nothing.
func notFoundDiagnostic(attribute path.Path, what, by, hint string) diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(attribute, fmt.Sprintf("No Such %s", titleCase(what)), fmt.Sprintf(
		"Horizon has no %s with %s that the owner of the provider's API key may see. %s", what, by, hint))
}

// lookupDiagnostic maps a failed lookup by id: a 404 is "no such object", anything else the usual API error.
func lookupDiagnostic(attribute path.Path, what, by string, err error) diag.Diagnostic {
	if errors.Is(err, client.ErrNotFound) {
		return notFoundDiagnostic(attribute, what, by, "Check the value.")
	}
	return apiErrorDiagnostic("read "+what+" with "+by, err)
}

// capitalize starts a sentence with s.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func titleCase(s string) string {
	words := strings.Fields(strings.ReplaceAll(s, "_", " "))
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}

// createTimeout bounds a create that Terraform's interrupt no longer cancels.
const createTimeout = 5 * time.Minute

// uninterruptible detaches a create from Terraform's cancellation. On Ctrl-C,
// Terraform stops the provider, which cancels in-flight requests; a create
// cancelled after Horizon committed it would leave an object that no state
// records (an orphan, and for a key a live credential nobody knows of). Letting
// the create finish, within createTimeout, lets Terraform record it: the next
// apply then converges with no orphan and no duplicate.
func uninterruptible(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), createTimeout)
}

// serverGone decides what a 404 for a server means. Horizon conceals a server
// the caller may not discover behind a 404, so for a key whose owner is
// neither an organization admin nor owner, "server not found" may only mean
// "not visible to you": planning to recreate the object would be wrong, so
// that case is an error that says which permission is missing. For an admin
// or owner, who sees every server, the server is gone.
func serverGone(ctx context.Context, c *client.Client, action string, diags *diag.Diagnostics) bool {
	me, err := c.Me(ctx)
	if err != nil {
		diags.Append(apiErrorDiagnostic(action, err))
		return false
	}
	if seesEveryServer(me.Actor.Role) {
		return true
	}
	diags.AddError("Server Not Visible to the Provider's Key", fmt.Sprintf(
		"Could not %s: Horizon answered 404 for the server. The owner of the provider's API key (%s %q, organization role %q) "+
			"may not discover that server, and Horizon conceals such servers as not found, so Terraform cannot tell whether it still exists.\n\n"+
			"Plan with a key whose owner is an organization admin or owner. %s",
		action, strings.ReplaceAll(me.Actor.Type, "_", " "), me.Actor.Name, me.Actor.Role, planOnlyKeyAdvice))
	return false
}
