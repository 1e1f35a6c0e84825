namespace EmailPipeline.Smtp.Parsing;

/// <summary>One parsed SMTP command line. The session switches on the concrete type.</summary>
public abstract record SmtpCommand;
