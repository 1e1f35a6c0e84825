using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;

namespace EmailPipeline.Policy.Tests.Support;

/// <summary>A forwarder's ARC sealer: MimeKit's signer with the forwarder's own Authentication-Results.</summary>
internal sealed class TestArcSigner(AsymmetricKeyParameter key, string domain, string selector, string authenticationResults)
    : ArcSigner(key, domain, selector)
{
    protected override AuthenticationResults GenerateArcAuthenticationResults(FormatOptions options, MimeMessage message, CancellationToken cancellationToken)
    {
        if (!AuthenticationResults.TryParse(System.Text.Encoding.ASCII.GetBytes(authenticationResults), out AuthenticationResults? results))
        {
            throw new FormatException("bad test Authentication-Results");
        }

        return results;
    }

    protected override Task<AuthenticationResults> GenerateArcAuthenticationResultsAsync(FormatOptions options, MimeMessage message, CancellationToken cancellationToken) =>
        Task.FromResult(GenerateArcAuthenticationResults(options, message, cancellationToken));
}
