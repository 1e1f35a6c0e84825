using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace EmailPipeline.Testing;

/// <summary>
/// A small SMTP server in the test process, the peer our Delivery talks to: it records every message it
/// accepted (with the EmailPipeline queue id from our Received: header and the time of the final 250),
/// can wait a while per message (a slow peer), answer every RCPT with 451 (a peer that defers), and hold
/// new sessions before the greeting until <see cref="OpenGate"/> (so several clients can start together).
/// No PIPELINING, CHUNKING or STARTTLS: one plain transaction after another.
/// </summary>
public sealed partial class SmtpSinkServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<SinkMessage> _messages = new();
    private readonly Task _acceptLoop;
    private TaskCompletionSource _gate = NewOpenGate();

    private SmtpSinkServer(TcpListener listener)
    {
        _listener = listener;
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public sealed record SinkMessage(DateTime ReceivedAtUtc, string? QueueId, string Sender, IReadOnlyList<string> Recipients, int Size);

    public int Port { get; }

    /// <summary>Waited after the final "." before the 250 (and before the message counts as received).</summary>
    public TimeSpan PerMessageDelay { get; set; }

    /// <summary>When true, every RCPT gets "451 4.3.0 Try again later" (nothing is accepted).</summary>
    public bool Deferring { get; set; }

    /// <summary>The most transactions (MAIL to the final reply, RSET or a lost session) ever open at once.</summary>
    public int MaxConcurrentTransactions => Volatile.Read(ref _maxOpen);

    /// <summary>RCPT commands answered with 451 so far.</summary>
    public int Deferrals => _deferrals;

    private int _deferrals;
    private int _open;
    private int _maxOpen;

    public int Count => _messages.Count;

    public IReadOnlyList<SinkMessage> Messages => _messages.ToArray();

    /// <summary>Distinct EmailPipeline queue ids received (a duplicate delivery counts once).</summary>
    public HashSet<string> QueueIds => _messages.Where(m => m.QueueId is not null).Select(m => m.QueueId!).ToHashSet(StringComparer.Ordinal);

    public static SmtpSinkServer Start(int? port = null)
    {
        var listener = new TcpListener(IPAddress.Loopback, port ?? FreePorts.Take(1)[0]);
        listener.Start(512);
        return new SmtpSinkServer(listener);
    }

    /// <summary>New sessions get their 220 greeting only after <see cref="OpenGate"/>.</summary>
    public void CloseGate() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void OpenGate() => _gate.TrySetResult();

    public void Clear() => _messages.Clear();

    /// <summary>Polls until the condition holds; false after the timeout.</summary>
    public async Task<bool> WaitUntilAsync(Func<SmtpSinkServer, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (condition(this))
            {
                return true;
            }

            await Task.Delay(50);
        }

        return condition(this);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _gate.TrySetResult();
        _listener.Stop();
        try
        {
            await _acceptLoop;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    /// <summary>The queue id in our ingress's Received: header ("(EmailPipeline) with ESMTP id &lt;id&gt;").</summary>
    public static string? PipelineQueueId(string message)
    {
        Match m = ReceivedId().Match(message);
        return m.Success ? m.Groups[1].Value : null;
    }

    [GeneratedRegex(@"\(EmailPipeline\) with \S+(?: \([^)]*\))? id ([A-Za-z0-9]+)")]
    private static partial Regex ReceivedId();

    private static TaskCompletionSource NewOpenGate()
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        tcs.SetResult();
        return tcs;
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => SessionAsync(client));
        }
    }

    private async Task SessionAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                await _gate.Task.WaitAsync(_stop.Token);
                NetworkStream stream = client.GetStream();
                var reader = new StreamReader(stream, Encoding.Latin1, false, 64 * 1024);
                async Task Reply(string text)
                {
                    byte[] bytes = Encoding.ASCII.GetBytes(text + "\r\n");
                    await stream.WriteAsync(bytes, _stop.Token);
                }

                await Reply("220 sink.test ESMTP test sink");
                bool open = false;
                void Transaction(bool begins)
                {
                    if (begins == open)
                    {
                        return;
                    }

                    open = begins;
                    if (begins)
                    {
                        int now = Interlocked.Increment(ref _open);
                        int max;
                        while (now > (max = Volatile.Read(ref _maxOpen)) && Interlocked.CompareExchange(ref _maxOpen, now, max) != max)
                        {
                        }
                    }
                    else
                    {
                        Interlocked.Decrement(ref _open);
                    }
                }

                try
                {
                    string sender = "";
                    var recipients = new List<string>();
                    while (true)
                    {
                        using var idle = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                        idle.CancelAfter(TimeSpan.FromMinutes(2));
                        string? line = await reader.ReadLineAsync(idle.Token);
                        if (line is null)
                        {
                            return;
                        }

                        string verb = (line.Length >= 4 ? line[..4] : line).ToUpperInvariant();
                        switch (verb)
                        {
                            case "EHLO":
                                await Reply("250-sink.test\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n250 SIZE 104857600");
                                break;
                            case "HELO":
                            case "LHLO":
                                await Reply("250 sink.test");
                                break;
                            case "MAIL":
                                Transaction(begins: true);
                                sender = Between(line);
                                recipients.Clear();
                                await Reply("250 2.1.0 Ok");
                                break;
                            case "RCPT":
                                if (Deferring)
                                {
                                    Interlocked.Increment(ref _deferrals);
                                    await Reply("451 4.3.0 Try again later");
                                }
                                else
                                {
                                    recipients.Add(Between(line));
                                    await Reply("250 2.1.5 Ok");
                                }

                                break;
                            case "DATA":
                                if (recipients.Count == 0)
                                {
                                    await Reply("554 5.5.1 No valid recipients");
                                    break;
                                }

                                await Reply("354 End data with <CR><LF>.<CR><LF>");
                                var body = new StringBuilder();
                                while (true)
                                {
                                    string? d = await reader.ReadLineAsync(idle.Token);
                                    if (d is null)
                                    {
                                        return; // connection lost in the transaction: nothing received
                                    }

                                    if (d == ".")
                                    {
                                        break;
                                    }

                                    body.Append(d.StartsWith('.') ? d[1..] : d).Append("\r\n");
                                }

                                if (PerMessageDelay > TimeSpan.Zero)
                                {
                                    await Task.Delay(PerMessageDelay, _stop.Token);
                                }

                                string text = body.ToString();
                                _messages.Enqueue(new SinkMessage(DateTime.UtcNow, PipelineQueueId(text), sender, recipients.ToArray(), text.Length));
                                await Reply("250 2.0.0 Ok: queued");
                                Transaction(begins: false);
                                recipients.Clear();
                                break;
                            case "RSET":
                                Transaction(begins: false);
                                recipients.Clear();
                                await Reply("250 2.0.0 Ok");
                                break;
                            case "NOOP":
                                await Reply("250 2.0.0 Ok");
                                break;
                            case "QUIT":
                                await Reply("221 2.0.0 Bye");
                                return;
                            default:
                                await Reply("502 5.5.2 Command not recognized");
                                break;
                        }
                    }
                }
                finally
                {
                    Transaction(begins: false); // a session lost mid-transaction ends it too
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }
    }

    private static string Between(string line)
    {
        int open = line.IndexOf('<', StringComparison.Ordinal);
        int close = line.IndexOf('>', open + 1);
        return open >= 0 && close > open ? line[(open + 1)..close] : "";
    }
}
