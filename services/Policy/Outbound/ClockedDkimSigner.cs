using MimeKit.Cryptography;

namespace EmailPipeline.Policy.Outbound;

/// <summary>MimeKit's signer with t= taken from the host's <see cref="TimeProvider"/> instead of the wall clock,
/// so x= expiry and tests follow one clock. Thread-safe: each Sign creates its own signing context.</summary>
internal sealed class ClockedDkimSigner(DkimSigningKey key, TimeProvider clock)
    : DkimSigner(key.PrivateKey, key.Domain, key.Selector, key.Algorithm)
{
    public DkimSigningKey Key { get; } = key;

    protected override long GetTimestamp() => clock.GetUtcNow().ToUnixTimeSeconds();
}
