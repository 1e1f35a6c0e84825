using System.Diagnostics.Metrics;
using EmailPipeline.Queue.Tests.Infrastructure;
using EmailPipeline.ServiceDefaults;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace EmailPipeline.Queue.Tests.Broker;

/// <summary>The liveness watchdog against a real RabbitMQ virtual host: work waiting with no consumer fails
/// liveness after StallAfter; an empty queue, a consumed queue or a missing queue never does.</summary>
public sealed class ConsumerWatchdogTests(TestVirtualHost vhost) : IClassFixture<TestVirtualHost>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Waiting_work_with_no_consumer_fails_liveness_and_a_consumer_heals_it()
    {
        string stuck = "stuck-" + Guid.NewGuid().ToString("N")[..8];
        string empty = "empty-" + Guid.NewGuid().ToString("N")[..8];
        string missing = "missing-" + Guid.NewGuid().ToString("N")[..8];
        await using IConnection connection = await new ConnectionFactory { Uri = new Uri(vhost.Url) }.CreateConnectionAsync(Ct);
        await using IChannel channel = await connection.CreateChannelAsync(cancellationToken: Ct);
        var quorum = new Dictionary<string, object?> { ["x-queue-type"] = "quorum" };
        await channel.QueueDeclareAsync(stuck, durable: true, exclusive: false, autoDelete: false, arguments: quorum, cancellationToken: Ct);
        await channel.QueueDeclareAsync(empty, durable: true, exclusive: false, autoDelete: false, arguments: quorum, cancellationToken: Ct);
        await channel.BasicPublishAsync("", stuck, mandatory: true, new BasicProperties { Persistent = true }, "waiting"u8.ToArray(), Ct);

        using var meters = new TestMeterFactory();
        using var watchdog = new ConsumerWatchdog(
            Options.Create(new RabbitMqOptions { Url = vhost.Url, ConnectionName = "watchdog-test" }),
            Options.Create(new ConsumerWatchdogOptions { Interval = TimeSpan.FromMilliseconds(200), StallAfter = TimeSpan.FromMilliseconds(800) }),
            [stuck, empty, missing],
            TimeProvider.System,
            meters,
            NullLogger<ConsumerWatchdog>.Instance);
        await watchdog.StartAsync(Ct);
        try
        {
            Assert.Equal(HealthStatus.Healthy, (await watchdog.CheckHealthAsync(new HealthCheckContext(), Ct)).Status);

            HealthCheckResult stalled = await EventuallyAsync(watchdog, HealthStatus.Unhealthy);
            Assert.Contains(stuck, stalled.Description, StringComparison.Ordinal);
            Assert.DoesNotContain(empty, stalled.Description, StringComparison.Ordinal);
            Assert.DoesNotContain(missing, stalled.Description, StringComparison.Ordinal);
            Assert.Equal([stuck], watchdog.Stalled);

            // A consumer that holds the message unacknowledged: the queue has a consumer again.
            await using IChannel consumerChannel = await connection.CreateChannelAsync(cancellationToken: Ct);
            await consumerChannel.BasicConsumeAsync(stuck, autoAck: false, new AsyncEventingBasicConsumer(consumerChannel), Ct);
            await EventuallyAsync(watchdog, HealthStatus.Healthy);
            Assert.Empty(watchdog.Stalled);
        }
        finally
        {
            await watchdog.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public void A_stall_threshold_shorter_than_the_interval_is_refused_with_a_clear_message()
    {
        var options = new ConsumerWatchdogOptions { Interval = TimeSpan.FromSeconds(30), StallAfter = TimeSpan.FromSeconds(10) };
        var errors = options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)).ToList();
        Assert.Contains(errors, e => e.ErrorMessage!.Contains("RabbitMq:Watchdog:StallAfter", StringComparison.Ordinal));
    }

    private static async Task<HealthCheckResult> EventuallyAsync(ConsumerWatchdog watchdog, HealthStatus expected)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            HealthCheckResult result = await watchdog.CheckHealthAsync(new HealthCheckContext(), deadline.Token);
            if (result.Status == expected)
            {
                return result;
            }

            await Task.Delay(100, deadline.Token);
        }
    }

    private sealed class TestMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose()
        {
            foreach (Meter m in _meters)
            {
                m.Dispose();
            }
        }
    }
}
