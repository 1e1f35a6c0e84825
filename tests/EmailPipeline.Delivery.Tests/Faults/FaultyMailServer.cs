using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace EmailPipeline.Delivery.Tests.Faults;

/// <summary>
/// A loopback SMTP (or LMTP) peer that misbehaves on cue. Every command line, the greeting ("&lt;greeting&gt;") and the
/// end of data (".", for LMTP ". address" once per accepted recipient) goes through <see cref="On"/>; it returns
/// the reply to send (several lines joined by CRLF, or any garbage), <see cref="Drop"/> to close the connection,
/// <see cref="Silent"/> to never answer, or null for an ordinary server's reply. No PIPELINING unless asked for
/// (then the replies still go one by one, in order). Reads bytes, not text: <see cref="Data"/> holds each message
/// exactly as it arrived, un-dot-stuffed (DATA) or as the BDAT chunks carried it.
/// </summary>
internal sealed class FaultyMailServer : IAsyncDisposable
{
    public const string Drop = "\0drop";
    public const string Silent = "\0silent";

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accept;
    private readonly bool _lmtp;
    private readonly bool _startTls;
    private readonly string _extensions;
    private int _connections;

    public FaultyMailServer(bool lmtp = false, bool auth = false, bool startTls = false, bool eightBitMime = true, bool chunking = false, bool pipelining = false)
    {
        _lmtp = lmtp;
        _startTls = startTls;
        _extensions = (eightBitMime ? "250-8BITMIME\r\n" : "") + "250-ENHANCEDSTATUSCODES\r\n" + (auth ? "250-AUTH PLAIN LOGIN\r\n" : "") + (startTls ? "250-STARTTLS\r\n" : "")
            + (chunking ? "250-CHUNKING\r\n250-BINARYMIME\r\n" : "") + (pipelining ? "250-PIPELINING\r\n" : "") + "250 SMTPUTF8";
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accept = AcceptAsync();
    }

    public int Port { get; }

    public Func<string, string?>? On { get; set; }

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Sessions that completed a TLS handshake after STARTTLS.</summary>
    public int TlsSessions => Volatile.Read(ref _tlsSessions);

    private const string TlsReady = "220 2.0.0 Ready to start TLS";
    private int _tlsSessions;

    /// <summary>Every line the client sent outside DATA, in order (AUTH lines included: test secrets only).</summary>
    public ConcurrentQueue<string> Commands { get; } = new();

    /// <summary>Messages whose data arrived complete (up to the final dot), whatever was answered to them.</summary>
    public ConcurrentQueue<string> Messages { get; } = new();

    /// <summary>The content of each message whose data arrived complete, byte for byte (dot-stuffing undone).</summary>
    public ConcurrentQueue<byte[]> Data { get; } = new();

    /// <summary>Each BDAT command seen (the chunk is in <see cref="Data"/> when it was the LAST).</summary>
    public ConcurrentQueue<string> BdatCommands { get; } = new();

    /// <summary>Sessions still open: how many client connections the server has not seen closed yet.</summary>
    public int OpenSessions => Volatile.Read(ref _open);

