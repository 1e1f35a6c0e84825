using EmailPipeline.Contracts;
using EmailPipeline.Queue.Configuration;
using EmailPipeline.Queue.Consumers;
using EmailPipeline.Queue.Scheduling;
using EmailPipeline.Queue.State;
using EmailPipeline.Queue.Telemetry;
using EmailPipeline.Queue.Topology;
using EmailPipeline.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Queue.Extensions;

public static class QueueExtensions
{
    public static WebApplicationBuilder AddQueue(this WebApplicationBuilder builder)
    {
        IServiceCollection services = builder.Services;
        services.AddOptions<QueueOptions>().BindConfiguration(QueueOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ShapingOptions>().BindConfiguration(ShapingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddQueueStore();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<DestinationShaping>();
        services.AddSingleton<QueueMetrics>();
        services.AddSingleton(sp => new DelayLadder(sp.GetRequiredService<IOptions<QueueOptions>>().Value.EffectiveDelaySteps));
        services.AddSingleton<Lifecycle.OutboxComposer>();
        services.AddSingleton<OutboxDispatcher>();
        services.AddSingleton<LifecycleRunner>();
        services.AddHostedService<StrandedRecipientSweeper>();
        services.AddDeclaredTopology("the pipeline queues and the delay ladder", sp => QueueTopology.DeclareAsync(sp.GetRequiredService<DelayLadder>()));
        services.AddHostedService<StateGauge>();
        services.AddConsumerWatchdog(PipelineQueues.Accepted, PipelineQueues.DeliveryResults, PipelineQueues.RetryDue);

        builder.AddPipelineBus(registrations: x =>
        {
            x.AddConsumer<MessageAcceptedConsumer, MessageAcceptedConsumerDefinition>();
            x.AddConsumer<DeliveryAttemptedConsumer, DeliveryAttemptedConsumerDefinition>();
            x.AddConsumer<RetryDueConsumer, RetryDueConsumerDefinition>();
        });

        string url = builder.Configuration["Queue:HttpUrl"] ?? "http://127.0.0.1:8027";
        builder.WebHost.UseUrls(url);
        return builder;
    }
}
