namespace EmailPipeline.Policy.Dkim;

/// <summary>
/// What one DKIM-Signature gave. <see cref="HeaderB"/> is the first 8 characters of b= (RFC 6008), enough to tell
/// signatures of one domain apart in Authentication-Results. <see cref="BodyLength"/> is l= when the signer limited the
/// body it covered. <see cref="Reason"/> says why a non-pass happened, or notes t=y / l= on a pass.
/// </summary>
public sealed record DkimSignatureOutcome(
    DkimResult Result,
    string? Domain,
    string? Selector,
    string? Algorithm,
    string? HeaderB,
    string? Identity = null,
    long? BodyLength = null,
    bool Testing = false,
    int KeyBits = 0,
    string? Reason = null);
