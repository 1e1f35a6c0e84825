using System.Buffers;
using System.ComponentModel;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Security.Authentication;
using System.Text;
using EmailPipeline.Contracts;
using EmailPipeline.Ingress.Configuration;
using EmailPipeline.Smtp.Data;
using EmailPipeline.Smtp.Parsing;
using EmailPipeline.Smtp.Replies;

namespace EmailPipeline.Ingress.Session;

/// <summary>
/// One SMTP session (RFC 5321) over a connection's pipes: the read loop, framing of command lines,
/// DATA and BDAT content, and the replies. What each command does is in SmtpSession.Commands.cs;
/// which command may come when is in <see cref="SessionStateTable"/>.
/// Replies are buffered and flushed only when the session needs more input (RFC 2920 PIPELINING).
/// </summary>
internal sealed partial class SmtpSession : IAsyncDisposable
{
    private static readonly SmtpReply Greeting = new(220, default, "");

    private readonly SmtpSessionServices _services;
    private readonly SmtpListenerOptions _listener;
    private readonly SmtpTransport _transport;
    private readonly CancellationToken _connectionClosed;
    private readonly string _sessionId;
    private IPEndPoint _client;
    private CancellationTokenSource _readTimeout;

    private SessionState _state = SessionState.Connected;
    private InputMode _mode = InputMode.Command;
    private string _heloName = "";
    private bool _extended;
    private string? _user;
    private string? _mechanism;
    private Authentication.ISaslExchange? _sasl;
    private SmtpTransaction? _transaction;
    private MessageContentBuffer? _content;
    private BodyReservation? _reservation;
    private MessageContentReader? _contentReader;
    private long _chunkRemaining;
    private bool _chunkLast;
    private SmtpReply? _chunkRefusal;
    private int _errors;
    private int _messages;
    private bool _closing;
    private bool _startTlsRequested;
    private Activity? _transactionActivity;

    public SmtpSession(SmtpSessionServices services, SmtpListenerOptions listener, IDuplexPipe connection, IPEndPoint client, string sessionId, CancellationToken connectionClosed)
    {
        _services = services;
        _listener = listener;
        _transport = new SmtpTransport(connection);
        _client = client;
        _sessionId = sessionId;
        _connectionClosed = connectionClosed;
        _readTimeout = NewReadTimeout();
    }

    private enum InputMode
    {
        Command,
        Data,
        Chunk,
        SaslResponse,
        DiscardLine,
    }

    public IPEndPoint Client => _client;

    private bool IsSubmission => _listener.Role is ListenerRole.Submission or ListenerRole.Submissions;

    private bool TlsAvailable => !_transport.IsTls;

    private bool AuthAvailable => IsSubmission && (_transport.IsTls || _services.Authentication.AllowPlaintextAuthentication);

    /// <summary>Reads the PROXY protocol header, when the listener expects one, and adopts its client address.</summary>
    public async Task<bool> ReadProxyHeaderAsync()
    {
        while (true)
        {
            ReadResult result = await ReadAsync(_services.Limits.TlsHandshakeTimeout).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            var status = Proxy.ProxyProtocolHeader.TryParse(buffer, out var header, out int length);
            if (status == Proxy.ProxyParseStatus.Parsed)
            {
                _transport.Input.AdvanceTo(buffer.GetPosition(length));
                if (header?.Source is not null)
                {
                    _client = header.Source;
                }

                return true;
            }

            _transport.Input.AdvanceTo(buffer.Start, buffer.End);
            if (status == Proxy.ProxyParseStatus.Invalid || result.IsCompleted)
            {
                IngressLog.ProxyHeaderInvalid(_services.Logger, _sessionId, _client);
                return false;
            }
        }
    }

