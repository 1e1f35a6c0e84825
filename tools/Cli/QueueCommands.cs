using System.Globalization;
using System.Text.Json;
using EmailPipeline.Queue.State;
using RabbitMQ.Client;

namespace EmailPipeline.Cli;

/// <summary><c>emailpipeline queue …</c>: mailq, postqueue -f and postsuper -h/-H/-d over the Queue service's store.</summary>
public static class QueueCommands
{
    /// <summary>The Queue service's retry queue: what lands here is looked at now.</summary>
    public const string RetryDue = "queue-retry-due";

    /// <summary>Delay queues are named queue-delay-&lt;step&gt; and dead-letter into <see cref="RetryDue"/>.</summary>
    public const string DelayPrefix = "queue-delay-";

    public static async Task<int> RunAsync(string verb, IReadOnlyList<string> args, TextWriter output, CancellationToken cancellationToken)
    {
        return verb switch
        {
            "list" => await ListAsync(CommandLine.Parse("queue list", args, ["sender", "recipient", "domain", "state", "older-than", "limit"], ["all", "json"]), output, cancellationToken).ConfigureAwait(false),
            "show" => await ShowAsync(CommandLine.Parse("queue show", args, [], ["json"]), output, cancellationToken).ConfigureAwait(false),
            "hold" or "release" or "delete" or "bounce" => await ChangeAsync(verb, CommandLine.Parse("queue " + verb, args, [], []), output, cancellationToken).ConfigureAwait(false),
            "flush" => await FlushAsync(CommandLine.Parse("queue flush", args, ["queue", "max"], []), output, cancellationToken).ConfigureAwait(false),
            _ => throw CliException.Usage($"unknown command 'queue {verb}' (try: list, show, hold, release, delete, bounce, flush)"),
        };
    }

    private static async Task<int> ListAsync(CommandLine line, TextWriter output, CancellationToken cancellationToken)
    {
        line.Expect(0, "queue list [--sender S] [--recipient R] [--domain D] [--state S] [--older-than 1h] [--limit N] [--all] [--json]");
        RecipientState? state = line.Value("state") is { } s
            ? Enum.TryParse(s, ignoreCase: true, out RecipientState parsed) && !int.TryParse(s, CultureInfo.InvariantCulture, out _)
                ? parsed
                : throw CliException.Usage($"--state must be one of {string.Join(", ", Enum.GetNames<RecipientState>().Select(n => n.ToLowerInvariant()))}")
            : null;
        var filter = new QueueFilter
        {
            Sender = line.Value("sender"),
            Recipient = line.Value("recipient"),
            Domain = line.Value("domain"),
            State = state,
            OlderThan = line.Value("older-than") is { } age ? CommandLine.ParseDuration(age) : null,
            IncludeFinished = line.Flag("all") || state?.IsFinal() == true,
            Limit = line.Int("limit", 1000),
        };

        await using SqlQueueStore store = await StoreLocation.OpenAsync(line.Value("store"), cancellationToken).ConfigureAwait(false);
        IReadOnlyList<MessageRecord> messages = await store.ListAsync(filter, cancellationToken).ConfigureAwait(false);
        if (line.Flag("json"))
        {
            output.WriteLine(JsonSerializer.Serialize(messages, QueueOutput.Json));
        }
        else
        {
            QueueOutput.WriteTable(output, messages, DateTimeOffset.UtcNow);
        }

        return ExitCodes.Ok;
    }

    private static async Task<int> ShowAsync(CommandLine line, TextWriter output, CancellationToken cancellationToken)
    {
        line.Expect(1, "queue show <id> [--json]");
        string id = line.Positionals[0];
        await using SqlQueueStore store = await StoreLocation.OpenAsync(line.Value("store"), cancellationToken).ConfigureAwait(false);
        MessageRecord message = await store.GetAsync(id, cancellationToken).ConfigureAwait(false) ?? throw CliException.NotFound($"no message {id} in the queue");
        IReadOnlyList<AttemptRecord> attempts = await store.GetAttemptsAsync(id, cancellationToken).ConfigureAwait(false);
        if (line.Flag("json"))
        {
            output.WriteLine(JsonSerializer.Serialize(new { message, attempts }, QueueOutput.Json));
        }
        else
        {
            QueueOutput.WriteMessage(output, message, attempts, DateTimeOffset.UtcNow);
        }

        return ExitCodes.Ok;
    }

