using System.ComponentModel.DataAnnotations;

namespace EmailPipeline.Policy.Checks;

/// <summary>Policy — what the verdict says and how the results are written.</summary>
public sealed class PolicyOptions : IValidatableObject
{
    public const string Section = "Policy";

    /// <summary>
    /// The authserv-id of our Authentication-Results (RFC 8601 §2.5): usually the host name of the MX. The ingress
    /// removes any incoming Authentication-Results claiming it (§5), so it must be a name only we use.
    /// </summary>
    [Required]
    public string AuthServId { get; set; } = "";

    /// <summary>What an SPF, DKIM or DMARC temperror does when DMARC did not pass: defer (451 4.7.0) or accept.</summary>
    public TempErrorAction TempErrors { get; set; } = TempErrorAction.Defer;

    /// <summary>The header marking a message that DMARC p=quarantine applied to (routing reads the flag instead).</summary>
    [Required]
    public string QuarantineHeader { get; set; } = "X-EmailPipeline-Quarantine";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (AuthServId.Any(c => c is ';' or '(' or ')' or '"' or '\\' || char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            yield return new ValidationResult("Policy:AuthServId must be one token (a host name), e.g. mx.example.com.", [nameof(AuthServId)]);
        }

        if (QuarantineHeader.Any(c => c is ':' || c <= ' ' || c > '~'))
        {
            yield return new ValidationResult("Policy:QuarantineHeader must be a header field name.", [nameof(QuarantineHeader)]);
        }
    }
}

/// <summary>STYLE: TempError defers, never rejects. Accept lets such mail in (with the temperror in Authentication-Results).</summary>
public enum TempErrorAction
{
    Defer,
    Accept,
}
