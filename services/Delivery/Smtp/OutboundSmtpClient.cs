using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using EmailPipeline.Delivery.Delivering;

namespace EmailPipeline.Delivery.Smtp;

/// <summary>
/// The wire side of one outbound SMTP session (RFC 5321): greeting, EHLO (HELO when EHLO is refused), STARTTLS,
/// AUTH PLAIN or LOGIN, and transactions that send the accepted bytes exactly as they are (dot-stuffed for DATA,
/// or with BDAT). It replaced MailKit's SmtpClient, which sends MimeKit's re-serialisation of a parsed message (it
/// moved transport padding, added blank lines and CRLFs, which broke DKIM signatures) and decides BODY= from the
/// parts' declared Content-Transfer-Encoding; MimeMessage.WriteTo is not virtual and MailKit keeps its stream to
/// itself, so there was no way to hand it raw bytes. See services/Delivery/README.md, "Sending the bytes".
/// <para>
/// Every read and write is bounded by the command timeout (a write of the content chunk by chunk, so a large message
/// on a slow link is not cut off); a timeout is a <see cref="TimeoutException"/>. A reply that cannot be parsed is an
/// <see cref="UnreadableReplyException"/>, one of the wrong class an <see cref="UnexpectedReplyException"/>; a
/// refusal (4xx, 5xx) is a value. After any exception the session is <see cref="IsConnected"/> false.
/// </para>
/// </summary>
public sealed class OutboundSmtpClient(Socket socket, TimeSpan commandTimeout) : IDisposable
{
    private const int MaxReplyLines = 256;
    private const int WriteChunk = 64 * 1024;
    private readonly ReplyLineReader _reader = new("SMTP");
    private Stream _stream = new NetworkStream(socket, ownsSocket: true);
    private bool _broken;
    private bool _disposed;

    public SmtpPeerCapabilities Capabilities { get; private set; } = SmtpPeerCapabilities.None;

    public bool IsConnected => !_broken && !_disposed;

    public bool IsSecure => _stream is SslStream;

    public SslProtocols SslProtocol => (_stream as SslStream)?.SslProtocol ?? SslProtocols.None;

    public bool IsAuthenticated { get; private set; }

    public Task<SmtpPeerReply> ReadGreetingAsync(CancellationToken cancellationToken) => ReadReplyAsync(cancellationToken);

    /// <summary>EHLO, and HELO when EHLO gets a 5xx (a peer of RFC 821 vintage); the reply that decided.</summary>
    public async Task<SmtpPeerReply> HelloAsync(string name, CancellationToken cancellationToken)
    {
        Capabilities = SmtpPeerCapabilities.None;
        SmtpPeerReply ehlo = await CommandAsync($"EHLO {name}", cancellationToken).ConfigureAwait(false);
        if (ehlo.IsPositive)
        {
            Capabilities = SmtpPeerCapabilities.Parse(ehlo.Lines);
            return ehlo;
        }

        return ehlo.Code >= 500 ? await CommandAsync($"HELO {name}", cancellationToken).ConfigureAwait(false) : ehlo;
    }

    /// <summary>
    /// STARTTLS and, after its 220, the handshake (any certificate accepted: see SmtpDelivery). A failed handshake is an
    /// <see cref="AuthenticationException"/>, and so is plain text the peer sent after its 220 (it would otherwise be
    /// read as if it had come through TLS: the STARTTLS injection of CVE-2011-0411). EHLO must follow.
    /// </summary>
    public async Task<SmtpPeerReply> StartTlsAsync(string host, CancellationToken cancellationToken)
    {
        SmtpPeerReply reply = await CommandAsync("STARTTLS", cancellationToken).ConfigureAwait(false);
        if (reply.Code != 220)
        {
            return reply;
        }

        if (_reader.HasBuffered)
        {
            _broken = true;
            throw new AuthenticationException("the peer sent plain text after its STARTTLS reply");
        }

        var tls = new SslStream(_stream, leaveInnerStreamOpen: false);
        using var timeout = Timeout(cancellationToken);
        try
        {
            await tls.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = host,
                    // Opportunistic TLS, as Postfix's "may" level: MX certificates are rarely verifiable without DANE or MTA-STS.
                    RemoteCertificateValidationCallback = static (_, _, _, _) => true,
                    CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
                },
                timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            _broken = true;
            await tls.DisposeAsync().ConfigureAwait(false);
            throw new TimeoutException($"no TLS handshake within {commandTimeout}");
        }
        catch (Exception ex) when (ex is IOException or AuthenticationException or SocketException)
        {
            _broken = true;
            await tls.DisposeAsync().ConfigureAwait(false);
            throw new AuthenticationException($"TLS handshake failed: {ex.Message}", ex);
        }

