using EmailPipeline.Delivery.Configuration;
using EmailPipeline.Delivery.Routing;
using EmailPipeline.Delivery.Telemetry;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;
using Polly.Timeout;

namespace EmailPipeline.Delivery.Delivering;

/// <summary>
/// One Polly pipeline per destination host around "connect, greeting, EHLO, STARTTLS": a timeout, inside a
/// circuit breaker that counts only connection-level failures. While a host's circuit is open it is not
/// contacted at all (its recipients are deferred with 4.4.1), so a dead MX is not hammered by every worker
/// slot. Replies inside a transaction (4xx/5xx) never pass through here and are never retried here: the
/// queue's schedule owns retries.
/// </summary>
public sealed class HostCircuits(IOptions<DeliveryOptions> delivery, IOptions<CircuitBreakerOptions> breaker, DeliveryMetrics metrics, ILogger<HostCircuits> logger)
{
    private readonly ResiliencePipelineRegistry<string> _registry = new();

    public ValueTask<T> ExecuteAsync<T>(RouteHost host, Func<CancellationToken, ValueTask<T>> connect, CancellationToken cancellationToken)
    {
        // Keyed by name and port: one relay host may serve several ports (SMTP, LMTP) that fail independently.
        string key = $"{host.Name.ToLowerInvariant()}:{host.Port}";
        ResiliencePipeline pipeline = _registry.GetOrAddPipeline(key, (builder, context) =>
        {
            CircuitBreakerOptions b = breaker.Value;
            builder
                .AddCircuitBreaker(new CircuitBreakerStrategyOptions
                {
                    FailureRatio = b.FailureRatio,
                    MinimumThroughput = b.MinimumThroughput,
                    SamplingDuration = b.SamplingDuration,
                    BreakDuration = b.BreakDuration,
                    // Only "the host is not there" (4.4.x) counts: a TLS policy refusal or a 4xx greeting is an answer.
                    ShouldHandle = new PredicateBuilder().Handle<HostUnavailableException>(e => e.Failure.Status.StartsWith("4.4.", StringComparison.Ordinal)).Handle<TimeoutRejectedException>(),
                    OnOpened = args =>
                    {
                        metrics.CircuitChanged(context.PipelineKey, "open");
                        DeliveryLog.CircuitOpened(logger, context.PipelineKey, args.BreakDuration);
                        return ValueTask.CompletedTask;
                    },
                    OnHalfOpened = _ =>
                    {
                        metrics.CircuitChanged(context.PipelineKey, "half-open");
                        return ValueTask.CompletedTask;
                    },
                    OnClosed = _ =>
                    {
                        metrics.CircuitChanged(context.PipelineKey, "closed");
                        DeliveryLog.CircuitClosed(logger, context.PipelineKey);
                        return ValueTask.CompletedTask;
                    },
                })
                .AddTimeout(delivery.Value.ConnectTimeout);
        });

        return pipeline.ExecuteAsync(connect, cancellationToken);
    }
}
