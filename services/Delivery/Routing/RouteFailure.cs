using EmailPipeline.Contracts;

namespace EmailPipeline.Delivery.Routing;

/// <summary>Why no host could be chosen; applies to every recipient of the request.</summary>
public sealed record RouteFailure(DeliveryOutcome Outcome, int ReplyCode, string EnhancedStatus, string Diagnostic)
{
    public static RouteFailure Bounce(string status, string diagnostic) => new(DeliveryOutcome.Bounced, 550, status, diagnostic);

    public static RouteFailure Defer(string status, string diagnostic) => new(DeliveryOutcome.Deferred, 451, status, diagnostic);
}
