using System.Globalization;
using EmailPipeline.Queue.Configuration;
using EmailPipeline.Queue.State;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace EmailPipeline.Cli;

/// <summary>
/// <c>deadletters purge &lt;queue&gt; [--count N] [--no-dsn] [--dry-run]</c>. A dead letter may be the only copy of
/// accepted mail, so purging bounces it (<see cref="OperatorBounce"/>) unless the operator says <c>--no-dsn</c>.
/// One message at a time: basic.get (unacked), publish what its bounce needs to the message-type exchange with
/// mandatory and a publisher confirm, and only then ack it. A crash in between leaves the letter in the queue and at
/// worst repeats an outcome, which the Queue takes for a duplicate. A letter that cannot be read is held unacked and
/// put back at the end (nack with requeue: it is not counted as a failed delivery), so one run sees it once. At most
/// <c>--count</c> messages, and never more than were waiting when the run began.
/// </summary>
public static class DeadLetterPurge
{
    public static async Task<int> RunAsync(
        Broker broker, string queue, int count, bool noDsn, bool dryRun, string? store, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(broker);
        ArgumentNullException.ThrowIfNull(output);
        uint waiting = await broker.MessageCountAsync(queue, cancellationToken).ConfigureAwait(false)
            ?? throw CliException.NotFound($"queue '{queue}' does not exist in vhost '{broker.VirtualHost}'");
        long bound = Math.Min(waiting, count);
        var context = new PurgeContext(queue, DateTimeOffset.UtcNow, ReportingMta(), new QueueOptions().MaxReturnedSize);
        await using var records = new LazyStore(store);
        var knownExchanges = new HashSet<string>(StringComparer.Ordinal);
        var putBack = new List<ulong>();
        int taken = 0, bounced = 0, removed = 0, left = 0;
        await using IChannel channel = await broker.ChannelAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (taken < bound && await channel.BasicGetAsync(queue, autoAck: false, cancellationToken).ConfigureAwait(false) is { } got)
            {
                taken++;
                DeadLetter letter = DeadLetter.Read(got.Body.Span, got.BasicProperties.MessageId);
                PurgeAction action;
                try
                {
                    action = noDsn
                        ? PurgeAction.Remove("--no-dsn")
                        : await OperatorBounce.PlanAsync(letter, context, records.GetAsync, cancellationToken).ConfigureAwait(false);
                    foreach (Publication publication in action.Publications)
                    {
                        await RequireExchangeAsync(broker, knownExchanges, publication.Exchange, queue, cancellationToken).ConfigureAwait(false);
                        if (!dryRun)
                        {
                            await PublishAsync(channel, publication, letter, queue, cancellationToken).ConfigureAwait(false);
                        }
                    }
                }
                catch
                {
                    putBack.Add(got.DeliveryTag);
                    throw;
                }

                if (dryRun || action.Verdict == PurgeVerdict.Left)
                {
                    putBack.Add(got.DeliveryTag);
                }
                else
                {
                    await channel.BasicAckAsync(got.DeliveryTag, multiple: false, cancellationToken).ConfigureAwait(false);
                }

                switch (action.Verdict)
                {
                    case PurgeVerdict.Bounced: bounced++; break;
                    case PurgeVerdict.Removed: removed++; break;
                    default: left++; break;
                }

                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"#{taken} {letter.MessageId ?? "-"} {letter.TypeName}: {(dryRun ? "would be " : "")}{Verb(action.Verdict)}: {action.Description}"));
            }
        }
        finally
        {
            // Put back what stays; on a closed channel the broker has put back every unacked message already.
            if (channel.IsOpen)
            {
                foreach (ulong tag in putBack)
                {
                    await channel.BasicNackAsync(tag, multiple: false, requeue: true, CancellationToken.None).ConfigureAwait(false);
                }
            }
        }

        var c = CultureInfo.InvariantCulture;
        output.WriteLine(dryRun
            ? string.Create(c, $"{queue}: dry run, nothing changed: {bounced} would be bounced, {removed} removed without DSN, {left} left in place")
            : string.Create(c, $"{queue}: {bounced} bounced (DSN as NOTIFY asks), {removed} removed without DSN, {left} left in place"));
        if (taken >= bound && waiting > bound)
        {
            output.WriteLine(string.Create(c, $"stopped at --count {count}: {waiting - bound} more were waiting; run purge again for the rest"));
        }

        if (left > 0)
        {
            output.WriteLine($"a letter left in place cannot be bounced: inspect it with 'deadletters show {queue}'; 'deadletters purge {queue} --no-dsn' removes it without a DSN");
        }

        return ExitCodes.Ok;
    }

    private static string Verb(PurgeVerdict verdict) => verdict switch
    {
        PurgeVerdict.Bounced => "bounced",
        PurgeVerdict.Removed => "removed without DSN",
        _ => "left in place",
    };

    /// <summary>A publish to an exchange that does not exist closes the channel (404): ask first, once per exchange.</summary>
    private static async Task RequireExchangeAsync(Broker broker, HashSet<string> known, string exchange, string queue, CancellationToken cancellationToken)
    {
        if (known.Contains(exchange))
        {
            return;
        }

        if (!await broker.ExchangeExistsAsync(exchange, cancellationToken).ConfigureAwait(false))
        {
            throw CliException.Unavailable(
                $"exchange '{exchange}' does not exist in vhost '{broker.VirtualHost}' (has the Queue service run here?); the rest of {queue} is left as it is");
        }

        known.Add(exchange);
    }

    private static async Task PublishAsync(IChannel channel, Publication publication, DeadLetter letter, string queue, CancellationToken cancellationToken)
    {
        var properties = new BasicProperties
        {
            ContentType = MassTransitEnvelope.ContentType,
            DeliveryMode = DeliveryModes.Persistent,
            MessageId = publication.MessageId,
        };
        try
        {
            // With confirmation tracking on, this returns after the broker's confirm, and throws on a nack or, as the
            // publish is mandatory, when no queue took the message.
            await channel.BasicPublishAsync(publication.Exchange, routingKey: "", mandatory: true, properties, publication.Body, cancellationToken).ConfigureAwait(false);
        }
        catch (PublishException e)
        {
            string why = e.IsReturn ? $"returned unroutable (no queue is bound to {publication.Exchange})" : "refused by the broker";
            throw CliException.Unavailable($"the {publication.TypeName} for {letter.MessageId ?? "a dead letter"} was {why}; that letter and the rest of {queue} are left as they are");
        }
    }

    /// <summary>The name a DSN built here reports, as the Queue's: Queue__HostName when the command runs beside the
    /// service (the image sets it), else this host's name.</summary>
    private static string ReportingMta() =>
        Environment.GetEnvironmentVariable("Queue__HostName") is { Length: > 0 } name ? name : System.Net.Dns.GetHostName();

    /// <summary>The queue store, opened only when a letter needs it (a MessageAccepted: did the Queue record it?).</summary>
    private sealed class LazyStore(string? location) : IAsyncDisposable
    {
        private SqlQueueStore? _store;

        public async Task<MessageRecord?> GetAsync(string messageId, CancellationToken cancellationToken)
        {
            if (_store is null)
            {
                try
                {
                    _store = await StoreLocation.OpenAsync(location, cancellationToken).ConfigureAwait(false);
                }
                catch (CliException e)
                {
                    throw new CliException(e.ExitCode,
                        $"{e.Message}; purge needs the queue store to tell whether the Queue recorded {messageId} (give --store, or remove without DSN with --no-dsn)");
                }
            }

            return await _store.GetAsync(messageId, cancellationToken).ConfigureAwait(false);
        }

        public async ValueTask DisposeAsync()
        {
            if (_store is not null)
            {
                await _store.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
