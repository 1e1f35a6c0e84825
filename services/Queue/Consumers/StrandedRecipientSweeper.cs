using EmailPipeline.Queue.Configuration;
using EmailPipeline.Queue.Lifecycle;
using EmailPipeline.Queue.State;
using MassTransit;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Queue.Consumers;

/// <summary>
/// Nothing waits on an event that may never come. Every <see cref="QueueOptions.SweepInterval"/>: deletes outbox
/// rows already dispatched, sends DSN rows a crashed input left behind, and expires (with a DSN) recipients whose
/// live work is overdue past <see cref="QueueOptions.StrandedAfter"/> (see <see cref="RecipientLifecycle.IsStranded"/>).
/// It starts sweeping only after the service has been up for that bound, so backlogs that built while the Queue
/// was down drain first.
/// </summary>
internal sealed partial class StrandedRecipientSweeper(
    IQueueStore store,
    LifecycleRunner lifecycle,
    OutboxDispatcher dispatcher,
    IBus bus,
    IOptions<QueueOptions> options,
    TimeProvider time,
    ILogger<StrandedRecipientSweeper> logger) : BackgroundService
{
    private const int Batch = 200;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        QueueOptions o = options.Value;
        DateTimeOffset started = time.GetUtcNow();
        using var timer = new PeriodicTimer(o.SweepInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await store.FlushDispatchedAsync(stoppingToken).ConfigureAwait(false);
                await SendLeftDsnsAsync(stoppingToken).ConfigureAwait(false);
                if (time.GetUtcNow() - started >= o.StrandedAfter)
                {
                    await SweepAsync(stoppingToken).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // The store or the broker is away; the next tick tries again.
                SweepFailed(logger, ex.GetType().Name, ex.Message);
            }
        }
    }

    /// <summary>DSN rows need no body, so they can be sent without their input; a minute of age means that input is gone.</summary>
    private async Task SendLeftDsnsAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset before = time.GetUtcNow() - TimeSpan.FromMinutes(1);
        OutboxRow[] rows = (await store.GetOutboxAsync(null, Batch, cancellationToken).ConfigureAwait(false))
            .Where(r => r.Kind == OutboxKind.Notify && r.CreatedAt <= before).ToArray();
        if (rows.Length > 0)
        {
            await dispatcher.DispatchAsync(bus, bus, rows, null, cancellationToken).ConfigureAwait(false);
            LeftoversSent(logger, rows.Length);
        }
    }

    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        QueueOptions o = options.Value;
        DateTimeOffset now = time.GetUtcNow();
        TimeSpan longest = o.EffectiveDelaySteps[^1];
        IReadOnlyList<string> candidates = await store.FindStrandedCandidatesAsync(
            now - longest - o.StrandedAfter, now - o.MaxQueueLifetime - o.StrandedAfter, Batch, cancellationToken).ConfigureAwait(false);
        int swept = 0;
        foreach (string messageId in candidates)
        {
            LifecycleDecision decision = await lifecycle.RunAsync(bus, bus, new LifecycleInput.Swept(messageId), null, false, cancellationToken).ConfigureAwait(false);
            if (decision.Changes.Count > 0)
            {
                swept++;
                Swept(logger, messageId, decision.Changes.Count);
            }
        }

        return swept;
    }

    [LoggerMessage(2020, LogLevel.Warning, "{MessageId}: {RecipientCount} recipients had no live delivery work left; expired with a DSN")]
    private static partial void Swept(ILogger logger, string messageId, int recipientCount);

    [LoggerMessage(2021, LogLevel.Warning, "Sent {Count} DSNs left in the outbox by an interrupted input")]
    private static partial void LeftoversSent(ILogger logger, int count);

    [LoggerMessage(2022, LogLevel.Warning, "Sweep failed ({Error}: {Message}); trying again at the next interval")]
    private static partial void SweepFailed(ILogger logger, string error, string message);
}
