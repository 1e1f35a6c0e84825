using EmailPipeline.Queue.State;

namespace EmailPipeline.Cli;

/// <summary>
/// <c>--store sqlite:&lt;path&gt;</c> or <c>--store postgres:&lt;connection string&gt;</c>; by default the SQLite file the
/// Queue service uses by default (<c>${EMAILPIPELINE_DATA:-./data}/queue.db</c>).
/// </summary>
public static class StoreLocation
{
    public static QueueStoreOptions Parse(string? store)
    {
        if (string.IsNullOrEmpty(store))
        {
            return new QueueStoreOptions();
        }

        if (store.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase) && store.Length > "sqlite:".Length)
        {
            return new QueueStoreOptions { Provider = QueueStoreProvider.Sqlite, SqlitePath = store["sqlite:".Length..] };
        }

        if (store.StartsWith("postgres:", StringComparison.OrdinalIgnoreCase) && store.Length > "postgres:".Length)
        {
            return new QueueStoreOptions { Provider = QueueStoreProvider.Postgres, ConnectionString = store["postgres:".Length..] };
        }

        throw CliException.Usage($"--store must be sqlite:<path> or postgres:<connection string>, not '{store}'");
    }

    public static async Task<SqlQueueStore> OpenAsync(string? store, CancellationToken cancellationToken)
    {
        QueueStoreOptions options = Parse(store);

        // An operator's typo must not create an empty queue somewhere and report "queue is empty".
        if (options.Provider == QueueStoreProvider.Sqlite && !File.Exists(options.SqlitePath))
        {
            throw CliException.Unavailable($"no queue store at {Path.GetFullPath(options.SqlitePath)} (use --store sqlite:<path> or postgres:<connection string>)");
        }

        SqlQueueStore opened = QueueStoreFactory.Create(options, TimeProvider.System);
        try
        {
            await opened.InitializeAsync(cancellationToken).ConfigureAwait(false);
            return opened;
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or IOException or System.Net.Sockets.SocketException or TimeoutException)
        {
            await opened.DisposeAsync().ConfigureAwait(false);
            throw CliException.Unavailable($"cannot open the queue store: {e.Message}");
        }
    }
}
