using System.ComponentModel.DataAnnotations;

namespace EmailPipeline.Policy.Dmarc;

/// <summary>Policy:Dmarc.</summary>
public sealed class DmarcOptions : IValidatableObject
{
    public const string Section = "Policy:Dmarc";

    /// <summary>The file name of the Public Suffix List shipped with the service (Dmarc/public_suffix_list.dat).</summary>
    public const string ShippedFileName = "public_suffix_list.dat";

    /// <summary>
    /// The Public Suffix List, read once at start: by default the copy shipped next to the assembly; a configured
    /// path (a fresher, mounted file) replaces it.
    /// </summary>
    [Required]
    public string PublicSuffixListPath { get; set; } = Path.Combine(AppContext.BaseDirectory, ShippedFileName);

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
                $"Policy:Dmarc:PublicSuffixListPath: {PublicSuffixListPath} does not exist (the default is the list shipped next to the Policy assembly; a configured path must name a readable file).",
                [nameof(PublicSuffixListPath)]);
        }
    }
}
