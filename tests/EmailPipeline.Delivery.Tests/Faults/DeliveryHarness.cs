using System.Diagnostics.Metrics;
using System.Text;
using EmailPipeline.Contracts;
using EmailPipeline.Delivery.Configuration;
using EmailPipeline.Delivery.Delivering;
using EmailPipeline.Delivery.Journal;
using EmailPipeline.Delivery.Lmtp;
using EmailPipeline.Delivery.Maildir;
using EmailPipeline.Delivery.Routing;
using EmailPipeline.Delivery.Smtp;
using EmailPipeline.Delivery.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Delivery.Tests.Faults;

/// <summary>
/// The whole <see cref="DeliveryService"/> wired as the service wires it, in process: "relay.test" goes over SMTP to
/// one loopback port (with AUTH when a user is given), "lmtp.test" over LMTP to the same port. What the consumer
/// would publish is what <see cref="AttemptAsync"/> returns; an exception from it is what would fault the consumer.
/// </summary>
internal sealed class DeliveryHarness : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    public DeliveryHarness(int port, string? username = null, TimeSpan? commandTimeout = null, int maxIdle = 2, bool requireTls = false, DeliveryJournal? journal = null)
    {
        var options = Options.Create(new DeliveryOptions
        {
            HeloName = "delivery.test.internal",
            AttemptTimeout = TimeSpan.FromSeconds(30),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            CommandTimeout = commandTimeout ?? TimeSpan.FromSeconds(5),
            ConnectionReuse = new ConnectionReuseOptions { MaxIdlePerHost = maxIdle },
            Transports =
            [
                new TransportRule { Match = "relay.test", Host = "127.0.0.1", Port = port, Username = username, Password = username is null ? null : "secret", RequireTls = requireTls },
                new TransportRule { Match = "lmtp.test", Kind = TransportKind.Lmtp, Host = "127.0.0.1", Port = port },
            ],
        });
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new DeliveryMetrics(_services.GetRequiredService<IMeterFactory>());
        var circuits = new HostCircuits(options, Options.Create(new CircuitBreakerOptions { MinimumThroughput = 100 }), metrics, NullLogger<HostCircuits>.Instance);
        var connector = new HostConnector(new FakeResolver());
        Journal = journal ?? new DeliveryJournal(null, TimeSpan.FromHours(1), 1 << 20, TimeProvider.System, NullLogger.Instance);
        Pool = new SmtpConnectionPool(options, TimeProvider.System);
        var planner = new RoutePlanner(new TransportMap(options.Value.Transports), null, new FakeResolver(), new Random(1));
        Service = new DeliveryService(
            planner,
            new SmtpDelivery(connector, circuits, Pool, Journal, metrics, options, NullLogger<SmtpDelivery>.Instance),
            new LmtpDelivery(connector, circuits, Journal, metrics, options, NullLogger<LmtpDelivery>.Instance),
            new MaildirDelivery(new MaildirWriter(), Journal, NullLogger<MaildirDelivery>.Instance),
            Journal,
            new AttemptsInFlight(),
            metrics,
            options,
            TimeProvider.System,
            NullLogger<DeliveryService>.Instance);
    }

    public DeliveryService Service { get; }

    public SmtpConnectionPool Pool { get; }

    public DeliveryJournal Journal { get; }

    public static DeliveryRequested Request(string destination, params string[] recipients) => new()
    {
        MessageId = QueueId.New(),
        AttemptId = Guid.NewGuid().ToString("N"),
        Destination = destination,
        Sender = "sender@origin.test",
        Recipients = recipients.Select(r => new EnvelopeRecipient(r, DsnNotify.Default, null)).ToList(),
        Content = Encoding.ASCII.GetBytes("From: sender@origin.test\r\nSubject: faults\r\n\r\nbody\r\n"),
    };

    public async Task<DeliveryAttempted> AttemptAsync(DeliveryRequested request)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await Service.AttemptAsync(request, timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await Pool.DisposeAsync();
        Journal.Dispose();
        await _services.DisposeAsync();
    }
}
