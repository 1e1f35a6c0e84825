using EmailPipeline.Contracts;
using EmailPipeline.Policy.Checks;
using MimeKit;
using Org.BouncyCastle.Crypto;

namespace EmailPipeline.Policy.Outbound;

/// <summary>
/// The verdict on mail from an authenticated submission: sending limits first (a message over a limit is
/// neither counted elsewhere nor signed), then DKIM signatures for the sender domain. Mail without an
/// authenticated user is not ours to judge: null.
/// </summary>
internal sealed class OutboundPolicy(
    SendingLimits limits,
    SubmissionSigner signer,
    TimeProvider clock,
    OutboundMetrics metrics,
    ILogger<OutboundPolicy> logger) : IOutboundPolicy
{
    public async Task<PolicyVerdict?> DecideAsync(CheckMessage message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Session.AuthenticatedUser is not { } user)
        {
            return null;
        }

        MimeMessage? mime = Parse(message.Content, ct);
        string? domain = mime is null ? SenderDomain.Of(message) : SenderDomain.Of(mime, message);

        SendingAdmission admission = await limits.AdmitAsync(user, domain, clock.GetUtcNow(), ct).ConfigureAwait(false);
        if (Refusal(message.MessageId, user, admission) is { } refusal)
        {
            return refusal;
        }

        if (mime is null || domain is null)
        {
            metrics.Unsigned("no_domain");
            OutboundLog.NoKey(logger, message.MessageId, domain);
            return Accepted("");
        }

        SubmissionSignatures signatures;
        try
        {
            signatures = signer.Sign(mime, SigningDomains(domain, message));
        }
        catch (Exception ex) when (ex is CryptoException or ArgumentException or FormatException or InvalidOperationException)
        {
            // Unsigned mail from a domain that publishes DMARC would be refused downstream: better the client
            // keeps it and retries than we send it out broken.
            metrics.Unsigned("failed");
            OutboundLog.SigningFailed(logger, message.MessageId, domain, ex.GetType().Name);
            return new PolicyVerdict(PolicyAction.TempFail, 451, "4.3.0", "Message could not be signed; try again later", "", false);
        }

        if (!signatures.Signed)
        {
            metrics.Unsigned("no_key");
            OutboundLog.NoKey(logger, message.MessageId, domain);
            return Accepted("");
        }

        foreach (DkimSigningKey key in signatures.Keys)
        {
            metrics.Signed(key.AlgorithmName);
        }

        OutboundLog.Signed(logger, message.MessageId, signatures.Keys[0].Domain, signatures.Keys.Count);
        return Accepted(signatures.Headers);
    }

    private PolicyVerdict? Refusal(string messageId, string user, SendingAdmission admission)
    {
        switch (admission.Outcome)
        {
            case SendingAdmissionOutcome.Exceeded when admission.Exceeded is { } quota:
                string window = quota.Window == TimeSpan.FromHours(1) ? "hour" : "minute";
                bool isUser = quota.Scope.StartsWith("user:", StringComparison.Ordinal);
                int seconds = (int)Math.Ceiling(admission.RetryAfter.TotalSeconds);
                metrics.Limited(isUser ? "user" : "domain");
                OutboundLog.LimitReached(logger, messageId, user, quota.Scope, quota.Limit, window, seconds);
                string who = isUser ? "this account" : quota.Scope["domain:".Length..];
                return new PolicyVerdict(PolicyAction.TempFail, 451, "4.7.1",
                    $"Sending limit reached: {who} may send {Count(quota.Limit, "message")} per {window}; try again in {Count(seconds, "second")}", "", false);
            case SendingAdmissionOutcome.Unavailable:
                metrics.LimitsUnavailable(limits.FailOpen ? "accepted" : "tempfail");
                OutboundLog.LimitsUnavailable(logger, messageId, admission.Problem ?? "unknown", limits.FailOpen ? "accepting uncounted (FailOpen)" : "answering 451 4.3.0");
                return limits.FailOpen
                    ? null
                    : new PolicyVerdict(PolicyAction.TempFail, 451, "4.3.0", "Sending limits cannot be checked right now; try again later", "", false);
            default:
                return null;
        }
    }

    /// <summary>Null when the content is not a message MimeKit can read (nothing to sign, limits still apply).</summary>
    private static MimeMessage? Parse(byte[] content, CancellationToken ct)
    {
        // persistent: the parsed parts point into this array instead of copying the body, so the stream stays
        // open for the message's lifetime (a MemoryStream holds nothing else to release).
        var stream = new MemoryStream(content, writable: false);
        try
        {
            return MimeMessage.Load(ParserOptions.Default, stream, persistent: true, ct);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The sender domain, then the envelope sender's when it differs: a signature by the envelope domain
    /// does not align with From for DMARC, but still carries that domain's reputation.</summary>
    private static string[] SigningDomains(string domain, CheckMessage message) =>
        SenderDomain.Of(message) is { } envelope && envelope != domain ? [domain, envelope] : [domain];

    private static string Count(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";

    private static PolicyVerdict Accepted(string headers) => new(PolicyAction.Accept, 250, "2.0.0", "Ok", headers, false);
}
