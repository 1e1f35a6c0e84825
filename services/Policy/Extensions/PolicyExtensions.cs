using EmailPipeline.Contracts;
using EmailPipeline.Policy.Arc;
using EmailPipeline.Policy.Checks;
using EmailPipeline.Policy.Consumers;
using EmailPipeline.Policy.Dkim;
using EmailPipeline.Policy.Dmarc;
using EmailPipeline.Policy.Dns;
using EmailPipeline.Policy.Dnsbl;
using EmailPipeline.Policy.Outbound;
using EmailPipeline.Policy.Spf;
using EmailPipeline.Policy.Telemetry;
using EmailPipeline.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Policy.Extensions;

public static class PolicyExtensions
{
    /// <summary>The service: the inbound checks, the outbound policy (DKIM signing, sending limits), the
    /// <see cref="CheckMessageConsumer"/> on the pipeline bus, the HTTP port.</summary>
    public static WebApplicationBuilder AddPolicy(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddPolicyChecks();
        builder.Services.AddOutboundPolicy();
        builder.Services.AddConsumerWatchdog(PipelineQueues.PolicyCheck);
        builder.AddPipelineBus(registrations: x => x.AddConsumer<CheckMessageConsumer, CheckMessageConsumerDefinition>());
        builder.WebHost.UseUrls(builder.Configuration["Policy:HttpUrl"] ?? "http://127.0.0.1:8028");
        return builder;
    }

    /// <summary>
    /// The checks without a host (the service and the command-line checker share it): options bound from "Policy:*"
    /// and validated at start, the caching DNS resolver, SPF, DKIM, ARC, DMARC, the DNS lists and the verdict.
    /// <see cref="IOutboundPolicy"/> is a no-op unless something registered one before or replaces it after.
    /// </summary>
    public static IServiceCollection AddPolicyChecks(this IServiceCollection services)
    {
        Bind<PolicyOptions>(services, PolicyOptions.Section);
        Bind<DnsResolverOptions>(services, DnsResolverOptions.Section);
        Bind<SpfOptions>(services, SpfOptions.Section);
        Bind<DkimOptions>(services, DkimOptions.Section);
        Bind<DmarcOptions>(services, DmarcOptions.Section);
        Bind<ArcOptions>(services, ArcOptions.Section);
        Bind<DnsListOptions>(services, DnsListOptions.Section);

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IDnsResolver>(sp => new CachingDnsResolver(
            new DnsClientResolver(sp.GetRequiredService<IOptions<DnsResolverOptions>>()),
            sp.GetRequiredService<IOptions<DnsResolverOptions>>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => PublicSuffixList.Load(sp.GetRequiredService<IOptions<DmarcOptions>>().Value.PublicSuffixListPath));
        services.AddHostedService<PublicSuffixListLoader>();
        services.AddSingleton<SpfEvaluator>();
        services.AddSingleton<DnsDkimPublicKeyLocator>();
        services.AddSingleton<DkimChecker>();
        services.AddSingleton<ArcChecker>();
        services.AddSingleton<DmarcEvaluator>();
        services.AddSingleton<DnsListChecker>();
        services.AddSingleton<InboundChecks>();
        services.AddSingleton<MessagePolicy>();
        services.AddSingleton<PolicyMetrics>();
        services.TryAddSingleton<IOutboundPolicy, NoOutboundPolicy>();
        return services;
    }

    private static void Bind<T>(IServiceCollection services, string section)
        where T : class =>
        services.AddOptions<T>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();
}
