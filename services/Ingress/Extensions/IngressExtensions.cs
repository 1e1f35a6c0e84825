using System.Net;
using EmailPipeline.Contracts;
using EmailPipeline.Ingress.Authentication;
using EmailPipeline.Ingress.Configuration;
using EmailPipeline.Ingress.Hosting;
using EmailPipeline.Ingress.Queueing;
using EmailPipeline.Ingress.Session;
using EmailPipeline.Ingress.Telemetry;
using EmailPipeline.Ingress.Tls;
using EmailPipeline.ServiceDefaults;
using MassTransit;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Ingress.Extensions;

public static class IngressExtensions
{
    /// <summary>The SMTP listeners, the session's services, the broker and the ingress's options.</summary>
    public static WebApplicationBuilder AddIngress(this WebApplicationBuilder builder)
    {
        IServiceCollection services = builder.Services;
        services.AddOptions<IngressOptions>().BindConfiguration(IngressOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SmtpLimits>().BindConfiguration("Ingress:Limits").ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<TlsOptions>().BindConfiguration("Ingress:Tls");
        services.AddOptions<PolicyOptions>().BindConfiguration("Ingress:Policy").ValidateDataAnnotations().ValidateOnStart();
        services.AddSmtpAuthentication();

        services.AddSingleton(sp => new BodyByteBudget(
            sp.GetRequiredService<IOptions<SmtpLimits>>().Value.BodyBudgetFor(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes)));
        services.AddSingleton<IngressMetrics>();
        services.AddSingleton<ServerCertificate>();
        services.AddSingleton<AcceptedDomains>();
        services.AddSingleton<SessionAdmission>();
        services.AddSingleton<SmtpServerLifetime>();
        services.AddSingleton<MessageAcceptance>();
        services.AddSingleton<SmtpSessionServices>();
        // The accepted-message queue exists before the first 250: a confirm must mean "in a queue".
        services.AddDeclaredQueues((PipelineQueues.Accepted, PipelineQueues.AcceptedExchange));

        builder.AddPipelineBus(bus: (_, cfg) => cfg.Publish<MessageAccepted>(p => p.Durable = true));

        // After the bus, so it stops first: sessions draining can still publish.
        services.AddHostedService<SmtpDrain>();

        // Shutdown waits for the SMTP drain plus one last publish before the host gives up.
        var ingress = builder.Configuration.GetSection(IngressOptions.Section).Get<IngressOptions>() ?? new IngressOptions();
        services.Configure<HostOptions>(o => o.ShutdownTimeout = ingress.DrainTimeout + ingress.PublishTimeout + TimeSpan.FromSeconds(15));

        builder.WebHost.UseUrls();
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            var options = context.Configuration.GetSection(IngressOptions.Section).Get<IngressOptions>() ?? new IngressOptions();
            foreach (SmtpListenerOptions listener in options.Listeners)
            {
                if (!listener.TryGetAddress(out IPAddress address))
                {
                    continue; // validation at start-up reports it
                }

                kestrel.Listen(address, listener.Port, l =>
                {
                    l.Use(next => connection =>
                    {
                        connection.Items[SmtpConnectionHandler.ListenerItem] = listener;
                        return next(connection);
                    });
                    l.UseConnectionHandler<SmtpConnectionHandler>();
                });
            }

            if (Uri.TryCreate(options.HttpUrl, UriKind.Absolute, out Uri? http) && IPAddress.TryParse(http.Host.Trim('[', ']'), out IPAddress? httpAddress))
            {
                kestrel.Listen(httpAddress, http.Port);
            }
            else if (http is not null)
            {
                kestrel.ListenAnyIP(http.Port);
            }

            kestrel.AddServerHeader = false;
        });

        return builder;
    }

    /// <summary>Logs where each listener is, once the host has started.</summary>
    public static WebApplication LogListeners(this WebApplication app)
    {
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var options = app.Services.GetRequiredService<IOptions<IngressOptions>>().Value;
            ILogger logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("EmailPipeline.Ingress");
            foreach (SmtpListenerOptions l in options.Listeners)
            {
                IngressLog.Listening(logger, l.Name, l.Role.ToString(), $"{l.Address}:{l.Port}");
            }

            var limits = app.Services.GetRequiredService<IOptions<SmtpLimits>>().Value;
            IngressLog.BodyBudget(
                logger,
                app.Services.GetRequiredService<BodyByteBudget>().Capacity,
                limits.MaxBufferedBodyBytes > 0 ? "configured" : $"1/{BodyByteBudget.DefaultMemoryFraction} of {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes} bytes available");
        });
        return app;
    }
}
