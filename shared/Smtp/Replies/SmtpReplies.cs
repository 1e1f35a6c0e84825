namespace EmailPipeline.Smtp.Replies;

/// <summary>
/// The catalogue of replies the server sends. Codes follow RFC 5321 §4.2 and §4.3.2; enhanced codes
/// RFC 3463 and the IANA registry (RFC 5248). Texts are short and never echo client input.
/// </summary>
public static class SmtpReplies
{
    private static EnhancedStatusCode E(int c, int s, int d) => new(c, s, d);

    // 2xx
    public static readonly SmtpReply Ok = new(250, E(2, 0, 0), "Ok");
    public static readonly SmtpReply SenderOk = new(250, E(2, 1, 0), "Sender ok");
    public static readonly SmtpReply RecipientOk = new(250, E(2, 1, 5), "Recipient ok");
    public static readonly SmtpReply ResetOk = new(250, E(2, 0, 0), "Reset ok");
    public static readonly SmtpReply NoopOk = new(250, E(2, 0, 0), "Ok");
    public static readonly SmtpReply VrfyCannotVerify = new(252, E(2, 5, 0), "Cannot VRFY user, but will accept message and attempt delivery");
    public static readonly SmtpReply Bye = new(221, E(2, 0, 0), "Bye");
    public static readonly SmtpReply ReadyToStartTls = new(220, E(2, 0, 0), "Ready to start TLS");
    public static readonly SmtpReply AuthenticationSucceeded = new(235, E(2, 7, 0), "Authentication successful");
    public static readonly SmtpReply StartMailInput = new(354, default, "End data with <CR><LF>.<CR><LF>");

    // 4xx
    public static readonly SmtpReply ServiceShuttingDown = new(421, E(4, 3, 2), "Service shutting down, closing connection");
    public static readonly SmtpReply CommandTimeout = new(421, E(4, 4, 2), "Timeout, closing connection");
    public static readonly SmtpReply TooManyErrors = new(421, E(4, 7, 0), "Too many errors, closing connection");
    public static readonly SmtpReply TooManyConnections = new(421, E(4, 7, 0), "Too many connections, try again later");
    public static readonly SmtpReply TooManyConnectionsFromAddress = new(421, E(4, 7, 0), "Too many connections from your address, try again later");
    public static readonly SmtpReply TooManyAuthenticationFailures = new(421, E(4, 7, 0), "Too many authentication failures, try again later");
    public static readonly SmtpReply TooManyRecipients = new(452, E(4, 5, 3), "Too many recipients");
    /// <summary>RFC 3463 4.3.1 "mail system full": the ingress has no memory left for another message body now.</summary>
    public static readonly SmtpReply InsufficientStorage = new(452, E(4, 3, 1), "Insufficient system storage, try again later");
    /// <summary>RFC 5321 §6.3: a message that has passed through too many relays is in a loop; refused, not relayed again.</summary>
    public static readonly SmtpReply TooManyHops = new(554, E(5, 4, 6), "Too many hops: the message is looping");
    /// <summary>A PROXY-protocol listener reached by a peer that is not one of its load balancers.</summary>
    public static readonly SmtpReply UntrustedProxy = new(421, E(4, 7, 0), "Connections here must come through the load balancer");
    public static readonly SmtpReply QueueUnavailable = new(451, E(4, 3, 0), "Queue temporarily unavailable, try again later");
    public static readonly SmtpReply PolicyUnavailable = new(451, E(4, 7, 0), "Policy check temporarily unavailable, try again later");
    public static readonly SmtpReply TlsNotAvailable = new(454, E(4, 7, 0), "TLS not available");

