namespace EmailPipeline.Smtp.Data;

/// <summary>What to do with a CR or LF that is not part of a CRLF pair inside message content.</summary>
public enum BareLineEndingMode
{
    /// <summary>Accept the bytes to the end, then refuse the message (550 5.5.2). The default: bare line
    /// endings are how SMTP smuggling starts, and a refusal tells the sender exactly what to fix.</summary>
    Reject = 0,

    /// <summary>Store each bare CR or LF as CRLF. They still never end the message nor start a line whose
    /// leading dot would be removed, so one transaction can never turn into two.</summary>
    Normalize = 1,
}
