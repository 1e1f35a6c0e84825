using System.Globalization;

namespace EmailPipeline.EndToEnd.Tests.Support;

/// <summary>
/// One pipeline with real peers, shared by the tests of a class (each test uses recipients of its own):
/// sink.test → Postfix smtp-sink, peer.test → a scripted SMTP server, lmtp.test → a scripted LMTP server,
/// example.test → Maildir. Retries are seconds apart (RetrySchedule 2 s, delay steps 1 s and 2 s).
/// The scripted peers, by the local part of the recipient: "softonce…" 451 on the first RCPT and 250 after,
/// "dropdata…" (as the first recipient) has its connection closed in the middle of DATA the first two times
/// (a break on a pooled session is retried at once on a fresh connection within the same attempt, so only
/// two drops in a row make the attempt a deferral whether or not a pooled session was at hand),
/// "unknown…" 550 5.1.1, "defer…" always 451 4.2.1, anything else 250.
/// </summary>
public class PeerPipelineFixture : IAsyncLifetime
{
    public Pipeline Pipeline { get; private set; } = null!;

    public SmtpSink Sink { get; private set; } = null!;

    public ScriptedMailServer Peer { get; private set; } = null!;

    public ScriptedMailServer Lmtp { get; private set; } = null!;

    public QueueStoreCli Store { get; private set; } = null!;

    /// <summary>Queue settings beyond the short retry schedule (e.g. the store provider, a short lifetime).</summary>
    protected virtual IDictionary<string, string> QueueSettings() => new Dictionary<string, string>();

    protected virtual QueueStoreCli CreateStore(Pipeline pipeline) => QueueStoreCli.Sqlite(pipeline.QueueDatabase);

    protected virtual ValueTask PrepareAsync() => ValueTask.CompletedTask;

    /// <summary>After the pipeline stopped (e.g. drop a database of the test's own).</summary>
    protected virtual ValueTask CleanupAsync() => ValueTask.CompletedTask;

    /// <summary>The reply the scripted peers give to RCPT (address, how often seen); null for their defaults.</summary>
    protected virtual string? RcptReply(string address, int seen) =>
        address.StartsWith("softonce", StringComparison.OrdinalIgnoreCase) && seen == 1 ? "451 4.2.1 Mailbox busy, try later" : null;

    public async ValueTask InitializeAsync()
    {
        await PrepareAsync();
        int[] ports = FreePorts.Take(3);
        Sink = await SmtpSink.StartAsync(ports[0]);
        Peer = new ScriptedMailServer(ports[1])
        {
            RcptReply = RcptReply,
            DropInData = (rcpts, seen) => rcpts[0].StartsWith("dropdata", StringComparison.OrdinalIgnoreCase) && seen <= 2,
        };
        Lmtp = new ScriptedMailServer(ports[2], lmtp: true) { RcptReply = RcptReply };
        var queue = new Dictionary<string, string>
        {
            ["Queue__RetrySchedule__0"] = "00:00:02",
            ["Queue__DelaySteps__0"] = "00:00:01",
            ["Queue__DelaySteps__1"] = "00:00:02",
        };
        foreach (var (k, v) in QueueSettings())
        {
            queue[k] = v;
        }

        var delivery = new Dictionary<string, string>
        {
            ["Delivery__Transports__1__Match"] = "sink.test",
            ["Delivery__Transports__1__Kind"] = "Smtp",
            ["Delivery__Transports__1__Host"] = "127.0.0.1",
            ["Delivery__Transports__1__Port"] = P(Sink.Port),
            ["Delivery__Transports__2__Match"] = "peer.test",
            ["Delivery__Transports__2__Kind"] = "Smtp",
            ["Delivery__Transports__2__Host"] = "127.0.0.1",
            ["Delivery__Transports__2__Port"] = P(Peer.Port),
            ["Delivery__Transports__3__Match"] = "lmtp.test",
            ["Delivery__Transports__3__Kind"] = "Lmtp",
            ["Delivery__Transports__3__Host"] = "127.0.0.1",
            ["Delivery__Transports__3__Port"] = P(Lmtp.Port),
            // The tests make a peer fail on purpose; keep the per-host circuit breaker out of their way.
            ["Delivery__CircuitBreaker__MinimumThroughput"] = "1000",
        };
        var ingress = new Dictionary<string, string> { ["Ingress__RelayDomains__2"] = "lmtp.test" };
        Pipeline = await Pipeline.StartAsync(ingress, queue, delivery);
        Store = CreateStore(Pipeline);
    }

    public async ValueTask DisposeAsync()
    {
        if (Pipeline is not null)
        {
            // E2E_KEEP_OUTPUT=<file>: keep what the services printed, for a post-mortem of a run.
            if (Environment.GetEnvironmentVariable("E2E_KEEP_OUTPUT") is { Length: > 0 } keep)
            {
                await File.AppendAllTextAsync(keep, $"===== {GetType().Name}\n{Pipeline.Output}\n");
            }

            await Pipeline.DisposeAsync();
        }

        if (Sink is not null)
        {
            await Sink.DisposeAsync();
        }

        if (Peer is not null)
        {
            await Peer.DisposeAsync();
        }

        if (Lmtp is not null)
        {
            await Lmtp.DisposeAsync();
        }

        await CleanupAsync();

        GC.SuppressFinalize(this);
    }

    /// <summary>Everything the services printed, for a failing assertion's message.</summary>
    public string Output() => Pipeline.Output;

    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);
}
