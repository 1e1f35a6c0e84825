using EmailPipeline.Policy.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Policy.Dmarc;

/// <summary>Reads the Public Suffix List when the service starts, so the first message does not pay for it and a
/// missing file stops the start instead of a check.</summary>
public sealed class PublicSuffixListLoader(PublicSuffixList list, IOptions<DmarcOptions> options, ILogger<PublicSuffixListLoader> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        PolicyLog.SuffixListLoaded(logger, list.RuleCount, options.Value.PublicSuffixListPath);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
