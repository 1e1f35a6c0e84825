namespace EmailPipeline.Delivery.Routing;

/// <summary>The answer to an MX query.</summary>
public sealed record MxLookup(DnsLookupStatus Status, IReadOnlyList<MxRecord> Records, string? Error = null)
{
    public static MxLookup Of(params MxRecord[] records) => new(DnsLookupStatus.Found, records);

    public static MxLookup Failed(DnsLookupStatus status, string? error = null) => new(status, [], error);
}
