using Microsoft.Extensions.Logging;

namespace EmailPipeline.Ingress.Authentication;

/// <summary>
/// PLAIN (RFC 4616): one message <c>authzid NUL authcid NUL passwd</c>. Acting for another user is not
/// supported, so authzid must be empty or name the authenticating user itself.
/// </summary>
internal sealed class PlainExchange(UserDirectory users, ILogger logger) : ISaslExchange
{
    private bool _challenged;
    private bool _finished;

    public string Mechanism => SaslMechanisms.Plain;

    public ValueTask<SaslStep> StepAsync(ReadOnlyMemory<byte>? response, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        OneShot.ThrowIfFinished(_finished, Mechanism);
        if (response is null)
        {
            if (_challenged)
            {
                return Finish(Fail("no response to the challenge"));
            }

            // No initial response: RFC 4954 says the server sends an empty challenge and waits.
            _challenged = true;
            return ValueTask.FromResult(SaslStep.Continue([]));
        }

        return Finish(Verify(response.Value.Span));
    }

    private SaslStep Verify(ReadOnlySpan<byte> message)
    {
        int first = message.IndexOf((byte)0);
        if (first < 0)
        {
            return Fail("malformed message");
        }

        int second = message[(first + 1)..].IndexOf((byte)0);
        if (second < 0)
        {
            return Fail("malformed message");
        }

        second += first + 1;
        ReadOnlySpan<byte> password = message[(second + 1)..];
        if (password.IndexOf((byte)0) >= 0
            || !SaslText.TryDecode(message[..first], out string? authorizationId)
            || !SaslText.TryDecode(message[(first + 1)..second], out string? userName)
            || userName.Length == 0
            || password.Length == 0)
        {
            return Fail("malformed message");
        }

        if (authorizationId.Length > 0 && !string.Equals(authorizationId, userName, StringComparison.OrdinalIgnoreCase))
        {
            return Fail("authorization identity differs from the authentication identity");
        }

        SmtpUser? user = users.VerifyPassword(userName, password);
        if (user is null)
        {
            return Fail("bad credentials");
        }

        AuthenticationLog.ExchangeSucceeded(logger, Mechanism);
        return SaslStep.Success(user.Name);
    }

    private SaslStep Fail(string reason)
    {
        AuthenticationLog.ExchangeFailed(logger, Mechanism, reason);
        return SaslStep.Failure;
    }

    private ValueTask<SaslStep> Finish(SaslStep step)
    {
        _finished = true;
        return ValueTask.FromResult(step);
    }
}
