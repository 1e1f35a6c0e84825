using System.Net;
using EmailPipeline.Policy.Dns;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Policy.Dnsbl;

/// <summary>
/// Looks the client up in every configured list at once (RFC 5782 §2.1) and waits at most
/// <see cref="DnsListOptions.Budget"/>: a list that has not answered by then counts as "not listed", so a slow list
/// never holds up acceptance. An allow-list hit wins over any block list.
/// </summary>
public sealed class DnsListChecker(IDnsResolver dns, IOptions<DnsListOptions> options)
{
    public async Task<DnsListOutcome> CheckAsync(IPAddress client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        DnsListOptions o = options.Value;
        if (o.Zones.Count == 0)
        {
            return DnsListOutcome.NotListed;
        }

        // The reverse name without its in-addr.arpa / ip6.arpa suffix is the list query prefix.
        string reverse = DnsNames.ReverseName(client);
        string prefix = reverse[..reverse.LastIndexOf('.', reverse.LastIndexOf('.') - 1)];
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(o.Budget);
        (DnsListZone Zone, Task<DnsAnswer<IPAddress>> Lookup)[] lookups = o.Zones
            .Select(z => (z, dns.QueryAAsync($"{prefix}.{z.Zone.TrimEnd('.')}", budget.Token)))
            .ToArray();
        try
        {
            await Task.WhenAll(lookups.Select(l => l.Lookup)).WaitAsync(o.Budget, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // Past the budget: use what has answered.
        }

        var unanswered = new List<string>();
        (DnsListZone Zone, IPAddress Code, string Meaning)? block = null;
        foreach ((DnsListZone zone, Task<DnsAnswer<IPAddress>> lookup) in lookups)
        {
            if (!lookup.IsCompletedSuccessfully)
            {
                unanswered.Add(zone.Zone);
                continue;
            }

            DnsAnswer<IPAddress> answer = await lookup.ConfigureAwait(false);
            if (answer.Outcome == DnsOutcome.TempError)
            {
                unanswered.Add(zone.Zone);
            }

            foreach (IPAddress code in answer.Records)
            {
                if (Meaning(zone, code) is not { } meaning)
                {
                    continue;
                }

                if (zone.Kind == DnsListKind.Allow)
                {
                    return new DnsListOutcome(AllowedBy: zone.Zone, Code: code.ToString(), Meaning: meaning);
                }

                block ??= (zone, code, meaning);
            }
        }

        return block is { } b
            ? new DnsListOutcome(b.Zone.Zone, b.Code.ToString(), b.Meaning, Unanswered: unanswered)
            : new DnsListOutcome(Unanswered: unanswered);
    }

    private static string? Meaning(DnsListZone zone, IPAddress code)
    {
        if (zone.Codes.Count == 0)
        {
            return code.GetAddressBytes() is [127, ..] ? "listed" : null;
        }

        return zone.Codes.TryGetValue(code.ToString(), out string? meaning) ? meaning : null;
    }
}