    /// <summary>Runs the session to its end. I/O errors of a broken connection surface to the caller.</summary>
    public async Task RunAsync()
    {
        if (_listener.Role == ListenerRole.Submissions)
        {
            // Implicit TLS (RFC 8314): the handshake comes before the greeting.
            if (!await TryStartTlsAsync().ConfigureAwait(false))
            {
                return;
            }
        }

        if (await IsEarlyTalkerAsync().ConfigureAwait(false))
        {
            _services.Metrics.SessionRefused(_listener.Name, "early_talker");
            IngressLog.SessionRefused(_services.Logger, _sessionId, _client.Address, 554, "5.5.0", "input before greeting");
            await ReplyAndFlushAsync(SmtpReplies.EarlyTalker).ConfigureAwait(false);
            return;
        }

        await ReplyAndFlushAsync(Greeting with { Text = $"{_services.Ingress.HostName} ESMTP ready" }).ConfigureAwait(false);

        while (!_closing)
        {
            ReadResult result;
            try
            {
                result = await ReadAsync(CurrentTimeout).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!_connectionClosed.IsCancellationRequested)
            {
                await ReplyAndFlushAsync(_services.Lifetime.DrainExpired.IsCancellationRequested
                    ? SmtpReplies.ServiceShuttingDown
                    : SmtpReplies.CommandTimeout).ConfigureAwait(false);
                return;
            }

            ReadOnlySequence<byte> buffer = result.Buffer;
            ReadOnlySequence<byte> remaining = buffer;
            try
            {
                while (!_closing && !_startTlsRequested)
                {
                    Step step = NextStep(ref remaining);
                    if (step.Kind == StepKind.NeedMoreInput)
                    {
                        break;
                    }

                    await ExecuteAsync(step).ConfigureAwait(false);
                }
            }
            finally
            {
                // After STARTTLS everything the client pipelined in plaintext is dropped unread (RFC 3207 §4.2).
                SequencePosition consumed = _startTlsRequested ? buffer.End : remaining.Start;
                _transport.Input.AdvanceTo(consumed, buffer.End);
            }

            if (_startTlsRequested)
            {
                _startTlsRequested = false;
                if (!await TryStartTlsAsync().ConfigureAwait(false))
                {
                    return;
                }

                ResetAfterTls();
                continue;
            }

            if (result.IsCompleted)
            {
                return;
            }

            await FlushAsync().ConfigureAwait(false);
        }

        await FlushAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        _transactionActivity?.Dispose();
        _content?.Dispose();
        _reservation?.Dispose();
        _readTimeout.Dispose();
        await _transport.DisposeAsync().ConfigureAwait(false);
    }

    private TimeSpan CurrentTimeout => _mode is InputMode.Data or InputMode.Chunk ? _services.Limits.DataTimeout : _services.Limits.CommandTimeout;

    private async ValueTask<ReadResult> ReadAsync(TimeSpan timeout)
    {
        if (!_readTimeout.TryReset())
        {
            _readTimeout.Dispose();
            _readTimeout = NewReadTimeout();
        }

        _readTimeout.CancelAfter(timeout);
        ReadResult result = await _transport.Input.ReadAsync(_readTimeout.Token).ConfigureAwait(false);
        _readTimeout.CancelAfter(Timeout.InfiniteTimeSpan);
        return result;
    }

    private CancellationTokenSource NewReadTimeout() =>
        CancellationTokenSource.CreateLinkedTokenSource(_connectionClosed, _services.Lifetime.DrainExpired);

