using System.Globalization;
using System.Net;
using DnsClient;
using DnsClient.Protocol;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Policy.Dns;

/// <summary>
/// <see cref="IDnsResolver"/> with DnsClient against Policy:Dns:NameServers (or the system's resolvers). DnsClient's own
/// cache is off: <see cref="CachingDnsResolver"/> caches, including negative answers, which DnsClient does not keep.
/// </summary>
public sealed class DnsClientResolver : IDnsResolver
{
    private readonly LookupClient _client;
    private readonly TimeSpan _negativeTtl;

    public DnsClientResolver(IOptions<DnsResolverOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        DnsResolverOptions o = options.Value;
        NameServer[] servers = o.NameServers.Select(s => new NameServer(ParseEndPoint(s))).ToArray();
        var lookup = servers.Length > 0 ? new LookupClientOptions(servers) : new LookupClientOptions();
        lookup.Timeout = o.Timeout;
        lookup.Retries = o.Retries;
        lookup.UseCache = false;
        lookup.ThrowDnsErrors = false;
        lookup.UseTcpFallback = true;
        // A SERVFAIL from one server is worth asking the next about; NXDOMAIN is an answer.
        lookup.ContinueOnDnsError = true;
        lookup.ContinueOnEmptyResponse = false;
        _client = new LookupClient(lookup);
        _negativeTtl = o.NegativeTtl;
    }

    public Task<DnsAnswer<IReadOnlyList<string>>> QueryTxtAsync(string name, CancellationToken cancellationToken) =>
        QueryAsync<TxtRecord, IReadOnlyList<string>>(name, QueryType.TXT, r => r.Text.ToArray(), cancellationToken);

    public Task<DnsAnswer<IPAddress>> QueryAAsync(string name, CancellationToken cancellationToken) =>
        QueryAsync<ARecord, IPAddress>(name, QueryType.A, r => r.Address, cancellationToken);

    public Task<DnsAnswer<IPAddress>> QueryAaaaAsync(string name, CancellationToken cancellationToken) =>
        QueryAsync<AaaaRecord, IPAddress>(name, QueryType.AAAA, r => r.Address, cancellationToken);

    public Task<DnsAnswer<MxHost>> QueryMxAsync(string name, CancellationToken cancellationToken) =>
        QueryAsync<MxRecord, MxHost>(name, QueryType.MX, r => new MxHost(r.Preference, r.Exchange.Value.TrimEnd('.')), cancellationToken);

    public Task<DnsAnswer<string>> QueryPtrAsync(IPAddress address, CancellationToken cancellationToken) =>
        QueryAsync<PtrRecord, string>(DnsNames.ReverseName(address), QueryType.PTR, r => r.PtrDomainName.Value.TrimEnd('.'), cancellationToken);

    private async Task<DnsAnswer<TValue>> QueryAsync<TRecord, TValue>(
        string name, QueryType type, Func<TRecord, TValue> map, CancellationToken cancellationToken)
        where TRecord : DnsResourceRecord
    {
        if (!DnsNames.IsQueryable(name))
        {
            // DnsClient would throw on such a name; for the checks it is a name that cannot resolve.
            return DnsAnswer<TValue>.TempError;
        }

        IDnsQueryResponse response;
        try
        {
            response = await _client.QueryAsync(name, type, QueryClass.IN, cancellationToken).ConfigureAwait(false);
        }
        catch (DnsResponseException ex) when (ex.Code == DnsResponseCode.NotExistentDomain)
        {
            return DnsAnswer<TValue>.Negative(DnsOutcome.NxDomain, _negativeTtl);
        }
        catch (DnsResponseException)
        {
            return DnsAnswer<TValue>.TempError;
        }

        if (response.HasError)
        {
            return response.Header.ResponseCode == DnsHeaderResponseCode.NotExistentDomain
                ? DnsAnswer<TValue>.Negative(DnsOutcome.NxDomain, NegativeTtl(response))
                : DnsAnswer<TValue>.TempError;
        }

        // A recursive server answers an alias with the CNAME chain and the target's records: keep only the asked type.
        TRecord[] records = response.Answers.OfType<TRecord>().ToArray();
        if (records.Length == 0)
        {
            return DnsAnswer<TValue>.Negative(DnsOutcome.NoData, NegativeTtl(response));
        }

        TimeSpan ttl = TimeSpan.FromSeconds(records.Min(r => Math.Max(r.TimeToLive, 0)));
        return DnsAnswer<TValue>.Of(records.Select(map).ToArray(), ttl);
    }

    // RFC 2308 §5: a negative answer lives for the smaller of the SOA's TTL and its MINIMUM field.
    private TimeSpan NegativeTtl(IDnsQueryResponse response)
    {
        SoaRecord? soa = response.Authorities.SoaRecords().FirstOrDefault();
        return soa is null ? _negativeTtl : TimeSpan.FromSeconds(Math.Min(Math.Max(soa.TimeToLive, 0), soa.Minimum));
    }

    internal static IPEndPoint ParseEndPoint(string server)
    {
        if (IPEndPoint.TryParse(server, out IPEndPoint? endPoint))
        {
            return endPoint.Port == 0 ? new IPEndPoint(endPoint.Address, 53) : endPoint;
        }

        throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"'{server}' is not an address[:port]"));
    }
}
