namespace EmailPipeline.Queue.State;

/// <summary>Builds the store the options name; used by the service's container and by the operator's command line.</summary>
public static class QueueStoreFactory
{
    public static SqlQueueStore Create(QueueStoreOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Provider switch
        {
            QueueStoreProvider.Postgres => new PostgresQueueStore(options.ConnectionString ?? "", timeProvider),
            _ => new SqliteQueueStore(options.SqlitePath, timeProvider),
        };
    }
}
