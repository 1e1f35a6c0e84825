using Microsoft.Extensions.Logging;

namespace EmailPipeline.Ingress.Authentication;

/// <summary>
/// LOGIN (draft-murchison-sasl-login): <c>Username:</c> then <c>Password:</c>. A client may send the user
/// name as the initial response, as Outlook and others do.
/// </summary>
internal sealed class LoginExchange(UserDirectory users, ILogger logger) : ISaslExchange
{
    private static readonly byte[] UserNamePrompt = "Username:"u8.ToArray();
    private static readonly byte[] PasswordPrompt = "Password:"u8.ToArray();

    private Stage _stage = Stage.Start;
    private string? _userName;

    private enum Stage
    {
        Start,
        AwaitingUserName,
        AwaitingPassword,
        Finished,
    }

    public string Mechanism => SaslMechanisms.Login;

    public ValueTask<SaslStep> StepAsync(ReadOnlyMemory<byte>? response, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        OneShot.ThrowIfFinished(_stage == Stage.Finished, Mechanism);
        SaslStep step = (_stage, response) switch
        {
            (Stage.Start, null) => Prompt(Stage.AwaitingUserName, UserNamePrompt),
            (Stage.Start or Stage.AwaitingUserName, { } name) => AcceptUserName(name.Span),
            (Stage.AwaitingPassword, { } password) => Verify(password.Span),
            _ => Fail("no response to the challenge"),
        };
        return ValueTask.FromResult(step);
    }

    private SaslStep Prompt(Stage next, byte[] prompt)
    {
        _stage = next;
        return SaslStep.Continue((byte[])prompt.Clone());
    }

    private SaslStep AcceptUserName(ReadOnlySpan<byte> name)
    {
        if (!SaslText.TryDecode(name, out string? userName) || userName.Length == 0 || userName.Contains('\0', StringComparison.Ordinal))
        {
            return Fail("malformed user name");
        }

        _userName = userName;
        return Prompt(Stage.AwaitingPassword, PasswordPrompt);
    }

    private SaslStep Verify(ReadOnlySpan<byte> password)
    {
        if (password.Length == 0 || _userName is null)
        {
            return Fail("empty password");
        }

        SmtpUser? user = users.VerifyPassword(_userName, password);
        _stage = Stage.Finished;
        if (user is null)
        {
            return Fail("bad credentials");
        }

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
