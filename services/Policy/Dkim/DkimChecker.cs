using System.Globalization;
using Microsoft.Extensions.Options;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto.Parameters;

namespace EmailPipeline.Policy.Dkim;

/// <summary>
/// Verifies every DKIM-Signature of a message (RFC 6376 §6) with MimeKit's <see cref="DkimVerifier"/>, adding what
/// MimeKit leaves to us: the strict key record rules (h=, s=, t=s, k= against a=, revoked keys), rsa-sha1 never
/// passing (RFC 8301), RSA keys under the minimum failing, x= expiry, and l= reported (and a signature whose l= leaves
/// part of the body unsigned gives "policy", so it cannot make DMARC pass).
/// </summary>
public sealed class DkimChecker
{
    private readonly DnsDkimPublicKeyLocator _keys;
    private readonly DkimOptions _options;
    private readonly TimeProvider _time;
    private readonly DkimVerifier _verifier;

    public DkimChecker(DnsDkimPublicKeyLocator keys, IOptions<DkimOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(options);
        _keys = keys;
        _options = options.Value;
        _time = time;
        _verifier = new DkimVerifier(keys) { MinimumRsaKeyLength = _options.MinimumRsaKeyBits };
        _verifier.Disable(DkimSignatureAlgorithm.RsaSha1);
    }

    /// <summary>One outcome per DKIM-Signature, in header order; empty when the message has none.</summary>
    /// <param name="message">The parsed message.</param>
    /// <param name="content">The same message as received, for the l= check.</param>
    public async Task<IReadOnlyList<DkimSignatureOutcome>> VerifyAsync(MimeMessage message, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var outcomes = new List<DkimSignatureOutcome>();
        foreach (Header header in message.Headers.Where(h => h.Id == HeaderId.DkimSignature))
        {
            outcomes.Add(outcomes.Count < _options.MaximumSignatures
                ? await VerifyOneAsync(message, header, content, cancellationToken).ConfigureAwait(false)
                : new DkimSignatureOutcome(DkimResult.PermError, null, null, null, null, Reason: "too many signatures"));
        }

        return outcomes;
    }

    private async Task<DkimSignatureOutcome> VerifyOneAsync(MimeMessage message, Header header, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        if (!TagList.TryParse(header.Value, out List<KeyValuePair<string, string>>? list, out string? syntax))
        {
            return new DkimSignatureOutcome(DkimResult.PermError, null, null, null, null, Reason: "malformed signature: " + syntax);
        }

        Dictionary<string, string> tags = list!.ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
        string? d = tags.GetValueOrDefault("d");
        string? s = tags.GetValueOrDefault("s");
        string? a = tags.GetValueOrDefault("a")?.ToLowerInvariant();
        string? b = tags.GetValueOrDefault("b") is { } bValue ? string.Concat(bValue.Where(c => !char.IsWhiteSpace(c))) : null;
        string? headerB = b is null ? null : b[..Math.Min(8, b.Length)];
        string? i = tags.GetValueOrDefault("i");
        long? l = tags.TryGetValue("l", out string? lValue) && long.TryParse(lValue, NumberStyles.None, CultureInfo.InvariantCulture, out long parsedL) ? parsedL : null;
        DkimSignatureOutcome Outcome(DkimResult result, string? reason, bool testing = false, int bits = 0) =>
            new(result, d, s, a, headerB, i, l, testing, bits, reason);

        if (string.IsNullOrEmpty(d) || string.IsNullOrEmpty(s) || string.IsNullOrEmpty(a) || string.IsNullOrEmpty(b)
            || !tags.ContainsKey("bh") || !tags.ContainsKey("h") || tags.GetValueOrDefault("v") != "1")
        {
            return Outcome(DkimResult.PermError, "signature lacks a required tag (v=1, a, b, bh, d, h, s)");
        }

        if (tags.ContainsKey("l") && l is null)
        {
            return Outcome(DkimResult.PermError, "malformed l=");
        }

        (string keyType, string hash) = a switch
        {
            "rsa-sha256" => ("rsa", "sha256"),
            "ed25519-sha256" => ("ed25519", "sha256"),
            "rsa-sha1" => ("rsa", "sha1"),
            _ => ("", ""),
        };
        if (keyType.Length == 0)
        {
            return Outcome(DkimResult.PermError, $"unknown algorithm a={a}");
        }

        if (hash == "sha1")
        {
            return Outcome(DkimResult.Fail, "rsa-sha1 is not accepted (RFC 8301)");
        }

        if (tags.TryGetValue("x", out string? x) && long.TryParse(x, NumberStyles.None, CultureInfo.InvariantCulture, out long expires)
            && expires < _time.GetUtcNow().ToUnixTimeSeconds())
        {
            return Outcome(DkimResult.Fail, "signature expired (x=)");
        }

        DkimKeyLookup lookup = await _keys.LookupAsync(d, s, cancellationToken).ConfigureAwait(false);
        if (lookup.Record is not { } key)
        {
            return Outcome(lookup.Failure, lookup.Reason);
        }

        if (key.IsRevoked)
        {
            return Outcome(DkimResult.Fail, "key revoked", key.Testing);
        }

        string? keyProblem =
            key.KeyType != keyType ? $"key is k={key.KeyType}, signature a={a}"
            : key.HashAlgorithms.Count > 0 && !key.HashAlgorithms.Contains(hash) ? $"key h= does not allow {hash}"
            : !key.IsForEmail ? "key s= is not for email"
            : key.StrictIdentity && i is not null && !string.Equals(i[(i.LastIndexOf('@') + 1)..], d, StringComparison.OrdinalIgnoreCase) ? "key t=s and i= is a subdomain of d="
            : null;
        if (keyProblem is not null)
        {
            return Outcome(DkimResult.PermError, keyProblem, key.Testing);
        }

        if (key.PublicKey is RsaKeyParameters rsa && rsa.Modulus.BitLength < _options.MinimumRsaKeyBits)
        {
            return Outcome(DkimResult.Fail, $"key too short ({rsa.Modulus.BitLength} bits)", key.Testing, key.KeyBits);
        }

        bool verified;
        try
        {
            verified = await _verifier.VerifyAsync(message, header, cancellationToken).ConfigureAwait(false);
        }
        catch (DkimKeyUnavailableException ex)
        {
            return Outcome(ex.Result, ex.Message, key.Testing, key.KeyBits);
        }
        catch (Exception ex) when (ex is FormatException or ParseException or ArgumentException or NotSupportedException)
        {
            return Outcome(DkimResult.PermError, "malformed signature: " + ex.Message, key.Testing, key.KeyBits);
        }

        if (!verified)
        {
            return Outcome(DkimResult.Fail, "signature did not verify", key.Testing, key.KeyBits);
        }

        string? note = key.Testing ? "key in test mode (t=y)" : null;
        if (l is { } covered)
        {
            bool relaxedBody = tags.GetValueOrDefault("c") is { } c && c.Contains('/', StringComparison.Ordinal)
                && c[(c.IndexOf('/', StringComparison.Ordinal) + 1)..].Trim().Equals("relaxed", StringComparison.OrdinalIgnoreCase);
            long canonical = DkimBodyLength.Canonical(content.Span, relaxedBody);
            if (covered < canonical)
            {
                return Outcome(DkimResult.Policy, $"l={covered} leaves {canonical - covered} body octets unsigned", key.Testing, key.KeyBits);
            }

            note = note is null ? $"l={covered} covers the whole body" : $"{note}; l={covered} covers the whole body";
        }

        return Outcome(DkimResult.Pass, note, key.Testing, key.KeyBits);
    }
}
