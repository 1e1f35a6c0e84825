using System.Net;
using EmailPipeline.Delivery.Routing;

namespace EmailPipeline.Delivery.Tests;

/// <summary>An in-memory DNS for routing tests: MX and address answers per name; unknown names are NXDOMAIN.</summary>
internal sealed class FakeResolver : IMxResolver
{
    public Dictionary<string, MxLookup> Mx { get; } = new(StringComparer.OrdinalIgnoreCase);

    public Dictionary<string, AddressLookup> Addresses { get; } = new(StringComparer.OrdinalIgnoreCase);

    public int MxQueries { get; private set; }

    public FakeResolver WithMx(string domain, params MxRecord[] records)
    {
        Mx[domain] = MxLookup.Of(records);
        return this;
    }

    public FakeResolver WithAddress(string host, string ip)
    {
        Addresses[host] = AddressLookup.Of(IPAddress.Parse(ip));
        return this;
    }

    public Task<MxLookup> LookupMxAsync(string domain, CancellationToken cancellationToken)
    {
        MxQueries++;
        if (Mx.TryGetValue(domain, out MxLookup? mx))
        {
            return Task.FromResult(mx);
        }

        return Task.FromResult(Addresses.ContainsKey(domain) ? MxLookup.Failed(DnsLookupStatus.NoRecords) : MxLookup.Failed(DnsLookupStatus.NoSuchDomain));
    }

    public Task<AddressLookup> LookupAddressesAsync(string host, CancellationToken cancellationToken) =>
        Task.FromResult(Addresses.TryGetValue(host, out AddressLookup? a) ? a : AddressLookup.Failed(Mx.ContainsKey(host) ? DnsLookupStatus.NoRecords : DnsLookupStatus.NoSuchDomain));
}
