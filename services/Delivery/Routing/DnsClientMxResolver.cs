using System.Globalization;
using System.Net;
using DnsClient;
using DnsClient.Protocol;
using EmailPipeline.Delivery.Configuration;
using EmailPipeline.Delivery.Telemetry;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Delivery.Routing;

/// <summary>
/// <see cref="IMxResolver"/> with DnsClient against Delivery:Dns:Servers (or the system's resolvers).
/// DNS errors are values here: NXDOMAIN is permanent; timeouts, SERVFAIL and REFUSED are temporary.
/// </summary>
public sealed class DnsClientMxResolver : IMxResolver
{
    private const int MaxCnameDepth = 8;
    private readonly LookupClient _client;
    private readonly DeliveryMetrics _metrics;

    public DnsClientMxResolver(IOptions<DnsOptions> options, DeliveryMetrics metrics)
    {
        _metrics = metrics;
        DnsOptions o = options.Value;
        NameServer[] servers = o.Servers.Select(s => new NameServer(ParseEndPoint(s))).ToArray();
        var lookup = servers.Length > 0 ? new LookupClientOptions(servers) : new LookupClientOptions();
        lookup.Timeout = o.Timeout;
        lookup.Retries = o.Retries;
        lookup.ThrowDnsErrors = false;
        lookup.UseCache = true;
        lookup.UseTcpFallback = true;
        lookup.ContinueOnDnsError = true;
        _client = new LookupClient(lookup);
    }

    public async Task<MxLookup> LookupMxAsync(string domain, CancellationToken cancellationToken)
    {
        (DnsLookupStatus status, IDnsQueryResponse? response, string? error) = await QueryAsync(domain, QueryType.MX, cancellationToken).ConfigureAwait(false);
        if (status != DnsLookupStatus.Found || response is null)
        {
            return MxLookup.Failed(status, error);
        }

        MxRecord[] records = response.Answers.MxRecords()
            .Select(r => new MxRecord(r.Preference, r.Exchange.Value.TrimEnd('.')))
            .ToArray();
        return records.Length == 0 ? MxLookup.Failed(DnsLookupStatus.NoRecords) : MxLookup.Of(records);
    }

    public async Task<AddressLookup> LookupAddressesAsync(string host, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host.Trim('[', ']'), out IPAddress? literal))
        {
            return AddressLookup.Of(literal);
        }

        var addresses = new List<IPAddress>();
        DnsLookupStatus worst = DnsLookupStatus.NoRecords;
        string? error = null;
        foreach (QueryType type in (QueryType[])[QueryType.A, QueryType.AAAA])
        {
            string name = host;
            for (int depth = 0; depth < MaxCnameDepth; depth++)
            {
                (DnsLookupStatus status, IDnsQueryResponse? response, string? e) = await QueryAsync(name, type, cancellationToken).ConfigureAwait(false);
                if (response is null || status != DnsLookupStatus.Found)
                {
                    worst = Worse(worst, status);
                    error ??= e;
                    break;
                }

                var found = type == QueryType.A
                    ? response.Answers.ARecords().Select(a => a.Address)
                    : response.Answers.AaaaRecords().Select(a => a.Address);
                int before = addresses.Count;
                addresses.AddRange(found);
                CNameRecord? alias = response.Answers.CnameRecords().FirstOrDefault();
                if (addresses.Count > before || alias is null)
                {
                    break;
                }

                // The server gave the alias without its target's addresses: follow it ourselves.
                name = alias.CanonicalName.Value.TrimEnd('.');
            }
        }

        if (addresses.Count > 0)
        {
            return AddressLookup.Of(addresses.Distinct().ToArray());
        }

        return AddressLookup.Failed(worst, error);
    }

    private async Task<(DnsLookupStatus, IDnsQueryResponse?, string?)> QueryAsync(string name, QueryType type, CancellationToken cancellationToken)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        (DnsLookupStatus Status, IDnsQueryResponse? Response, string? Error) result = await QueryOnceAsync(name, type, cancellationToken).ConfigureAwait(false);
        _metrics.DnsQueried(type.ToString().ToLowerInvariant(), result.Status.ToString().ToLowerInvariant(), System.Diagnostics.Stopwatch.GetElapsedTime(started));
        return result;
    }

    private async Task<(DnsLookupStatus, IDnsQueryResponse?, string?)> QueryOnceAsync(string name, QueryType type, CancellationToken cancellationToken)
    {
        try
        {
            IDnsQueryResponse response = await _client.QueryAsync(name, type, QueryClass.IN, cancellationToken).ConfigureAwait(false);
            if (!response.HasError)
            {
                return (response.Answers.Count > 0 ? DnsLookupStatus.Found : DnsLookupStatus.NoRecords, response, null);
            }

            return response.Header.ResponseCode == DnsHeaderResponseCode.NotExistentDomain
                ? (DnsLookupStatus.NoSuchDomain, response, response.ErrorMessage)
                : (DnsLookupStatus.TemporaryFailure, response, $"{type} {name}: {response.ErrorMessage}");
        }
        catch (DnsResponseException ex)
        {
            return ex.Code == DnsResponseCode.NotExistentDomain
                ? (DnsLookupStatus.NoSuchDomain, null, ex.Message)
                : (DnsLookupStatus.TemporaryFailure, null, $"{type} {name}: {ex.DnsError}");
        }
    }

    private static DnsLookupStatus Worse(DnsLookupStatus a, DnsLookupStatus b) =>
        a == DnsLookupStatus.TemporaryFailure || b == DnsLookupStatus.TemporaryFailure ? DnsLookupStatus.TemporaryFailure
        : a == DnsLookupStatus.NoSuchDomain || b == DnsLookupStatus.NoSuchDomain ? DnsLookupStatus.NoSuchDomain
        : DnsLookupStatus.NoRecords;

    internal static IPEndPoint ParseEndPoint(string server)
    {
        if (IPEndPoint.TryParse(server, out IPEndPoint? endPoint))
        {
            return endPoint.Port == 0 ? new IPEndPoint(endPoint.Address, 53) : endPoint;
        }

        throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"'{server}' is not an address[:port]"));
    }
}