    private async Task<bool> IsEarlyTalkerAsync()
    {
        if (_transport.Input.TryRead(out ReadResult ready))
        {
            bool talked = !ready.Buffer.IsEmpty;
            _transport.Input.AdvanceTo(ready.Buffer.Start);
            if (talked)
            {
                return true;
            }
        }

        if (_listener.GreetingDelay <= TimeSpan.Zero)
        {
            return false;
        }

        try
        {
            ReadResult result = await ReadAsync(_listener.GreetingDelay).ConfigureAwait(false);
            bool talked = !result.Buffer.IsEmpty;
            _transport.Input.AdvanceTo(result.Buffer.Start);
            return talked || result.IsCompleted;
        }
        catch (OperationCanceledException) when (!_connectionClosed.IsCancellationRequested && !_services.Lifetime.DrainExpired.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task<bool> TryStartTlsAsync()
    {
        try
        {
            await _transport.StartTlsAsync(_services.Certificate.AuthenticationOptions, _services.Limits.TlsHandshakeTimeout, _connectionClosed).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException or Win32Exception)
        {
            IngressLog.TlsFailed(_services.Logger, _sessionId, ex.Message);
            return false;
        }
    }

    /// <summary>RFC 3207 §4.2: after the handshake the session starts over, forgetting all it was told.</summary>
    private void ResetAfterTls()
    {
        _state = SessionState.Connected;
        _heloName = "";
        _extended = false;
        _user = null;
        _mechanism = null;
        ResetTransaction();
    }

    private enum StepKind
    {
        NeedMoreInput,
        Command,
        LineTooLong,
        BareLineEndingInCommand,
        ContentComplete,
        ChunkComplete,
        SaslResponse,
    }

    private readonly record struct Step(StepKind Kind, SmtpCommandParseResult Parsed = default, string? Text = null);

    /// <summary>Frames the next unit of input (a line, the rest of DATA, a BDAT chunk) without awaiting.</summary>
    private Step NextStep(ref ReadOnlySequence<byte> input)
    {
        switch (_mode)
        {
            case InputMode.Data:
            {
                bool ended = _contentReader!.ReadData(input, out SequencePosition end);
                ReleaseRefusedContent();
                if (ended)
                {
                    input = input.Slice(end);
                    return new Step(StepKind.ContentComplete);
                }

                input = input.Slice(input.End);
                return new Step(StepKind.NeedMoreInput);
            }

            case InputMode.Chunk:
            {
                long take = Math.Min(_chunkRemaining, input.Length);
                if (_contentReader is not null)
                {
                    _contentReader.ReadChunk(input.Slice(0, take));
                    ReleaseRefusedContent();
                }

                input = input.Slice(take);
                _chunkRemaining -= take;
                return _chunkRemaining == 0 ? new Step(StepKind.ChunkComplete) : new Step(StepKind.NeedMoreInput);
            }

            case InputMode.DiscardLine:
            {
                var reader = new SequenceReader<byte>(input);
                if (reader.TryAdvanceTo((byte)'\n'))
                {
                    // Resynchronise at the next LF after a line too long; any CR before it belongs to the junk.
                    input = input.Slice(reader.Position);
                    _mode = InputMode.Command;
                    return NextStep(ref input);
                }

                input = input.Slice(input.End);
                return new Step(StepKind.NeedMoreInput);
            }

            default:
                return NextLine(ref input);
        }
    }

    /// <summary>Content that can only be refused is dropped as it arrives: its budget goes back now, not after the drain.</summary>
    private void ReleaseRefusedContent()
    {
        if (_contentReader!.HasError)
        {
            _reservation?.ShrinkTo(_content?.Capacity ?? 0);
        }
    }

    private Step NextLine(ref ReadOnlySequence<byte> input)
    {
        int cap = _mode == InputMode.SaslResponse ? _services.Limits.MaxAuthLineLength : Math.Max(_services.Limits.MaxCommandLineLength, _services.Limits.MaxAuthLineLength);
        ReadOnlySequence<byte> window = input.Length > cap ? input.Slice(0, cap) : input;
        var reader = new SequenceReader<byte>(window);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> line, "\r\n"u8))
        {
            if (window.Length < cap)
            {
                return new Step(StepKind.NeedMoreInput);
            }

            // Drop only the capped window: the end of the junk line (and what follows) may already be buffered.
            input = input.Slice(window.End);
            _mode = InputMode.DiscardLine;
            return new Step(StepKind.LineTooLong);
        }

        input = input.Slice(reader.Position);
        bool sasl = _mode == InputMode.SaslResponse;
        int limit = sasl || StartsWithAuth(line) ? _services.Limits.MaxAuthLineLength : _services.Limits.MaxCommandLineLength;
        if (line.Length + 2 > limit)
        {
            return new Step(StepKind.LineTooLong);
        }

        if (line.PositionOf((byte)'\n') is not null || line.PositionOf((byte)'\r') is not null)
        {
            return new Step(StepKind.BareLineEndingInCommand);
        }

        if (sasl)
        {
            return new Step(StepKind.SaslResponse, Text: Encoding.ASCII.GetString(line));
        }

        if (line.IsSingleSegment)
        {
            return new Step(StepKind.Command, SmtpCommandParser.Parse(line.FirstSpan));
        }

        byte[] rented = ArrayPool<byte>.Shared.Rent((int)line.Length);
        try
        {
            line.CopyTo(rented);
            return new Step(StepKind.Command, SmtpCommandParser.Parse(rented.AsSpan(0, (int)line.Length)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static bool StartsWithAuth(in ReadOnlySequence<byte> line)
    {
        Span<byte> head = stackalloc byte[5];
        if (line.Length < 5)
        {
            return false;
        }

        line.Slice(0, 5).CopyTo(head);
        return Ascii.EqualsIgnoreCase(head, "AUTH "u8);
    }

    private async ValueTask ExecuteAsync(Step step)
    {
        switch (step.Kind)
        {
            case StepKind.LineTooLong:
                await ErrorAsync(_sasl is not null ? AbortSasl(SmtpReplies.LineTooLong) : SmtpReplies.LineTooLong).ConfigureAwait(false);
                break;
            case StepKind.BareLineEndingInCommand:
                await ErrorAsync(_sasl is not null
                    ? AbortSasl(SmtpReplies.SyntaxError)
                    : SmtpReplies.CommandUnrecognized.WithText("Bare CR or LF in command line; only CRLF ends a line")).ConfigureAwait(false);
                break;
            case StepKind.Command when step.Parsed.Error is { } error:
                await ErrorAsync(error).ConfigureAwait(false);
                break;
            case StepKind.Command:
                await ExecuteCommandAsync(step.Parsed.Command!).ConfigureAwait(false);
                break;
            case StepKind.ContentComplete:
                _mode = InputMode.Command;
                await CompleteMessageAsync().ConfigureAwait(false);
                break;
            case StepKind.ChunkComplete:
                _mode = InputMode.Command;
                await CompleteChunkAsync().ConfigureAwait(false);
                break;
            case StepKind.SaslResponse:
                await ContinueSaslAsync(step.Text!).ConfigureAwait(false);
                break;
        }
    }

    private void Reply(SmtpReply reply)
    {
        reply.WriteTo(_transport.Output);
    }

    private async ValueTask ReplyAndFlushAsync(SmtpReply reply)
    {
        Reply(reply);
        await FlushAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Sends the replies written so far, within <see cref="SmtpLimits.WriteTimeout"/>. A client that does not read them
    /// fills the socket's buffers and the flush waits; past the timeout the session ends with an I/O error (the
    /// connection is dropped: a reply could not reach it anyway).
    /// </summary>
    private async ValueTask FlushAsync()
    {
        ValueTask<FlushResult> flush = _transport.Output.FlushAsync(_connectionClosed);
        if (flush.IsCompletedSuccessfully)
        {
            return; // the usual case: the bytes fitted in the socket's buffer
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_connectionClosed);
        timeout.CancelAfter(_services.Limits.WriteTimeout);
        Task<FlushResult> pending = flush.AsTask();
        if (await Task.WhenAny(pending, Task.Delay(Timeout.Infinite, timeout.Token)).ConfigureAwait(false) != pending)
        {
            _transport.Output.CancelPendingFlush();
            IngressLog.ClientNotReading(_services.Logger, _sessionId, _client, _services.Limits.WriteTimeout);
            throw new IOException($"the client did not read its replies for {_services.Limits.WriteTimeout}");
        }

        timeout.Cancel(); // ends the delay that lost the race
        await pending.ConfigureAwait(false);
    }

    /// <summary>A refused command: counts towards the error limit (RFC 5321 §4.5.3 leaves the number to us).</summary>
    private async ValueTask ErrorAsync(SmtpReply reply)
    {
        Reply(reply);
        if (reply.Code >= 500 && ++_errors >= _services.Limits.MaxErrors)
        {
            Reply(SmtpReplies.TooManyErrors);
            _closing = true;
            await FlushAsync().ConfigureAwait(false);
        }
    }

    private void ResetTransaction()
    {
        _transaction = null;
        _content?.Dispose();
        _content = null;
        _reservation?.Dispose();
        _reservation = null;
        _contentReader = null;
        _chunkRefusal = null;
        _transactionActivity?.Dispose();
        _transactionActivity = null;
        if (_state is SessionState.Mail or SessionState.Recipients or SessionState.Chunking)
        {
            _state = SessionState.Greeted;
        }
    }

    private SessionFacts Facts() => new(
        ClientAddress: (_client.Address.IsIPv4MappedToIPv6 ? _client.Address.MapToIPv4() : _client.Address).ToString(),
        ClientPort: _client.Port,
        HeloName: _heloName,
        Listener: _listener.Name,
        Role: _listener.Role.ToString().ToLowerInvariant(),
        TlsProtocol: _transport.TlsProtocol switch
        {
            SslProtocols.Tls13 => "TLSv1.3",
            SslProtocols.Tls12 => "TLSv1.2",
            null => null,
            var other => other.ToString(),
        },
        TlsCipher: _transport.TlsCipher,
        AuthenticatedUser: _user,
        AuthenticationMechanism: _mechanism);
}
