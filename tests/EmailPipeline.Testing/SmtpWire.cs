using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace EmailPipeline.Testing;

/// <summary>
/// A raw SMTP client for the tests that must send what no polite client sends: wrong sequences, bare
/// line endings, pipelined input around STARTTLS, over-long lines. It reads replies exactly as sent.
/// </summary>
public sealed class SmtpWire : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private Stream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private SmtpWire(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    public static async Task<SmtpWire> ConnectAsync(int port, string? localAddress = null, bool readGreeting = true, bool ipv6 = false)
    {
        var tcp = new TcpClient(ipv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork);
        if (localAddress is not null)
        {
            tcp.Client.Bind(new IPEndPoint(IPAddress.Parse(localAddress), 0));
        }

        await tcp.ConnectAsync(ipv6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, port);
        var wire = new SmtpWire(tcp);
        if (readGreeting)
        {
            string greeting = await wire.ReadReplyAsync();
            Assert.StartsWith("220 ", greeting, StringComparison.Ordinal);
        }

        return wire;
    }

    public Task SendAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text));

    public async Task SendAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    /// <summary>Sends one command line and returns the whole reply (multi-line replies joined by \n).</summary>
    public async Task<string> CommandAsync(string line)
    {
        await SendAsync(line + "\r\n");
        return await ReadReplyAsync();
    }

    public async Task<string> ReadReplyAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        var lines = new List<string>();
        while (true)
        {
            string? line = await ReadLineAsync(cts.Token) ?? throw new EndOfStreamException("Connection closed; replies so far: " + string.Join(" | ", lines));
            lines.Add(line);
            if (line.Length < 4 || line[3] != '-')
            {
                return string.Join("\n", lines);
            }
        }
    }

    /// <summary>True when the server closed the connection (read returns 0) within the timeout.</summary>
    public async Task<bool> IsClosedAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            if (_start < _end)
            {
                return false;
            }

            int n = await _stream.ReadAsync(_buffer, cts.Token);
            if (n > 0)
            {
                _start = 0;
                _end = n;
            }

            return n == 0;
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async Task StartTlsAsync()
    {
        Assert.True(_start == _end, "Unread bytes before the TLS handshake");
        var ssl = new SslStream(_stream, leaveInnerStreamOpen: false, (_, _, _, _) => true);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" });
        _stream = ssl;
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _tcp.Dispose();
    }

    private async Task<string?> ReadLineAsync(CancellationToken ct)
    {
        while (true)
        {
            int crlf = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8);
            if (crlf >= 0)
            {
                string line = Encoding.UTF8.GetString(_buffer, _start, crlf);
                _start += crlf + 2;
                return line;
            }

            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            int n = await _stream.ReadAsync(_buffer.AsMemory(_end), ct);
            if (n == 0)
            {
                return null;
            }

            _end += n;
        }
    }
}
