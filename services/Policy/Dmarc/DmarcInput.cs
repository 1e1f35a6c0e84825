using EmailPipeline.Policy.Dkim;
using EmailPipeline.Policy.Spf;

namespace EmailPipeline.Policy.Dmarc;

/// <summary>
/// What DMARC needs: the From: header values as received, the SPF result with the domain it was for (the MAIL FROM
/// domain, or the HELO name for the null sender), and every DKIM signature's outcome.
/// </summary>
public sealed record DmarcInput(
    IReadOnlyList<string> FromHeaders,
    SpfResult Spf,
    string? SpfDomain,
    IReadOnlyList<DkimSignatureOutcome> Dkim);
