using System.Globalization;
using System.Text;
using EmailPipeline.EndToEnd.Tests.Support;
using Npgsql;

namespace EmailPipeline.EndToEnd.Tests;

/// <summary>
/// The pipeline with PostgreSQL as the Queue's store, in a database of its own (created here, dropped after).
/// The server is $EMAILPIPELINE_TEST_POSTGRES (./test.sh sets it); without it, scripts/postgres.sh starts one.
/// </summary>
public sealed class PostgresPipelineFixture : PeerPipelineFixture
{
    private string _server = "";
    private string _database = "";

    public string ConnectionString { get; private set; } = "";

    protected override async ValueTask PrepareAsync()
    {
        _server = Environment.GetEnvironmentVariable("EMAILPIPELINE_TEST_POSTGRES") ?? "";
        if (_server.Length == 0)
        {
            var start = await ExternalTool.RunAsync(Path.Combine(RepositoryPaths.Root, "scripts", "postgres.sh"), ["start"], timeout: TimeSpan.FromMinutes(5));
            Assert.True(start.ExitCode == 0, $"scripts/postgres.sh start: {start.All}");
            _server = $"Host=127.0.0.1;Port={Environment.GetEnvironmentVariable("PGPORT") ?? "15432"};Username=postgres";
        }

        _database = $"e2e_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(_server))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{_database}\"", connection);
            await create.ExecuteNonQueryAsync();
        }

        ConnectionString = new NpgsqlConnectionStringBuilder(_server) { Database = _database }.ConnectionString;
    }

    protected override IDictionary<string, string> QueueSettings() => new Dictionary<string, string>
    {
        ["Queue__Store__Provider"] = "Postgres",
        ["Queue__Store__ConnectionString"] = ConnectionString,
    };

    protected override QueueStoreCli CreateStore(Pipeline pipeline) => QueueStoreCli.Postgres(ConnectionString);

    protected override async ValueTask CleanupAsync()
    {
        if (_database.Length == 0)
        {
            return;
        }

        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_server);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_database}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}

public sealed class PostgresStoreTests(PostgresPipelineFixture f) : IClassFixture<PostgresPipelineFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Swaks_to_smtp_sink_and_maildir_with_the_queue_state_in_postgres()
    {
        string id = TestIds.New();
        string remote = $"pg-{id}@sink.test";
        string local = $"pg-{id}@example.test";
        string wire = $"From: sender@remote.test\r\nTo: {remote}, {local}\r\nSubject: postgres {id}\r\n\r\nstate in postgres\r\n.\r\n";
        string file = Path.Combine(f.Pipeline.DataDirectory, $"{id}.eml");
        await File.WriteAllTextAsync(file, wire);
        var swaks = await ExternalTool.RunAsync("swaks", ["--server", $"127.0.0.1:{f.Pipeline.SmtpPort.ToString(CultureInfo.InvariantCulture)}",
            "--from", "sender@remote.test", "--to", $"{remote},{local}", "--no-data-fixup", "--data", "@" + file]);
        Assert.True(swaks.ExitCode == 0, swaks.All);
        string qid = System.Text.RegularExpressions.Regex.Match(swaks.All, @"<-  250 .*queued as (\S+)").Groups[1].Value;
        byte[] sent = ExternalTool.DataFromSwaksTranscript(swaks.All);

        SinkMessage m = Assert.Single(await f.Sink.WaitForAsync(remote, Patience));
        Assert.Equal([remote], m.Recipients);
        Assert.EndsWith(Encoding.Latin1.GetString(SmtpSink.ToLf(sent)), Encoding.Latin1.GetString(m.Content), StringComparison.Ordinal);
        string delivered = Assert.Single(await Maildir.WaitAsync(f.Pipeline.MaildirRoot, local, Patience));
        Assert.EndsWith(Encoding.Latin1.GetString(sent), Encoding.Latin1.GetString(await File.ReadAllBytesAsync(delivered)), StringComparison.Ordinal);

        StoredView view = await f.Store.WaitFinalAsync(qid, Patience, f.Output);
        Assert.Equal("Delivered", view.Message.Recipient(remote).State);
        Assert.Equal("Delivered", view.Message.Recipient(local).State);
        QueueStoreCli.AssertExactlyOneFinalState(view);
        Assert.False(File.Exists(f.Pipeline.QueueDatabase), "the Queue wrote a SQLite store although Postgres was configured");
    }
}
