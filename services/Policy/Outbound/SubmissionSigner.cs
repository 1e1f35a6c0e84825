using System.Text;
using Microsoft.Extensions.Options;
using MimeKit;
using MimeKit.Cryptography;

namespace EmailPipeline.Policy.Outbound;

/// <summary>
/// Signs a submitted message with every key of its sender domain and returns the DKIM-Signature fields for the
/// ingress to prepend. The ingress puts them above its Received: header and leaves the content as received, so
/// the signed fields and the body the signatures cover reach the queue unchanged.
/// </summary>
internal sealed class SubmissionSigner(DkimKeyRing keys, IOptions<DkimSigningOptions> options)
{
    private static readonly FormatOptions Crlf = CreateFormat();

    private readonly string[] _signed = Distinct(options.Value.HeadersToSign.Concat(options.Value.HeadersToOversign));
    private readonly HashSet<string> _oversigned = new(options.Value.HeadersToOversign, StringComparer.OrdinalIgnoreCase);

    /// <summary>The signatures by the first of <paramref name="domains"/> that has keys (top one first), each a
    /// complete field ending in CRLF; none when no domain has a key. Adds the fields to
    /// <paramref name="message"/> as a side effect.</summary>
    public SubmissionSignatures Sign(MimeMessage message, IEnumerable<string> domains)
    {
        IReadOnlyList<ClockedDkimSigner> signers = domains.Select(keys.For).FirstOrDefault(s => s.Count > 0) ?? [];
        if (signers.Count == 0)
        {
            return SubmissionSignatures.None;
        }

        IList<string> signed = FieldsToSign(message);
        foreach (ClockedDkimSigner signer in signers)
        {
            signer.Sign(Crlf, message, signed);
        }

        // Each Sign inserted its field at the top: the first signers.Count fields are ours. Written field by
        // field (a HeaderList would end the block with an empty line), folded with CRLF as SMTP carries it.
        var fields = new StringBuilder(signers.Count * 512);
        for (int i = 0; i < signers.Count; i++)
        {
            Header signature = message.Headers[i];
            string value = Encoding.ASCII.GetString(signature.RawValue).ReplaceLineEndings("\r\n");
            fields.Append(signature.Field).Append(':').Append(value);
            if (!value.EndsWith("\r\n", StringComparison.Ordinal))
            {
                fields.Append("\r\n");
            }
        }

        return new SubmissionSignatures(fields.ToString(), [.. signers.Select(s => s.Key)]);
    }

    /// <summary>
    /// h=: each configured field as often as it occurs (a verifier takes instances from the bottom up), and the
    /// oversigned ones once more, which signs their absence: a copy added in transit then breaks the signature.
    /// </summary>
    internal IList<string> FieldsToSign(MimeMessage message)
    {
        var fields = new List<string>();
        foreach (string name in _signed)
        {
            int count = Occurrences(message, name) + (_oversigned.Contains(name) ? 1 : 0);
            if (count == 0 && name.Equals("From", StringComparison.OrdinalIgnoreCase))
            {
                count = 1; // DKIM requires From in h= even when the message (wrongly) has none
            }

            for (int i = 0; i < count; i++)
            {
                fields.Add(name);
            }
        }

        return fields;
    }

    /// <summary>Counted where MimeKit's signer looks: Content-* fields live on the top-level entity.</summary>
    private static int Occurrences(MimeMessage message, string name)
    {
        HeaderList? headers = name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase) ? message.Body?.Headers : message.Headers;
        if (headers is null)
        {
            return 0;
        }

        int count = 0;
        foreach (Header header in headers)
        {
            if (header.Field.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                count++;
            }
        }

        return count;
    }

    private static string[] Distinct(IEnumerable<string> names) =>
        [.. names.Where(n => !string.IsNullOrWhiteSpace(n)).Select(n => n.Trim()).Distinct(StringComparer.OrdinalIgnoreCase)];

    private static FormatOptions CreateFormat()
    {
        FormatOptions format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        return format;
    }
}
