using RabbitMQ.Client;
using System.Diagnostics;
using System.Globalization;

namespace EmailPipeline.Durability.Tests;

/// <summary>Settings and checks the durability tests share.</summary>
internal static class Harness
{
    public static string S(int n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>Retries after 2 s, 1 s delay steps: a deferred recipient comes back quickly.</summary>
    public static Dictionary<string, string> ShortRetries() => new()
    {
        ["Queue__RetrySchedule__0"] = "00:00:02",
        ["Queue__DelaySteps__0"] = "00:00:01",
        ["Queue__DelaySteps__1"] = "00:00:05",
    };

    /// <summary>sink.test (and peer.test) relayed by SMTP to 127.0.0.1:port.</summary>
    public static Dictionary<string, string> RouteTo(int port, string domain = "sink.test", int index = 1) => new()
    {
        [$"Delivery__Transports__{S(index)}__Match"] = domain,
        [$"Delivery__Transports__{S(index)}__Kind"] = "Smtp",
        [$"Delivery__Transports__{S(index)}__Host"] = "127.0.0.1",
        [$"Delivery__Transports__{S(index)}__Port"] = S(port),
    };

    public static Dictionary<string, string> With(this Dictionary<string, string> a, IDictionary<string, string> b)
    {
        foreach (var (k, v) in b)
        {
            a[k] = v;
        }

        return a;
    }

    /// <summary>Runs smtp-source in the background; the task ends with its result.</summary>
    public static Task<ExternalTool.Result> SmtpSource(int port, int sessions, int messages, int size, string recipient = "r@sink.test") =>
        ExternalTool.RunAsync("smtp-source", ["-s", S(sessions), "-m", S(messages), "-l", S(size), "-f", "s@remote.test", "-t", recipient, $"127.0.0.1:{S(port)}"],
            timeout: TimeSpan.FromSeconds(180));

    public static async Task<bool> WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, TimeSpan? poll = null)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(poll ?? TimeSpan.FromMilliseconds(250));
        }

        return await condition();
    }

    public sealed record Ledger(int Messages, int Recipients, int Delivered, int Bounced, int Other, List<string> Open);

    /// <summary>
    /// Waits until the Queue's store (read with the operator CLI) knows every accepted message and every
    /// recipient of it is final; returns the tally. <paramref name="acceptedIds"/> null: any <paramref name="acceptedCount"/> messages.
    /// </summary>
    public static async Task<Ledger> WaitAllFinalAsync(Pipeline pipeline, ISet<string>? acceptedIds, int acceptedCount, TimeSpan timeout)
    {
        Ledger ledger = new(0, 0, 0, 0, 0, []);
        var sw = Stopwatch.StartNew();
        while (true)
        {
            var rows = await OperatorCli.RecipientsAsync(pipeline);
            var relevant = acceptedIds is null ? rows : rows.Where(r => acceptedIds.Contains(r.MessageId)).ToList();
            int messages = relevant.Select(r => r.MessageId).Distinct().Count();
            var open = relevant.Where(r => r.State is not ("Delivered" or "Bounced" or "Expired" or "Deleted")).Select(r => $"{r.MessageId} {r.Recipient} {r.State}").ToList();
            if (acceptedIds is not null)
            {
                var known = relevant.Select(r => r.MessageId).ToHashSet(StringComparer.Ordinal);
                open.AddRange(acceptedIds.Where(id => !known.Contains(id)).Select(id => $"{id} (not in the store)"));
            }

            ledger = new Ledger(messages, relevant.Count, relevant.Count(r => r.State == "Delivered"), relevant.Count(r => r.State == "Bounced"),
                relevant.Count(r => r.State is "Expired" or "Deleted"), open);
            if ((open.Count == 0 && messages >= acceptedCount) || sw.Elapsed > timeout)
            {
                return ledger;
            }

            await Task.Delay(1000);
        }
    }

    /// <summary>Ready messages in a queue over AMQP (a passive declare), not rabbitmqctl's lagging statistic; -1 if missing.</summary>
    public static async Task<long> ReadyCountAsync(Pipeline pipeline, string queue)
    {
        var factory = new ConnectionFactory { Uri = new Uri(pipeline.Broker.Url) };
        await using IConnection connection = await factory.CreateConnectionAsync();
        await using IChannel channel = await connection.CreateChannelAsync();
        try
        {
            QueueDeclareOk ok = await channel.QueueDeclarePassiveAsync(queue);
            return ok.MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return -1;
        }
    }

    /// <summary>The pipeline's MassTransit error queues (dead letters) and their message counts (-1: not declared).</summary>
    public static async Task<string> ErrorQueuesAsync(Pipeline pipeline)
    {
        var parts = new List<string>();
        foreach (string q in new[] { "queue-message-accepted_error", "queue-delivery-attempted_error", "queue-retry-due_error", "delivery-requested_error", "delivery-requested-large_error" })
        {
            parts.Add($"{q}={await ReadyCountAsync(pipeline, q)}");
        }

        return string.Join(", ", parts);
    }

    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    /// <summary>A message in MassTransit's JSON envelope, as a publisher of <typeparamref name="T"/> would send it.</summary>
    public static System.Text.Json.Nodes.JsonObject Envelope<T>(T message) => new()
    {
        ["messageId"] = Guid.NewGuid().ToString(),
        ["messageType"] = new System.Text.Json.Nodes.JsonArray($"urn:message:EmailPipeline.Contracts:{typeof(T).Name}"),
        ["message"] = System.Text.Json.JsonSerializer.SerializeToNode(message, Json),
        ["sentTime"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        ["headers"] = new System.Text.Json.Nodes.JsonObject(),
    };

    /// <summary>Publishes an envelope straight into a queue (default exchange), confirmed.</summary>
    public static async Task PublishAsync(Pipeline pipeline, string queue, System.Text.Json.Nodes.JsonObject envelope)
    {
        var factory = new ConnectionFactory { Uri = new Uri(pipeline.Broker.Url) };
        await using IConnection connection = await factory.CreateConnectionAsync();
        await using IChannel channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var props = new BasicProperties { ContentType = "application/vnd.masstransit+json", DeliveryMode = DeliveryModes.Persistent, MessageId = envelope["messageId"]!.GetValue<string>() };
        await channel.BasicPublishAsync("", queue, mandatory: true, props, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(envelope));
    }
}
