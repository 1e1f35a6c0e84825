using System.Diagnostics;
using static EmailPipeline.Durability.Tests.Harness;

namespace EmailPipeline.Durability.Tests;

/// <summary>
/// "A crash of any process or of the broker at any moment loses no accepted message" (DESIGN.md), under a
/// bounded load: 300 messages from smtp-source (10 sessions, 2 KiB; half before the kill, half while the
/// killed process is down) through Ingress → Queue → Delivery to
/// Postfix's smtp-sink. A process is killed with -9 (or the broker's app stopped) mid-load and started again.
/// At the end every accepted recipient must be final in the Queue's store (read with the operator CLI), and
/// every delivered one must be at the sink (duplicates allowed: at-least-once).
/// </summary>
public sealed class CrashTests(ITestOutputHelper output)
{
    private const int Messages = 300;

    [Fact]
    public async Task Kill_9_of_the_Queue_mid_load_loses_no_accepted_recipient()
    {
        await KillMidLoadAsync("Queue", p => p.Queue!, p => p.StartQueueAsync());
    }

    [Fact]
    public async Task Kill_9_of_a_Delivery_worker_mid_load_loses_no_accepted_recipient()
    {
        await KillMidLoadAsync("Delivery", p => p.Deliveries[0], p => p.StartDeliveryAsync());
    }

    /// <summary>
    /// Half the load (smtp-source, 10 sessions) runs while <paramref name="victim"/> is killed with -9 once
    /// messages reach the sink; the other half is accepted while it is down; then it starts again. Every
    /// accepted recipient must end delivered.
    /// </summary>
    private async Task KillMidLoadAsync(string what, Func<Pipeline, ServiceProcess> victim, Func<Pipeline, Task> restart)
    {
        await using SmtpSink sink = await SmtpSink.StartAsync();
        await using Pipeline pipeline = await Pipeline.StartAsync(queue: ShortRetries(), delivery: RouteTo(sink.Port));
        var sw = Stopwatch.StartNew();
        Task<ExternalTool.Result> load = SmtpSource(pipeline.SmtpPort, 10, Messages / 2, 2048);

        // Mid-load: some messages are through, most are still in the broker or in flight.
        Assert.True(await WaitUntilAsync(() => Task.FromResult(sink.FileCount >= 10), TimeSpan.FromSeconds(60)), "nothing reached the sink\n" + pipeline.Output);
        int atKill = sink.FileCount;
        bool loadRunning = !load.IsCompleted;
        await Pipeline.KillAsync(victim(pipeline));
        output.WriteLine($"{sw.Elapsed.TotalSeconds:F1}s: {what} killed (-9) with {atKill} at the sink, smtp-source still running: {loadRunning}");
        ExternalTool.Result second = await SmtpSource(pipeline.SmtpPort, 10, Messages / 2, 2048);
        output.WriteLine($"{sw.Elapsed.TotalSeconds:F1}s: second smtp-source ({Messages / 2} messages) exited {second.ExitCode} while {what} was down");
        Assert.True(second.ExitCode == 0 && string.IsNullOrWhiteSpace(second.Error), "smtp-source saw errors: " + second.All);
        await restart(pipeline);
        output.WriteLine($"{sw.Elapsed.TotalSeconds:F1}s: {what} started again");

        await AssertNoneLostAsync(pipeline, sink, await load, sw);
    }

