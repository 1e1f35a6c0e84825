namespace EmailPipeline.Delivery.Routing;

/// <summary>The DNS port of routing: the real one is <see cref="DnsClientMxResolver"/>, tests use a fake.</summary>
public interface IMxResolver
{
    Task<MxLookup> LookupMxAsync(string domain, CancellationToken cancellationToken);

    Task<AddressLookup> LookupAddressesAsync(string host, CancellationToken cancellationToken);
}
