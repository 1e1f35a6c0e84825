using System.ComponentModel.DataAnnotations;
using EmailPipeline.Smtp.Data;

namespace EmailPipeline.Ingress.Configuration;

/// <summary>Session limits and timeouts. Bound from "Ingress:Limits".</summary>
public sealed class SmtpLimits : IValidatableObject
{
    /// <summary>SIZE (RFC 1870) and the enforced maximum, in bytes. Keep well under RabbitMQ's max_message_size.</summary>
    [Range(1024, 512L * 1024 * 1024)]
    public long MaxMessageSize { get; set; } = 25L * 1024 * 1024;

    /// <summary>Recipients per transaction; more get 452 4.5.3 (RFC 5321 §4.5.3.1.8 asks for at least 100).</summary>
    [Range(1, 100_000)]
    public int MaxRecipients { get; set; } = 1000;

    /// <summary>Octets in a command line including CRLF. RFC 5321 gives 512; SIZE, DSN and AUTH= parameters
    /// may add to it (RFC 1870 §3, RFC 3461 §4), so allow more for MAIL and RCPT.</summary>
    [Range(512, 12288)]
    public int MaxCommandLineLength { get; set; } = 2048;

    /// <summary>Octets in an AUTH line or SASL response (RFC 4954 §4: at least 12288).</summary>
    [Range(512, 65536)]
    public int MaxAuthLineLength { get; set; } = 12288;

    /// <summary>Octets in a message text line including CRLF (RFC 5321 §4.5.3.1.6: 1000). 0 turns the check off.</summary>
    [Range(0, 1_000_000)]
    public int MaxLineLength { get; set; } = 1000;

    /// <summary>
    /// Received: fields a message may already carry (RFC 5321 §6.3: a loop is detected by counting them); at this many
    /// or more it is refused at the end of DATA with 554 5.4.6. 50, as Postfix's hopcount_limit; 0 turns the check off.
    /// </summary>
    [Range(0, 1000)]
    public int MaxHops { get; set; } = 50;

    public BareLineEndingMode BareLineEndings { get; set; } = BareLineEndingMode.Reject;

    /// <summary>Waiting for a command (RFC 5321 §4.5.3.2.7: at least 5 minutes).</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Waiting for the client to take our replies (a flush held up because it does not read them). A client that
    /// pipelines commands and never reads would otherwise hold its session slot for good; past this it is dropped.
    /// </summary>
    public TimeSpan WriteTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Waiting for the next block of DATA or BDAT content (RFC 5321 §4.5.3.2.6: 3 minutes on the client side).</summary>
    public TimeSpan DataTimeout { get; set; } = TimeSpan.FromMinutes(3);

    public TimeSpan TlsHandshakeTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Protocol errors in one session before "421 4.7.0 Too many errors".</summary>
    [Range(1, 1000)]
    public int MaxErrors { get; set; } = 10;

    /// <summary>Concurrent sessions on all listeners together; more get 421 4.7.0.</summary>
    [Range(1, 1_000_000)]
    public int MaxSessions { get; set; } = 20_000;

    /// <summary>Concurrent sessions from one client IP; more get 421 4.7.0.</summary>
    [Range(1, 1_000_000)]
    public int MaxSessionsPerClient { get; set; } = 50;

    /// <summary>Messages accepted in one session before the next MAIL gets 421 (bounds a session's life).</summary>
    [Range(1, 1_000_000)]
    public int MaxMessagesPerSession { get; set; } = 10_000;

    /// <summary>
    /// Bytes of message bodies all sessions together may hold in memory until their messages are published;
    /// a body that does not fit gets 452 4.3.1. 0 (the default) takes a twelfth of the memory the GC may use
    /// (<see cref="Hosting.BodyByteBudget.DefaultFor"/>); a value given must hold at least one message of
    /// <see cref="MaxMessageSize"/>.
    /// </summary>
    [Range(0, long.MaxValue)]
    public long MaxBufferedBodyBytes { get; set; }

    /// <summary>The budget in use: the configured one, or the default for <paramref name="availableMemory"/>.</summary>
    public long BodyBudgetFor(long availableMemory) =>
        MaxBufferedBodyBytes > 0 ? MaxBufferedBodyBytes : Hosting.BodyByteBudget.DefaultFor(availableMemory, MaxMessageSize);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MaxBufferedBodyBytes > 0 && MaxBufferedBodyBytes < MaxMessageSize)
        {
            yield return new ValidationResult(
                $"Ingress:Limits:MaxBufferedBodyBytes ({MaxBufferedBodyBytes}) is less than Ingress:Limits:MaxMessageSize ({MaxMessageSize}): a message of the allowed size could never be accepted. Use 0 for the default.",
                [nameof(MaxBufferedBodyBytes)]);
        }
    }
}
