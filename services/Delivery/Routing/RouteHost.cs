namespace EmailPipeline.Delivery.Routing;

/// <summary>One host to try, in order. <paramref name="Name"/> is an MX or relay name, or an IP literal.</summary>
public sealed record RouteHost(string Name, int Port);
