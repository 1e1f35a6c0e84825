using System.ComponentModel.DataAnnotations;

namespace EmailPipeline.Policy.Dmarc;

/// <summary>Policy:Dmarc.</summary>
public sealed class DmarcOptions : IValidatableObject
{
    public const string Section = "Policy:Dmarc";

    /// <summary>The Public Suffix List, read once at start (Debian's publicsuffix package by default).</summary>
    [Required]
    public string PublicSuffixListPath { get; set; } = "/usr/share/publicsuffix/public_suffix_list.dat";

    /// <summary>
    /// RFC 7489 §6.6.1 leaves messages with no From: or several From: headers (or one naming several domains) to the
    /// receiver. true (the default): permerror with disposition reject, since DMARC cannot protect such a message and
    /// RFC 5322 forbids it. false: permerror, accepted.
    /// </summary>
    public bool RejectMalformedFrom { get; set; } = true;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!File.Exists(PublicSuffixListPath))
        {
            yield return new ValidationResult(
                $"Policy:Dmarc:PublicSuffixListPath: {PublicSuffixListPath} does not exist (install Debian's publicsuffix package or set the path).",
                [nameof(PublicSuffixListPath)]);
        }
    }
}
