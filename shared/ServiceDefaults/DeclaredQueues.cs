using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace EmailPipeline.ServiceDefaults;

/// <summary>
/// Declares, at start-up, the consumer queues a service publishes to (retrying while the broker is away),
/// and reports readiness only once they exist: a confirmed publish is then always a routed one, even
/// before the consuming service ever ran.
/// </summary>
public sealed partial class DeclaredQueues(
    IOptions<RabbitMqOptions> options,
    string description,
    Func<IChannel, CancellationToken, Task> declare,
    ILogger<DeclaredQueues> logger)
    : BackgroundService, IHealthCheck
{
    private readonly TaskCompletionSource _declaredOnce = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _declared;

    /// <summary>Completes once the topology exists: a consumer awaits it before it acts, so no consumer publishes
    /// into a queue that was never declared.</summary>
    public Task WhenDeclaredAsync(CancellationToken cancellationToken) => _declaredOnce.Task.WaitAsync(cancellationToken);

    /// <summary>
    /// Declares everything again, now: after a publish came back unroutable (someone deleted a queue under load),
    /// the queue is recreated and the publish retried, instead of every later one failing too. Declaring is
    /// idempotent, so concurrent callers are harmless.
    /// </summary>
    public async Task RedeclareAsync(CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory { Uri = new Uri(options.Value.Url), ClientProvidedName = $"{options.Value.ConnectionName} (topology)" };
        await using IConnection connection = await factory.CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using IChannel channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await declare(channel, cancellationToken).ConfigureAwait(false);
        Redeclared(logger, description);
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_declared ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("queues not declared yet"));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var factory = new ConnectionFactory { Uri = new Uri(options.Value.Url), ClientProvidedName = $"{options.Value.ConnectionName} (topology)" };
        TimeSpan delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using IConnection connection = await factory.CreateConnectionAsync(stoppingToken).ConfigureAwait(false);
                await using IChannel channel = await connection.CreateChannelAsync(cancellationToken: stoppingToken).ConfigureAwait(false);
                await declare(channel, stoppingToken).ConfigureAwait(false);
                _declared = true;
                _declaredOnce.TrySetResult();
                Declared(logger, description);
                return;
            }
            catch (Exception ex) when (ex is BrokerUnreachableException or OperationInterruptedException or IOException or TimeoutException or AlreadyClosedException)
            {
                NotYet(logger, ex.Message);
            }

            await Task.Delay(delay, stoppingToken).ConfigureAwait(false);
            delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, 15));
        }
    }

    [LoggerMessage(9001, LogLevel.Information, "Declared {Queues}")]
    private static partial void Declared(ILogger logger, string queues);

    [LoggerMessage(9002, LogLevel.Warning, "Could not declare queues yet: {Error}")]
    private static partial void NotYet(ILogger logger, string error);

    [LoggerMessage(9003, LogLevel.Warning, "Declared {Queues} again after an unroutable publish")]
    private static partial void Redeclared(ILogger logger, string queues);
}

public static class DeclaredQueuesExtensions
{
    /// <summary>Declares these consumer queues at start-up; readiness ("ready" tag) waits for them.</summary>
    public static IServiceCollection AddDeclaredQueues(this IServiceCollection services, params (string Queue, string? MessageExchange)[] queues) =>
        services.AddDeclaredTopology(
            string.Join(", ", queues.Select(q => q.Queue)),
            _ => async (channel, ct) =>
            {
                foreach (var (queue, exchange) in queues)
                {
                    await PipelineTopology.DeclareConsumerQueueAsync(channel, queue, exchange, ct).ConfigureAwait(false);
                }
            });

    /// <summary>Declares whatever <paramref name="declare"/> declares at start-up; readiness waits for it.</summary>
    public static IServiceCollection AddDeclaredTopology(this IServiceCollection services, string description, Func<IServiceProvider, Func<IChannel, CancellationToken, Task>> declare)
    {
        services.AddSingleton(sp => new DeclaredQueues(sp.GetRequiredService<IOptions<RabbitMqOptions>>(), description, declare(sp), sp.GetRequiredService<ILogger<DeclaredQueues>>()));
        services.AddHostedService(sp => sp.GetRequiredService<DeclaredQueues>());
        services.AddHealthChecks().AddCheck<DeclaredQueues>("declared-queues", tags: ["ready"]);
        return services;
    }
}
