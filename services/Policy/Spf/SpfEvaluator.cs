using System.Net;
using System.Net.Sockets;
using EmailPipeline.Policy.Dns;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Policy.Spf;

/// <summary>
/// check_host() of RFC 7208: pure logic over <see cref="IDnsResolver"/>. One instance serves any number of concurrent
/// checks; each check keeps its own lookup counters.
/// </summary>
public sealed class SpfEvaluator
{
    private const int MaxAddressLookupsPerMechanism = 10; // §4.6.4: MX names per "mx", PTR names per "ptr" / %{p}

    private readonly IDnsResolver _dns;
    private readonly SpfOptions _options;
    private readonly TimeProvider _time;

    public SpfEvaluator(IDnsResolver dns, IOptions<SpfOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(dns);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _dns = dns;
        _options = options.Value;
        _time = time;
    }

    /// <summary>
    /// The MAIL FROM identity (§2.4); an empty reverse-path ("" or "&lt;&gt;") checks the HELO identity instead,
    /// as "postmaster@helo".
    /// </summary>
    public Task<SpfOutcome> CheckMailFromAsync(IPAddress ip, string mailFrom, string helo, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mailFrom);
        ArgumentNullException.ThrowIfNull(helo);
        if (mailFrom.Length == 0 || mailFrom == "<>")
        {
            return CheckHeloAsync(ip, helo, cancellationToken);
        }

