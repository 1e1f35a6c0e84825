namespace EmailPipeline.Smtp.Parsing;

/// <summary>VRFY with its argument as sent (a user name or a mailbox, possibly in angle brackets).</summary>
public sealed record VrfyCommand(string Argument) : SmtpCommand;
