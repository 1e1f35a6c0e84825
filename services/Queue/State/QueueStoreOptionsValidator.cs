using Microsoft.Extensions.Options;

namespace EmailPipeline.Queue.State;

/// <summary>Checked at start-up so a missing connection string stops the service with one clear line.</summary>
public sealed class QueueStoreOptionsValidator : IValidateOptions<QueueStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, QueueStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Provider switch
        {
            QueueStoreProvider.Sqlite when string.IsNullOrWhiteSpace(options.SqlitePath) =>
                ValidateOptionsResult.Fail($"{QueueStoreOptions.Section}:SqlitePath must name a file when {QueueStoreOptions.Section}:Provider is Sqlite."),
            QueueStoreProvider.Sqlite => ValidateOptionsResult.Success,
            QueueStoreProvider.Postgres when string.IsNullOrWhiteSpace(options.ConnectionString) =>
                ValidateOptionsResult.Fail($"{QueueStoreOptions.Section}:ConnectionString is required when {QueueStoreOptions.Section}:Provider is Postgres."),
            QueueStoreProvider.Postgres => ValidateOptionsResult.Success,
            _ => ValidateOptionsResult.Fail($"{QueueStoreOptions.Section}:Provider must be Sqlite or Postgres, not '{options.Provider}'."),
        };
    }
}