        int at = mailFrom.LastIndexOf('@');
        string domain = at < 0 ? mailFrom : mailFrom[(at + 1)..];
        return CheckHostAsync(ip, domain, mailFrom, helo, cancellationToken);
    }

    /// <summary>The HELO identity (§2.3): domain = helo, sender = "postmaster@helo".</summary>
    public Task<SpfOutcome> CheckHeloAsync(IPAddress ip, string helo, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(helo);
        return CheckHostAsync(ip, helo, "postmaster@" + helo, helo, cancellationToken);
    }

    /// <summary>
    /// check_host(&lt;ip&gt;, &lt;domain&gt;, &lt;sender&gt;) with <paramref name="helo"/> for the %{h} macro. A sender without a
    /// local-part gets "postmaster" (§4.3). IPv4-mapped IPv6 addresses are checked as IPv4 (§5).
    /// </summary>
    public async Task<SpfOutcome> CheckHostAsync(IPAddress ip, string domain, string sender, string helo, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ip);
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(helo);
        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }

        domain = domain.TrimEnd('.');
        int at = sender.LastIndexOf('@');
        string localPart = at <= 0 ? "postmaster" : sender[..at];
        string senderDomain = at < 0 ? domain : sender[(at + 1)..];
        var check = new Check(this, ip, localPart, senderDomain, helo);
        MacroContext macros = check.Macros;

        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(_options.Timeout);
        try
        {
            Verdict verdict = await check.CheckAsync(domain, budget.Token).ConfigureAwait(false);
            string? explanation = verdict.Spf == SpfResult.Fail
                ? await ExplainAsync(verdict, macros, budget.Token).ConfigureAwait(false)
                : null;
            return new SpfOutcome(verdict.Spf, explanation, verdict.Mechanism, verdict.Reason);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new SpfOutcome(SpfResult.TempError, Reason: $"check took longer than {_options.Timeout.TotalSeconds:0} s");
        }
    }

    // §6.2: the exp= of the record that produced the fail (redirect targets count, include targets do not). Any trouble
    // (DNS, not exactly one TXT record, bad syntax, non-ASCII) means "as if there were no exp=". Not counted as lookups.
    private async Task<string> ExplainAsync(Verdict verdict, MacroContext macros, CancellationToken cancellationToken)
    {
        if (verdict.Explanation is { } exp)
        {
            string name = await MacroExpander.ExpandDomainAsync(exp, macros, verdict.Domain, cancellationToken).ConfigureAwait(false);
            if (DnsNames.IsQueryable(name))
            {
                DnsAnswer<IReadOnlyList<string>> txt = await _dns.QueryTxtAsync(name, cancellationToken).ConfigureAwait(false);
                if (txt.Outcome == DnsOutcome.Found && txt.Records.Count == 1
                    && MacroString.TryParseExplanation(string.Concat(txt.Records[0])) is { } text)
                {
                    return await MacroExpander.ExpandAsync(text, macros, verdict.Domain, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        return MacroString.TryParseExplanation(_options.DefaultExplanation) is { } fallback
            ? await MacroExpander.ExpandAsync(fallback, macros, verdict.Domain, cancellationToken).ConfigureAwait(false)
            : _options.DefaultExplanation;
    }

    private readonly record struct Verdict(SpfResult Spf, string Domain, string? Mechanism = null, string? Reason = null, MacroString? Explanation = null);

    private enum Match
    {
        No,
        Yes,
        TempError,
        PermError,
    }

    /// <summary>The state of one check_host() call, shared by its includes and redirects (the limits are per check).</summary>
    private sealed class Check
    {
        private readonly SpfEvaluator _owner;
        private readonly IPAddress _ip;
        private int _lookups;
        private int _voidLookups;
        private string? _reason;
        private (DnsOutcome Outcome, IReadOnlyList<string> Names)? _validatedNames;

        public Check(SpfEvaluator owner, IPAddress ip, string localPart, string senderDomain, string helo)
        {
            _owner = owner;
            _ip = ip;
            Macros = new MacroContext(
                ip, $"{localPart}@{senderDomain}", localPart, senderDomain, helo, _owner._options.ReceivingHost, _owner._time.GetUtcNow(), ValidatedNameAsync);
        }

        public MacroContext Macros { get; }

        private bool IsIp4 => _ip.AddressFamily == AddressFamily.InterNetwork;

        public async Task<Verdict> CheckAsync(string domain, CancellationToken cancellationToken)
        {
            // §4.3: a malformed or single-label domain gives "none" without asking DNS.
            if (!IsCheckableDomain(domain))
            {
                return new Verdict(SpfResult.None, domain, Reason: $"'{domain}' is not a domain name");
            }

            DnsAnswer<IReadOnlyList<string>> txt = await _owner._dns.QueryTxtAsync(domain, cancellationToken).ConfigureAwait(false);
            if (txt.Outcome == DnsOutcome.TempError)
            {
                return new Verdict(SpfResult.TempError, domain, Reason: $"DNS error looking up TXT {domain}");
            }

            // §3.3: the strings of one TXT record are joined without separator; §4.5: exactly one SPF record.
            string[] records = txt.Records.Select(r => string.Concat(r)).Where(SpfRecordParser.IsSpfRecord).ToArray();
            if (records.Length == 0)
            {
                return new Verdict(SpfResult.None, domain, Reason: $"no SPF record at {domain}");
            }

            if (records.Length > 1)
            {
                return new Verdict(SpfResult.PermError, domain, Reason: $"{records.Length} SPF records at {domain}");
            }

            if (!SpfRecordParser.TryParse(records[0], out SpfRecord? record, out string? error))
            {
                return new Verdict(SpfResult.PermError, domain, Reason: $"{domain}: {error}");
            }

            foreach (SpfDirective directive in record.Directives)
            {
                switch (await MatchAsync(directive, domain, cancellationToken).ConfigureAwait(false))
                {
                    case Match.Yes:
                        return new Verdict(directive.Qualifier, domain, directive.Text, Explanation: record.Explanation);
                    case Match.TempError:
                        return new Verdict(SpfResult.TempError, domain, directive.Text, _reason);
                    case Match.PermError:
                        return new Verdict(SpfResult.PermError, domain, directive.Text, _reason);
                }
            }

            if (record.Redirect is null)
            {
                return new Verdict(SpfResult.Neutral, domain);
            }

            // §6.1: the redirect target's result is the result, with its own exp= (ours no longer applies).
            if (!CountLookup())
            {
                return new Verdict(SpfResult.PermError, domain, "redirect=" + record.Redirect.Text, _reason);
            }

            string target = await MacroExpander.ExpandDomainAsync(record.Redirect, Macros, domain, cancellationToken).ConfigureAwait(false);
            Verdict redirected = await CheckAsync(target, cancellationToken).ConfigureAwait(false);
            return redirected.Spf == SpfResult.None
                ? redirected with { Spf = SpfResult.PermError, Reason = $"redirect to {target}, which has no SPF record" }
                : redirected;
        }

        private async Task<Match> MatchAsync(SpfDirective directive, string domain, CancellationToken cancellationToken)
        {
            switch (directive.Mechanism)
            {
                case SpfMechanism.All:
                    return Match.Yes;
                case SpfMechanism.Ip4:
                case SpfMechanism.Ip6:
                    // §5.6: IPv4 clients match only ip4, IPv6 clients only ip6.
                    bool family = (directive.Mechanism == SpfMechanism.Ip4) == IsIp4;
                    return family && InNetwork(directive.Network!, Prefix(directive)) ? Match.Yes : Match.No;
            }

            if (!CountLookup())
            {
                return Match.PermError;
            }

            string target = directive.Domain is null
                ? domain
                : await MacroExpander.ExpandDomainAsync(directive.Domain, Macros, domain, cancellationToken).ConfigureAwait(false);
            return directive.Mechanism switch
            {
                SpfMechanism.Include => await IncludeAsync(target, cancellationToken).ConfigureAwait(false),
                SpfMechanism.A => await AddressesAsync(target, directive, countVoid: true, cancellationToken).ConfigureAwait(false),
                SpfMechanism.Mx => await MxAsync(target, directive, cancellationToken).ConfigureAwait(false),
                SpfMechanism.Ptr => await PtrAsync(target, cancellationToken).ConfigureAwait(false),
                SpfMechanism.Exists => await ExistsAsync(target, cancellationToken).ConfigureAwait(false),
                _ => throw new ArgumentOutOfRangeException(nameof(directive), directive.Mechanism, null),
            };
        }

        // §5.2: pass matches; fail, softfail and neutral do not; errors propagate; none is a permerror.
        private async Task<Match> IncludeAsync(string target, CancellationToken cancellationToken)
        {
            Verdict included = await CheckAsync(target, cancellationToken).ConfigureAwait(false);
            switch (included.Spf)
            {
                case SpfResult.Pass:
                    return Match.Yes;
                case SpfResult.Fail or SpfResult.SoftFail or SpfResult.Neutral:
                    return Match.No;
                case SpfResult.TempError:
                    _reason = included.Reason;
                    return Match.TempError;
                default:
                    _reason = included.Spf == SpfResult.None ? $"include:{target} has no SPF record" : included.Reason;
                    return Match.PermError;
            }
        }

        // "a": any A (IPv4 client) or AAAA (IPv6 client) record of the target inside the prefix. Also used per MX host.
        private async Task<Match> AddressesAsync(string target, SpfDirective directive, bool countVoid, CancellationToken cancellationToken)
        {
            // A constructed name DNS cannot carry (empty label, label over 63) simply does not match (§4.8, the suite).
            if (!DnsNames.IsQueryable(target))
            {
                return Match.No;
            }

            DnsAnswer<IPAddress> answer = IsIp4
                ? await _owner._dns.QueryAAsync(target, cancellationToken).ConfigureAwait(false)
                : await _owner._dns.QueryAaaaAsync(target, cancellationToken).ConfigureAwait(false);
            return answer.Outcome switch
            {
                DnsOutcome.Found => answer.Records.Any(a => InNetwork(a, Prefix(directive))) ? Match.Yes : Match.No,
                DnsOutcome.TempError => TempError($"DNS error looking up addresses of {target}"),
                _ => countVoid ? Void(target) : Match.No,
            };
        }

        // §5.4: the addresses of the MX hosts; more than 10 MX records is a permerror (§4.6.4).
        private async Task<Match> MxAsync(string target, SpfDirective directive, CancellationToken cancellationToken)
        {
            if (!DnsNames.IsQueryable(target))
            {
                return Match.No;
            }

            DnsAnswer<MxHost> mx = await _owner._dns.QueryMxAsync(target, cancellationToken).ConfigureAwait(false);
            switch (mx.Outcome)
            {
                case DnsOutcome.TempError:
                    return TempError($"DNS error looking up MX {target}");
                case DnsOutcome.NoData or DnsOutcome.NxDomain:
                    return Void(target);
            }

            if (mx.Records.Count > MaxAddressLookupsPerMechanism)
            {
                _reason = $"{target} has more than {MaxAddressLookupsPerMechanism} MX records";
                return Match.PermError;
            }

            foreach (MxHost host in mx.Records.OrderBy(m => m.Preference))
            {
                // A null MX (RFC 7505) names no host; §5.4 forbids falling back to the domain's own address.
                if (host.Host.Length == 0)
                {
                    continue;
                }

                Match match = await AddressesAsync(host.Host, directive, countVoid: false, cancellationToken).ConfigureAwait(false);
                if (match != Match.No)
                {
                    return match;
                }
            }

            return Match.No;
        }

        // §5.5: a validated name equal to the target or ending in ".target". PTR errors mean no match.
        private async Task<Match> PtrAsync(string target, CancellationToken cancellationToken)
        {
            (DnsOutcome outcome, IReadOnlyList<string> names) = await ValidatedNamesAsync(cancellationToken).ConfigureAwait(false);
            if (outcome is DnsOutcome.NoData or DnsOutcome.NxDomain)
            {
                return Void(DnsNames.ReverseName(_ip));
            }

            return names.Any(n => IsSameOrSubdomain(n, target)) ? Match.Yes : Match.No;
        }

        // §5.7: an A lookup whatever the client's address family.
        private async Task<Match> ExistsAsync(string target, CancellationToken cancellationToken)
        {
            if (!DnsNames.IsQueryable(target))
            {
                return Match.No;
            }

            DnsAnswer<IPAddress> answer = await _owner._dns.QueryAAsync(target, cancellationToken).ConfigureAwait(false);
            return answer.Outcome switch
            {
                DnsOutcome.Found => Match.Yes,
                DnsOutcome.TempError => TempError($"DNS error looking up A {target}"),
                _ => Void(target),
            };
        }

        /// <summary>%{p} (§7.3): a validated name that is the domain, else one under it, else any, else "unknown".</summary>
        public async Task<string> ValidatedNameAsync(string domain, CancellationToken cancellationToken)
        {
            (_, IReadOnlyList<string> names) = await ValidatedNamesAsync(cancellationToken).ConfigureAwait(false);
            return names.FirstOrDefault(n => n.Equals(domain, StringComparison.OrdinalIgnoreCase))
                   ?? names.FirstOrDefault(n => IsSameOrSubdomain(n, domain))
                   ?? names.FirstOrDefault()
                   ?? "unknown";
        }

        // §5.5: the first 10 PTR names whose A/AAAA records include the client; a failed address lookup skips the name.
        private async Task<(DnsOutcome, IReadOnlyList<string>)> ValidatedNamesAsync(CancellationToken cancellationToken)
        {
            if (_validatedNames is { } known)
            {
                return known;
            }

            DnsAnswer<string> ptr = await _owner._dns.QueryPtrAsync(_ip, cancellationToken).ConfigureAwait(false);
            if (ptr.Outcome != DnsOutcome.Found)
            {
                return ptr.Outcome == DnsOutcome.TempError ? (ptr.Outcome, []) : (_validatedNames = (ptr.Outcome, [])).Value;
            }

            var validated = new List<string>();
            foreach (string name in ptr.Records.Take(MaxAddressLookupsPerMechanism).Select(n => n.TrimEnd('.')))
            {
                if (!DnsNames.IsQueryable(name))
                {
                    continue;
                }

                DnsAnswer<IPAddress> addresses = IsIp4
                    ? await _owner._dns.QueryAAsync(name, cancellationToken).ConfigureAwait(false)
                    : await _owner._dns.QueryAaaaAsync(name, cancellationToken).ConfigureAwait(false);
                if (addresses.Records.Any(a => a.Equals(_ip)))
                {
                    validated.Add(name);
                }
            }

            _validatedNames = (ptr.Outcome, validated);
            return _validatedNames.Value;
        }

        private bool CountLookup()
        {
            if (++_lookups <= _owner._options.LookupLimit)
            {
                return true;
            }

            _reason = $"more than {_owner._options.LookupLimit} DNS lookups";
            return false;
        }

        private Match Void(string name)
        {
            if (++_voidLookups <= _owner._options.VoidLookupLimit)
            {
                return Match.No;
            }

            _reason = $"more than {_owner._options.VoidLookupLimit} void lookups (last: {name})";
            return Match.PermError;
        }

        private Match TempError(string reason)
        {
            _reason = reason;
            return Match.TempError;
        }

        private int Prefix(SpfDirective directive) => IsIp4 ? directive.Ip4Prefix : directive.Ip6Prefix;

        private bool InNetwork(IPAddress network, int prefix)
        {
            if (network.IsIPv4MappedToIPv6 && IsIp4)
            {
                network = network.MapToIPv4();
            }

            return network.AddressFamily == _ip.AddressFamily && new IPNetwork(Masked(network, prefix), prefix).Contains(_ip);
        }

        // IPNetwork refuses a base address with bits set past the prefix; "ip4:192.0.2.1/24" is fine in SPF.
        private static IPAddress Masked(IPAddress address, int prefix)
        {
            byte[] bytes = address.GetAddressBytes();
            for (int bit = prefix; bit < bytes.Length * 8; bit++)
            {
                bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
            }

            return new IPAddress(bytes);
        }

        private static bool IsSameOrSubdomain(string name, string domain)
        {
            name = name.TrimEnd('.');
            domain = domain.TrimEnd('.');
            return name.Equals(domain, StringComparison.OrdinalIgnoreCase)
                   || name.EndsWith("." + domain, StringComparison.OrdinalIgnoreCase);
        }

        // §4.3: at least two labels, each 1 to 63 octets; domain literals and bare addresses are not domains.
        private static bool IsCheckableDomain(string domain) =>
            DnsNames.IsQueryable(domain) && domain.TrimEnd('.').Contains('.', StringComparison.Ordinal)
            && !domain.StartsWith('[') && !IPAddress.TryParse(domain, out _);
    }
}