    /// <summary>
    /// Retries in flight: a peer defers (451) every first attempt, so each message's body travels back in
    /// DeliveryAttempted and waits in the delay queues (TTL, dead-lettered at-least-once into queue-retry-due).
    /// The peer then accepts, and the Queue is killed with -9 twice while those retries surface. Every accepted
    /// message must still be delivered.
    /// </summary>
    [Fact]
    public async Task Kill_9_of_the_Queue_while_retries_circulate_in_the_delay_queues_loses_nothing()
    {
        const int Count = 100;
        await using SmtpSinkServer peer = SmtpSinkServer.Start();
        peer.Deferring = true;
        await using Pipeline pipeline = await Pipeline.StartAsync(queue: ShortRetries(), delivery: RouteTo(peer.Port));
        var sw = Stopwatch.StartNew();
        SmtpLoad.Result load = await SmtpLoad.RunAsync(pipeline.SmtpPort, 4, Count, "s@remote.test", "r@sink.test", 2048, TimeSpan.FromSeconds(60));
        Assert.True(load.Accepted.Count == Count, string.Join("; ", load.Errors.Take(5)));
        HashSet<string> accepted = load.Ids;

        Assert.True(await peer.WaitUntilAsync(p => p.Deferrals >= Count, TimeSpan.FromSeconds(60)), $"only {peer.Deferrals} deferrals\n{pipeline.Output}");
        peer.Deferring = false;
        for (int round = 1; round <= 2; round++)
        {
            await Task.Delay(700);
            await Pipeline.KillAsync(pipeline.Queue!);
            output.WriteLine($"{sw.Elapsed.TotalSeconds:F1}s: Queue killed (-9), round {round}: {peer.Deferrals} RCPTs deferred so far, {peer.QueueIds.Count} messages delivered");
            await Task.Delay(1500); // the delay queues keep expiring into queue-retry-due meanwhile
            await pipeline.StartQueueAsync();
        }

        Ledger ledger = await WaitAllFinalAsync(pipeline, accepted, Count, TimeSpan.FromSeconds(120));
        output.WriteLine($"{sw.Elapsed.TotalSeconds:F1}s: store: {ledger.Delivered} delivered, {ledger.Bounced} bounced, {ledger.Other} expired/deleted, {ledger.Open.Count} not final; peer: {peer.Count} received, {peer.QueueIds.Count} distinct, {peer.Deferrals} RCPTs deferred");
        Assert.True(ledger.Open.Count == 0, $"{ledger.Open.Count} accepted recipients not final, e.g.\n{string.Join("\n", ledger.Open.Take(10))}\n{Tail(pipeline.Output)}");
        Assert.True(accepted.IsSubsetOf(peer.QueueIds), $"not at the peer: {string.Join(", ", accepted.Except(peer.QueueIds).Take(10))}");
    }

    /// <summary>
    /// No crash at all: many retries at once. A peer defers every RCPT for a while (1 s retry schedule, so each
    /// message goes round Queue → Delivery → Queue → delay queue every second or two, with the SQLite writer busy),
    /// then accepts. Every accepted message must end delivered; a recipient left "Queued" or "Deferred" with no
    /// retry in flight would stay there forever.
    /// </summary>
    [Fact]
    public async Task Many_concurrent_retries_all_end_delivered()
    {
        const int Count = 200;
        await using SmtpSinkServer peer = SmtpSinkServer.Start();
        peer.Deferring = true;
        var queue = new Dictionary<string, string> { ["Queue__RetrySchedule__0"] = "00:00:01", ["Queue__DelaySteps__0"] = "00:00:01" };
        await using Pipeline pipeline = await Pipeline.StartAsync(queue: queue, delivery: RouteTo(peer.Port));
        var sw = Stopwatch.StartNew();
        SmtpLoad.Result load = await SmtpLoad.RunAsync(pipeline.SmtpPort, 10, Count, "s@remote.test", "r@sink.test", 2048, TimeSpan.FromSeconds(60));
        Assert.True(load.Accepted.Count == Count, string.Join("; ", load.Errors.Take(5)));
        HashSet<string> accepted = load.Ids;

        // Let every message be deferred several times.
        Assert.True(await peer.WaitUntilAsync(p => p.Deferrals >= Count * 4, TimeSpan.FromSeconds(90)), $"only {peer.Deferrals} deferrals\n{pipeline.Output}");
        output.WriteLine($"{sw.Elapsed.TotalSeconds:F1}s: {peer.Deferrals} RCPTs deferred; the peer accepts from now on");
        peer.Deferring = false;

        Ledger ledger = await WaitAllFinalAsync(pipeline, accepted, Count, TimeSpan.FromSeconds(60));
        output.WriteLine($"{sw.Elapsed.TotalSeconds:F1}s: store: {ledger.Delivered} delivered, {ledger.Bounced} bounced, {ledger.Other} expired/deleted, {ledger.Open.Count} not final; peer: {peer.Count} received, {peer.QueueIds.Count} distinct");
        foreach (string open in ledger.Open.Take(10))
        {
            output.WriteLine("  not final: " + open);
        }

        Assert.True(ledger.Open.Count == 0, $"{ledger.Open.Count} accepted recipients not final 60 s after the peer began to accept, e.g.\n{string.Join("\n", ledger.Open.Take(10))}");
        Assert.True(accepted.IsSubsetOf(peer.QueueIds), $"not at the peer: {string.Join(", ", accepted.Except(peer.QueueIds).Take(10))}");
    }

