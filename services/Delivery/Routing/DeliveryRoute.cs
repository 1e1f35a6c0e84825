using EmailPipeline.Delivery.Configuration;

namespace EmailPipeline.Delivery.Routing;

/// <summary>Where one request goes: a transport and its hosts in the order to try, or a failure.</summary>
public sealed record DeliveryRoute(TransportKind Kind, TransportRule? Rule, IReadOnlyList<RouteHost> Hosts, RouteFailure? Failure, string Via)
{
    public bool Failed => Failure is not null;

    public bool RequireTls => Rule?.RequireTls ?? false;

    public static DeliveryRoute Fail(RouteFailure failure, string via) => new(TransportKind.Smtp, null, [], failure, via);
}
