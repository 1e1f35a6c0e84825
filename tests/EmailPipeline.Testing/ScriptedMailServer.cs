using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EmailPipeline.Testing;

/// <summary>One mail transaction as <see cref="ScriptedMailServer"/> saw it; <see cref="Data"/> is dot-unstuffed, exact bytes.</summary>
public sealed record ScriptedTransaction(string Helo, string MailCommand, IReadOnlyList<string> RcptCommands, byte[] Data)
{
    /// <summary>The addresses of the RCPT commands (between the angle brackets), in order.</summary>
    public IReadOnlyList<string> Recipients => RcptCommands.Select(ScriptedMailServer.AddressOf).ToArray();
}

/// <summary>
/// A small SMTP or LMTP server with replies scripted by address (a public copy of the Delivery integration
/// tests' TestMailServer, with the same defaults): recipients whose local part starts with "defer" get
/// 451 4.2.1, "unknown" 550 5.1.1, others 250; after LMTP DATA "full" gets 452 4.2.2 and "gone" 550 5.1.1.
/// A sender starting with "drop" has its connection closed in the middle of DATA; "badsender" gets 553 5.7.1
/// at MAIL. <see cref="RcptReply"/>, <see cref="LmtpDataReply"/> and <see cref="DropInData"/> override the
/// defaults per address and per attempt ("seen" counts the RCPT commands for that address so far, this one
/// included), e.g. 451 the first time and 250 after. It records every completed transaction byte for byte.
/// </summary>
public sealed class ScriptedMailServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accept;
    private readonly bool _lmtp;
    private readonly bool _smtpUtf8;
    private readonly ConcurrentDictionary<string, int> _seen = new(StringComparer.OrdinalIgnoreCase);
    private int _connections;
    private int _ehlos;
    private readonly bool _eightBitMime;
    private CancellationTokenSource _drop = new();

    public ScriptedMailServer(int port, bool lmtp = false, bool smtpUtf8 = true, bool eightBitMime = true)
    {
        _eightBitMime = eightBitMime;
        _lmtp = lmtp;
        _smtpUtf8 = smtpUtf8;
        _listener = new TcpListener(IPAddress.Loopback, port);
        _listener.Start();
        Port = port;
        _accept = AcceptAsync();
    }

    public int Port { get; }

    public ConcurrentQueue<ScriptedTransaction> Transactions { get; } = new();

    public int Connections => _connections;

    /// <summary>The reply to RCPT for (address, seen), or null for the default script.</summary>
    public Func<string, int, string?>? RcptReply { get; set; }

    /// <summary>LMTP only: the reply after DATA for an accepted (address, seen), or null for the default script.</summary>
    public Func<string, int, string?>? LmtpDataReply { get; set; }

    /// <summary>Whether to close the connection in the middle of DATA, given the accepted recipients and how often
    /// the first of them was seen; when null, only senders starting with "drop" are dropped.</summary>
    public Func<IReadOnlyList<string>, int, bool>? DropInData { get; set; }

    /// <summary>EHLO commands received so far (one per session that greeted).</summary>
    public int Ehlos => _ehlos;

    /// <summary>Closes every session open now, as a server that timed out an idle client would; later
    /// connections are served as usual.</summary>
    public void DropConnections()
    {
        CancellationTokenSource old = Interlocked.Exchange(ref _drop, new CancellationTokenSource());
        old.Cancel(); // not disposed: a session starting just now may still read its token
    }

    /// <summary>How many RCPT commands named this address so far.</summary>
    public int Seen(string address) => _seen.TryGetValue(address, out int n) ? n : 0;

    public ScriptedTransaction? Find(string recipient) =>
        Transactions.FirstOrDefault(t => t.RcptCommands.Any(r => r.Contains($"<{recipient}>", StringComparison.OrdinalIgnoreCase)));

    public IReadOnlyList<ScriptedTransaction> FindAll(string recipient) =>
        Transactions.Where(t => t.RcptCommands.Any(r => r.Contains($"<{recipient}>", StringComparison.OrdinalIgnoreCase))).ToArray();

    /// <summary>The address inside the angle brackets of a MAIL or RCPT command.</summary>
    public static string AddressOf(string command)
    {
        int open = command.IndexOf('<', StringComparison.Ordinal);
        int close = open < 0 ? -1 : command.IndexOf('>', open);
        return open < 0 || close < 0 ? command : command[(open + 1)..close];
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accept;
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
        }

        _stop.Dispose();
        _drop.Dispose();
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
        using var _ = client;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, Volatile.Read(ref _drop).Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        var io = new LineIo(client.GetStream());
        try
        {
            await io.WriteAsync(_lmtp ? "220 lmtp.test LMTP ready" : "220 mx.test ESMTP scripted", timeout.Token);
            string helo = "";
            string? mail = null;
            var rcpts = new List<string>();
            var accepted = new List<(string Address, int Seen)>();
            while (true)
            {
                byte[]? raw = await io.ReadLineAsync(timeout.Token);
                if (raw is null)
                {
                    return;
                }

                string line = Encoding.UTF8.GetString(raw).TrimEnd('\r', '\n');
                string verb = (line.Length >= 4 ? line[..4] : line).ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO" or "LHLO":
                        helo = line.Length > 5 ? line[5..] : "";
                        Interlocked.Increment(ref _ehlos);
                        string ext = "250-PIPELINING\r\n250-SIZE 10000000\r\n" + (_eightBitMime ? "250-8BITMIME\r\n" : "") + "250-ENHANCEDSTATUSCODES\r\n250-DSN\r\n" + (_smtpUtf8 ? "250-SMTPUTF8\r\n" : "");
                        await io.WriteAsync($"250-{(_lmtp ? "lmtp.test" : "mx.test")}\r\n{ext}250 HELP", timeout.Token);
                        break;
                    case "MAIL":
                        mail = line;
                        rcpts.Clear();
                        accepted.Clear();
                        await io.WriteAsync(line.Contains("<badsender", StringComparison.Ordinal) ? "553 5.7.1 Sender refused" : "250 2.1.0 Ok", timeout.Token);
                        break;
                    case "RCPT":
                        rcpts.Add(line);
                        string address = AddressOf(line);
                        int seen = _seen.AddOrUpdate(address, 1, (_, n) => n + 1);
                        string reply = RcptReply?.Invoke(address, seen)
                            ?? (address.StartsWith("defer", StringComparison.OrdinalIgnoreCase) ? "451 4.2.1 Mailbox busy, try later"
                                : address.StartsWith("unknown", StringComparison.OrdinalIgnoreCase) ? "550 5.1.1 User unknown"
                                : "250 2.1.5 Ok");
                        if (reply.StartsWith('2'))
                        {
                            accepted.Add((address, seen));
                        }

                        await io.WriteAsync(reply, timeout.Token);
                        break;
                    case "DATA":
                        if (accepted.Count == 0)
                        {
                            await io.WriteAsync("554 5.5.1 No valid recipients", timeout.Token);
                            break;
                        }

                        await io.WriteAsync("354 End data with <CR><LF>.<CR><LF>", timeout.Token);
                        bool drop = DropInData is { } dropIf
                            ? dropIf(accepted.Select(a => a.Address).ToArray(), accepted[0].Seen)
                            : mail?.Contains("<drop", StringComparison.Ordinal) == true;
                        if (drop)
                        {
                            await io.ReadLineAsync(timeout.Token);
                            return; // the connection drops in the middle of DATA
                        }

                        byte[] data = await io.ReadDataAsync(timeout.Token);
                        Transactions.Enqueue(new ScriptedTransaction(helo, mail ?? "", rcpts.ToList(), data));
                        if (_lmtp)
                        {
                            foreach ((string a, int n) in accepted)
                            {
                                await io.WriteAsync(
                                    LmtpDataReply?.Invoke(a, n)
                                    ?? (a.StartsWith("full", StringComparison.OrdinalIgnoreCase) ? "452 4.2.2 Mailbox full"
                                        : a.StartsWith("gone", StringComparison.OrdinalIgnoreCase) ? "550 5.1.1 No such user here"
                                        : "250 2.0.0 Delivered"),
                                    timeout.Token);
                            }
                        }
                        else
                        {
                            await io.WriteAsync("250 2.0.0 Ok: queued as TEST1", timeout.Token);
                        }

                        break;
                    case "RSET" or "NOOP":
                        await io.WriteAsync("250 2.0.0 Ok", timeout.Token);
                        break;
                    case "QUIT":
                        await io.WriteAsync("221 2.0.0 Bye", timeout.Token);
                        return;
                    default:
                        await io.WriteAsync("502 5.5.2 Command not recognized", timeout.Token);
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The client went away; nothing to record.
        }
    }

    /// <summary>Byte-exact line reading: the test must see what the client sent, not a decoding of it.</summary>
    private sealed class LineIo(NetworkStream stream)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _start;
        private int _end;

        public async Task WriteAsync(string reply, CancellationToken ct)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(reply + "\r\n"), ct);
        }

        /// <summary>A line including its CRLF, or null at end of stream.</summary>
        public async Task<byte[]?> ReadLineAsync(CancellationToken ct)
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
                    throw new IOException("line longer than 64 KiB");
                }

                int n = await stream.ReadAsync(_buffer.AsMemory(_end), ct);
                if (n == 0)
                {
                    return null;
                }

                _end += n;
            }
        }

        public async Task<byte[]> ReadDataAsync(CancellationToken ct)
        {
            using var data = new MemoryStream();
            while (true)
            {
                byte[] line = await ReadLineAsync(ct) ?? throw new IOException("closed in DATA");
                if (line.AsSpan().SequenceEqual(".\r\n"u8))
                {
                    return data.ToArray();
                }

                int skip = line.Length > 1 && line[0] == (byte)'.' ? 1 : 0;
                data.Write(line, skip, line.Length - skip);
            }
        }
    }
}
