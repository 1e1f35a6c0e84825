using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace EmailPipeline.ServiceDefaults;

/// <summary>What every service gets: telemetry, health checks, the broker, validated options.</summary>
public static class ServiceDefaultsExtensions
{
    private const string ServiceNameKey = "EmailPipeline.ServiceName";

    /// <summary>
    /// Adds OpenTelemetry (traces, metrics, logs; OTLP when configured), health checks and the RabbitMQ
    /// options. <paramref name="part"/> names the service: ActivitySource and Meter "EmailPipeline.&lt;Part&gt;".
    /// </summary>
    public static IHostApplicationBuilder AddServiceDefaults(this IHostApplicationBuilder builder, string part)
    {
        string serviceName = $"EmailPipeline.{part}";
        builder.Properties[ServiceNameKey] = serviceName;
        var telemetry = builder.Configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        string? otlp = telemetry.OtlpEndpoint ?? builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];

        builder.AddStructuredConsoleLogs();
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName, serviceInstanceId: Environment.MachineName))
            .WithMetrics(metrics =>
            {
                metrics.AddRuntimeInstrumentation()
                    .AddAspNetCoreInstrumentation()
                    .AddMeter(serviceName)
                    .AddMeter(ConsumerWatchdog.MeterName)
                    .AddMeter("MassTransit");
                if (telemetry.PrometheusEndpoint)
                {
                    metrics.AddPrometheusExporter();
                }
            })
            .WithTracing(tracing =>
            {
                tracing.AddSource(serviceName)
                    .AddSource("MassTransit")
                    .AddAspNetCoreInstrumentation(o => o.Filter = ctx => !ctx.Request.Path.StartsWithSegments("/health"));
            });

        if (!string.IsNullOrWhiteSpace(otlp))
        {
            if (telemetry.OtlpEndpoint is not null)
            {
                builder.Services.Configure<OpenTelemetry.Exporter.OtlpExporterOptions>(o => o.Endpoint = new Uri(telemetry.OtlpEndpoint));
            }

            otel.UseOtlpExporter();
        }

        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);

        builder.Services.AddOptions<RabbitMqOptions>()
            .BindConfiguration(RabbitMqOptions.Section)
            .PostConfigure(o =>
            {
                string? url = Environment.GetEnvironmentVariable("RABBITMQ_URL");
                if (!string.IsNullOrWhiteSpace(url))
                {
                    o.Url = url;
                }

                o.ConnectionName ??= $"{serviceName}@{Environment.MachineName}";
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section);
        return builder;
    }

    /// <summary>
    /// Console logs that tie into traces. Every log record carries the current Activity's TraceId, SpanId and
    /// ParentId as a scope; with <c>Logging:Console:FormatterName=json</c> (the containers' default) each line is
    /// one JSON object with those ids under "Scopes" and a UTC timestamp, unless
    /// <c>Logging:Console:FormatterOptions</c> says otherwise.
    /// </summary>
    public static IHostApplicationBuilder AddStructuredConsoleLogs(this IHostApplicationBuilder builder)
    {
        builder.Logging.Configure(o => o.ActivityTrackingOptions =
            ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);
        IConfigurationSection formatter = builder.Configuration.GetSection("Logging:Console:FormatterOptions");
        builder.Services.Configure<JsonConsoleFormatterOptions>(o =>
        {
            // Explicit settings win; these are only the defaults the configuration leaves open.
            if (formatter["IncludeScopes"] is null)
            {
                o.IncludeScopes = true;
            }

            if (formatter["TimestampFormat"] is null)
            {
                o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
            }

            if (formatter["UseUtcTimestamp"] is null)
            {
                o.UseUtcTimestamp = true;
            }
        });
        return builder;
    }

    /// <summary>Creates <typeparamref name="T"/> when the host starts rather than at its first use: a class that
    /// registers instruments (observable gauges above all) then reports from the first scrape on.</summary>
    public static IServiceCollection AddAtStartup<T>(this IServiceCollection services)
        where T : class =>
        services.AddHostedService(sp => new StartupResolution<T>(sp));

    private sealed class StartupResolution<T>(IServiceProvider services) : IHostedService
        where T : class
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            _ = services.GetRequiredService<T>();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>
    /// MassTransit on RabbitMQ: publisher confirms on, every receive endpoint a quorum queue.
    /// </summary>
    public static IHostApplicationBuilder AddPipelineBus(
        this IHostApplicationBuilder builder,
        Action<IBusRegistrationConfigurator>? registrations = null,
        Action<IBusRegistrationContext, IRabbitMqBusFactoryConfigurator>? bus = null)
    {
        builder.Services.AddMassTransit(x =>
        {
            x.SetKebabCaseEndpointNameFormatter();
            x.AddConfigureEndpointsCallback((_, name, endpoint) =>
            {
                if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
                {
                    rabbit.UsePipelineQueue(name);
                }
            });
            registrations?.Invoke(x);
            x.UsingRabbitMq((context, cfg) =>
            {
                var options = context.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
                cfg.Host(new Uri(options.Url), options.ConnectionName, h =>
                {
                    h.PublisherConfirmation = true;
                    h.RequestedConnectionTimeout(TimeSpan.FromSeconds(10));
                    h.Heartbeat(TimeSpan.FromSeconds(15));
                });
                cfg.PrefetchCount = options.PrefetchCount;

                // MassTransit's error and skipped queues copy the consumer queue's arguments; they are the end of
                // the line, so no delivery limit and no dead-letter target of their own.
                cfg.SendTopology.ConfigureErrorSettings = error => RemoveConsumerOnlyArguments(error);
                cfg.SendTopology.ConfigureDeadLetterSettings = skipped => RemoveConsumerOnlyArguments(skipped);

                // Enums travel by name: readable in the broker and safe when a member is added later.
                cfg.ConfigureJsonSerializerOptions(json =>
                {
                    json.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter());
                    return json;
                });
                bus?.Invoke(context, cfg);
                cfg.ConfigureEndpoints(context);
            });
        });

        string meterName = builder.Properties.TryGetValue(ServiceNameKey, out object? name) && name is string n ? n : builder.Environment.ApplicationName;
        builder.Services.AddSingleton(sp => new BusHealthGauge(
            sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            sp.GetRequiredService<IBusControl>(),
            meterName));
        builder.Services.AddAtStartup<BusHealthGauge>();

        builder.Services.Configure<MassTransitHostOptions>(o =>
        {
            // Start listening for SMTP even while the broker is away: sessions then get 451, not a refused
            // connection, and readiness tells the load balancer.
            o.WaitUntilStarted = false;
            o.StopTimeout = TimeSpan.FromSeconds(30);
        });
        return builder;
    }

    /// <summary>A consumer queue as every pipeline queue is: quorum, with the shared arguments (delivery limit, dead
    /// letters). Endpoints configured by name rather than through ConfigureEndpoints call this themselves.</summary>
    public static void UsePipelineQueue(this IRabbitMqReceiveEndpointConfigurator rabbit, string name)
    {
        rabbit.SetQuorumQueue();
        foreach ((string key, object value) in PipelineTopology.ConsumerQueueArguments(name))
        {
            rabbit.SetQueueArgument(key, value);
        }
    }

    /// <summary>/health/live (the process runs), /health/ready (checks tagged "ready": broker, listeners), /metrics.</summary>
    public static WebApplication MapServiceDefaults(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = c => c.Tags.Contains("live") });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") });
        if (app.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value.PrometheusEndpoint)
        {
            app.MapPrometheusScrapingEndpoint();
        }

        return app;
    }

    /// <summary>
    /// Runs the host; a configuration that fails validation ends the process with exit code 78 (EX_CONFIG)
    /// and one clear line per problem instead of a stack trace.
    /// </summary>
    public static async Task<int> RunServiceAsync(this IHost host)
    {
        try
        {
            await host.RunAsync().ConfigureAwait(false);
            return 0;
        }
        catch (Exception ex) when (ValidationFailures(ex) is { Count: > 0 } failures)
        {
            await Console.Error.WriteLineAsync("Configuration error; the service cannot start:").ConfigureAwait(false);
            foreach (string failure in failures)
            {
                await Console.Error.WriteLineAsync($"  - {failure}").ConfigureAwait(false);
            }

            return 78;
        }
    }

    /// <summary>Several invalid options classes arrive as an AggregateException of validation failures.</summary>
    private static List<string> ValidationFailures(Exception ex) => ex switch
    {
        OptionsValidationException v => v.Failures.ToList(),
        AggregateException a => a.InnerExceptions.SelectMany(ValidationFailures).ToList(),
        _ => [],
    };

    private static void RemoveConsumerOnlyArguments(IRabbitMqQueueBindingConfigurator queue)
    {
        foreach (string key in PipelineTopology.NotForErrorQueues)
        {
            queue.SetQueueArgument(key, null!);
        }
    }
}
