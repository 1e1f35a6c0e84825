using System.Net;
using EmailPipeline.Contracts;
using EmailPipeline.Delivery.Configuration;
using EmailPipeline.Delivery.Consumers;
using EmailPipeline.Delivery.Delivering;
using EmailPipeline.Delivery.Journal;
using EmailPipeline.Delivery.Lmtp;
using EmailPipeline.Delivery.Maildir;
using EmailPipeline.Delivery.Routing;
using EmailPipeline.Delivery.Smtp;
using EmailPipeline.Delivery.Telemetry;
using EmailPipeline.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Delivery.Extensions;

public static class DeliveryExtensions
{
    /// <summary>Options, routing, the three transports, the consumer and the HTTP endpoint.</summary>
    public static WebApplicationBuilder AddDelivery(this WebApplicationBuilder builder)
    {
        IServiceCollection services = builder.Services;
        services.AddOptions<DeliveryOptions>().BindConfiguration(DeliveryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => Options.Create(sp.GetRequiredService<IOptions<DeliveryOptions>>().Value.Dns));
        services.AddSingleton(sp => Options.Create(sp.GetRequiredService<IOptions<DeliveryOptions>>().Value.CircuitBreaker));

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<DeliveryMetrics>();
        services.AddAtStartup<DeliveryMetrics>();
        services.AddSingleton<IMxResolver, DnsClientMxResolver>();
        services.AddSingleton(sp =>
        {
            DeliveryOptions o = sp.GetRequiredService<IOptions<DeliveryOptions>>().Value;
            return new RoutePlanner(new TransportMap(o.Transports), o.Smarthost, sp.GetRequiredService<IMxResolver>(), Random.Shared);
        });
        services.AddSingleton<HostConnector>();
        services.AddSingleton<HostCircuits>();
        services.AddSingleton<MaildirWriter>();
        // Loaded before the first request is consumed; flushed and closed when the service stops.
        services.AddSingleton<DeliveryJournal>();
        services.AddSingleton<AttemptsInFlight>();
        services.AddAtStartup<DeliveryJournal>();
        services.AddSingleton<SmtpConnectionPool>();
        services.AddSingleton<SmtpDelivery>();
        services.AddSingleton<LmtpDelivery>();
        services.AddSingleton<MaildirDelivery>();
        services.AddSingleton<DeliveryService>();

        // Outcomes must reach the Queue service even if it has not started yet.
        services.AddDeclaredQueues(
            (PipelineQueues.Delivery, PipelineQueues.ExchangeOf<DeliveryRequested>()),
            (PipelineQueues.DeliveryLarge, null),
            (PipelineQueues.DeliveryResults, PipelineQueues.ExchangeOf<DeliveryAttempted>()));

        services.AddConsumerWatchdog(PipelineQueues.Delivery, PipelineQueues.DeliveryLarge);

        // Read raw, not through IOptions: the bus is built on MassTransit's thread, and a validation failure there
        // would crash the process instead of the clear start-up report ValidateOnStart gives (out-of-range values
        // are clamped here and reported there).
        DeliveryOptions delivery = builder.Configuration.GetSection(DeliveryOptions.Section).Get<DeliveryOptions>() ?? new DeliveryOptions();
        DeliveryLanes lanes = new DeliveryOptions
        {
            MaxConcurrentDeliveries = Math.Clamp(delivery.MaxConcurrentDeliveries, 1, 500),
            MaxConcurrentLargeDeliveries = Math.Clamp(delivery.MaxConcurrentLargeDeliveries, 0, 500),
            MaxMessageSize = Math.Max(delivery.MaxMessageSize, 1024),
            MaxBodyBytesInFlight = Math.Max(delivery.MaxBodyBytesInFlight, 0),
        }.Lanes();
        services.AddSingleton(lanes);
        services.AddHostedService<DeliveryLanesReport>();

        // No message retry on either lane: a redelivered request would deliver twice; failures of a host are
        // outcomes, and the Queue service retries. Prefetch equals concurrency, so no request waits unacknowledged
        // behind a slow one, and what a worker holds is bounded by the lanes.
        builder.AddPipelineBus(
            x => x.AddConsumer<DeliveryRequestedConsumer>().ExcludeFromConfigureEndpoints(),
            (context, cfg) =>
            {
                cfg.Publish<DeliveryAttempted>(p => p.Durable = true);
                foreach ((string queue, int concurrency) in new[] { (PipelineQueues.Delivery, lanes.Small), (PipelineQueues.DeliveryLarge, lanes.Large) })
                {
                    cfg.ReceiveEndpoint(queue, e =>
                    {
                        e.UsePipelineQueue(queue);
                        // The large lane takes only what the Queue sends to it by name, never a publish.
                        e.ConfigureConsumeTopology = queue == PipelineQueues.Delivery;
                        e.PrefetchCount = concurrency;
                        e.ConcurrentMessageLimit = concurrency;
                        e.ConfigureConsumer<DeliveryRequestedConsumer>(context);
                    });
                }
            });

        // A delivery in flight finishes (bounded by the attempt timeout) before the bus stops on SIGTERM.
        services.Configure<MassTransitHostOptions>(o => o.StopTimeout = delivery.AttemptTimeout + TimeSpan.FromSeconds(15));
        services.Configure<HostOptions>(o => o.ShutdownTimeout = delivery.AttemptTimeout + TimeSpan.FromSeconds(30));

        builder.WebHost.UseUrls();
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            var options = context.Configuration.GetSection(DeliveryOptions.Section).Get<DeliveryOptions>() ?? new DeliveryOptions();
            if (Uri.TryCreate(options.HttpUrl, UriKind.Absolute, out Uri? http) && IPAddress.TryParse(http.Host.Trim('[', ']'), out IPAddress? address))
            {
                kestrel.Listen(address, http.Port);
            }
            else if (http is not null)
            {
                kestrel.ListenAnyIP(http.Port);
            }

            kestrel.AddServerHeader = false;
        });

        return builder;
    }
}
