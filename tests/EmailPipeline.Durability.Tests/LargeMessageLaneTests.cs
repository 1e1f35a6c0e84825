using EmailPipeline.Contracts;
using static EmailPipeline.Durability.Tests.Harness;

namespace EmailPipeline.Durability.Tests;

/// <summary>
/// A Delivery worker holds every request it takes in memory (the broker is the spool), so messages over 1 MiB
/// travel in a lane of their own, of which a worker takes only as many at once as its body budget allows.
/// </summary>
public sealed class LargeMessageLaneTests(ITestOutputHelper output)
{
    private const int Large = 6;
    private const int Small = 4;
    private const int LargeSize = 2 * 1024 * 1024;
    private const long MiB = 1024 * 1024;

    [Fact]
    public async Task Large_messages_wait_in_their_own_lane_and_a_worker_delivers_only_as_many_at_once_as_its_memory_budget_allows()
    {
        await using SmtpSinkServer peer = SmtpSinkServer.Start();
        peer.PerMessageDelay = TimeSpan.FromMilliseconds(300); // long enough for transactions to overlap when allowed
        // 4 small requests cost 4 × 4 MiB of the budget; 3 MiB messages cost 12 MiB each, so 40 MiB leaves room for 2.
        var delivery = RouteTo(peer.Port).With(new Dictionary<string, string>
        {
            ["Delivery__MaxConcurrentDeliveries"] = "4",
            ["Delivery__MaxMessageSize"] = S(3 * (int)MiB),
            ["Delivery__MaxBodyBytesInFlight"] = (40 * MiB).ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        await using Pipeline pipeline = await Pipeline.StartAsync(queue: ShortRetries(), delivery: delivery, deliveryWorkers: 0);

        // Large messages, nothing consuming: every request waits in the large lane.
        SmtpLoad.Result large = await SmtpLoad.RunAsync(pipeline.SmtpPort, 3, Large, "s@remote.test", "big@sink.test", LargeSize, TimeSpan.FromSeconds(90));
        Assert.True(large.Accepted.Count == Large, $"accepted {large.Accepted.Count} of {Large}: {string.Join("; ", large.Errors.Take(5))}\n{pipeline.Output}");
        Assert.True(await LanesHoldAsync(pipeline, small: 0, large: Large), await LanesAsync(pipeline) + pipeline.Output);

        ServiceProcess worker = await pipeline.StartDeliveryAsync();
        Assert.True(await peer.WaitUntilAsync(p => large.Ids.IsSubsetOf(p.QueueIds), TimeSpan.FromSeconds(120)),
            $"{peer.QueueIds.Count(large.Ids.Contains)} of {Large} large messages arrived\n{pipeline.Output}");
        Assert.Contains("Delivery lanes: 4 requests at once of up to 1 MiB, 2 larger ones", pipeline.Output, StringComparison.Ordinal);
        output.WriteLine($"{Large} messages of 2 MiB: at most {peer.MaxConcurrentTransactions} transactions open at the peer at once (worker allows 4 small, 2 large)");
        Assert.InRange(peer.MaxConcurrentTransactions, 1, 2);
        Assert.All(peer.Messages, m => Assert.True(m.Size > LargeSize, $"a {m.Size}-byte message arrived"));
        worker.Terminate();
        Assert.True(await worker.WaitForExitAsync(TimeSpan.FromSeconds(30)), "the Delivery worker did not stop on SIGTERM");

        // Small messages take the other lane, and are delivered by the next worker.
        SmtpLoad.Result small = await SmtpLoad.RunAsync(pipeline.SmtpPort, 2, Small, "s@remote.test", "small@sink.test", 4096, TimeSpan.FromSeconds(60));
        Assert.True(small.Accepted.Count == Small, $"accepted {small.Accepted.Count} of {Small}\n{pipeline.Output}");
        Assert.True(await LanesHoldAsync(pipeline, small: Small, large: 0), await LanesAsync(pipeline) + pipeline.Output);
        await pipeline.StartDeliveryAsync();
        Assert.True(await peer.WaitUntilAsync(p => small.Ids.IsSubsetOf(p.QueueIds), TimeSpan.FromSeconds(60)),
            $"{peer.QueueIds.Count(small.Ids.Contains)} of {Small} small messages arrived\n{pipeline.Output}");

        HashSet<string> ids = [.. large.Ids, .. small.Ids];
        Assert.Equal(ids.Count, peer.Count); // each once
        Ledger ledger = await WaitAllFinalAsync(pipeline, ids, ids.Count, TimeSpan.FromSeconds(60));
        Assert.True(ledger.Open.Count == 0, $"not final: {string.Join("\n", ledger.Open.Take(5))}");
    }

    private static Task<bool> LanesHoldAsync(Pipeline pipeline, int small, int large) =>
        WaitUntilAsync(async () => await ReadyCountAsync(pipeline, PipelineQueues.Delivery) == small
            && await ReadyCountAsync(pipeline, PipelineQueues.DeliveryLarge) == large, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(500));

    private static async Task<string> LanesAsync(Pipeline pipeline) =>
        $"small lane {await ReadyCountAsync(pipeline, PipelineQueues.Delivery)} ready, large lane {await ReadyCountAsync(pipeline, PipelineQueues.DeliveryLarge)} ready\n";
}
