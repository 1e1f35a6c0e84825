namespace EmailPipeline.Policy.Spf;

/// <summary>
/// What check_host() concluded. <see cref="Mechanism"/> is the directive that matched as written in the record
/// ("ip4:192.0.2.0/24", "-all"), null when none did. <see cref="Explanation"/> is set only for
/// <see cref="SpfResult.Fail"/>: the expanded exp= text, or the configured default. <see cref="Reason"/> says why a
/// temperror/permerror happened, for logs and Authentication-Results comments.
/// </summary>
public sealed record SpfOutcome(SpfResult Result, string? Explanation = null, string? Mechanism = null, string? Reason = null);
