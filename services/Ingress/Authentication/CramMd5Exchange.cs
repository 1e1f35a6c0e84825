using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace EmailPipeline.Ingress.Authentication;

/// <summary>
/// CRAM-MD5 (RFC 2195): the server sends <c>&lt;random.timestamp@server&gt;</c>, the client answers
/// <c>user SP hex(HMAC-MD5(password, challenge))</c>. Server-first, so an initial response fails the exchange.
/// </summary>
internal sealed class CramMd5Exchange(UserDirectory users, string serverName, TimeProvider timeProvider, ILogger logger) : ISaslExchange
{
    private byte[]? _challenge;
    private bool _finished;

    public string Mechanism => SaslMechanisms.CramMd5;

    public ValueTask<SaslStep> StepAsync(ReadOnlyMemory<byte>? response, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        OneShot.ThrowIfFinished(_finished, Mechanism);
        if (_challenge is null)
        {
            if (response is not null)
            {
                return Finish(Fail("initial response to a server-first mechanism"));
            }

            _challenge = CreateChallenge();
            return ValueTask.FromResult(SaslStep.Continue((byte[])_challenge.Clone()));
        }

        return Finish(response is { } answer ? Verify(answer.Span) : Fail("no response to the challenge"));
    }

    private byte[] CreateChallenge()
    {
        // The random part makes the challenge unpredictable, so a recorded answer cannot be replayed.
        ulong random = BinaryPrimitives.ReadUInt64LittleEndian(RandomNumberGenerator.GetBytes(sizeof(ulong)));
        long timestamp = timeProvider.GetUtcNow().ToUnixTimeSeconds();
        return SaslText.Encode(string.Create(CultureInfo.InvariantCulture, $"<{random}.{timestamp}@{serverName}>"));
    }

    private SaslStep Verify(ReadOnlySpan<byte> answer)
    {
        int space = answer.LastIndexOf((byte)' ');
        Span<byte> digest = stackalloc byte[Md5ChainingState.HashSize];
        if (space <= 0
            || !SaslText.TryDecode(answer[..space], out string? userName)
            || !TryReadHex(answer[(space + 1)..], digest))
        {
            return Fail("malformed response");
        }

        SmtpUser? user = users.VerifyCramMd5(userName, _challenge, digest);
        if (user is null)
        {
            return Fail("bad credentials");
        }

        AuthenticationLog.ExchangeSucceeded(logger, Mechanism);
        return SaslStep.Success(user.Name);
    }

    private static bool TryReadHex(ReadOnlySpan<byte> hex, Span<byte> destination)
    {
        if (hex.Length != destination.Length * 2)
        {
            return false;
        }

        Span<char> chars = stackalloc char[hex.Length];
        for (int i = 0; i < hex.Length; i++)
        {
            chars[i] = (char)hex[i];
        }

        return Convert.FromHexString(chars, destination, out _, out int written) == System.Buffers.OperationStatus.Done
            && written == destination.Length;
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
