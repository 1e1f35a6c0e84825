using EmailPipeline.Queue.State;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Queue.Tests.State;

public sealed class QueueStoreRegistrationTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLogging();
        services.AddQueueStore();
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task Sqlite_is_the_default_with_the_configured_path_and_an_initializer()
    {
        string dir = Directory.CreateTempSubdirectory("emailpipeline-reg-").FullName;
        await using (ServiceProvider sp = Build(new() { ["Queue:Store:SqlitePath"] = Path.Combine(dir, "q.db") }))
        {
            var store = Assert.IsType<SqliteQueueStore>(sp.GetRequiredService<IQueueStore>());
            Assert.Equal(Path.Combine(dir, "q.db"), store.Path);
            IHostedService init = Assert.Single(sp.GetServices<IHostedService>().OfType<QueueStoreInitializer>());
            await init.StartAsync(TestContext.Current.CancellationToken);
            Assert.True(File.Exists(Path.Combine(dir, "q.db")));
        }

        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task Postgres_is_chosen_by_provider()
    {
        await using ServiceProvider sp = Build(new() { ["Queue:Store:Provider"] = "Postgres", ["Queue:Store:ConnectionString"] = "Host=127.0.0.1;Port=1" });

        Assert.IsType<PostgresQueueStore>(sp.GetRequiredService<IQueueStore>());
    }

    [Fact]
    public async Task Postgres_without_a_connection_string_fails_validation_with_a_clear_message()
    {
        await using ServiceProvider sp = Build(new() { ["Queue:Store:Provider"] = "Postgres" });

        var e = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<QueueStoreOptions>>().Value);
        Assert.Contains("Queue:Store:ConnectionString is required when Queue:Store:Provider is Postgres", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Default_path_follows_EMAILPIPELINE_DATA()
    {
        string? before = Environment.GetEnvironmentVariable("EMAILPIPELINE_DATA");
        try
        {
            Environment.SetEnvironmentVariable("EMAILPIPELINE_DATA", "/var/spool/ep");
            Assert.Equal("/var/spool/ep/queue.db", QueueStoreOptions.DefaultSqlitePath());
            Environment.SetEnvironmentVariable("EMAILPIPELINE_DATA", null);
            Assert.Equal("./data/queue.db", QueueStoreOptions.DefaultSqlitePath());
        }
        finally
        {
            Environment.SetEnvironmentVariable("EMAILPIPELINE_DATA", before);
        }
    }
}
