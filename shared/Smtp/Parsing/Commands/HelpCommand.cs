namespace EmailPipeline.Smtp.Parsing;

/// <summary>HELP, with the optional topic as sent.</summary>
public sealed record HelpCommand(string? Topic) : SmtpCommand;
