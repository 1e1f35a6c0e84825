using EmailPipeline.Contracts;

namespace EmailPipeline.Policy.Checks;

/// <summary>
/// The verdict on mail from an authenticated submission session (DKIM signing, sending limits). Null means no opinion:
/// the message is accepted with no headers added. <c>AddOutboundPolicy</c> replaces the default
/// <see cref="NoOutboundPolicy"/>.
/// </summary>
public interface IOutboundPolicy
{
    Task<PolicyVerdict?> DecideAsync(CheckMessage message, CancellationToken ct);
}
