using EmailPipeline.Contracts;

namespace EmailPipeline.Policy.Checks;

/// <summary>The verdict on mail from an authenticated submission (sending limits, DKIM signing).</summary>
public interface IOutboundPolicy
{
    /// <returns>The verdict, or null when this policy has no opinion on the message.</returns>
    Task<PolicyVerdict?> DecideAsync(CheckMessage message, CancellationToken ct);
}
