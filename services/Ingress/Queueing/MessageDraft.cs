using EmailPipeline.Contracts;
using EmailPipeline.Smtp.Data;

namespace EmailPipeline.Ingress.Queueing;

/// <summary>A complete transaction waiting for the verdict and the broker: envelope, facts and content.</summary>
internal sealed class MessageDraft
{
    public required string SessionId { get; init; }

    public required string QueueId { get; init; }

    public required Envelope Envelope { get; init; }

    public required SessionFacts Session { get; init; }

    public required DateTimeOffset ReceivedAt { get; init; }

    /// <summary>Our Received: header, prepended to the content.</summary>
    public required byte[] ReceivedHeader { get; init; }

    public required MessageContentBuffer Content { get; init; }

    /// <summary>The content as the client sent it (no Received:), for the policy check: a copy, so make it once.</summary>
    public byte[] Body() => Content.ToArray([]);

    /// <summary>The policy's headers (Authentication-Results: goes above our Received:, RFC 8601 §5), then
    /// Received:, then the content exactly as received — less any Authentication-Results field claiming
    /// <paramref name="authServId"/> (ours), which only a forger could have put there. One copy of the content; a
    /// second only when a forged field has to go.</summary>
    public byte[] Assemble(string policyHeaders, string authServId)
    {
        byte[] headers = policyHeaders.Length == 0
            ? ReceivedHeader
            : [.. System.Text.Encoding.UTF8.GetBytes(policyHeaders), .. ReceivedHeader];
        return ForgedAuthenticationResults.Remove(Content.ToArray(headers), headers.Length, authServId);
    }
}