    // 5xx: syntax and sequence
    public static readonly SmtpReply CommandUnrecognized = new(500, E(5, 5, 2), "Command unrecognized");
    public static readonly SmtpReply LineTooLong = new(500, E(5, 5, 2), "Line too long");
    public static readonly SmtpReply SyntaxError = new(501, E(5, 5, 4), "Syntax error in parameters or arguments");
    public static readonly SmtpReply CommandNotImplemented = new(502, E(5, 5, 1), "Command not implemented");
    public static readonly SmtpReply BadSequence = new(503, E(5, 5, 1), "Bad sequence of commands");
    public static readonly SmtpReply ParameterNotImplemented = new(504, E(5, 5, 4), "Command parameter not implemented");
    public static readonly SmtpReply UnsupportedParameter = new(555, E(5, 5, 4), "MAIL FROM/RCPT TO parameter not recognized or not implemented");
    public static readonly SmtpReply NoValidRecipients = new(554, E(5, 5, 1), "No valid recipients");
    public static readonly SmtpReply EarlyTalker = new(554, E(5, 5, 0), "Protocol error: input before greeting");
    public static readonly SmtpReply BareLineEnding = new(550, E(5, 5, 2), "Message contains bare CR or LF; only CRLF ends a line");
    public static readonly SmtpReply DataLineTooLong = new(500, E(5, 5, 2), "Message line too long");
    public static readonly SmtpReply InvalidCharacter = new(500, E(5, 5, 2), "Invalid character in command");
    public static readonly SmtpReply NoArgumentsAllowed = new(501, E(5, 5, 4), "Syntax error, no parameters allowed");
    public static readonly SmtpReply HeloSyntax = new(501, E(5, 5, 4), "Syntax: EHLO hostname");
    public static readonly SmtpReply MailSyntax = new(501, E(5, 5, 4), "Syntax: MAIL FROM:<address>");
    public static readonly SmtpReply RcptSyntax = new(501, E(5, 5, 4), "Syntax: RCPT TO:<address>");
    public static readonly SmtpReply BdatSyntax = new(501, E(5, 5, 4), "Syntax: BDAT size [LAST]");
    public static readonly SmtpReply VrfySyntax = new(501, E(5, 5, 4), "Syntax: VRFY address");
    public static readonly SmtpReply ExpnSyntax = new(501, E(5, 5, 4), "Syntax: EXPN list");
    public static readonly SmtpReply HelpSyntax = new(501, E(5, 5, 4), "Syntax: HELP [topic]");
    public static readonly SmtpReply AuthSyntax = new(501, E(5, 5, 4), "Syntax: AUTH mechanism [initial-response]");
    public static readonly SmtpReply ParameterSyntax = new(501, E(5, 5, 4), "Bad parameter syntax");
    public static readonly SmtpReply DuplicateParameter = new(501, E(5, 5, 4), "Duplicate parameter");
    public static readonly SmtpReply BadSizeParameter = new(501, E(5, 5, 4), "Bad SIZE parameter value");
    public static readonly SmtpReply BadBodyParameter = new(501, E(5, 5, 4), "Bad BODY parameter value");
    public static readonly SmtpReply BadSmtpUtf8Parameter = new(501, E(5, 5, 4), "SMTPUTF8 takes no value");
    public static readonly SmtpReply BadRetParameter = new(501, E(5, 5, 4), "Bad RET parameter value");
    public static readonly SmtpReply BadEnvidParameter = new(501, E(5, 5, 4), "Bad ENVID parameter value");
    public static readonly SmtpReply BadAuthParameter = new(501, E(5, 5, 4), "Bad AUTH parameter value");
    public static readonly SmtpReply BadNotifyParameter = new(501, E(5, 5, 4), "Bad NOTIFY parameter value");
    public static readonly SmtpReply BadOrcptParameter = new(501, E(5, 5, 4), "Bad ORCPT parameter value");

    // 5xx: mailbox and policy
    public static readonly SmtpReply MessageTooBig = new(552, E(5, 3, 4), "Message size exceeds fixed maximum message size");
    public static readonly SmtpReply RelayDenied = new(550, E(5, 7, 1), "Relaying denied");
    public static readonly SmtpReply BadSenderAddress = new(501, E(5, 1, 7), "Bad sender address syntax");
    public static readonly SmtpReply BadRecipientAddress = new(501, E(5, 1, 3), "Bad recipient address syntax");
    public static readonly SmtpReply SenderNotOwned = new(553, E(5, 7, 1), "Sender address not owned by authenticated user");
    public static readonly SmtpReply Utf8NotPermitted = new(553, E(5, 6, 7), "Non-ASCII address requires SMTPUTF8");
    public static readonly SmtpReply AuthenticationRequired = new(530, E(5, 7, 0), "Authentication required");
    public static readonly SmtpReply EncryptionRequired = new(530, E(5, 7, 0), "Must issue a STARTTLS command first");
    public static readonly SmtpReply EncryptionRequiredForMechanism = new(538, E(5, 7, 11), "Encryption required for requested authentication mechanism");
    public static readonly SmtpReply AuthenticationFailed = new(535, E(5, 7, 8), "Authentication credentials invalid");
    public static readonly SmtpReply AuthenticationCancelled = new(501, E(5, 0, 0), "Authentication cancelled");
    public static readonly SmtpReply AuthenticationMechanismUnknown = new(504, E(5, 5, 4), "Unrecognized authentication type");
    public static readonly SmtpReply AlreadyAuthenticated = new(503, E(5, 5, 1), "Already authenticated");
    public static readonly SmtpReply AuthenticationNotAvailable = new(502, E(5, 5, 1), "AUTH not available on this port");
    public static readonly SmtpReply AlreadyTls = new(503, E(5, 5, 1), "TLS already active");
    public static readonly SmtpReply TransactionFailed = new(554, E(5, 0, 0), "Transaction failed");
}
