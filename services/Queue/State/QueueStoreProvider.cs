namespace EmailPipeline.Queue.State;

/// <summary>Which database keeps the queue's state.</summary>
public enum QueueStoreProvider
{
    /// <summary>A local file: the default, right for one Queue replica.</summary>
    Sqlite = 0,

    /// <summary>A shared server: needed when several Queue replicas run.</summary>
    Postgres = 1,
}
