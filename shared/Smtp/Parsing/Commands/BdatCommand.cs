namespace EmailPipeline.Smtp.Parsing;

/// <summary>BDAT (RFC 3030): a chunk of <paramref name="Size"/> octets follows the line.</summary>
public sealed record BdatCommand(long Size, bool Last) : SmtpCommand;
