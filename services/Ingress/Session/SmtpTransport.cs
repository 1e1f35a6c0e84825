using System.IO.Pipelines;
using System.Net.Security;
using System.Security.Authentication;

namespace EmailPipeline.Ingress.Session;

/// <summary>
/// The session's byte pipes. Starts as the plain connection; <see cref="StartTlsAsync"/> swaps both pipes
/// for ones over an <see cref="SslStream"/> (the Kestrel HttpsConnectionMiddleware pattern).
/// </summary>
internal sealed class SmtpTransport : IAsyncDisposable
{
    private readonly IDuplexPipe _connection;
    private SslStream? _tls;

    public SmtpTransport(IDuplexPipe connection)
    {
        _connection = connection;
        Input = connection.Input;
        Output = connection.Output;
    }

    public PipeReader Input { get; private set; }

    public PipeWriter Output { get; private set; }

    public SslProtocols? TlsProtocol => _tls?.SslProtocol;

    public string? TlsCipher => _tls?.NegotiatedCipherSuite.ToString();

    public bool IsTls => _tls is not null;

    /// <summary>
    /// Runs the TLS handshake as server. Any plaintext the client pipelined after STARTTLS must already be
    /// discarded by the caller: it must never be read as if it came through the encrypted channel.
    /// </summary>
    public async Task StartTlsAsync(SslServerAuthenticationOptions options, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var stream = new SslStream(new PipeDuplexStream(_connection.Input, _connection.Output), leaveInnerStreamOpen: false);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await stream.AuthenticateAsServerAsync(options, cts.Token).ConfigureAwait(false);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        _tls = stream;
        Input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, minimumReadSize: 4096, leaveOpen: true));
        Output = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
    }

    public async ValueTask DisposeAsync()
    {
        if (_tls is not null)
        {
            await Input.CompleteAsync().ConfigureAwait(false);
            await Output.CompleteAsync().ConfigureAwait(false);
            await _tls.DisposeAsync().ConfigureAwait(false);
        }
    }
}
