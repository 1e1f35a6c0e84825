using EmailPipeline.Policy.Arc;
using EmailPipeline.Policy.Dkim;
using EmailPipeline.Policy.Dmarc;
using EmailPipeline.Policy.Dnsbl;
using EmailPipeline.Policy.Spf;

namespace EmailPipeline.Policy.Checks;

/// <summary>
/// Every result of the inbound checks of one message, what Authentication-Results and the command-line checker show.
/// <see cref="SpfIdentity"/> is what SPF checked: the MAIL FROM address, or the HELO name for the null sender.
/// <see cref="ArcOverride"/> names the trusted sealer whose passing chain overrode a DMARC fail.
/// </summary>
public sealed record InboundReport(
    string ClientAddress,
    string Helo,
    string MailFrom,
    SpfOutcome Spf,
    IReadOnlyList<DkimSignatureOutcome> Dkim,
    DmarcOutcome Dmarc,
    ArcOutcome Arc,
    DnsListOutcome DnsLists,
    string? ArcOverride = null)
{
    public bool SpfCheckedHelo => MailFrom.Length == 0;

    /// <summary>The domain SPF's result speaks for, used for DMARC alignment.</summary>
    public string SpfDomain => SpfCheckedHelo ? Helo : MailFrom[(MailFrom.LastIndexOf('@') + 1)..];

    public bool HasTempError =>
        Spf.Result == SpfResult.TempError || Dkim.Any(d => d.Result == DkimResult.TempError) || Dmarc.Result == DmarcResult.TempError;
}
