using System.Collections.Concurrent;
using EmailPipeline.Policy.Dns;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;

namespace EmailPipeline.Policy.Dkim;

/// <summary>
/// MimeKit's key port over our <see cref="IDnsResolver"/>: the TXT record at "selector._domainkey.domain", parsed
/// strictly by <see cref="DkimKeyRecord"/>. Answers come from the caching resolver, so the checker's own
/// <see cref="LookupAsync"/> (for t=, h=, s=) and the verifier's call cost one query.
/// </summary>
public sealed class DnsDkimPublicKeyLocator(IDnsResolver dns) : IDkimPublicKeyLocator
{
    private const int MaximumParsedRecords = 10_000;

    // Parsed records by their text. BouncyCastle validates an RSA modulus when it builds the key (a primality test,
    // tens of milliseconds for 2048 bits): without this every signature would pay that twice.
    private readonly ConcurrentDictionary<string, (DkimKeyRecord? Record, string? Error)> _parsed = new(StringComparer.Ordinal);

    public async Task<DkimKeyLookup> LookupAsync(string domain, string selector, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentNullException.ThrowIfNull(selector);
        string name = $"{selector}._domainkey.{domain.TrimEnd('.')}";
        if (!DnsNames.IsQueryable(name))
        {
            return DkimKeyLookup.Failed(DkimResult.PermError, $"{name} is not a valid DNS name");
        }

        DnsAnswer<IReadOnlyList<string>> answer = await dns.QueryTxtAsync(name, cancellationToken).ConfigureAwait(false);
        switch (answer.Outcome)
        {
            case DnsOutcome.TempError:
                return DkimKeyLookup.Failed(DkimResult.TempError, $"DNS error looking up {name}");
            case DnsOutcome.NxDomain or DnsOutcome.NoData:
                return DkimKeyLookup.Failed(DkimResult.PermError, $"no key for signature at {name}");
        }

        if (answer.Records.Count > 1)
        {
            // §3.6.2.2 lets a verifier pick one; several keys for one selector is a publishing mistake we do not guess at.
            return DkimKeyLookup.Failed(DkimResult.PermError, $"{answer.Records.Count} TXT records at {name}");
        }

        string text = string.Concat(answer.Records[0]);
        if (!_parsed.TryGetValue(text, out (DkimKeyRecord? Record, string? Error) parsed))
        {
            parsed = DkimKeyRecord.TryParse(text, out DkimKeyRecord? record, out string? error) ? (record, null) : (null, error);
            if (_parsed.Count >= MaximumParsedRecords)
            {
                _parsed.Clear();
            }

            _parsed[text] = parsed;
        }

        return parsed.Record is { } found
            ? DkimKeyLookup.Found(found)
            : DkimKeyLookup.Failed(DkimResult.PermError, $"bad key record at {name}: {parsed.Error}");
    }

    public async Task<AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken cancellationToken = default)
    {
        DkimKeyLookup lookup = await LookupAsync(domain, selector, cancellationToken).ConfigureAwait(false);
        return lookup.Record?.PublicKey
               ?? throw new DkimKeyUnavailableException(lookup.Record is null ? lookup.Failure : DkimResult.Fail, lookup.Reason ?? "key revoked");
    }

    /// <summary>
    /// Not offered: a blocking DNS query would hold a thread per signature. <see cref="DkimChecker"/> and the ARC
    /// verification only call the asynchronous path.
    /// </summary>
    public AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("DKIM keys are only located asynchronously (LocatePublicKeyAsync).");
}
