using System.Globalization;
using EmailPipeline.Policy.Dkim;
using MimeKit;
using MimeKit.Cryptography;

namespace EmailPipeline.Policy.Arc;

/// <summary>
/// ARC chain validation (RFC 8617 §5.2) with MimeKit's <see cref="ArcVerifier"/> over the same DNS key locator as
/// DKIM. rsa-sha1 stays disabled (RFC 8301).
/// </summary>
public sealed class ArcChecker
{
    private readonly ArcVerifier _verifier;

    public ArcChecker(DnsDkimPublicKeyLocator keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        _verifier = new ArcVerifier(keys);
        _verifier.Disable(DkimSignatureAlgorithm.RsaSha1);
    }

    public async Task<ArcOutcome> VerifyAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        Header[] seals = message.Headers.Where(h => h.Id == HeaderId.ArcSeal).ToArray();
        if (seals.Length == 0)
        {
            return ArcOutcome.None;
        }

        string? lastSealer = NewestSealer(seals);
        ArcValidationResult result;
        try
        {
            result = await _verifier.VerifyAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DkimKeyUnavailableException or FormatException or ParseException or ArgumentException or NotSupportedException)
        {
            return new ArcOutcome(ArcResult.Fail, seals.Length, lastSealer, ex.Message);
        }

        return result.Chain switch
        {
            ArcSignatureValidationResult.Pass => new ArcOutcome(ArcResult.Pass, seals.Length, lastSealer),
            ArcSignatureValidationResult.None => new ArcOutcome(ArcResult.None, seals.Length, lastSealer),
            _ => new ArcOutcome(ArcResult.Fail, seals.Length, lastSealer, result.ChainErrors.ToString()),
        };
    }

    private static string? NewestSealer(Header[] seals)
    {
        string? sealer = null;
        int newest = -1;
        foreach (Header seal in seals)
        {
            if (!TagList.TryParse(seal.Value, out List<KeyValuePair<string, string>>? tags, out _))
            {
                continue;
            }

            string? d = tags!.FirstOrDefault(t => t.Key == "d").Value;
            string? i = tags!.FirstOrDefault(t => t.Key == "i").Value;
            if (d is not null && int.TryParse(i, NumberStyles.None, CultureInfo.InvariantCulture, out int instance) && instance > newest)
            {
                newest = instance;
                sealer = d.ToLowerInvariant();
            }
        }

        return sealer;
    }
}
