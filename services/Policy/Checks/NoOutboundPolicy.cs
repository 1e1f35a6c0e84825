using EmailPipeline.Contracts;

namespace EmailPipeline.Policy.Checks;

/// <summary>Until outbound checks are configured, submission mail passes untouched.</summary>
public sealed class NoOutboundPolicy : IOutboundPolicy
{
    public Task<PolicyVerdict?> DecideAsync(CheckMessage message, CancellationToken ct) => Task.FromResult<PolicyVerdict?>(null);
}
