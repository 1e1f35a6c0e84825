using System.Net;
using EmailPipeline.Policy.Dns;

namespace EmailPipeline.Policy.Tests.Spf;

/// <summary>
/// An in-memory <see cref="IDnsResolver"/> over one scenario's zonedata, following the suite's rules (its README and
/// pyspf's driver): names compare case-insensitively; unknown names are NXDOMAIN; a name that DNS cannot carry (label
/// over 63 octets) is a DNS error; CNAMEs are followed (a loop is a DNS error); and TIMEOUT times out every query for a
/// type that has no records listed before it — so "TXT, TIMEOUT" still answers TXT, as the "spftimeout" test expects.
/// </summary>
internal sealed class ZoneResolver : IDnsResolver
{
    private const int MaxCnameChain = 8;
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);
    private readonly IReadOnlyDictionary<string, IReadOnlyList<ZoneEntry>> _zone;

    public ZoneResolver(IReadOnlyDictionary<string, IReadOnlyList<ZoneEntry>> zone) => _zone = zone;

    public Task<DnsAnswer<IReadOnlyList<string>>> QueryTxtAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(Resolve<IReadOnlyList<string>>(name, ZoneEntry.Txt, 0));

    public Task<DnsAnswer<IPAddress>> QueryAAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(Resolve<IPAddress>(name, ZoneEntry.A, 0));

    public Task<DnsAnswer<IPAddress>> QueryAaaaAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(Resolve<IPAddress>(name, ZoneEntry.Aaaa, 0));

    public Task<DnsAnswer<MxHost>> QueryMxAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(Resolve<MxHost>(name, ZoneEntry.Mx, 0));

    public Task<DnsAnswer<string>> QueryPtrAsync(IPAddress address, CancellationToken cancellationToken)
    {
        DnsAnswer<string> answer = Resolve<string>(DnsNames.ReverseName(address), ZoneEntry.Ptr, 0);
        return Task.FromResult(answer with { Records = answer.Records.Select(n => n.TrimEnd('.')).ToArray() });
    }

    private DnsAnswer<T> Resolve<T>(string name, string type, int depth)
    {
        if (!DnsNames.IsQueryable(name) || depth > MaxCnameChain)
        {
            return DnsAnswer<T>.TempError;
        }

        if (!_zone.TryGetValue(name.TrimEnd('.').ToLowerInvariant(), out IReadOnlyList<ZoneEntry>? entries))
        {
            return DnsAnswer<T>.Negative(DnsOutcome.NxDomain, Ttl);
        }

        var found = new List<T>();
        foreach (ZoneEntry entry in entries)
        {
            if (entry.Type == ZoneEntry.Timeout && found.Count == 0)
            {
                return DnsAnswer<T>.TempError;
            }

            if (entry.Type == type)
            {
                found.Add((T)entry.Value!);
            }
            else if (entry.Type == ZoneEntry.Cname)
            {
                return Resolve<T>((string)entry.Value!, type, depth + 1);
            }
        }

        return DnsAnswer<T>.Of(found, Ttl);
    }
}

/// <summary>One zonedata item: a type and its value (TXT: the strings of one record), or the bare TIMEOUT.</summary>
internal sealed record ZoneEntry(string Type, object? Value)
{
    public const string Txt = "TXT";
    public const string Spf = "SPF";
    public const string A = "A";
    public const string Aaaa = "AAAA";
    public const string Mx = "MX";
    public const string Ptr = "PTR";
    public const string Cname = "CNAME";
    public const string Timeout = "TIMEOUT";
}