    /// <summary>
    /// The ingress itself killed with -9 in the middle of SMTP sessions (some in DATA, some waiting for the
    /// broker's confirm). Only what got a 250 counts as accepted (our own client records each 250 and its
    /// queue id); every one of those must end final, a session cut before its 250 may or may not have queued.
    /// </summary>
    [Fact]
    public async Task Kill_9_of_the_Ingress_mid_session_loses_no_message_that_got_its_250()
    {
        await using SmtpSink sink = await SmtpSink.StartAsync();
        await using Pipeline pipeline = await Pipeline.StartAsync(queue: ShortRetries(), delivery: RouteTo(sink.Port));
        var sw = Stopwatch.StartNew();
        int acceptedSoFar = 0;
        Task<SmtpLoad.Result> load = Task.Run(() => SmtpLoad.RunAsync(pipeline.SmtpPort, 4, Messages, "s@remote.test", "r@sink.test", 10240, TimeSpan.FromSeconds(90),
            n => Volatile.Write(ref acceptedSoFar, n)));

        // A quarter of the messages through the ingress: the sessions are mid-transaction.
        Assert.True(await WaitUntilAsync(() => Task.FromResult(Volatile.Read(ref acceptedSoFar) >= Messages / 4 || load.IsCompleted), TimeSpan.FromSeconds(60)), "nothing accepted\n" + pipeline.Output);
        bool loadRunning = !load.IsCompleted;
        await Pipeline.KillAsync(pipeline.Ingress!);
        output.WriteLine($"{sw.Elapsed.TotalSeconds:F1}s: Ingress killed (-9) after {Volatile.Read(ref acceptedSoFar)} 250s, {sink.FileCount} at the sink, load still running: {loadRunning}");
        await pipeline.StartIngressAsync();
        output.WriteLine($"{sw.Elapsed.TotalSeconds:F1}s: Ingress started again");
        SmtpLoad.Result result = await load;
        output.WriteLine($"{sw.Elapsed.TotalSeconds:F1}s: load done: {result.Accepted.Count} accepted (250), {result.Refused} refused, {result.Broken} cut or refused connections");
        Assert.True(loadRunning && result.Broken > 0, "the load finished before the kill; nothing was tested");

        HashSet<string> accepted = result.Ids;
        Ledger ledger = await WaitAllFinalAsync(pipeline, accepted, accepted.Count, TimeSpan.FromSeconds(120));
        await ReportAsync(ledger, sink, sw, pipeline);
        Assert.True(ledger.Open.Count == 0, $"{ledger.Open.Count} accepted recipients not final, e.g.\n{string.Join("\n", ledger.Open.Take(10))}\n{Tail(pipeline.Output)}");
        var atSink = sink.QueueIds().ToHashSet(StringComparer.Ordinal);
        Assert.True(accepted.IsSubsetOf(atSink), $"accepted but not at the sink: {string.Join(", ", accepted.Except(atSink).Take(10))}");
    }

    /// <summary>
    /// The broker's app stopped for 3 s mid-load (every connection of every service drops), then started.
    /// Acceptance is counted per message by our own client (a 250 with its queue id): during the outage the
    /// ingress must answer 4xx or drop the session, never 250.
    /// </summary>
    [Fact]
    public async Task Broker_stop_app_and_start_app_mid_load_loses_no_accepted_recipient()
    {
        await using SmtpSink sink = await SmtpSink.StartAsync();
        await using Pipeline pipeline = await Pipeline.StartAsync(queue: ShortRetries(), delivery: RouteTo(sink.Port));
        var sw = Stopwatch.StartNew();
        int acceptedSoFar = 0;
        Task<SmtpLoad.Result> load = Task.Run(() => SmtpLoad.RunAsync(pipeline.SmtpPort, 2, Messages, "s@remote.test", "r@sink.test", 10240, TimeSpan.FromSeconds(120),
            n => Volatile.Write(ref acceptedSoFar, n)));

        // Early (rabbitmqctl itself needs a second to act): sessions mid-transaction, the Queue and Delivery busy.
        Assert.True(await WaitUntilAsync(() => Task.FromResult(Volatile.Read(ref acceptedSoFar) >= 10 || load.IsCompleted), TimeSpan.FromSeconds(60)), "nothing accepted\n" + pipeline.Output);
        int atStop = sink.FileCount;
        bool loadRunning = !load.IsCompleted;
        try
        {
            await RabbitVirtualHost.Rabbitmqctl("stop_app");
            output.WriteLine($"{sw.Elapsed.TotalSeconds:F1}s: rabbitmqctl stop_app after {Volatile.Read(ref acceptedSoFar)} 250s, {atStop} at the sink, load still running: {loadRunning}");
            await Task.Delay(3000);
        }
        finally
        {
            await RabbitVirtualHost.Rabbitmqctl("start_app");
            await RabbitVirtualHost.Rabbitmqctl("await_startup");
        }

        output.WriteLine($"{sw.Elapsed.TotalSeconds:F1}s: rabbitmqctl start_app done");
        SmtpLoad.Result result = await load;
        output.WriteLine($"{sw.Elapsed.TotalSeconds:F1}s: load done: {result.Accepted.Count} accepted (250), {result.Refused} refused (4xx/5xx), {result.Broken} broken sessions");
        foreach (string e in result.Errors.Take(5))
        {
            output.WriteLine("  " + e);
        }

        HashSet<string> accepted = result.Ids;
        Assert.True(accepted.Count > 0, "nothing accepted");
        Ledger ledger = await WaitAllFinalAsync(pipeline, accepted, accepted.Count, TimeSpan.FromSeconds(150));
        await ReportAsync(ledger, sink, sw, pipeline);
        Assert.True(ledger.Open.Count == 0, $"{ledger.Open.Count} accepted recipients not final, e.g.\n{string.Join("\n", ledger.Open.Take(10))}\n{Tail(pipeline.Output)}");
        var atSink = sink.QueueIds().ToHashSet(StringComparer.Ordinal);
        var deliveredMissing = (await OperatorCli.RecipientsAsync(pipeline)).Where(r => accepted.Contains(r.MessageId) && r.State == "Delivered" && !atSink.Contains(r.MessageId)).ToList();
        Assert.True(deliveredMissing.Count == 0, $"{deliveredMissing.Count} recorded as delivered but not at the sink, e.g. {string.Join(", ", deliveredMissing.Take(5))}");
        Assert.True(ledger.Delivered + ledger.Bounced == accepted.Count, $"delivered {ledger.Delivered} + bounced {ledger.Bounced} != accepted {accepted.Count}");
    }

