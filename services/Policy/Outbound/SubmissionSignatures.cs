namespace EmailPipeline.Policy.Outbound;

/// <summary>The DKIM-Signature fields to prepend (empty when unsigned) and the keys that made them.</summary>
internal sealed record SubmissionSignatures(string Headers, IReadOnlyList<DkimSigningKey> Keys)
{
    public static SubmissionSignatures None { get; } = new("", []);

    public bool Signed => Keys.Count > 0;
}
