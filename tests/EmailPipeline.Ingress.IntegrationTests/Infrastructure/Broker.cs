using System.Text.Json;
using RabbitMQ.Client;

namespace EmailPipeline.Ingress.IntegrationTests.Infrastructure;

/// <summary>
/// The real RabbitMQ node that ./test.sh started. Each fixture gets a virtual host of its own so tests
/// never see each other's messages; <see cref="Rabbitmqctl"/> stops and starts the node for outage tests.
/// </summary>
internal sealed class Broker : IAsyncDisposable
{
    private readonly RabbitVirtualHost _vhost;

    private Broker(RabbitVirtualHost vhost) => _vhost = vhost;

    public string VirtualHost => _vhost.Name;

    public string Url => _vhost.Url;

    public static async Task<Broker> CreateVirtualHostAsync(string prefix) => new(await RabbitVirtualHost.CreateAsync(prefix));

    public static Task<string> Rabbitmqctl(params string[] args) => RabbitVirtualHost.Rabbitmqctl(args);

    /// <summary>Takes every message now in <paramref name="queue"/> (waiting up to <paramref name="wait"/> for
    /// at least <paramref name="atLeast"/>), acknowledging them so the next test starts empty.</summary>
    public async Task<List<QueuedMessage>> DrainAsync(string queue, int atLeast, TimeSpan wait)
    {
        var factory = new ConnectionFactory { Uri = new Uri(Url) };
        await using IConnection connection = await factory.CreateConnectionAsync();
        await using IChannel channel = await connection.CreateChannelAsync();
        var result = new List<QueuedMessage>();
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            BasicGetResult? got = await channel.BasicGetAsync(queue, autoAck: true);
            if (got is not null)
            {
                result.Add(QueuedMessage.Parse(got.Body.ToArray()));
                continue;
            }

            if (result.Count >= atLeast || DateTime.UtcNow > deadline)
            {
                return result;
            }

            await Task.Delay(100);
        }
    }

    public ValueTask DisposeAsync() => _vhost.DisposeAsync();
}

/// <summary>A MessageAccepted as it sits in the broker (MassTransit's JSON envelope).</summary>
internal sealed record QueuedMessage(string QueueId, string Sender, string[] Recipients, byte[] Content, JsonElement Message)
{
    public static QueuedMessage Parse(byte[] body)
    {
        using var doc = JsonDocument.Parse(body);
        JsonElement message = doc.RootElement.GetProperty("message").Clone();
        JsonElement envelope = message.GetProperty("envelope");
        return new QueuedMessage(
            message.GetProperty("messageId").GetString()!,
            envelope.GetProperty("sender").GetString()!,
            envelope.GetProperty("recipients").EnumerateArray().Select(r => r.GetProperty("address").GetString()!).ToArray(),
            message.GetProperty("content").GetBytesFromBase64(),
            message);
    }

    /// <summary>The content with our one Received: header taken off the top, and that header.</summary>
    public (string Received, byte[] Body) SplitReceived()
    {
        string text = System.Text.Encoding.Latin1.GetString(Content);
        Assert.StartsWith("Received: ", text, StringComparison.Ordinal);
        int end = 0;
        while (true)
        {
            int crlf = text.IndexOf("\r\n", end, StringComparison.Ordinal);
            Assert.True(crlf > 0, "Received: header not terminated by CRLF");
            end = crlf + 2;
            if (end >= text.Length || (text[end] != '\t' && text[end] != ' '))
            {
                break;
            }
        }

        return (text[..end], Content[end..]);
    }
}
