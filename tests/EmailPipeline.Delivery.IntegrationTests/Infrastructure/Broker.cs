using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using EmailPipeline.Contracts;
using RabbitMQ.Client;

namespace EmailPipeline.Delivery.IntegrationTests.Infrastructure;

/// <summary>
/// The real RabbitMQ node with a virtual host of our own. Requests go in as MassTransit would publish them
/// (its JSON envelope on the message-type exchange, mandatory); outcomes are read from a queue bound to the
/// DeliveryAttempted exchange, as the Queue service's endpoint will be.
/// </summary>
internal sealed class Broker : IAsyncDisposable
{
    public const string AttemptsQueue = "test-delivery-attempted";
    private static readonly string RequestedExchange = $"{typeof(DeliveryRequested).Namespace}:{nameof(DeliveryRequested)}";
    private static readonly string AttemptedExchange = $"{typeof(DeliveryAttempted).Namespace}:{nameof(DeliveryAttempted)}";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    private readonly Dictionary<string, Queue<DeliveryAttempted>> _seen = [];
    private IConnection? _connection;
    private IChannel? _channel;

    private readonly RabbitVirtualHost _vhost;

    private Broker(RabbitVirtualHost vhost) => _vhost = vhost;

    public string VirtualHost => _vhost.Name;

    public string Url => _vhost.Url;

    public static async Task<Broker> CreateAsync(string prefix)
    {
        var broker = new Broker(await RabbitVirtualHost.CreateAsync(prefix));
        var factory = new ConnectionFactory { Uri = new Uri(broker.Url) };
        broker._connection = await factory.CreateConnectionAsync();
        broker._channel = await broker._connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        await broker._channel.ExchangeDeclareAsync(AttemptedExchange, ExchangeType.Fanout, durable: true, autoDelete: false);
        await broker._channel.QueueDeclareAsync(AttemptsQueue, durable: true, exclusive: false, autoDelete: false);
        await broker._channel.QueueBindAsync(AttemptsQueue, AttemptedExchange, "");
        return broker;
    }

    public async Task PublishAsync(DeliveryRequested request)
    {
        var envelope = new
        {
            messageId = Guid.NewGuid(),
            messageType = new[] { $"urn:message:{RequestedExchange}" },
            sentTime = DateTime.UtcNow,
            message = request,
        };
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(envelope, Json);
        var props = new BasicProperties { ContentType = "application/vnd.masstransit+json", Persistent = true };
        await _channel!.BasicPublishAsync(RequestedExchange, "", mandatory: true, props, body);
    }

    /// <summary>Waits for the DeliveryAttempted of <paramref name="messageId"/>.</summary>
    public async Task<DeliveryAttempted> AttemptedAsync(string messageId, TimeSpan? wait = null)
    {
        var deadline = DateTime.UtcNow + (wait ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            if (_seen.TryGetValue(messageId, out Queue<DeliveryAttempted>? waiting) && waiting.TryDequeue(out DeliveryAttempted? found))
            {
                return found;
            }

            BasicGetResult? got = await _channel!.BasicGetAsync(AttemptsQueue, autoAck: true);
            if (got is not null)
            {
                using var doc = JsonDocument.Parse(got.Body);
                DeliveryAttempted attempted = doc.RootElement.GetProperty("message").Deserialize<DeliveryAttempted>(Json)!;
                // One message may have several outcomes (a redelivered request is answered again): kept in order.
                if (!_seen.TryGetValue(attempted.MessageId, out Queue<DeliveryAttempted>? queue))
                {
                    _seen[attempted.MessageId] = queue = new Queue<DeliveryAttempted>();
                }

                queue.Enqueue(attempted);
                continue;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"No DeliveryAttempted for {messageId}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>A queue's ready and unacknowledged messages and its consumers, as the broker sees them now.</summary>
    public async Task<(long Ready, long Unacked, long Consumers)> QueueStateAsync(string queue)
    {
        string listing = await RabbitVirtualHost.Rabbitmqctl("list_queues", "-p", VirtualHost, "name", "messages_ready", "messages_unacknowledged", "consumers");
        foreach (string line in listing.Split('\n'))
        {
            string[] parts = line.Trim().Split('\t');
            if (parts.Length == 4 && parts[0] == queue)
            {
                return (long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), long.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture), long.Parse(parts[3], System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        throw new InvalidOperationException($"no queue {queue} in {VirtualHost}:\n{listing}");
    }

    public async ValueTask DisposeAsync()
    {
        if (_channel is not null)
        {
            await _channel.DisposeAsync();
        }

        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        await _vhost.DisposeAsync();
    }

    public static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}
