using System.ComponentModel.DataAnnotations;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace EmailPipeline.ServiceDefaults;

/// <summary>Bound from "RabbitMq:Watchdog".</summary>
public sealed class ConsumerWatchdogOptions : IValidatableObject
{
    public const string Section = "RabbitMq:Watchdog";

    public bool Enabled { get; set; } = true;

    /// <summary>How often the watched queues are looked at (one passive declare each).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a queue may hold ready messages with no consumer at all before liveness fails.</summary>
    public TimeSpan StallAfter { get; set; } = TimeSpan.FromMinutes(2);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Interval <= TimeSpan.Zero)
        {
            yield return new ValidationResult("RabbitMq:Watchdog:Interval must be positive, e.g. 00:00:15.", [nameof(Interval)]);
        }

        if (StallAfter < Interval)
        {
            yield return new ValidationResult(
                $"RabbitMq:Watchdog:StallAfter ({StallAfter}) must be at least the Interval ({Interval}).", [nameof(StallAfter)]);
        }
    }
}

/// <summary>
/// Watches the queues this service consumes. Ready messages and not one consumer on a queue for longer than
/// <see cref="ConsumerWatchdogOptions.StallAfter"/> means no replica is taking that work although the broker
/// is up: MassTransit has had bugs where a receive endpoint did not resume after a broker restart while its own
/// health check stayed green. Mail would then wait silently, so liveness fails instead (Kubernetes restarts the
/// pod, and a fresh bus consumes again), the stall is logged and the gauge
/// <c>emailpipeline.broker.queue.stalled</c> says which queue. The broker being unreachable is not a stall:
/// readiness covers that, and a restart would not help. The consumer count is the broker's, over all replicas,
/// so one stalled replica beside a healthy one is not seen: the mail still moves then.
/// </summary>
public sealed partial class ConsumerWatchdog : BackgroundService, IHealthCheck
{
    public const string MeterName = "EmailPipeline.Broker";

    private readonly IOptions<RabbitMqOptions> _broker;
    private readonly ConsumerWatchdogOptions _options;
    private readonly IReadOnlyList<string> _queues;
    private readonly TimeProvider _time;
    private readonly ILogger<ConsumerWatchdog> _logger;
    private readonly Dictionary<string, DateTimeOffset> _idleSince = new(StringComparer.Ordinal);
    private volatile string[] _stalled = [];

    public ConsumerWatchdog(
        IOptions<RabbitMqOptions> broker,
        IOptions<ConsumerWatchdogOptions> options,
        IReadOnlyList<string> queues,
        TimeProvider time,
        IMeterFactory meters,
        ILogger<ConsumerWatchdog> logger)
    {
        _broker = broker;
        _options = options.Value;
        _queues = queues;
        _time = time;
        _logger = logger;
        Meter meter = meters.Create(MeterName);
        meter.CreateObservableGauge(
            "emailpipeline.broker.queue.stalled",
            () => _queues.Select(q => new Measurement<int>(_stalled.Contains(q) ? 1 : 0, new KeyValuePair<string, object?>("queue", q))),
            "{queue}",
            "1 while a consumed queue has held ready messages with no consumer for longer than RabbitMq:Watchdog:StallAfter");
    }

    /// <summary>The queues found stalled at the last look.</summary>
    public IReadOnlyList<string> Stalled => _stalled;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        string[] stalled = _stalled;
        return Task.FromResult(stalled.Length == 0
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy($"no consumer on {string.Join(", ", stalled)} for over {_options.StallAfter} while messages wait"));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled || _queues.Count == 0)
        {
            return;
        }

        var factory = new ConnectionFactory { Uri = new Uri(_broker.Value.Url), ClientProvidedName = $"{_broker.Value.ConnectionName} (watchdog)" };
        using var timer = new PeriodicTimer(_options.Interval, _time);
        IConnection? connection = null;
        try
        {
            do
            {
                try
                {
                    connection ??= await factory.CreateConnectionAsync(stoppingToken).ConfigureAwait(false);
                    await LookAsync(connection, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is BrokerUnreachableException or OperationInterruptedException or IOException or TimeoutException or AlreadyClosedException)
                {
                    // Unreachable is readiness's business; forget what was seen so a stall is timed afresh.
                    _idleSince.Clear();
                    _stalled = [];
                    if (connection is not null)
                    {
                        await connection.DisposeAsync().ConfigureAwait(false);
                        connection = null;
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task LookAsync(IConnection connection, CancellationToken cancellationToken)
    {
        DateTimeOffset now = _time.GetUtcNow();
        var stalled = new List<string>();
        foreach (string queue in _queues)
        {
            // A passive declare of a missing queue closes its channel: one channel per look.
            await using IChannel channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            QueueDeclareOk state;
            try
            {
                state = await channel.QueueDeclarePassiveAsync(queue, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationInterruptedException)
            {
                _idleSince.Remove(queue); // not declared yet: nothing waits in it
                continue;
            }

            if (state.MessageCount == 0 || state.ConsumerCount > 0)
            {
                _idleSince.Remove(queue);
                continue;
            }

            if (!_idleSince.TryGetValue(queue, out DateTimeOffset since))
            {
                _idleSince[queue] = now;
                continue;
            }

            if (now - since >= _options.StallAfter)
            {
                stalled.Add(queue);
                if (!_stalled.Contains(queue))
                {
                    NoConsumer(_logger, queue, state.MessageCount, now - since);
                }
            }
        }

        _stalled = [.. stalled];
    }

    [LoggerMessage(9101, LogLevel.Error, "No consumer on {Queue} for {Duration} while {Messages} messages wait; liveness fails so that the service is restarted")]
    private static partial void NoConsumer(ILogger logger, string queue, uint messages, TimeSpan duration);
}

public static class ConsumerWatchdogExtensions
{
    /// <summary>Fails liveness ("live" tag) when one of these consumed queues holds work no consumer takes.</summary>
    public static IServiceCollection AddConsumerWatchdog(this IServiceCollection services, params string[] queues)
    {
        services.AddOptions<ConsumerWatchdogOptions>().BindConfiguration(ConsumerWatchdogOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => new ConsumerWatchdog(
            sp.GetRequiredService<IOptions<RabbitMqOptions>>(),
            sp.GetRequiredService<IOptions<ConsumerWatchdogOptions>>(),
            queues,
            sp.GetService<TimeProvider>() ?? TimeProvider.System,
            sp.GetRequiredService<IMeterFactory>(),
            sp.GetRequiredService<ILogger<ConsumerWatchdog>>()));
        services.AddHostedService(sp => sp.GetRequiredService<ConsumerWatchdog>());
        services.AddHealthChecks().AddCheck<ConsumerWatchdog>("consumers", tags: ["live"]);
        return services;
    }
}
