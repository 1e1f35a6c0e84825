using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;

namespace EmailPipeline.Ingress.Authentication;

/// <summary>Reads a bearer mechanism's client message into the asserted user (may be null) and the token.</summary>
internal delegate bool BearerMessageParser(ReadOnlySpan<byte> message, out string? userName, [NotNullWhen(true)] out string? token, [NotNullWhen(false)] out string? problem);

/// <summary>
/// XOAUTH2 and OAUTHBEARER: one client message carrying a bearer token (a JWT checked against the configured
/// issuers). A rejected token gets the mechanism's JSON error challenge; the client must answer it before
/// the failure is reported. The two differ only in their message format and error challenge.
/// </summary>
internal sealed class BearerTokenExchange(
    string mechanism,
    byte[] errorChallenge,
    BearerMessageParser parse,
    UserDirectory users,
    BearerTokenValidator tokens,
    ILogger logger) : ISaslExchange
{
    private Stage _stage = Stage.Start;
    private string _failure = "";

    private enum Stage
    {
        Start,
        AwaitingMessage,
        AwaitingErrorAcknowledgement,
        Finished,
    }

    public string Mechanism => mechanism;

    public async ValueTask<SaslStep> StepAsync(ReadOnlyMemory<byte>? response, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        OneShot.ThrowIfFinished(_stage == Stage.Finished, Mechanism);
        switch (_stage, response)
        {
            case (Stage.Start, null):
                _stage = Stage.AwaitingMessage;
                return SaslStep.Continue([]);
            case (Stage.Start or Stage.AwaitingMessage, { } message):
                return await AuthenticateAsync(message, cancellationToken).ConfigureAwait(false);
            case (Stage.AwaitingErrorAcknowledgement, _):
                return Fail(_failure);
            default:
                return Fail("no response to the challenge");
        }
    }

    private async ValueTask<SaslStep> AuthenticateAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        if (!parse(message.Span, out string? userName, out string? token, out string? problem))
        {
            return Fail(problem);
        }

        (SmtpUser? user, string reason) = await BearerIdentity
            .ResolveAsync(tokens, users, userName, token, cancellationToken)
            .ConfigureAwait(false);
        if (user is null)
        {
            _failure = reason;
            _stage = Stage.AwaitingErrorAcknowledgement;
            return SaslStep.Continue((byte[])errorChallenge.Clone());
        }

        _stage = Stage.Finished;
        AuthenticationLog.ExchangeSucceeded(logger, Mechanism);
        return SaslStep.Success(user.Name);
    }

    private SaslStep Fail(string reason)
    {
        _stage = Stage.Finished;
        AuthenticationLog.ExchangeFailed(logger, Mechanism, reason);
        return SaslStep.Failure;
    }
}
