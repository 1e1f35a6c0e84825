using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace EmailPipeline.Testing;

/// <summary>
/// A load generator that knows exactly which messages were accepted: several SMTP sessions send messages
/// back to back, and every "250 … queued as &lt;id&gt;" after DATA is recorded with its id and time. A 4xx/5xx
/// or a broken connection is counted as not accepted (a broken session reconnects for the next message).
/// </summary>
public static partial class SmtpLoad
{
    public sealed record Result(IReadOnlyList<Accepted> Accepted, int Refused, int Broken, IReadOnlyList<string> Errors)
    {
        public HashSet<string> Ids => Accepted.Select(a => a.QueueId).ToHashSet(StringComparer.Ordinal);
    }

    public sealed record Accepted(int Index, string QueueId, DateTime AtUtc);

    public static Task<Result> RunAsync(int port, int sessions, int messages, string sender, string recipient, int size, TimeSpan timeout) =>
        RunAsync(port, sessions, messages, sender, recipient, size, timeout, null);

    /// <summary>As above; <paramref name="onAccepted"/> is called with the running count of 250s (from the sessions' threads).</summary>
    public static async Task<Result> RunAsync(int port, int sessions, int messages, string sender, string recipient, int size, TimeSpan timeout, Action<int>? onAccepted)
    {
        int acceptedCount = 0;
        int next = -1;
        int refused = 0, broken = 0;
        var accepted = new ConcurrentBag<Accepted>();
        var errors = new ConcurrentQueue<string>();
        var deadline = DateTime.UtcNow + timeout;
        string filler = new string('x', 76);

        async Task Session()
        {
            SmtpWire? wire = null;
            try
            {
                while (DateTime.UtcNow < deadline)
                {
                    int i = Interlocked.Increment(ref next);
                    if (i >= messages)
                    {
                        break;
                    }

                    try
                    {
                        if (wire is null)
                        {
                            wire = await SmtpWire.ConnectAsync(port);
                            string ehlo = await wire.CommandAsync("EHLO load.test");
                            if (!ehlo.StartsWith("250", StringComparison.Ordinal))
                            {
                                throw new IOException("EHLO: " + ehlo);
                            }
                        }

                        string reply = await wire.CommandAsync($"MAIL FROM:<{sender}>");
                        if (reply.StartsWith('2'))
                        {
                            reply = await wire.CommandAsync($"RCPT TO:<{recipient}>");
                        }

                        if (reply.StartsWith('2'))
                        {
                            reply = await wire.CommandAsync("DATA");
                        }

                        if (!reply.StartsWith("354", StringComparison.Ordinal))
                        {
                            Interlocked.Increment(ref refused);
                            errors.Enqueue($"#{i}: {reply}");
                            await wire.CommandAsync("RSET");
                            continue;
                        }

                        var body = new StringBuilder();
                        body.Append(CultureInfo.InvariantCulture, $"From: <{sender}>\r\nTo: <{recipient}>\r\nSubject: load {i}\r\nMessage-ID: <load-{i}-{Guid.NewGuid():N}@load.test>\r\n\r\n");
                        while (body.Length < size)
                        {
                            body.Append(filler).Append("\r\n");
                        }

                        body.Append(".\r\n");
                        await wire.SendAsync(body.ToString());
                        reply = await wire.ReadReplyAsync(TimeSpan.FromSeconds(60));
                        Match m = QueuedAs().Match(reply);
                        if (reply.StartsWith("250", StringComparison.Ordinal) && m.Success)
                        {
                            accepted.Add(new Accepted(i, m.Groups[1].Value, DateTime.UtcNow));
                            onAccepted?.Invoke(Interlocked.Increment(ref acceptedCount));
                        }
                        else
                        {
                            Interlocked.Increment(ref refused);
                            errors.Enqueue($"#{i}: {reply}");
                        }
                    }
                    catch (Exception ex) when (ex is IOException or EndOfStreamException or System.Net.Sockets.SocketException or OperationCanceledException or ObjectDisposedException)
                    {
                        Interlocked.Increment(ref broken);
                        errors.Enqueue($"#{i}: {ex.GetType().Name}: {ex.Message}");
                        if (wire is not null)
                        {
                            await wire.DisposeAsync();
                            wire = null;
                        }

                        await Task.Delay(100);
                    }
                }

                if (wire is not null)
                {
                    try
                    {
                        await wire.CommandAsync("QUIT");
                    }
                    catch (Exception ex) when (ex is IOException or EndOfStreamException or System.Net.Sockets.SocketException or OperationCanceledException)
                    {
                    }
                }
            }
            finally
            {
                if (wire is not null)
                {
                    await wire.DisposeAsync();
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, sessions).Select(_ => Task.Run(Session)));
        return new Result(accepted.OrderBy(a => a.Index).ToArray(), refused, broken, errors.ToArray());
    }

    [GeneratedRegex(@"queued as <?([A-Za-z0-9]+)")]
    private static partial Regex QueuedAs();
}