    private int _open;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accept;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
            Interlocked.Increment(ref _connections);
            _ = Task.Run(() => SessionAsync(client));
        }
    }

    private async Task SessionAsync(TcpClient client)
    {
        Interlocked.Increment(ref _open);
        using var _ = client;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        Stream stream = client.GetStream();
        var reader = new ByteReader(stream);
        try
        {
            if (!await AnswerAsync(stream, reader, On?.Invoke("<greeting>") ?? (_lmtp ? "220 faulty.test LMTP" : "220 faulty.test ESMTP"), timeout.Token))
            {
                return;
            }

            var accepted = new List<string>();
            var chunks = new MemoryStream();
            while (true)
            {
                string? line = await reader.ReadLineAsync(timeout.Token);
                if (line is null)
                {
                    return;
                }

                Commands.Enqueue(line);
                string verb = (line.Length >= 4 ? line[..4] : line).ToUpperInvariant();
                string reply = verb switch
                {
                    "EHLO" or "LHLO" => "250-faulty.test\r\n" + _extensions,
                    "HELO" => "250 faulty.test",
                    "AUTH" => "235 2.7.0 Authentication successful",
                    "MAIL" => "250 2.1.0 Ok",
                    "RCPT" => "250 2.1.5 Ok",
                    "DATA" => "354 End data with <CR><LF>.<CR><LF>",
                    "QUIT" => "221 2.0.0 Bye",
                    "STAR" when _startTls && line.Equals("STARTTLS", StringComparison.OrdinalIgnoreCase) => TlsReady,
                    "RSET" or "NOOP" => "250 2.0.0 Ok",
                    "BDAT" => "250 2.0.0 Ok: queued as FAULTY1",
                    _ => "502 5.5.2 Command not recognized",
                };
                if (verb == "MAIL")
                {
                    accepted.Clear();
                }

                if (verb == "BDAT")
                {
                    // RFC 3030: "BDAT size [LAST]", then exactly size octets.
                    BdatCommands.Enqueue(line);
                    string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    chunks.Write(await reader.ReadExactlyAsync(int.Parse(words[1], System.Globalization.CultureInfo.InvariantCulture), timeout.Token));
                    if (words.Length > 2 && words[2].Equals("LAST", StringComparison.OrdinalIgnoreCase))
                    {
                        Data.Enqueue(chunks.ToArray());
                        Messages.Enqueue(Encoding.UTF8.GetString(chunks.ToArray()));
                        chunks.SetLength(0);
                    }
                    else
                    {
                        reply = "250 2.0.0 chunk received";
                    }
                }

                string? scripted = On?.Invoke(line);
                if (verb == "RCPT" && (scripted ?? reply).StartsWith('2'))
                {
                    int open = line.IndexOf('<', StringComparison.Ordinal);
                    accepted.Add(line[(open + 1)..line.IndexOf('>', open)]);
                }

                if (!await AnswerAsync(stream, reader, scripted ?? reply, timeout.Token))
                {
                    return;
                }

                if (verb == "QUIT")
                {
                    return;
                }

                if ((scripted ?? reply) == TlsReady)
                {
                    // A real handshake with a throwaway certificate; the session starts over inside TLS.
                    var tls = new SslStream(stream);
                    using X509Certificate2 certificate = SelfSigned();
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, timeout.Token);
                    stream = tls;
                    reader.Stream = tls;
                    Interlocked.Increment(ref _tlsSessions);
                }

                if (verb == "DATA" && (scripted ?? reply).StartsWith("354", StringComparison.Ordinal))
                {
                    byte[]? data = await reader.ReadDataAsync(timeout.Token);
                    if (data is null)
                    {
                        return;
                    }

                    Data.Enqueue(data);
                    Messages.Enqueue(Encoding.UTF8.GetString(data));
                    foreach (string address in _lmtp ? accepted : [""])
                    {
                        string key = _lmtp ? ". " + address : ".";
                        if (!await AnswerAsync(stream, reader, On?.Invoke(key) ?? (_lmtp ? "250 2.0.0 Delivered" : "250 2.0.0 Ok: queued as FAULTY1"), timeout.Token))
                        {
                            return;
                        }
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The client went away.
        }
        finally
        {
            Interlocked.Decrement(ref _open);
        }
    }

    /// <summary>Sends <paramref name="reply"/>, or acts it out; false when the session is to end.</summary>
    private static async Task<bool> AnswerAsync(Stream stream, ByteReader reader, string reply, CancellationToken ct)
    {
        switch (reply)
        {
            case Drop:
                return false;
            case Silent:
                // Never answer: wait for the client to give up and close.
                while (await reader.ReadLineAsync(ct) is not null)
                {
                }

                return false;
            default:
                await stream.WriteAsync(Encoding.UTF8.GetBytes(reply + "\r\n"), ct);
                return true;
        }
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=faulty.test", key, HashAlgorithmName.SHA256);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
    }

    /// <summary>Lines and data as bytes: a line is what ends with LF (its CR and LF stripped for commands).</summary>
    private sealed class ByteReader(Stream stream)
    {
        public Stream Stream { get; set; } = stream;

        private readonly byte[] _buffer = new byte[256 * 1024];
        private int _start;
        private int _end;

        /// <summary>A command line without its line ending (UTF-8), or null at end of stream.</summary>
        public async Task<string?> ReadLineAsync(CancellationToken ct)
        {
            byte[]? line = await ReadRawLineAsync(ct);
            return line is null ? null : Encoding.UTF8.GetString(line).TrimEnd('\r', '\n');
        }

        /// <summary>DATA up to CRLF.CRLF with the leading dots undone, or null when the connection closed first.</summary>
        public async Task<byte[]?> ReadDataAsync(CancellationToken ct)
        {
            using var data = new MemoryStream();
            while (true)
            {
                byte[]? line = await ReadRawLineAsync(ct);
                if (line is null)
                {
                    return null;
                }

                if (line.AsSpan().SequenceEqual(".\r\n"u8))
                {
                    return data.ToArray();
                }

                int skip = line.Length > 1 && line[0] == (byte)'.' ? 1 : 0;
                data.Write(line, skip, line.Length - skip);
            }
        }

        public async Task<byte[]> ReadExactlyAsync(int count, CancellationToken ct)
        {
            var result = new byte[count];
            int have = Math.Min(count, _end - _start);
            _buffer.AsSpan(_start, have).CopyTo(result);
            _start += have;
            await Stream.ReadExactlyAsync(result.AsMemory(have), ct);
            return result;
        }

        private async Task<byte[]?> ReadRawLineAsync(CancellationToken ct)
        {
            while (true)
            {
                int lf = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
                if (lf >= 0)
                {
                    byte[] line = _buffer.AsSpan(_start, lf + 1).ToArray();
                    _start += lf + 1;
                    return line;
                }

                if (_start > 0)
                {
                    Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                    _end -= _start;
                    _start = 0;
                }

                if (_end == _buffer.Length)
                {
                    throw new IOException("line longer than 256 KiB");
                }

                int n = await Stream.ReadAsync(_buffer.AsMemory(_end), ct);
                if (n == 0)
                {
                    return null;
                }

                _end += n;
            }
        }
    }
}
