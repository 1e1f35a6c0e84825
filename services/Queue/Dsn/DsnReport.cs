using EmailPipeline.Contracts;

namespace EmailPipeline.Queue.Dsn;

/// <summary>Everything one DSN says: the event, the original envelope and the recipients it covers.</summary>
public sealed record DsnReport(
    DsnKind Kind,
    string ReportingMta,
    string OriginalSender,
    string? EnvelopeId,
    DsnReturn Return,
    DateTimeOffset ArrivalDate,
    string OriginalMessageId,
    IReadOnlyList<DsnRecipient> Recipients);
