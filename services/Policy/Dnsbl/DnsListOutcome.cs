namespace EmailPipeline.Policy.Dnsbl;

/// <summary>
/// Where the client is listed. <see cref="BlockedBy"/> is the block list zone that refuses it (null when none does,
/// or when an allow list vouched for it first), with the code it returned and that code's meaning.
/// </summary>
public sealed record DnsListOutcome(
    string? BlockedBy = null,
    string? Code = null,
    string? Meaning = null,
    string? AllowedBy = null,
    IReadOnlyList<string>? Unanswered = null)
{
    public static DnsListOutcome NotListed { get; } = new();
}
