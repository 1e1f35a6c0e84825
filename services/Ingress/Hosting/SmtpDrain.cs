using EmailPipeline.Ingress.Configuration;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Ingress.Hosting;

/// <summary>
/// Holds the host's shutdown until the SMTP sessions are done. Registered after the bus, so it stops
/// before it: a session finishing its transaction during the drain can still publish and get its 250.
/// Sessions still open when the drain time is over get 421 (see <see cref="SmtpServerLifetime"/>).
/// </summary>
internal sealed class SmtpDrain(SessionAdmission admission, IOptions<IngressOptions> options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Drain time, then one publish that may be under way, then the 421s being written.
        TimeSpan limit = options.Value.DrainTimeout + options.Value.PublishTimeout + TimeSpan.FromSeconds(2);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(limit);
        try
        {
            while (admission.Active > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), cts.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Out of time: Kestrel closes what is left.
        }
    }
}
