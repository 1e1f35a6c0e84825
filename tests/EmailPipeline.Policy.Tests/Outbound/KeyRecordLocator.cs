using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;

namespace EmailPipeline.Policy.Tests.Outbound;

/// <summary>The verifier's DNS, from a dictionary of "selector._domainkey.domain" → TXT record.</summary>
internal sealed class KeyRecordLocator : DkimPublicKeyLocatorBase
{
    private readonly Dictionary<string, string> _records = new(StringComparer.OrdinalIgnoreCase);

    public KeyRecordLocator Add(string selector, string domain, TestKey key)
    {
        _records[$"{selector}._domainkey.{domain}"] = key.DnsRecord;
        return this;
    }

    public override AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
        _records.TryGetValue($"{selector}._domainkey.{domain}", out string? txt)
            ? GetPublicKey(txt)
            : throw new InvalidOperationException($"no key record at {selector}._domainkey.{domain}");

    public override Task<AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
        Task.FromResult(LocatePublicKey(methods, domain, selector, cancellationToken));
}
