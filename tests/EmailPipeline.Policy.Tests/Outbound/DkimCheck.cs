using MimeKit;
using MimeKit.Cryptography;

namespace EmailPipeline.Policy.Tests.Outbound;

/// <summary>Verifies every DKIM-Signature of a message with MimeKit's verifier, as a receiving MTA would.</summary>
internal static class DkimCheck
{
    public sealed record Signature(Header Field, bool Valid)
    {
        public string Tag(string name) => Tags(Field.Value)[name];
    }

    public static async Task<IReadOnlyList<Signature>> VerifyAsync(byte[] message, KeyRecordLocator keys)
    {
        MimeMessage parsed = MimeMessage.Load(new MemoryStream(message, writable: false), TestContext.Current.CancellationToken);
        var verifier = new DkimVerifier(keys);
        var results = new List<Signature>();
        foreach (Header field in parsed.Headers.Where(h => h.Id == HeaderId.DkimSignature))
        {
            results.Add(new Signature(field, await verifier.VerifyAsync(parsed, field, TestContext.Current.CancellationToken)));
        }

        return results;
    }

    /// <summary>The tag=value pairs of a DKIM-Signature, folding whitespace removed.</summary>
    public static Dictionary<string, string> Tags(string value) =>
        value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => t.Split('=', 2))
            .ToDictionary(p => p[0], p => string.Concat(p[1].Where(c => !char.IsWhiteSpace(c))));
}
