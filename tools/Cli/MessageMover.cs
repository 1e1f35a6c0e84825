using RabbitMQ.Client;

namespace EmailPipeline.Cli;

/// <summary>
/// Moves messages from one queue to another without a window for loss: basic.get (unacked), publish a copy to the
/// default exchange with mandatory and a publisher confirm, and only then ack the original. A crash in between
/// leaves a duplicate, never a gap, which the pipeline's idempotent consumers absorb.
/// </summary>
public static class MessageMover
{
    public static async Task<int> MoveAsync(
        IChannel channel, string from, string to, int max, Func<IDictionary<string, object?>?, IDictionary<string, object?>?> headers, CancellationToken cancellationToken)
    {
        int moved = 0;
        while (moved < max)
        {
            BasicGetResult? got = await channel.BasicGetAsync(from, autoAck: false, cancellationToken).ConfigureAwait(false);
            if (got is null)
            {
                break;
            }

            var properties = new BasicProperties(got.BasicProperties) { Headers = headers(got.BasicProperties.Headers) };

            // With confirmation tracking on, this waits for the broker's confirm and throws on a nack or a return
            // (mandatory: the target queue is gone), so the ack below only follows a routed, confirmed copy.
            await channel.BasicPublishAsync(exchange: "", routingKey: to, mandatory: true, basicProperties: properties, body: got.Body.ToArray(), cancellationToken).ConfigureAwait(false);
            await channel.BasicAckAsync(got.DeliveryTag, multiple: false, cancellationToken).ConfigureAwait(false);
            moved++;
        }

        return moved;
    }
}
