namespace EmailPipeline.Smtp.Parsing;

/// <summary>
/// AUTH (RFC 4954). <paramref name="Mechanism"/> is upper-cased; <paramref name="InitialResponse"/> is the
/// raw base64 text, "=" for an empty response, or null when none was sent. Never log it.
/// </summary>
public sealed record AuthCommand(string Mechanism, string? InitialResponse) : SmtpCommand
{
    // Keeps credentials out of logs and exception messages that format the record.
    public override string ToString() =>
        InitialResponse is null ? $"AuthCommand {{ Mechanism = {Mechanism} }}" : $"AuthCommand {{ Mechanism = {Mechanism}, InitialResponse = *** }}";
}
