using System.Diagnostics.CodeAnalysis;
using EmailPipeline.Smtp.Replies;

namespace EmailPipeline.Smtp.Parsing;

/// <summary>
/// Either a command or the reply that refuses the line; never both. Only the parser creates results, so
/// <c>default</c> (neither) never reaches a session.
/// </summary>
public readonly struct SmtpCommandParseResult
{
    private SmtpCommandParseResult(SmtpCommand? command, SmtpReply? error)
    {
        Command = command;
        Error = error;
    }

    public SmtpCommand? Command { get; }

    public SmtpReply? Error { get; }

    [MemberNotNullWhen(true, nameof(Command))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Command is not null;

    public static SmtpCommandParseResult Success(SmtpCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return new(command, null);
    }

    public static SmtpCommandParseResult Failure(SmtpReply error) => new(null, error);

    public override string ToString() => Command?.ToString() ?? Error?.ToString() ?? "(empty)";
}
