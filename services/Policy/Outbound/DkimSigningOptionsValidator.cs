using Microsoft.Extensions.Options;

namespace EmailPipeline.Policy.Outbound;

/// <summary>Checked at start-up: every key file is read and parsed here, so a missing, unreadable, weak or
/// misnamed key stops the service with one line naming the file (never its content).</summary>
internal sealed class DkimSigningOptionsValidator : IValidateOptions<DkimSigningOptions>
{
    public ValidateOptionsResult Validate(string? name, DkimSigningOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        const string S = DkimSigningOptions.Section;

        if (options.MinimumRsaKeyBits < 1024)
        {
            problems.Add($"{S}:MinimumRsaKeyBits must be at least 1024 (RFC 8301), not {options.MinimumRsaKeyBits}.");
        }

        if (options.SignatureLifetime is { } lifetime && lifetime <= TimeSpan.Zero)
        {
            problems.Add($"{S}:SignatureLifetime must be positive when set, not {lifetime}.");
        }

        if (!options.HeadersToSign.Contains("From", StringComparer.OrdinalIgnoreCase))
        {
            problems.Add($"{S}:SignedHeaders must include From (RFC 6376 §5.4).");
        }

        foreach (string header in options.HeadersToSign.Concat(options.HeadersToOversign))
        {
            if (DkimKeyFiles.UnsignableHeaders.Contains(header?.Trim(), StringComparer.OrdinalIgnoreCase))
            {
                problems.Add($"{S}: '{header}' must not be signed: it changes in transit (RFC 6376 §5.4).");
            }
            else if (string.IsNullOrWhiteSpace(header) || header.Any(c => c is <= ' ' or > '~' or ':'))
            {
                problems.Add($"{S}: '{header}' is not a header field name.");
            }
        }

        if (problems.Count == 0)
        {
            // Key files last: their size check depends on MinimumRsaKeyBits being sane.
            problems.AddRange(DkimKeyFiles.Load(options).Problems);
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
