namespace EmailPipeline.Smtp.Parsing;

/// <summary>EXPN with its argument as sent.</summary>
public sealed record ExpnCommand(string Argument) : SmtpCommand;
