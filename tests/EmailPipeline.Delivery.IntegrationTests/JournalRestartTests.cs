using System.Globalization;
using EmailPipeline.Contracts;
using EmailPipeline.Delivery.IntegrationTests.Infrastructure;

namespace EmailPipeline.Delivery.IntegrationTests;

/// <summary>
/// The real Delivery process, killed with SIGKILL after a delivery and started again on the same data: the same
/// DeliveryRequested (same AttemptId, as the broker redelivers a request whose acknowledgement the dead worker never
/// sent) is answered from the journal, not delivered a second time.
/// </summary>
public sealed class JournalRestartTests : IAsyncLifetime
{
    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("delivery-journal-it-");
    private Broker? _broker;
    private ScriptedMailServer? _relay;
    private Dictionary<string, string> _environment = [];
    private string _health = "";

    public async ValueTask InitializeAsync()
    {
        _broker = await Broker.CreateAsync("delivery-journal");
        int[] ports = FreePorts.Take(2);
        _relay = new ScriptedMailServer(ports[1]);
        static string S(int n) => n.ToString(CultureInfo.InvariantCulture);
        _health = $"http://127.0.0.1:{S(ports[0])}/health/ready";
        _environment = new Dictionary<string, string>
        {
            ["RABBITMQ_URL"] = _broker.Url,
            ["EMAILPIPELINE_DATA"] = _data.FullName,
            ["Delivery__JournalPath"] = Path.Combine(_data.FullName, "journal", "delivery.journal"),
            ["Delivery__HeloName"] = "delivery.test.internal",
            ["Delivery__HttpUrl"] = $"http://127.0.0.1:{S(ports[0])}",
            ["Delivery__ConnectTimeout"] = "00:00:05",
            ["Delivery__CommandTimeout"] = "00:00:10",
            ["Delivery__AttemptTimeout"] = "00:00:40",
            ["Delivery__Transports__0__Match"] = "relay.test",
            ["Delivery__Transports__0__Kind"] = "Smtp",
            ["Delivery__Transports__0__Host"] = "127.0.0.1",
            ["Delivery__Transports__0__Port"] = S(_relay.Port),
        };
    }

    public async ValueTask DisposeAsync()
    {
        if (_relay is not null)
        {
            await _relay.DisposeAsync();
        }

        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }

        _data.Delete(recursive: true);
    }

    [Fact]
    public async Task A_request_redelivered_after_a_kill_9_is_answered_from_the_journal_not_delivered_twice()
    {
        Broker broker = _broker!;
        DeliveryRequested request = DeliveryFixture.Request("relay.test", "sender@origin.test", SmtpDeliveryTests.Message("once only"), "once@relay.test", "twice-not@relay.test");

        RecipientOutcome[] first;
        long requeued;
        await using (ServiceProcess worker = await StartAsync())
        {
            await broker.PublishAsync(request);
            DeliveryAttempted attempted = await AttemptedAsync(request, worker);
            first = [.. attempted.Outcomes];
            Assert.All(first, o => Assert.Equal(DeliveryOutcome.Delivered, o.Outcome));

            await worker.KillHardAsync();

            // Whether the dead worker's acknowledgement of the request got out is a race: once the broker has seen the
            // connection go (no consumer left), the request is either gone or back in the queue. Either way it is known
            // how many outcomes the restarted worker will publish.
            requeued = await RequeuedAfterDeathAsync(broker);
        }

        await using (ServiceProcess restarted = await StartAsync())
        {
            await broker.PublishAsync(request); // the broker's redelivery: same MessageId, same AttemptId
            for (long i = 0; i < 1 + requeued; i++)
            {
                DeliveryAttempted again = await AttemptedAsync(request, restarted);
                Assert.Equal(request.AttemptId, again.AttemptId);
                Assert.Equal(first, again.Outcomes); // Delivered, with the reply the relay gave the first time
                Assert.Null(again.Content);
            }

            Assert.Contains("not sent again", restarted.Output, StringComparison.Ordinal);
        }

        Assert.Single(_relay!.FindAll("once@relay.test"));
        Assert.Single(_relay.FindAll("twice-not@relay.test"));
        Assert.Equal(1, _relay.Seen("once@relay.test")); // not even a RCPT the second time
    }

    private async Task<ServiceProcess> StartAsync()
    {
        ServiceProcess process = ServiceProcess.Start("Delivery", _environment);
        try
        {
            await process.WaitHealthyAsync(_health, TimeSpan.FromSeconds(60));
            return process;
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    private async Task<DeliveryAttempted> AttemptedAsync(DeliveryRequested request, ServiceProcess worker)
    {
        try
        {
            return await _broker!.AttemptedAsync(request.MessageId);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}\n{worker.Output}", ex);
        }
    }

    private static async Task<long> RequeuedAfterDeathAsync(Broker broker)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            (long ready, long unacked, long consumers) = await broker.QueueStateAsync(PipelineQueues.Delivery);
            if (consumers == 0 && unacked == 0)
            {
                return ready;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the broker still counts {consumers} consumers, {unacked} unacknowledged on {PipelineQueues.Delivery}");
            await Task.Delay(200);
        }
    }
}
