using System.Text.Json;
using EmailPipeline.Contracts;
using EmailPipeline.Queue.Lifecycle;
using EmailPipeline.Queue.State;
using EmailPipeline.Queue.Telemetry;
using EmailPipeline.ServiceDefaults;
using MassTransit;

namespace EmailPipeline.Queue.Consumers;

/// <summary>
/// Sends committed outbox rows: every publish and send mandatory and confirmed, each with the row's id as its
/// message id. A row comes back unroutable when someone deleted its queue: the topology is declared again, the
/// operator is told (log and metric), and the exception makes the input retry — nothing is acknowledged unsent.
/// </summary>
internal sealed class OutboxDispatcher(IQueueStore store, DeclaredQueues topology, QueueMetrics metrics, ILogger<OutboxDispatcher> logger)
{
    public async Task DispatchAsync(IPublishEndpoint publish, ISendEndpointProvider send, IReadOnlyList<OutboxRow> rows, byte[]? content, CancellationToken cancellationToken)
    {
        var sent = new List<string>(rows.Count);
        try
        {
            foreach (OutboxRow row in rows)
            {
                if (row.NeedsContent && content is null)
                {
                    continue; // another input of this message, carrying the body, dispatches it
                }

                Guid id = Guid.ParseExact(row.Id, "N");
                switch (row.Kind)
                {
                    case OutboxKind.Deliver:
                        DeliveryRequested request = Read<DeliveryRequested>(row) with { Content = content! };
                        if (PipelineQueues.DeliveryQueueFor(request.Content.Length) == PipelineQueues.DeliveryLarge)
                        {
                            ISendEndpoint large = await send.GetSendEndpoint(new Uri($"exchange:{PipelineQueues.DeliveryLarge}")).ConfigureAwait(false);
                            await large.Send(request, c => Mandatory(c, id), cancellationToken).ConfigureAwait(false);
                        }
                        else
                        {
                            await publish.Publish(request, c => Mandatory(c, id), cancellationToken).ConfigureAwait(false);
                        }

                        break;
                    case OutboxKind.Delay:
                        DeliveryRetryDue retry = Read<DeliveryRetryDue>(row);
                        retry = retry with { Request = retry.Request with { Content = content! } };
                        ISendEndpoint endpoint = await send.GetSendEndpoint(new Uri($"exchange:{row.Address}")).ConfigureAwait(false);
                        await endpoint.Send(retry, c => Mandatory(c, id), cancellationToken).ConfigureAwait(false);
                        break;
                    case OutboxKind.Notify:
                        await publish.Publish(Read<MessageAccepted>(row), c => Mandatory(c, id), cancellationToken).ConfigureAwait(false);
                        break;
                }

                sent.Add(row.Id);
            }
        }
        catch (MessageReturnedException ex)
        {
            metrics.Unroutable();
            QueueLog.Unroutable(logger, rows.Count > 0 ? rows[0].MessageId : "", ex.Message);
            await topology.RedeclareAsync(cancellationToken).ConfigureAwait(false);
            throw;
        }
        finally
        {
            store.MarkDispatched(sent);
        }
    }

    private static T Read<T>(OutboxRow row) =>
        JsonSerializer.Deserialize<T>(row.Payload, OutboxComposer.Json) ?? throw new InvalidDataException($"outbox row {row.Id} holds no {typeof(T).Name}");

    private static void Mandatory(SendContext context, Guid id)
    {
        context.MessageId = id;
        if (context is PublishContext published)
        {
            published.Mandatory = true;
        }

        if (context.TryGetPayload(out RabbitMqSendContext? rabbit))
        {
            rabbit.Mandatory = true;
        }
    }
}