    private static async Task<int> ChangeAsync(string verb, CommandLine line, TextWriter output, CancellationToken cancellationToken)
    {
        line.Expect(1, $"queue {verb} <id>");
        string id = line.Positionals[0];
        await using SqlQueueStore store = await StoreLocation.OpenAsync(line.Value("store"), cancellationToken).ConfigureAwait(false);
        MessageRecord message = await store.GetAsync(id, cancellationToken).ConfigureAwait(false) ?? throw CliException.NotFound($"no message {id} in the queue");
        switch (verb)
        {
            case "hold":
                await store.SetHeldAsync(id, true, cancellationToken).ConfigureAwait(false);
                output.WriteLine($"{id}: held");
                break;
            case "release":
                await store.SetHeldAsync(id, false, cancellationToken).ConfigureAwait(false);
                output.WriteLine($"{id}: released");
                break;
            case "bounce":
                await store.RequestBounceAsync(id, cancellationToken).ConfigureAwait(false);
                output.WriteLine($"{id}: will be bounced when its retry comes due");
                break;
            default:
                string[] open = [.. message.Recipients.Where(r => !r.State.IsFinal()).Select(r => r.Address)];
                await store.SetStateAsync(id, open, RecipientState.Deleted, null, cancellationToken).ConfigureAwait(false);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{id}: deleted {open.Length} recipient(s) without a DSN"));
                break;
        }

        return ExitCodes.Ok;
    }

    private static async Task<int> FlushAsync(CommandLine line, TextWriter output, CancellationToken cancellationToken)
    {
        if (line.Positionals.Count > 1)
        {
            throw CliException.Usage("usage: emailpipeline queue flush [<id>] [--queue queue-delay-…]… [--max N]");
        }

        string? id = line.Positionals.Count == 1 ? line.Positionals[0] : null;
        int max = line.Int("max", 100_000);
        await using (SqlQueueStore store = await StoreLocation.OpenAsync(line.Value("store"), cancellationToken).ConfigureAwait(false))
        {
            if (id is not null && await store.GetAsync(id, cancellationToken).ConfigureAwait(false) is null)
            {
                throw CliException.NotFound($"no message {id} in the queue");
            }

            int flagged = await store.RequestFlushAsync(id, cancellationToken).ConfigureAwait(false);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"flush requested for {flagged} message(s) with deferred recipients"));
        }

        await using Broker broker = await Broker.ConnectAsync(line.Value("rabbitmq"), cancellationToken).ConfigureAwait(false);
        IReadOnlyList<string> delayQueues = line.Values("queue").Count > 0
            ? line.Values("queue")
            : (await broker.ListQueueNamesAsync(cancellationToken).ConfigureAwait(false)
                ?? throw CliException.Unavailable("cannot list the delay queues (rabbitmqctl is not usable here): name them with --queue"))
                .Where(n => n.StartsWith(DelayPrefix, StringComparison.Ordinal)).ToList();

        await broker.RequireQueueAsync(RetryDue, cancellationToken).ConfigureAwait(false);
        await using IChannel channel = await broker.ChannelAsync(cancellationToken).ConfigureAwait(false);
        int total = 0;
        foreach (string queue in delayQueues)
        {
            await broker.RequireQueueAsync(queue, cancellationToken).ConfigureAwait(false);
            int moved = await MessageMover.MoveAsync(channel, queue, RetryDue, max - total, h => h, cancellationToken).ConfigureAwait(false);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{queue}: moved {moved} message(s) to {RetryDue}"));
            total += moved;
        }

        if (total >= max)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"stopped at --max {max}; run flush again to move the rest"));
        }

        return ExitCodes.Ok;
    }
}
