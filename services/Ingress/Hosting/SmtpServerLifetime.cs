using EmailPipeline.Ingress.Configuration;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Ingress.Hosting;

/// <summary>
/// Graceful shutdown: when the host stops, running sessions may go on for the drain timeout; then
/// <see cref="DrainExpired"/> fires and every session still waiting gets 421 4.3.2 and is closed.
/// </summary>
internal sealed class SmtpServerLifetime : IDisposable
{
    private readonly CancellationTokenSource _drainExpired = new();
    private readonly CancellationTokenRegistration _registration;

    public SmtpServerLifetime(IHostApplicationLifetime lifetime, IOptions<IngressOptions> options)
    {
        Stopping = lifetime.ApplicationStopping;
        TimeSpan drain = options.Value.DrainTimeout;
        _registration = lifetime.ApplicationStopping.Register(() => _drainExpired.CancelAfter(drain));
    }

    /// <summary>The host is stopping: finish the current transaction, take no new connections.</summary>
    public CancellationToken Stopping { get; }

    /// <summary>The drain time is over: close with 421.</summary>
    public CancellationToken DrainExpired => _drainExpired.Token;

    public void Dispose()
    {
        _registration.Dispose();
        _drainExpired.Dispose();
    }
}
