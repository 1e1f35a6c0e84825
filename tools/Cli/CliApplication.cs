using System.Data.Common;
using RabbitMQ.Client.Exceptions;

namespace EmailPipeline.Cli;

/// <summary>The operator's command line; the entry point tests call in-process.</summary>
public static class CliApplication
{
    public const string Usage = """
        usage: emailpipeline <command> [options]

          queue list [--sender S] [--recipient R] [--domain D] [--state STATE] [--older-than 1h] [--limit N] [--all] [--json]
          queue show <id> [--json]
          queue hold <id> | release <id> | delete <id> | bounce <id>
          queue flush [<id>] [--queue queue-delay-…]… [--max N]
          deadletters list [--queue NAME]… [--json]
          deadletters show <queue> [--count N]
          deadletters replay <queue> [--count N]                 (at most N, default 1000, and only what was waiting at the start)
          deadletters purge <queue> [--count N] [--no-dsn] [--dry-run]
                                        bounces each letter with a DSN; --no-dsn removes without one; unreadable ones stay

        common options:
          --store sqlite:<path> | postgres:<connection string>   (default sqlite:${EMAILPIPELINE_DATA:-./data}/queue.db)
          --rabbitmq amqp://user:pass@host:5672/vhost             (default $RABBITMQ_URL or amqp://guest:guest@127.0.0.1:5672/)

        exit codes: 0 ok, 1 not found, 2 usage error, 3 store or broker unavailable
        """;

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (args.Count == 0 || args[0] is "help" or "--help" or "-h")
        {
            (args.Count == 0 ? error : output).WriteLine(Usage);
            return args.Count == 0 ? ExitCodes.Usage : ExitCodes.Ok;
        }

        try
        {
            if (args.Count < 2)
            {
                throw CliException.Usage($"'{args[0]}' needs a subcommand; see emailpipeline --help");
            }

            IReadOnlyList<string> rest = [.. args.Skip(2)];
            return args[0] switch
            {
                "queue" => await QueueCommands.RunAsync(args[1], rest, output, cancellationToken).ConfigureAwait(false),
                "deadletters" => await DeadLetterCommands.RunAsync(args[1], rest, output, cancellationToken).ConfigureAwait(false),
                _ => throw CliException.Usage($"unknown command '{args[0]}'; see emailpipeline --help"),
            };
        }
        catch (CliException e)
        {
            error.WriteLine($"emailpipeline: {e.Message}");
            return e.ExitCode;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            error.WriteLine("emailpipeline: cancelled");
            return ExitCodes.Unavailable;
        }
        catch (Exception e) when (e is DbException or RabbitMQClientException or OperationInterruptedException or IOException or TimeoutException)
        {
            // Environment trouble (disk, database, broker) is not a bug in the command: one line, no stack trace.
            error.WriteLine($"emailpipeline: {e.GetType().Name}: {e.Message}");
            return ExitCodes.Unavailable;
        }
    }
}
