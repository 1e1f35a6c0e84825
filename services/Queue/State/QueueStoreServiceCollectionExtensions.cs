using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Queue.State;

public static class QueueStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IQueueStore"/> (SQLite or PostgreSQL, from <c>Queue:Store</c>) as a singleton and a hosted
    /// service that creates the schema at start. The store also creates the schema on first use, so the order of
    /// hosted services (MassTransit's bus may start first) does not matter.
    /// </summary>
    public static IServiceCollection AddQueueStore(this IServiceCollection services)
    {
        services.AddOptions<QueueStoreOptions>().BindConfiguration(QueueStoreOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<QueueStoreOptions>, QueueStoreOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IQueueStore>(sp => QueueStoreFactory.Create(
            sp.GetRequiredService<IOptions<QueueStoreOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        services.AddHostedService<QueueStoreInitializer>();
        return services;
    }
}
