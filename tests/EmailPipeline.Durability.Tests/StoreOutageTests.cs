using Npgsql;
using static EmailPipeline.Durability.Tests.Harness;

namespace EmailPipeline.Durability.Tests;

/// <summary>
/// The Queue's database down for longer than a consumer's retries: the outcome of a delivery attempt lands in
/// <c>queue-delivery-attempted_error</c>. The Queue used to have sent the retry before recording the outcome, and the
/// retry, finding the recipient still Queued, was dropped: the recipient waited forever on work that was gone. Now
/// nothing is sent before the decision is committed, and the sweeper finds a recipient whose work can no longer come
/// and ends it with a DSN: every accepted recipient reaches a final state.
/// </summary>
public sealed class StoreOutageTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_store_down_longer_than_the_retries_strands_no_recipient()
    {
        string database = await PostgresServer.CreateDatabaseAsync();
        try
        {
            await using ScriptedMailServer peer = new(FreePorts.Take(1)[0]) { RcptReply = (_, _) => "451 4.2.1 Mailbox busy, try later" };
            await using Pipeline pipeline = await Pipeline.StartAsync(
                queue: ShortRetries().With(new Dictionary<string, string>
                {
                    ["Queue__Store__Provider"] = "Postgres",
                    ["Queue__Store__ConnectionString"] = database,
                    ["Queue__MaxQueueLifetime"] = "00:00:40",
                    ["Queue__StrandedAfter"] = "00:00:05",
                    ["Queue__SweepInterval"] = "00:00:01",
                }),
                delivery: RouteTo(peer.Port, "peer.test"),
                deliveryWorkers: 0);

            var swaks = await ExternalTool.RunAsync("swaks", ["--server", $"127.0.0.1:{S(pipeline.SmtpPort)}", "--from", "sender@example.test", "--to", "r@peer.test", "--body", "outage"]);
            Assert.True(swaks.ExitCode == 0, swaks.All);
            string id = System.Text.RegularExpressions.Regex.Match(swaks.Output, @"queued as (\S+)").Groups[1].Value;
            Assert.True(await WaitUntilAsync(async () => await StateAsync(database, id) == "Queued", TimeSpan.FromSeconds(30)), "not recorded\n" + pipeline.Output);

            await SetConnectionsAsync(database, allowed: false);
            output.WriteLine($"{id} recorded; the Queue's database now refuses connections; a Delivery worker starts");
            await pipeline.StartDeliveryAsync();
            Assert.True(await WaitUntilAsync(async () => await ReadyCountAsync(pipeline, "queue-delivery-attempted_error") == 1, TimeSpan.FromSeconds(90), TimeSpan.FromSeconds(1)),
                "the outcome did not reach the error queue\n" + pipeline.Output);
            await SetConnectionsAsync(database, allowed: true);
            output.WriteLine("the outcome is in queue-delivery-attempted_error; the database is back");

            // Nobody replays it: the sweeper must end the recipient (lifetime 40 s + 5 s), with a DSN to the sender.
            Assert.True(await WaitUntilAsync(async () => await StateAsync(database, id) == "Expired", TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(1)),
                $"the recipient is still {await StateAsync(database, id)}\n{pipeline.Output}");
            Assert.True(await WaitUntilAsync(() => Task.FromResult(Directory.Exists(Path.Combine(pipeline.MaildirRoot, "example.test", "sender", "new"))
                                                                  && Directory.GetFiles(Path.Combine(pipeline.MaildirRoot, "example.test", "sender", "new")).Length == 1), TimeSpan.FromSeconds(60)),
                "no DSN reached the sender\n" + pipeline.Output);
            string dsn = await File.ReadAllTextAsync(Directory.GetFiles(Path.Combine(pipeline.MaildirRoot, "example.test", "sender", "new")).Single());
            Assert.Contains("Status: 4.4.7", dsn, StringComparison.Ordinal);
            Assert.Contains("Action: failed", dsn, StringComparison.Ordinal);
        }
        finally
        {
            await SetConnectionsAsync(database, allowed: true);
            await PostgresServer.DropDatabaseAsync(database);
        }
    }

    /// <summary>The store's RecipientState values, in order.</summary>
    private static readonly string[] States = ["Queued", "Deferred", "Delivered", "Bounced", "Expired", "Deleted"];

    private static async Task<string?> StateAsync(string database, string messageId)
    {
        try
        {
            await using var connection = new NpgsqlConnection(database);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT state FROM recipients WHERE message_id = @m", connection);
            command.Parameters.AddWithValue("m", messageId);
            return await command.ExecuteScalarAsync() is int state ? States[state] : null;
        }
        catch (PostgresException)
        {
            return null; // the table does not exist yet
        }
    }

    /// <summary>ALLOW_CONNECTIONS false refuses every new session, superusers too; the open ones are ended.</summary>
    private static async Task SetConnectionsAsync(string database, bool allowed)
    {
        string name = new NpgsqlConnectionStringBuilder(database).Database!;
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database) { Database = "postgres", Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using (var alter = new NpgsqlCommand($"ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS {(allowed ? "true" : "false")}", connection))
        {
            await alter.ExecuteNonQueryAsync();
        }

        if (!allowed)
        {
            await using var kill = new NpgsqlCommand("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = @d AND pid <> pg_backend_pid()", connection);
            kill.Parameters.AddWithValue("d", name);
            await kill.ExecuteNonQueryAsync();
        }

        NpgsqlConnection.ClearAllPools();
    }
}
