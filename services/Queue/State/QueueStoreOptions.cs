namespace EmailPipeline.Queue.State;

/// <summary>Section <c>Queue:Store</c>: where the Queue service keeps its state.</summary>
public sealed class QueueStoreOptions
{
    public const string Section = "Queue:Store";

    public QueueStoreProvider Provider { get; set; } = QueueStoreProvider.Sqlite;

    /// <summary>The SQLite file; defaults to <c>${EMAILPIPELINE_DATA:-./data}/queue.db</c>.</summary>
    public string SqlitePath { get; set; } = DefaultSqlitePath();

    /// <summary>An Npgsql connection string; required when <see cref="Provider"/> is Postgres.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The same default the service and the operator's command line use, so both find one file.</summary>
    public static string DefaultSqlitePath()
    {
        string? data = Environment.GetEnvironmentVariable("EMAILPIPELINE_DATA");
        return Path.Combine(string.IsNullOrWhiteSpace(data) ? "./data" : data, "queue.db");
    }
}
