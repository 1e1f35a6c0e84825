using System.Globalization;
using System.Text;
using System.Text.Json;
using RabbitMQ.Client;

namespace EmailPipeline.Cli;

/// <summary>
/// <c>emailpipeline deadletters …</c>: MassTransit's <c>*_error</c> queues, where a message lands after its consumer
/// failed every retry. Inspect, then replay to the queue it came from once the cause is fixed, or purge: a purge
/// bounces what it removes, with a DSN, unless the operator says --no-dsn (<see cref="DeadLetterPurge"/>).
/// </summary>
public static class DeadLetterCommands
{
    /// <summary>Used when neither --queue nor rabbitmqctl names the queues: the pipeline's own consumers.</summary>
    public static readonly string[] KnownErrorQueues =
    [
        "queue-message-accepted_error", "queue-delivery-attempted_error", "queue-retry-due_error", "delivery-requested_error",
        "delivery-requested-large_error",
    ];

    private const string ErrorSuffix = "_error";

    /// <summary>How many messages one replay or purge takes at most unless --count says otherwise.</summary>
    public const int DefaultCount = 1000;

    public static async Task<int> RunAsync(string verb, IReadOnlyList<string> args, TextWriter output, CancellationToken cancellationToken)
    {
        return verb switch
        {
            "list" => await ListAsync(CommandLine.Parse("deadletters list", args, ["queue"], ["json"]), output, cancellationToken).ConfigureAwait(false),
            "show" => await ShowAsync(CommandLine.Parse("deadletters show", args, ["count"], []), output, cancellationToken).ConfigureAwait(false),
            "replay" => await ReplayAsync(CommandLine.Parse("deadletters replay", args, ["count"], []), output, cancellationToken).ConfigureAwait(false),
            "purge" => await PurgeAsync(CommandLine.Parse("deadletters purge", args, ["count"], ["no-dsn", "dry-run"]), output, cancellationToken).ConfigureAwait(false),
            _ => throw CliException.Usage($"unknown command 'deadletters {verb}' (try: list, show, replay, purge)"),
        };
    }

    private static async Task<int> ListAsync(CommandLine line, TextWriter output, CancellationToken cancellationToken)
    {
        line.Expect(0, "deadletters list [--queue NAME]… [--json]");
        await using Broker broker = await Broker.ConnectAsync(line.Value("rabbitmq"), cancellationToken).ConfigureAwait(false);
        IReadOnlyList<string> names = line.Values("queue").Count > 0
            ? line.Values("queue")
            : (await broker.ListQueueNamesAsync(cancellationToken).ConfigureAwait(false))?.Where(n => n.EndsWith(ErrorSuffix, StringComparison.Ordinal)).ToArray()
                ?? KnownErrorQueues;

        var rows = new List<(string Queue, uint? Messages)>();
        foreach (string name in names)
        {
            rows.Add((name, await broker.MessageCountAsync(name, cancellationToken).ConfigureAwait(false)));
        }

        if (line.Flag("json"))
        {
            output.WriteLine(JsonSerializer.Serialize(rows.Select(r => new { queue = r.Queue, messages = r.Messages, exists = r.Messages is not null }), QueueOutput.Json));
        }
        else if (rows.Count == 0)
        {
            output.WriteLine("no dead-letter queues");
        }
        else
        {
            int width = Math.Max(5, rows.Max(r => r.Queue.Length));
            output.WriteLine($"{"queue".PadRight(width)}  messages");
            foreach ((string queue, uint? messages) in rows)
            {
                output.WriteLine($"{queue.PadRight(width)}  {Broker.Count(messages)}");
            }
        }

        return ExitCodes.Ok;
    }

    private static async Task<int> ShowAsync(CommandLine line, TextWriter output, CancellationToken cancellationToken)
    {
        line.Expect(1, "deadletters show <queue> [--count N]");
        string queue = ErrorQueue(line.Positionals[0]);
        int count = line.Int("count", 10);
        await using Broker broker = await Broker.ConnectAsync(line.Value("rabbitmq"), cancellationToken).ConfigureAwait(false);
        await broker.RequireQueueAsync(queue, cancellationToken).ConfigureAwait(false);
        await using IChannel channel = await broker.ChannelAsync(cancellationToken).ConfigureAwait(false);

        // Hold every peeked message unacked until the end: a message nacked at once would be handed out again by
        // the next basic.get, and the operator would see the first message N times.
        ulong lastTag = 0;
        int shown = 0;
        try
        {
            while (shown < count && await channel.BasicGetAsync(queue, autoAck: false, cancellationToken).ConfigureAwait(false) is { } got)
            {
                lastTag = got.DeliveryTag;
                shown++;
                WriteDeadLetter(output, shown, got);
            }
        }
        finally
        {
            if (lastTag != 0)
            {
                await channel.BasicNackAsync(lastTag, multiple: true, requeue: true, CancellationToken.None).ConfigureAwait(false);
            }
        }

        output.WriteLine(shown == 0 ? $"{queue} is empty" : string.Create(CultureInfo.InvariantCulture, $"-- {shown} message(s) shown, all left in {queue}"));
        return ExitCodes.Ok;
    }