        _stream = tls;
        Capabilities = SmtpPeerCapabilities.None;
        return reply;
    }

    /// <summary>AUTH PLAIN, else LOGIN (RFC 4954); null once authenticated, else why not (the refusal, or no common mechanism).</summary>
    public async Task<string?> AuthenticateAsync(string username, string password, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> offered = Capabilities.AuthMechanisms;
        SmtpPeerReply reply;
        if (offered.Contains("PLAIN"))
        {
            string response = Base64($"\0{username}\0{password}");
            reply = await CommandAsync("AUTH PLAIN " + response, cancellationToken).ConfigureAwait(false);
            if (reply.Code == 334)
            {
                reply = await CommandAsync(response, cancellationToken).ConfigureAwait(false);
            }
        }
        else if (offered.Contains("LOGIN"))
        {
            reply = await CommandAsync("AUTH LOGIN", cancellationToken).ConfigureAwait(false);
            if (reply.Code == 334)
            {
                reply = await CommandAsync(Base64(username), cancellationToken).ConfigureAwait(false);
            }

            if (reply.Code == 334)
            {
                reply = await CommandAsync(Base64(password), cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            return offered.Count == 0 ? "the server offers no AUTH" : $"no common mechanism (the server offers {string.Join(' ', offered)}; we speak PLAIN and LOGIN)";
        }

        if (reply.Code == 334)
        {
            // A challenge we have no answer for: cancel the exchange (RFC 4954 §4).
            reply = await CommandAsync("*", cancellationToken).ConfigureAwait(false);
            return $"unexpected challenge; {reply}";
        }

        if (reply.Code == 235)
        {
            IsAuthenticated = true;
            return null;
        }

        return reply.IsRefusal ? reply.ToString() : throw Unexpected(reply, "AUTH");
    }

    /// <summary>NOOP, to see that an idle session still answers; anything but 2xx is an exception.</summary>
    public async Task NoOpAsync(CancellationToken cancellationToken)
    {
        SmtpPeerReply reply = await CommandAsync("NOOP", cancellationToken).ConfigureAwait(false);
        if (!reply.IsPositive)
        {
            throw Unexpected(reply, "NOOP");
        }
    }

    /// <summary>
    /// One transaction: MAIL and the RCPTs (in one write with PIPELINING, RFC 2920, else one by one, stopping at a
    /// refused MAIL), then, if MAIL and at least one RCPT were accepted, the content with DATA or BDAT. Each reply is
    /// recorded in <paramref name="transaction"/> as it arrives, so after an exception the caller still knows which
    /// recipients were refused.
    /// </summary>
    public async Task SendAsync(SmtpTransaction transaction, CancellationToken cancellationToken)
    {
        if (Capabilities.Has(SmtpPeerExtensions.Pipelining))
        {
            var batch = new StringBuilder(transaction.MailCommand).Append("\r\n");
            foreach (string rcpt in transaction.RcptCommands)
            {
                batch.Append(rcpt).Append("\r\n");
            }

            await WriteAsync(Encoding.UTF8.GetBytes(batch.ToString()), cancellationToken).ConfigureAwait(false);
            transaction.MailReply = Expect(await ReadReplyAsync(cancellationToken).ConfigureAwait(false), "MAIL");
            for (int i = 0; i < transaction.RcptCommands.Count; i++)
            {
                transaction.RcptReplies[i] = Expect(await ReadReplyAsync(cancellationToken).ConfigureAwait(false), "RCPT");
            }
        }
        else
        {
            transaction.MailReply = Expect(await CommandAsync(transaction.MailCommand, cancellationToken).ConfigureAwait(false), "MAIL");
            if (transaction.MailReply.IsPositive)
            {
                for (int i = 0; i < transaction.RcptCommands.Count; i++)
                {
                    transaction.RcptReplies[i] = Expect(await CommandAsync(transaction.RcptCommands[i], cancellationToken).ConfigureAwait(false), "RCPT");
                }
            }
        }

        if (!transaction.MailReply.IsPositive || !transaction.RcptReplies.Any(r => r is { IsPositive: true }))
        {
            return;
        }

        if (transaction.Bdat)
        {
            // RFC 3030: one chunk, exactly the bytes, no dot-stuffing and no terminator.
            await WriteAsync(Encoding.ASCII.GetBytes($"BDAT {transaction.Content.Length} LAST\r\n"), cancellationToken).ConfigureAwait(false);
            await WriteAsync(transaction.Content, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            SmtpPeerReply data = await CommandAsync("DATA", cancellationToken).ConfigureAwait(false);
            if (data.Code != 354)
            {
                transaction.DataReply = data.IsRefusal ? data : throw Unexpected(data, "DATA");
                return;
            }

            await WriteAsync(DotStuffing.Encode(transaction.Content.Span), cancellationToken).ConfigureAwait(false);
        }

        transaction.FinalReply = Expect(await ReadReplyAsync(cancellationToken).ConfigureAwait(false), "the end of data");
    }

    /// <summary>QUIT, its reply read (bounded by the command timeout and <paramref name="cancellationToken"/>), then closed.</summary>
    public async Task QuitAsync(CancellationToken cancellationToken)
    {
        try
        {
            await CommandAsync("QUIT", cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Dispose();
        }
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _stream.Dispose();
        }
    }

    public async Task<SmtpPeerReply> CommandAsync(string line, CancellationToken cancellationToken)
    {
        await WriteAsync(Encoding.UTF8.GetBytes(line + "\r\n"), cancellationToken).ConfigureAwait(false);
        return await ReadReplyAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes <paramref name="bytes"/> in chunks, each within the command timeout.</summary>
    public async Task WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        try
        {
            for (int offset = 0; offset < bytes.Length; offset += WriteChunk)
            {
                using var timeout = Timeout(cancellationToken);
                await _stream.WriteAsync(bytes.Slice(offset, Math.Min(WriteChunk, bytes.Length - offset)), timeout.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            _broken = true;
            throw new TimeoutException($"the peer took no data for {commandTimeout}");
        }
        catch
        {
            _broken = true;
            throw;
        }
    }

    public async Task<SmtpPeerReply> ReadReplyAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var timeout = Timeout(cancellationToken);
        try
        {
            var lines = new List<string>(1);
            int code = 0;
            while (true)
            {
                string line = await _reader.ReadLineAsync(_stream, timeout.Token).ConfigureAwait(false);
                if (!SmtpPeerReply.TryParseLine(line, out int lineCode, out bool more, out string text) || (code != 0 && lineCode != code) || lines.Count >= MaxReplyLines)
                {
                    throw new UnreadableReplyException($"malformed SMTP reply: {(line.Length > 80 ? line[..80] : line)}");
                }

                code = lineCode;
                lines.Add(text);
                if (!more)
                {
                    return new SmtpPeerReply(code, lines);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            _broken = true;
            throw new TimeoutException($"no reply within {commandTimeout}");
        }
        catch
        {
            _broken = true;
            throw;
        }
    }

    private SmtpPeerReply Expect(SmtpPeerReply reply, string step) => reply.IsPositive || reply.IsRefusal ? reply : throw Unexpected(reply, step);

    private UnexpectedReplyException Unexpected(SmtpPeerReply reply, string step)
    {
        _broken = true;
        return new UnexpectedReplyException($"{reply} to {step}");
    }

    private static string Base64(string value) => Convert.ToBase64String(Encoding.UTF8.GetBytes(value));

    private CancellationTokenSource Timeout(CancellationToken cancellationToken)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(commandTimeout);
        return cts;
    }

}

/// <summary>
/// One transaction's commands and content, and the replies as they arrive (null: not asked, or no reply yet).
/// <see cref="Content"/> is what goes out: the accepted bytes, or their 7-bit conversion.
/// </summary>
public sealed class SmtpTransaction(string mailCommand, IReadOnlyList<string> rcptCommands, ReadOnlyMemory<byte> content, bool bdat)
{
    public string MailCommand { get; } = mailCommand;

    public IReadOnlyList<string> RcptCommands { get; } = rcptCommands;

    public ReadOnlyMemory<byte> Content { get; } = content;

    public bool Bdat { get; } = bdat;

    public SmtpPeerReply? MailReply { get; set; }

    public SmtpPeerReply?[] RcptReplies { get; } = new SmtpPeerReply?[rcptCommands.Count];

    /// <summary>A refusal of DATA (4xx/5xx); null when DATA got its 354 or was not sent.</summary>
    public SmtpPeerReply? DataReply { get; set; }

    /// <summary>The reply to the end of data (or to BDAT … LAST).</summary>
    public SmtpPeerReply? FinalReply { get; set; }
}
