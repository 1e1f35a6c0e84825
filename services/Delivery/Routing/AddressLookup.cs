using System.Net;

namespace EmailPipeline.Delivery.Routing;

/// <summary>The A and AAAA answers for one host name (CNAMEs followed).</summary>
public sealed record AddressLookup(DnsLookupStatus Status, IReadOnlyList<IPAddress> Addresses, string? Error = null)
{
    public static AddressLookup Of(params IPAddress[] addresses) => new(addresses.Length > 0 ? DnsLookupStatus.Found : DnsLookupStatus.NoRecords, addresses);

    public static AddressLookup Failed(DnsLookupStatus status, string? error = null) => new(status, [], error);
}
