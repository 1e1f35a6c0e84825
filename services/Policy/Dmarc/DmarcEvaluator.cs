using EmailPipeline.Policy.Dkim;
using EmailPipeline.Policy.Dns;
using EmailPipeline.Policy.Spf;
using Microsoft.Extensions.Options;
using MimeKit;

namespace EmailPipeline.Policy.Dmarc;

/// <summary>
/// RFC 7489 §6.6: the author domain from the single From: header, policy discovery at "_dmarc.&lt;from domain&gt;" then
/// at the organizational domain, identifier alignment (relaxed: same organizational domain; strict: same name) for
/// SPF and each passing DKIM signature, then p= or sp= and pct= sampling.
/// </summary>
public sealed class DmarcEvaluator
{
    private readonly IDnsResolver _dns;
    private readonly PublicSuffixList _suffixes;
    private readonly DmarcOptions _options;

    public DmarcEvaluator(IDnsResolver dns, PublicSuffixList suffixes, IOptions<DmarcOptions> options)
    {
        ArgumentNullException.ThrowIfNull(dns);
        ArgumentNullException.ThrowIfNull(suffixes);
        ArgumentNullException.ThrowIfNull(options);
        _dns = dns;
        _suffixes = suffixes;
        _options = options.Value;
    }

    public async Task<DmarcOutcome> EvaluateAsync(DmarcInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        DmarcPolicy malformed = _options.RejectMalformedFrom ? DmarcPolicy.Reject : DmarcPolicy.None;
        if (input.FromHeaders.Count != 1)
        {
            return new DmarcOutcome(DmarcResult.PermError, null, malformed, Reason: $"{input.FromHeaders.Count} From: headers");
        }

        string[] domains = AuthorDomains(input.FromHeaders[0]);
        if (domains.Length != 1)
        {
            return new DmarcOutcome(DmarcResult.PermError, null, malformed,
                Reason: domains.Length == 0 ? "no author domain in From:" : "From: names several domains");
        }

        string from = domains[0];
        string organizational = _suffixes.OrganizationalDomain(from);
        Discovery found = await DiscoverAsync(from, cancellationToken).ConfigureAwait(false);
        bool atOrganizational = false;
        if (found.Several)
        {
            // §6.6.3: several records end policy discovery: DMARC is not applied, not even the organizational domain's.
            return new DmarcOutcome(DmarcResult.None, from, DmarcPolicy.None, Reason: $"several DMARC records at _dmarc.{from}: DMARC not applied");
        }

        if (found.Record is null && found.Error is null && !found.TempError && organizational != from)
        {
            found = await DiscoverAsync(organizational, cancellationToken).ConfigureAwait(false);
            atOrganizational = true;
        }

        if (found.TempError)
        {
            return new DmarcOutcome(DmarcResult.TempError, from, DmarcPolicy.None, Reason: "DNS error looking up the DMARC record");
        }

        if (found.Several)
        {
            return new DmarcOutcome(DmarcResult.None, from, DmarcPolicy.None, Reason: $"several DMARC records at _dmarc.{found.Domain}: DMARC not applied");
        }

        if (found.Record is not { } record)
        {
            return found.Error is null
                ? new DmarcOutcome(DmarcResult.None, from, DmarcPolicy.None, Reason: "no DMARC record")
                : new DmarcOutcome(DmarcResult.PermError, from, DmarcPolicy.None, found.Domain, Reason: found.Error);
        }

        string policyDomain = atOrganizational ? organizational : from;
        DmarcPolicy applied = atOrganizational && record.SubdomainPolicy is { } sp ? sp : record.Policy;

        bool spfAligned = input.Spf == SpfResult.Pass && input.SpfDomain is not null && Aligned(input.SpfDomain, from, record.StrictSpf);
        string? dkimAligned = input.Dkim
            .FirstOrDefault(d => d is { Result: DkimResult.Pass, Domain: { } domain } && Aligned(domain, from, record.StrictDkim))?.Domain;
        if (spfAligned || dkimAligned is not null)
        {
            return new DmarcOutcome(DmarcResult.Pass, from, DmarcPolicy.None, policyDomain, record, applied, spfAligned, dkimAligned);
        }

        // An aligned identifier we could not check might have passed: that is not a fail (TempError never rejects).
        bool couldHavePassed =
            (input.Spf == SpfResult.TempError && input.SpfDomain is not null && Aligned(input.SpfDomain, from, record.StrictSpf))
            || input.Dkim.Any(d => d is { Result: DkimResult.TempError, Domain: { } domain } && Aligned(domain, from, record.StrictDkim));
        if (couldHavePassed)
        {
            return new DmarcOutcome(DmarcResult.TempError, from, DmarcPolicy.None, policyDomain, record, applied,
                Reason: "an aligned SPF or DKIM check had a temporary error");
        }

        bool sampled = record.Percent >= 100 || Random.Shared.Next(100) < record.Percent;
        DmarcPolicy disposition = sampled ? applied : applied.Relaxed();
        return new DmarcOutcome(DmarcResult.Fail, from, disposition, policyDomain, record, applied, Sampled: sampled,
            Reason: "no aligned SPF or DKIM pass");
    }

    /// <summary>Relaxed: same organizational domain. Strict: the same name.</summary>
    public bool Aligned(string identifier, string authorDomain, bool strict)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        ArgumentNullException.ThrowIfNull(authorDomain);
        string a = identifier.TrimEnd('.');
        string b = authorDomain.TrimEnd('.');
        return strict
            ? string.Equals(a, b, StringComparison.OrdinalIgnoreCase)
            : string.Equals(_suffixes.OrganizationalDomain(a), _suffixes.OrganizationalDomain(b), StringComparison.OrdinalIgnoreCase);
    }

    private static string[] AuthorDomains(string fromHeader)
    {
        if (!InternetAddressList.TryParse(fromHeader, out InternetAddressList? list))
        {
            return [];
        }

        return list.Mailboxes.Select(m => m.Domain.TrimEnd('.').ToLowerInvariant()).Where(d => d.Length > 0).Distinct().ToArray();
    }

    // §6.6.3: keep the TXT records starting "v=DMARC1"; exactly one must remain (none: try the organizational domain;
    // several: discovery ends there).
    private async Task<Discovery> DiscoverAsync(string domain, CancellationToken cancellationToken)
    {
        DnsAnswer<IReadOnlyList<string>> answer = await _dns.QueryTxtAsync("_dmarc." + domain, cancellationToken).ConfigureAwait(false);
        if (answer.Outcome == DnsOutcome.TempError)
        {
            return new Discovery(domain, null, null, TempError: true);
        }

        string[] records = answer.Records.Select(r => string.Concat(r)).Where(DmarcRecord.IsDmarc).ToArray();
        if (records.Length != 1)
        {
            return new Discovery(domain, null, null, TempError: false, Several: records.Length > 1);
        }

        return DmarcRecord.TryParse(records[0], out DmarcRecord? record, out string? error)
            ? new Discovery(domain, record, null, TempError: false)
            : new Discovery(domain, null, $"bad DMARC record at _dmarc.{domain}: {error}", TempError: false);
    }

    private sealed record Discovery(string Domain, DmarcRecord? Record, string? Error, bool TempError, bool Several = false);
}
