namespace EmailPipeline.Smtp.Parsing;

/// <summary>
/// HELO (<paramref name="Extended"/> false) or EHLO. <paramref name="Domain"/> is the argument as sent:
/// clients announce bare IPs, underscores and worse, so it is recorded (Received:) rather than judged here.
/// </summary>
public sealed record HeloCommand(string Domain, bool Extended) : SmtpCommand;
