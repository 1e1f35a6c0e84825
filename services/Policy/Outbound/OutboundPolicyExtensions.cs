using EmailPipeline.Policy.Checks;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Policy.Outbound;

public static class OutboundPolicyExtensions
{
    /// <summary>
    /// Binds <see cref="DkimSigningOptions"/> ("Policy:Signing") and <see cref="SendingLimitOptions"/> ("Policy:Limits"),
    /// both validated at start-up (key files are read then), and registers <see cref="IOutboundPolicy"/>,
    /// replacing any default registered before. The sending counter lives in PostgreSQL when
    /// Policy:Limits:ConnectionString is set, else in this process.
    /// </summary>
    public static IServiceCollection AddOutboundPolicy(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<DkimSigningOptions>().BindConfiguration(DkimSigningOptions.Section).ValidateOnStart();
        services.AddOptions<SendingLimitOptions>().BindConfiguration(SendingLimitOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DkimSigningOptions>, DkimSigningOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SendingLimitOptions>, SendingLimitOptionsValidator>());

        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<OutboundMetrics>();
        services.TryAddSingleton<DkimKeyRing>();
        services.TryAddSingleton<SubmissionSigner>();
        services.TryAddSingleton<ISendingCounter>(provider =>
            string.IsNullOrWhiteSpace(provider.GetRequiredService<IOptions<SendingLimitOptions>>().Value.ConnectionString)
                ? new MemorySendingCounter()
                : new PostgresSendingCounter(provider.GetRequiredService<IOptions<SendingLimitOptions>>()));
        services.TryAddSingleton<SendingLimits>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, OutboundPolicyStartup>());

        // Replace, not TryAdd: the Policy host may register a no-opinion default first.
        services.Replace(ServiceDescriptor.Singleton<IOutboundPolicy, OutboundPolicy>());
        return services;
    }
}
