using MassTransit;

namespace EmailPipeline.Queue.Consumers;

internal static class LifecycleRetry
{
    /// <summary>
    /// Seconds-scale retries for a busy database or a broker hiccup, then the _error queue (see the CLI's
    /// deadletters). A retry is safe: the decision is applied at most once, and its rows are dispatched again.
    /// </summary>
    public static void UseLifecycleRetry(this IReceiveEndpointConfigurator endpoint) =>
        endpoint.UseMessageRetry(r =>
        {
            r.Ignore<MalformedInputException>();
            r.Exponential(5, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(500));
        });
}
