using System.Net;
using EmailPipeline.Delivery.Configuration;

namespace EmailPipeline.Delivery.Routing;

/// <summary>
/// Chooses where a destination's mail goes: the transport map, then the smarthost, then the domain's MX
/// records (RFC 5321 §5.1). Pure apart from the resolver port, so every rule is unit-tested with a fake.
/// </summary>
/// <remarks>
/// MX handling: hosts by ascending preference, random order among equal preferences (load spreading, §5.1);
/// no MX records but an A/AAAA record means the domain itself is the implicit MX; a lone null MX "0 ."
/// (RFC 7505) bounces with 5.1.10; NXDOMAIN bounces with 5.1.2; DNS trouble defers with 4.4.3. An MX that
/// names an IP literal is not a host name (§5.1 requires a domain) and is skipped; if nothing usable is left,
/// the recipients are deferred with 4.4.4, since such a mistake in DNS is usually corrected. An MX pointing at
/// a CNAME is followed when its addresses are looked up (§5.1 says the alias is to be resolved, not refused).
/// </remarks>
public sealed class RoutePlanner(TransportMap map, TransportRule? smarthost, IMxResolver resolver, Random random)
{
    public const int SmtpPort = 25;

    public async Task<DeliveryRoute> PlanAsync(string destination, CancellationToken cancellationToken)
    {
        string domain = destination.Trim().TrimEnd('.').ToLowerInvariant();
        TransportRule? rule = map.Find(domain);
        if (rule is not null)
        {
            switch (rule.Kind)
            {
                case TransportKind.Maildir:
                    return new DeliveryRoute(TransportKind.Maildir, rule, [], null, $"maildir:{rule.Match}");
                case TransportKind.Lmtp:
                    return new DeliveryRoute(TransportKind.Lmtp, rule, [new RouteHost(rule.Host!, rule.Port)], null, $"lmtp:{rule.Host}");
                case TransportKind.Smtp when !string.IsNullOrWhiteSpace(rule.Host):
                    return new DeliveryRoute(TransportKind.Smtp, rule, [new RouteHost(rule.Host, rule.Port)], null, $"relay:{rule.Host}");
            }
        }
        else if (smarthost is not null)
        {
            return new DeliveryRoute(TransportKind.Smtp, smarthost, [new RouteHost(smarthost.Host!, smarthost.Port)], null, $"smarthost:{smarthost.Host}");
        }

        int port = rule?.Port ?? SmtpPort;
        return await PlanMxAsync(domain, port, rule, cancellationToken).ConfigureAwait(false);
    }

    private async Task<DeliveryRoute> PlanMxAsync(string domain, int port, TransportRule? rule, CancellationToken cancellationToken)
    {
        string via = $"mx:{domain}";
        MxLookup mx = await resolver.LookupMxAsync(domain, cancellationToken).ConfigureAwait(false);
        switch (mx.Status)
        {
            case DnsLookupStatus.TemporaryFailure:
                return DeliveryRoute.Fail(RouteFailure.Defer("4.4.3", $"MX lookup for {domain} failed: {mx.Error ?? "temporary DNS failure"}"), via);
            case DnsLookupStatus.NoSuchDomain:
                return DeliveryRoute.Fail(RouteFailure.Bounce("5.1.2", $"Domain {domain} does not exist (NXDOMAIN)"), via);
            case DnsLookupStatus.NoRecords:
                return await ImplicitMxAsync(domain, port, rule, cancellationToken).ConfigureAwait(false);
        }

        if (mx.Records.Count == 0)
        {
            return await ImplicitMxAsync(domain, port, rule, cancellationToken).ConfigureAwait(false);
        }

        if (mx.Records.All(r => IsNullMx(r.Exchange)))
        {
            return DeliveryRoute.Fail(RouteFailure.Bounce("5.1.10", $"Domain {domain} accepts no mail (null MX, RFC 7505)"), via);
        }

        var usable = mx.Records
            .Select(r => r with { Exchange = r.Exchange.Trim().TrimEnd('.').ToLowerInvariant() })
            .Where(r => !IsNullMx(r.Exchange) && !IsAddressLiteral(r.Exchange))
            .ToList();
        if (usable.Count == 0)
        {
            return DeliveryRoute.Fail(RouteFailure.Defer("4.4.4", $"MX records of {domain} name no usable host (IP literals are not allowed, RFC 5321 §5.1)"), via);
        }

        var hosts = new List<RouteHost>(usable.Count);
        foreach (var group in usable.GroupBy(r => r.Preference).OrderBy(g => g.Key))
        {
            MxRecord[] same = group.DistinctBy(r => r.Exchange).ToArray();
            random.Shuffle(same);
            hosts.AddRange(same.Select(r => new RouteHost(r.Exchange, port)));
        }

        return new DeliveryRoute(TransportKind.Smtp, rule, hosts.DistinctBy(h => h.Name).ToList(), null, via);
    }

    private async Task<DeliveryRoute> ImplicitMxAsync(string domain, int port, TransportRule? rule, CancellationToken cancellationToken)
    {
        string via = $"implicit-mx:{domain}";
        AddressLookup a = await resolver.LookupAddressesAsync(domain, cancellationToken).ConfigureAwait(false);
        return a.Status switch
        {
            DnsLookupStatus.Found => new DeliveryRoute(TransportKind.Smtp, rule, [new RouteHost(domain, port)], null, via),
            DnsLookupStatus.TemporaryFailure => DeliveryRoute.Fail(RouteFailure.Defer("4.4.3", $"Address lookup for {domain} failed: {a.Error ?? "temporary DNS failure"}"), via),
            _ => DeliveryRoute.Fail(RouteFailure.Bounce("5.1.2", $"Domain {domain} has no MX and no address records"), via),
        };
    }

    private static bool IsNullMx(string exchange) => exchange.Trim().TrimEnd('.').Length == 0;

    private static bool IsAddressLiteral(string exchange) =>
        exchange.StartsWith('[') || IPAddress.TryParse(exchange, out _);
}