    private async Task AssertNoneLostAsync(Pipeline pipeline, SmtpSink sink, ExternalTool.Result load, Stopwatch sw)
    {
        output.WriteLine($"{sw.Elapsed.TotalSeconds:F1}s: smtp-source exited {load.ExitCode}");
        // smtp-source reports every non-2xx reply on stderr; none and exit 0 (both halves) means all 300 got their 250.
        Assert.True(load.ExitCode == 0 && string.IsNullOrWhiteSpace(load.Error), "smtp-source saw errors: " + load.All);

        Ledger ledger = await WaitAllFinalAsync(pipeline, null, Messages, TimeSpan.FromSeconds(120));
        await ReportAsync(ledger, sink, sw, pipeline);
        Assert.True(ledger.Messages == Messages, $"the store knows {ledger.Messages} of the {Messages} accepted messages\n{Tail(pipeline.Output)}");
        Assert.True(ledger.Open.Count == 0, $"{ledger.Open.Count} recipients not final, e.g.\n{string.Join("\n", ledger.Open.Take(10))}\n{Tail(pipeline.Output)}");
        Assert.True(ledger.Delivered + ledger.Bounced == Messages, $"delivered {ledger.Delivered} + bounced {ledger.Bounced} != accepted {Messages} (other final: {ledger.Other})");

        // The sink: every message the store says was delivered is there (at least once).
        var ids = sink.QueueIds();
        var distinct = ids.ToHashSet(StringComparer.Ordinal);
        var rows = await OperatorCli.RecipientsAsync(pipeline);
        var missing = rows.Where(r => r.State == "Delivered" && !distinct.Contains(r.MessageId)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} recorded as delivered but not at the sink, e.g. {string.Join(", ", missing.Take(5))}");
        Assert.True(distinct.Count >= Messages - ledger.Bounced, $"sink has {distinct.Count} distinct messages, accepted {Messages}, bounced {ledger.Bounced}");
    }

    private async Task ReportAsync(Ledger ledger, SmtpSink sink, Stopwatch sw, Pipeline? pipeline = null)
    {
        if (pipeline is not null)
        {
            output.WriteLine("dead letters: " + await ErrorQueuesAsync(pipeline));
            // Which queue holds what, and whether anyone consumes it: the first question when mail stands still.
            output.WriteLine("queues (name, ready, unacknowledged, consumers):\n" +
                await RabbitVirtualHost.Rabbitmqctl("list_queues", "-p", pipeline.Broker.Name, "name", "messages_ready", "messages_unacknowledged", "consumers"));
        }

        var ids = sink.QueueIds();
        int distinct = ids.Distinct(StringComparer.Ordinal).Count();
        output.WriteLine($"{sw.Elapsed.TotalSeconds:F1}s: store: {ledger.Messages} messages, {ledger.Recipients} recipients: {ledger.Delivered} delivered, {ledger.Bounced} bounced, {ledger.Other} expired/deleted, {ledger.Open.Count} not final");
        output.WriteLine($"sink: {ids.Count} messages received, {distinct} distinct, {ids.Count - distinct} duplicates");
    }

    private static string Tail(string s) => s.Length > 6000 ? s[^6000..] : s;
}
