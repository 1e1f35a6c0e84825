using System.Text;
using EmailPipeline.Queue.Tests.Infrastructure;
using EmailPipeline.ServiceDefaults;
using RabbitMQ.Client;

namespace EmailPipeline.Queue.Tests.Broker;

/// <summary>A message the broker handed out <see cref="PipelineTopology.DeliveryLimit"/> times without an
/// acknowledgement (a consumer that keeps dying on it) is dead-lettered into the queue's error queue, never
/// dropped, on the real broker with the arguments every service declares.</summary>
public sealed class DeliveryLimitTests(TestVirtualHost vhost) : IClassFixture<TestVirtualHost>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_message_returned_past_the_delivery_limit_lands_in_the_error_queue()
    {
        string queue = "limit-" + Guid.NewGuid().ToString("N")[..8];
        await using IConnection connection = await new ConnectionFactory { Uri = new Uri(vhost.Url) }.CreateConnectionAsync(Ct);
        await using IChannel channel = await connection.CreateChannelAsync(cancellationToken: Ct);
        await PipelineTopology.DeclareConsumerQueueAsync(channel, queue, "limit-type-" + queue, Ct);
        await channel.BasicPublishAsync("", queue, mandatory: true, new BasicProperties { Persistent = true, MessageId = "poison" }, "poison"u8.ToArray(), Ct);

        int handedOut = 0;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(60));
        while (handedOut <= PipelineTopology.DeliveryLimit + 5)
        {
            BasicGetResult? got = await channel.BasicGetAsync(queue, autoAck: false, deadline.Token);
            if (got is null)
            {
                if ((await channel.QueueDeclarePassiveAsync(PipelineTopology.ErrorQueueOf(queue), deadline.Token)).MessageCount > 0)
                {
                    break;
                }

                await Task.Delay(20, deadline.Token); // the requeue is applied a moment after the nack
                continue;
            }

            handedOut++;
            await channel.BasicNackAsync(got.DeliveryTag, multiple: false, requeue: true, deadline.Token);
        }

        Assert.InRange(handedOut, PipelineTopology.DeliveryLimit, PipelineTopology.DeliveryLimit + 1);
        BasicGetResult? dead = null;
        while (dead is null)
        {
            dead = await channel.BasicGetAsync(PipelineTopology.ErrorQueueOf(queue), autoAck: true, deadline.Token);
            if (dead is null)
            {
                await Task.Delay(20, deadline.Token);
            }
        }

        Assert.Equal("poison", dead.BasicProperties.MessageId);
        Assert.Equal("poison", Encoding.ASCII.GetString(dead.Body.Span));
        Assert.Equal("delivery_limit", Encoding.ASCII.GetString((byte[])dead.BasicProperties.Headers!["x-first-death-reason"]!));
        Assert.Equal(0u, (await channel.QueueDeclarePassiveAsync(queue, deadline.Token)).MessageCount);
    }
}