    /// <summary>
    /// Moves messages back to the queue they failed in. Bounded twice: at most --count (default 1000), and never more
    /// than were waiting when the run began, so a message that fails again at once and returns to this queue is not
    /// replayed a second time by the same run (nothing loops forever).
    /// </summary>
    private static async Task<int> ReplayAsync(CommandLine line, TextWriter output, CancellationToken cancellationToken)
    {
        line.Expect(1, "deadletters replay <queue> [--count N]");
        string queue = ErrorQueue(line.Positionals[0]);
        string target = queue[..^ErrorSuffix.Length];
        int count = line.Int("count", DefaultCount);
        await using Broker broker = await Broker.ConnectAsync(line.Value("rabbitmq"), cancellationToken).ConfigureAwait(false);
        uint waiting = await broker.MessageCountAsync(queue, cancellationToken).ConfigureAwait(false)
            ?? throw CliException.NotFound($"queue '{queue}' does not exist in vhost '{broker.VirtualHost}'");
        await broker.RequireQueueAsync(target, cancellationToken).ConfigureAwait(false);
        int bound = (int)Math.Min(waiting, (uint)count);
        await using IChannel channel = await broker.ChannelAsync(cancellationToken).ConfigureAwait(false);
        int moved = await MessageMover.MoveAsync(channel, queue, target, bound, WithoutFault, cancellationToken).ConfigureAwait(false);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"replayed {moved} message(s) from {queue} to {target}"));
        if (waiting > bound)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"stopped at --count {count}: {waiting - bound} more were waiting; run replay again for the rest"));
        }

        return ExitCodes.Ok;
    }

    private static async Task<int> PurgeAsync(CommandLine line, TextWriter output, CancellationToken cancellationToken)
    {
        line.Expect(1, "deadletters purge <queue> [--count N] [--no-dsn] [--dry-run]");
        string queue = ErrorQueue(line.Positionals[0]);
        int count = line.Int("count", DefaultCount);
        await using Broker broker = await Broker.ConnectAsync(line.Value("rabbitmq"), cancellationToken).ConfigureAwait(false);
        return await DeadLetterPurge.RunAsync(broker, queue, count, line.Flag("no-dsn"), line.Flag("dry-run"), line.Value("store"), output, cancellationToken).ConfigureAwait(false);
    }

    // Only *_error queues: replaying or purging a work queue by a slip of the keyboard would lose or loop mail.
    private static string ErrorQueue(string name) =>
        name.EndsWith(ErrorSuffix, StringComparison.Ordinal) && name.Length > ErrorSuffix.Length
            ? name
            : throw CliException.Usage($"'{name}' is not a dead-letter queue (its name must end in {ErrorSuffix})");

    // The fault headers describe the last failure; a replayed message that fails again gets fresh ones.
    private static IDictionary<string, object?>? WithoutFault(IDictionary<string, object?>? headers) =>
        headers?.Where(h => !h.Key.StartsWith("MT-Fault-", StringComparison.Ordinal) && h.Key != "MT-Reason")
            .ToDictionary(h => h.Key, h => h.Value, StringComparer.Ordinal);

    private static void WriteDeadLetter(TextWriter output, int n, BasicGetResult got)
    {
        IReadOnlyBasicProperties p = got.BasicProperties;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"#{n} message id: {p.MessageId ?? "-"}"));
        output.WriteLine($"   type:       {MessageType(p, got.Body.Span)}");
        foreach (string name in new[] { "MT-Reason", "MT-Fault-ExceptionType", "MT-Fault-Message", "MT-Fault-Timestamp", "MT-Fault-ConsumerType", "MT-Fault-InputAddress", "x-first-death-reason", "x-first-death-queue" })
        {
            if (p.Headers?.TryGetValue(name, out object? value) == true)
            {
                output.WriteLine($"   {name + ":",-24}{Text(value)}");
            }
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   size:       {got.Body.Length} bytes{(got.Redelivered ? ", redelivered" : "")}"));
    }

    // MassTransit puts the type in its JSON envelope ("messageType": ["urn:message:…"]); raw publishers set the
    // AMQP type property.
    private static string MessageType(IReadOnlyBasicProperties p, ReadOnlySpan<byte> body)
    {
        if (!string.IsNullOrEmpty(p.Type))
        {
            return p.Type;
        }

        try
        {
            var reader = new Utf8JsonReader(body);
            using JsonDocument doc = JsonDocument.ParseValue(ref reader);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("messageType", out JsonElement types))
            {
                return types.ValueKind == JsonValueKind.Array ? string.Join(", ", types.EnumerateArray().Select(t => t.GetString())) : types.ToString();
            }
        }
        catch (JsonException)
        {
            // Not a MassTransit envelope: the type is simply unknown.
        }

        return "-";
    }

    private static string Text(object? value) => value switch
    {
        byte[] bytes => Encoding.UTF8.GetString(bytes).ReplaceLineEndings(" "),
        null => "",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture)?.ReplaceLineEndings(" ") ?? "",
    };
}
