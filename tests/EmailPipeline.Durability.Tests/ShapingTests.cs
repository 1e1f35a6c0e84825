using static EmailPipeline.Durability.Tests.Harness;

namespace EmailPipeline.Durability.Tests;

/// <summary>
/// Per-destination shaping holds across several Delivery workers: the limits are counted in the Queue's shared
/// store, not in a worker. Two workers with four deliveries each in flight, two slow peers: sink.test limited to one
/// delivery at a time, peer.test unlimited. Each peer records the most transactions it ever had open at once.
/// </summary>
public sealed class ShapingTests(ITestOutputHelper output)
{
    private const int PerDomain = 12;

    [Fact]
    public async Task A_destination_limited_to_one_delivery_at_a_time_never_sees_two_even_with_two_workers()
    {
        await using SmtpSinkServer limited = SmtpSinkServer.Start();
        await using SmtpSinkServer free = SmtpSinkServer.Start();
        limited.PerMessageDelay = free.PerMessageDelay = TimeSpan.FromMilliseconds(300);
        var queue = ShortRetries().With(new Dictionary<string, string>
        {
            ["Queue__Shaping__Destinations__sink.test__MaxConcurrent"] = "1",
        });
        var delivery = RouteTo(limited.Port).With(RouteTo(free.Port, "peer.test", index: 2)).With(new Dictionary<string, string>
        {
            ["Delivery__MaxConcurrentDeliveries"] = "4",
        });
        await using Pipeline pipeline = await Pipeline.StartAsync(queue: queue, delivery: delivery, deliveryWorkers: 2);

        Task<SmtpLoad.Result> toLimited = SmtpLoad.RunAsync(pipeline.SmtpPort, 6, PerDomain, "s@remote.test", "r@sink.test", 2048, TimeSpan.FromSeconds(60));
        Task<SmtpLoad.Result> toFree = SmtpLoad.RunAsync(pipeline.SmtpPort, 6, PerDomain, "s@remote.test", "r@peer.test", 2048, TimeSpan.FromSeconds(60));
        SmtpLoad.Result[] loads = await Task.WhenAll(toLimited, toFree);
        Assert.All(loads, l => Assert.True(l.Accepted.Count == PerDomain, $"accepted {l.Accepted.Count} of {PerDomain}: {string.Join("; ", l.Errors.Take(3))}"));

        HashSet<string> ids = [.. loads[0].Ids, .. loads[1].Ids];
        Ledger ledger = await WaitAllFinalAsync(pipeline, ids, ids.Count, TimeSpan.FromSeconds(120));
        output.WriteLine($"delivered {ledger.Delivered} of {ids.Count}; most open at once: sink.test {limited.MaxConcurrentTransactions}, peer.test {free.MaxConcurrentTransactions}");
        Assert.True(ledger.Open.Count == 0, $"not final: {string.Join("\n", ledger.Open.Take(5))}\n{pipeline.Output}");
        Assert.Equal(ids.Count, ledger.Delivered);
        Assert.True(loads[0].Ids.IsSubsetOf(limited.QueueIds), "a sink.test message did not arrive");
        Assert.True(loads[1].Ids.IsSubsetOf(free.QueueIds), "a peer.test message did not arrive");

        Assert.Equal(1, limited.MaxConcurrentTransactions);
        // The unlimited peer shows the workers could have gone wider: the limit, not chance, kept sink.test at one.
        Assert.True(free.MaxConcurrentTransactions > 1, $"peer.test never had two deliveries at once ({free.MaxConcurrentTransactions})");
    }
}
