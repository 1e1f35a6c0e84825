using System.Text.Json;
using EmailPipeline.Contracts;
using EmailPipeline.Queue.State;
using EmailPipeline.Queue.Tests.Infrastructure;
using static EmailPipeline.Queue.Tests.Infrastructure.TestMessages;

namespace EmailPipeline.Queue.Tests.Cli;

/// <summary><c>emailpipeline queue …</c> against a SQLite store the test fills.</summary>
public sealed class QueueCommandTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("emailpipeline-cli-").FullName;
    private readonly DateTimeOffset _now = DateTimeOffset.UtcNow;
    private MessageAccepted _deferred = null!;
    private MessageAccepted _queued = null!;
    private MessageAccepted _delivered = null!;

    private string StorePath => Path.Combine(_dir, "queue.db");

    private string Store => "sqlite:" + StorePath;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _deferred = Accepted("alice@example.com", _now.AddHours(-3), "bob@example.org", "carol@example.net");
        _queued = Accepted("", _now.AddMinutes(-5), "dave@example.org");
        _delivered = Accepted("alice@example.com", _now.AddHours(-1), "erin@example.com");
        await using SqlQueueStore store = new SqliteQueueStore(StorePath, TimeProvider.System);
        await store.AddMessagesAsync([_deferred, _queued, _delivered], Ct);
        await store.RecordAttemptAsync(Attempt(_deferred.MessageId, "att-1", 1, _now.AddHours(-2), Deferred("bob@example.org"), Delivered("carol@example.net")), Ct);
        await store.RecordAttemptAsync(Attempt(_delivered.MessageId, "att-2", 1, _now.AddMinutes(-59), Delivered("erin@example.com")), Ct);
    }

    public ValueTask DisposeAsync()
    {
        Directory.Delete(_dir, recursive: true);
        return ValueTask.CompletedTask;
    }

    private async Task<MessageRecord> ReadAsync(string id)
    {
        await using SqlQueueStore store = new SqliteQueueStore(StorePath, TimeProvider.System);
        return (await store.GetAsync(id, Ct))!;
    }

    [Fact]
    public async Task List_prints_a_mailq_table_of_messages_still_queued()
    {
        CliRun r = await CliRunner.RunAsync("queue", "list", "--store", Store);

        Assert.Equal(0, r.ExitCode);
        Assert.Contains(_deferred.MessageId, r.Output, StringComparison.Ordinal);
        Assert.Contains(_queued.MessageId, r.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(_delivered.MessageId, r.Output, StringComparison.Ordinal);
        Assert.Contains("deferred  bob@example.org", r.Output, StringComparison.Ordinal);
        Assert.Contains("(451 4.7.1 Greylisted from mx.example.org)", r.Output, StringComparison.Ordinal);
        Assert.Contains(" 3h ", r.Output, StringComparison.Ordinal);
        Assert.Contains("<>", r.Output, StringComparison.Ordinal);
        Assert.Contains("in 2 Requests, 3 Recipients.", r.Output, StringComparison.Ordinal);
        Assert.True(r.Output.IndexOf(_deferred.MessageId, StringComparison.Ordinal) < r.Output.IndexOf(_queued.MessageId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task List_filters_and_prints_json_for_scripts()
    {
        CliRun r = await CliRunner.RunAsync("queue", "list", "--store", Store, "--state", "deferred", "--older-than", "2h", "--json");

        Assert.Equal(0, r.ExitCode);
        using JsonDocument doc = JsonDocument.Parse(r.Output);
        JsonElement only = Assert.Single(doc.RootElement.EnumerateArray());
        Assert.Equal(_deferred.MessageId, only.GetProperty("messageId").GetString());
        Assert.Equal("Deferred", only.GetProperty("recipients")[0].GetProperty("state").GetString());

        CliRun all = await CliRunner.RunAsync("queue", "list", "--store", Store, "--all", "--sender", "alice@example.com", "--json");
        Assert.Equal(2, JsonDocument.Parse(all.Output).RootElement.GetArrayLength());

        CliRun none = await CliRunner.RunAsync("queue", "list", "--store", Store, "--domain", "nowhere.example");
        Assert.Equal("Mail queue is empty", none.Output.Trim());
    }

    [Fact]
    public async Task Show_prints_each_recipient_and_every_attempt_with_its_reply()
    {
        CliRun r = await CliRunner.RunAsync("queue", "show", _deferred.MessageId, "--store", Store);

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Sender:     alice@example.com", r.Output, StringComparison.Ordinal);
        Assert.Contains("bob@example.org  deferred, 1 attempt(s)", r.Output, StringComparison.Ordinal);
        Assert.Contains("bob@example.org deferred: 451 4.7.1 451 4.7.1 Greylisted (mx.example.org) [attempt att-1]", r.Output, StringComparison.Ordinal);
        Assert.Contains("carol@example.net delivered: 250 2.0.0", r.Output, StringComparison.Ordinal);

        CliRun json = await CliRunner.RunAsync("queue", "show", _deferred.MessageId, "--store", Store, "--json");
        using JsonDocument doc = JsonDocument.Parse(json.Output);
        Assert.Equal(2, doc.RootElement.GetProperty("attempts").GetArrayLength());
    }

    [Fact]
    public async Task Unknown_ids_exit_1_with_one_line()
    {
        foreach (string verb in new[] { "show", "hold", "release", "delete", "bounce", "flush" })
        {
            CliRun r = await CliRunner.RunAsync("queue", verb, "01NOSUCHMESSAGE00000000000", "--store", Store);
            Assert.Equal(1, r.ExitCode);
            Assert.Equal("emailpipeline: no message 01NOSUCHMESSAGE00000000000 in the queue", r.Error.Trim());
        }
    }

    [Theory]
    [InlineData("queue", "list", "--bogus")]
    [InlineData("queue", "list", "--state", "sleeping")]
    [InlineData("queue", "list", "--older-than", "soon")]
    [InlineData("queue", "list", "--limit", "-3")]
    [InlineData("queue", "show")]
    [InlineData("queue", "hold", "a", "b")]
    [InlineData("queue", "frobnicate")]
    [InlineData("mail", "list")]
    [InlineData("queue")]
    [InlineData("queue", "list", "--store", "mysql:x")]
    [InlineData("deadletters", "purge", "queue-message-accepted")]
    public async Task Usage_mistakes_exit_2_without_a_stack_trace(params string[] args)
    {
        CliRun r = await CliRunner.RunAsync([.. args, .. args.Contains("--store") ? Array.Empty<string>() : ["--store", Store]]);

        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("emailpipeline: ", r.Error, StringComparison.Ordinal);
        Assert.Single(r.Error.Trim().Split('\n'));
    }

    [Fact]
    public async Task A_missing_store_file_is_reported_not_created()
    {
        string missing = Path.Combine(_dir, "typo.db");

        CliRun r = await CliRunner.RunAsync("queue", "list", "--store", "sqlite:" + missing);

        Assert.Equal(3, r.ExitCode);
        Assert.Contains("no queue store at", r.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(missing));
    }

    [Fact]
    public async Task Hold_release_and_bounce_set_the_operator_flags()
    {
        Assert.Equal(0, (await CliRunner.RunAsync("queue", "hold", _deferred.MessageId, "--store", Store)).ExitCode);
        Assert.True((await ReadAsync(_deferred.MessageId)).Held);
        Assert.Contains(_deferred.MessageId + "!", (await CliRunner.RunAsync("queue", "list", "--store", Store)).Output, StringComparison.Ordinal);

        Assert.Equal(0, (await CliRunner.RunAsync("queue", "release", _deferred.MessageId, "--store", Store)).ExitCode);
        Assert.False((await ReadAsync(_deferred.MessageId)).Held);

        Assert.Equal(0, (await CliRunner.RunAsync("queue", "bounce", _queued.MessageId, "--store", Store)).ExitCode);
        Assert.True((await ReadAsync(_queued.MessageId)).BounceRequested);
    }

    [Fact]
    public async Task Delete_marks_only_open_recipients_deleted()
    {
        CliRun r = await CliRunner.RunAsync("queue", "delete", _deferred.MessageId, "--store", Store);

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("deleted 1 recipient(s)", r.Output, StringComparison.Ordinal);
        MessageRecord m = await ReadAsync(_deferred.MessageId);
        Assert.Equal([RecipientState.Deleted, RecipientState.Delivered], m.Recipients.Select(x => x.State));
        Assert.DoesNotContain(_deferred.MessageId, (await CliRunner.RunAsync("queue", "list", "--store", Store)).Output, StringComparison.Ordinal);
    }
}
