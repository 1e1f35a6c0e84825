using Microsoft.Extensions.Options;
using MimeKit.Cryptography;

namespace EmailPipeline.Policy.Outbound;

/// <summary>The loaded signing keys by domain, read once at start-up (after <see cref="DkimSigningOptionsValidator"/>
/// has accepted them). A replaced key takes effect on restart, as a rolled Kubernetes Secret does.</summary>
internal sealed class DkimKeyRing
{
    private readonly Dictionary<string, ClockedDkimSigner[]> _byDomain;
    private readonly bool _signSubdomains;

    public DkimKeyRing(IOptions<DkimSigningOptions> options, TimeProvider clock, ILogger<DkimKeyRing> logger)
    {
        DkimSigningOptions o = options.Value;
        (List<DkimSigningKey> keys, List<string> problems) = DkimKeyFiles.Load(o);
        if (problems.Count > 0)
        {
            // Only reachable when validation was skipped; the message is the same one validation would give.
            throw new OptionsValidationException(DkimSigningOptions.Section, typeof(DkimSigningOptions), problems);
        }

        _signSubdomains = o.SignSubdomains;
        _byDomain = keys
            .GroupBy(k => k.Domain, StringComparer.Ordinal)
            .ToDictionary(
                g => g.Key,
                g => g.OrderBy(k => k.Algorithm == DkimSignatureAlgorithm.RsaSha256 ? 0 : 1)
                      .Select(k => Configure(new ClockedDkimSigner(k, clock), o))
                      .ToArray(),
                StringComparer.Ordinal);

        foreach (DkimSigningKey key in keys)
        {
            OutboundLog.KeyLoaded(logger, key.Domain, key.Selector, key.AlgorithmName, key.Bits);
        }
    }

    /// <summary>The signers for a sender domain (RSA first, then Ed25519); empty when it has no key.</summary>
    public IReadOnlyList<ClockedDkimSigner> For(string domain)
    {
        if (_byDomain.TryGetValue(domain, out ClockedDkimSigner[]? signers))
        {
            return signers;
        }

        if (_signSubdomains)
        {
            for (int dot = domain.IndexOf('.', StringComparison.Ordinal); dot >= 0; dot = domain.IndexOf('.', dot + 1))
            {
                if (_byDomain.TryGetValue(domain[(dot + 1)..], out signers))
                {
                    return signers;
                }
            }
        }

        return [];
    }

    private static ClockedDkimSigner Configure(ClockedDkimSigner signer, DkimSigningOptions options)
    {
        signer.HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed;
        signer.BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed;
        signer.SignaturesExpireAfter = options.SignatureLifetime;
        return signer;
    }
}
