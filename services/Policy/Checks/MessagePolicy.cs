using EmailPipeline.Contracts;
using EmailPipeline.Policy.Dmarc;
using EmailPipeline.Policy.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Policy.Checks;

/// <summary>
/// The verdict on one <see cref="CheckMessage"/>. Mail from the MX listener gets the inbound checks; mail from an
/// authenticated submission session goes to <see cref="IOutboundPolicy"/>. Every verdict names our authserv-id so the
/// ingress drops forged Authentication-Results.
/// </summary>
public sealed class MessagePolicy(
    InboundChecks inbound,
    IOutboundPolicy outbound,
    IOptions<PolicyOptions> options,
    PolicyMetrics metrics,
    ILogger<MessagePolicy> logger)
{
    public async Task<PolicyVerdict> DecideAsync(CheckMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        string authServId = options.Value.AuthServId;
        if (!string.Equals(message.Session.Role, "mx", StringComparison.OrdinalIgnoreCase) && message.Session.IsAuthenticated)
        {
            PolicyVerdict? decided = await outbound.DecideAsync(message, cancellationToken).ConfigureAwait(false);
            PolicyVerdict verdict = decided ?? Accept("");
            if (verdict.AuthServId is null)
            {
                verdict = verdict with { AuthServId = authServId };
            }

            metrics.Verdict("outbound", verdict.Action);
            PolicyLog.OutboundVerdict(logger, message.MessageId, verdict.Action, verdict.ReplyCode);
            return verdict;
        }

        InboundReport report = await inbound.CheckAsync(
            message.Session.ClientAddress, message.Session.HeloName, message.Envelope.Sender, message.Content, cancellationToken).ConfigureAwait(false);
        PolicyVerdict inboundVerdict = Decide(report);
        metrics.Verdict("inbound", inboundVerdict.Action);
        // Property patterns read the outcomes' Result fields (records, not tasks).
        if (report is { Spf: { Result: var spf }, Dmarc: { Result: var dmarcResult, Disposition: var disposition } })
        {
            PolicyLog.InboundVerdict(logger, message.MessageId, inboundVerdict.Action, inboundVerdict.ReplyCode, spf.ToString(),
                string.Join(",", report.Dkim.Select(static d => d is { Result: var r } ? r.ToString() : "")), dmarcResult.ToString(), disposition.ToString(),
                report.DnsLists.BlockedBy);
        }

        return inboundVerdict;
    }

    /// <summary>From the results to 550 / 554 / 451 / accept (quarantined or not), with Authentication-Results.</summary>
    public PolicyVerdict Decide(InboundReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        PolicyOptions o = options.Value;
        if (report.DnsLists.BlockedBy is { } list)
        {
            return Refuse(PolicyAction.Reject, 554, "5.7.1",
                $"Client host [{report.ClientAddress}] blocked using {list} ({report.DnsLists.Meaning})");
        }

        DmarcOutcome dmarc = report.Dmarc;
        if (dmarc.Disposition == DmarcPolicy.Reject)
        {
            string text = dmarc is { Result: DmarcResult.PermError }
                ? $"Message refused: {dmarc.Reason}; exactly one From: header with one domain is required (RFC 5322, RFC 7489)"
                : $"Message refused by the DMARC policy of {dmarc.PolicyDomain}: {dmarc.Reason}";
            return Refuse(PolicyAction.Reject, 550, "5.7.1", text);
        }

        string headers = AuthenticationResultsHeader.Build(o.AuthServId, report);
        if (report.HasTempError && dmarc.Result != DmarcResult.Pass && o.TempErrors == TempErrorAction.Defer)
        {
            return Refuse(PolicyAction.TempFail, 451, "4.7.0", "Temporary DNS failure checking SPF/DKIM/DMARC, try again later");
        }

        if (dmarc.Disposition == DmarcPolicy.Quarantine)
        {
            return new PolicyVerdict(PolicyAction.Accept, 250, "2.0.0", "",
                headers + $"{o.QuarantineHeader}: DMARC policy of {dmarc.PolicyDomain} (p=quarantine)\r\n", Quarantine: true, o.AuthServId);
        }

        return Accept(headers);
    }

    private PolicyVerdict Accept(string headers) =>
        new(PolicyAction.Accept, 250, "2.0.0", "", headers, Quarantine: false, options.Value.AuthServId);

    private PolicyVerdict Refuse(PolicyAction action, int code, string status, string text) =>
        new(action, code, status, text, "", Quarantine: false, options.Value.AuthServId);
}
