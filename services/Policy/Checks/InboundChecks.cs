using System.Net;
using EmailPipeline.Policy.Arc;
using EmailPipeline.Policy.Dkim;
using EmailPipeline.Policy.Dmarc;
using EmailPipeline.Policy.Dnsbl;
using EmailPipeline.Policy.Spf;
using Microsoft.Extensions.Options;
using MimeKit;

namespace EmailPipeline.Policy.Checks;

/// <summary>
/// Runs the inbound checks of one message: the DNS lists first (a listed client needs nothing else), then SPF, DKIM and
/// ARC side by side, then DMARC over their results, then the ARC override for trusted sealers.
/// </summary>
public sealed class InboundChecks(
    DnsListChecker dnsLists,
    SpfEvaluator spf,
    DkimChecker dkim,
    ArcChecker arc,
    DmarcEvaluator dmarc,
    IOptions<ArcOptions> arcOptions)
{
    /// <param name="clientAddress">The SMTP client's IP.</param>
    /// <param name="helo">The EHLO/HELO name.</param>
    /// <param name="mailFrom">The reverse-path; empty for the null sender.</param>
    /// <param name="content">The message as received.</param>
    public async Task<InboundReport> CheckAsync(string clientAddress, string helo, string mailFrom, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clientAddress);
        ArgumentNullException.ThrowIfNull(helo);
        ArgumentNullException.ThrowIfNull(mailFrom);
        mailFrom = mailFrom == "<>" ? "" : mailFrom;
        bool validIp = IPAddress.TryParse(clientAddress, out IPAddress? ip);
        DnsListOutcome listed = validIp ? await dnsLists.CheckAsync(ip!, cancellationToken).ConfigureAwait(false) : DnsListOutcome.NotListed;
        if (listed.BlockedBy is not null)
        {
            return new InboundReport(clientAddress, helo, mailFrom, new SpfOutcome(SpfResult.None, Reason: "not checked"), [],
                new DmarcOutcome(DmarcResult.None, null, DmarcPolicy.None, Reason: "not checked"), ArcOutcome.None, listed);
        }

        Task<SpfOutcome> spfTask = validIp
            ? spf.CheckMailFromAsync(ip!, mailFrom, helo, cancellationToken)
            : Task.FromResult(new SpfOutcome(SpfResult.None, Reason: "no client address"));
        if (await LoadAsync(content, cancellationToken).ConfigureAwait(false) is not { } message)
        {
            // No header section a parser can read (empty DATA, random bytes): no From: to align, no signature to verify.
            // A verdict like any other — DMARC's permerror for a missing From: — never an exception that would answer
            // 451 for days or, failing open, let the message in unchecked.
            return new InboundReport(clientAddress, helo, mailFrom, await spfTask.ConfigureAwait(false), [],
                new DmarcOutcome(DmarcResult.PermError, null, DmarcPolicy.Reject, Reason: "the content has no header section that can be read"),
                ArcOutcome.None, listed);
        }

        Task<IReadOnlyList<DkimSignatureOutcome>> dkimTask = dkim.VerifyAsync(message, content, cancellationToken);
        Task<ArcOutcome> arcTask = arc.VerifyAsync(message, cancellationToken);
        await Task.WhenAll(spfTask, dkimTask, arcTask).ConfigureAwait(false);
        SpfOutcome spfOutcome = await spfTask.ConfigureAwait(false);
        IReadOnlyList<DkimSignatureOutcome> dkimOutcomes = await dkimTask.ConfigureAwait(false);
        ArcOutcome arcOutcome = await arcTask.ConfigureAwait(false);

        var report = new InboundReport(clientAddress, helo, mailFrom, spfOutcome, dkimOutcomes,
            new DmarcOutcome(DmarcResult.None, null, DmarcPolicy.None), arcOutcome, listed);
        string[] from = message.Headers.Where(h => h.Id == HeaderId.From).Select(h => h.Value).ToArray();
        DmarcOutcome dmarcOutcome = await dmarc.EvaluateAsync(new DmarcInput(from, spfOutcome.Result, report.SpfDomain, dkimOutcomes), cancellationToken).ConfigureAwait(false);
        report = report with { Dmarc = dmarcOutcome };

        // RFC 8617 §7.2.1: a receiver may honour a passing chain sealed by a forwarder it trusts when DMARC fails.
        if (dmarcOutcome.Result == DmarcResult.Fail && arcOutcome is { Result: ArcResult.Pass, LastSealer: { } sealer }
            && arcOptions.Value.TrustedSealers.Contains(sealer, StringComparer.OrdinalIgnoreCase))
        {
            report = report with { Dmarc = dmarcOutcome with { Disposition = DmarcPolicy.None }, ArcOverride = sealer };
        }

        return report;
    }

    /// <summary>The parsed message, or null when the content is not one (MimeKit finds no header section).</summary>
    public static async Task<MimeMessage?> LoadAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        using var stream = new MemoryStream(content.ToArray(), writable: false);
        try
        {
            return await MimeMessage.LoadAsync(stream, cancellationToken).ConfigureAwait(false);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
