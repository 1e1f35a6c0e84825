using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using RabbitMQ.Client;

namespace EmailPipeline.Observability.Tests.Support;

/// <summary>
/// The whole pipeline as real processes (Ingress, Policy, Queue, Delivery) in a RabbitMQ virtual host of its
/// own, watched the way an operator watches it: every service exports traces over OTLP to <see cref="Otlp"/>,
/// logs JSON to the console, and serves /metrics, which a real Prometheus scrapes every second together with
/// RabbitMQ's per-queue metrics for this virtual host. Peers: example.test → Maildir, peer.test → a scripted
/// SMTP server, nowhere.test → MX lookup against a DNS server that knows no name (a bounce).
/// Once started, a small mix of traffic has flowed (see <see cref="SendTrafficAsync"/>).
/// </summary>
public sealed partial class ObservedPipeline : IAsyncLifetime
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private ServiceProcess? _policy;

    public Pipeline Pipeline { get; private set; } = null!;

    public OtlpReceiver Otlp { get; private set; } = null!;

    public PrometheusServer Prometheus { get; private set; } = null!;

    public ScriptedMailServer Peer { get; private set; } = null!;

    internal DnsZoneServer Dns { get; private set; } = null!;

    public int PolicyHttpPort { get; private set; }

    public int DeliveryHttpPort { get; private set; }

    /// <summary>Queue id of the message to softonce-…@peer.test: deferred once (451), delivered on the retry.</summary>
    public string RetriedQueueId { get; private set; } = "";

    public string RetriedRecipient { get; private set; } = "";

    /// <summary>The poison message's queue: MassTransit moved it to delivery-requested_error.</summary>
    public const string ErrorQueue = PipelineQueuesError.Delivery;

    /// <summary>Accepted while no Policy instance ran (fail open).</summary>
    public string FailOpenQueueId { get; private set; } = "";

    public string Output => $"{Pipeline?.Output}\n--- policy\n{_policy?.Output}\n--- prometheus\n{Prometheus?.Output}";

    public async ValueTask InitializeAsync()
    {
        int[] ports = FreePorts.Take(4);
        Otlp = new OtlpReceiver(ports[0]);
        Dns = new DnsZoneServer(); // no records: every name is NXDOMAIN, nothing waits on the internet
        Peer = new ScriptedMailServer(ports[2])
        {
            RcptReply = (address, seen) => address.StartsWith("softonce", StringComparison.OrdinalIgnoreCase) && seen == 1 ? "451 4.2.1 Mailbox busy, try later" : null,
        };
        PolicyHttpPort = ports[3];

        // What every service gets: OTLP/HTTP to the receiver, spans exported within a fraction of a second,
        // JSON console logs (TraceId/SpanId in their scopes).
        var observed = new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Otlp.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "5000",
            ["Logging__Console__FormatterName"] = "json",
        };
        var ingress = new Dictionary<string, string>(observed)
        {
            ["Ingress__RelayDomains__2"] = "nowhere.test",
            // Ask the Policy service; a verdict that does not come within a second lets the message in
            // (counted as a policy failure), so the test holds whether or not policy answers.
            ["Ingress__Policy__Mode"] = "On",
            ["Ingress__Policy__Timeout"] = "00:00:01",
            ["Ingress__Policy__FailureMode"] = "Open",
        };
        var queue = new Dictionary<string, string>(observed)
        {
            ["Queue__RetrySchedule__0"] = "00:00:02",
            ["Queue__DelaySteps__0"] = "00:00:01",
            ["Queue__DelaySteps__1"] = "00:00:02",
        };
        var delivery = new Dictionary<string, string>(observed)
        {
            ["Delivery__Transports__1__Match"] = "peer.test",
            ["Delivery__Transports__1__Kind"] = "Smtp",
            ["Delivery__Transports__1__Host"] = "127.0.0.1",
            ["Delivery__Transports__1__Port"] = P(Peer.Port),
            ["Delivery__Dns__Servers__0"] = $"127.0.0.1:{P(Dns.Port)}",
        };
        Pipeline = await Pipeline.StartAsync(ingress, queue, delivery);
        DeliveryHttpPort = Pipeline.DeliveryHttpPorts[0];

        var policy = new Dictionary<string, string>(observed)
        {
            ["RABBITMQ_URL"] = Pipeline.Broker.Url,
            ["EMAILPIPELINE_DATA"] = Pipeline.DataDirectory,
            ["Policy__HttpUrl"] = $"http://127.0.0.1:{P(PolicyHttpPort)}",
            ["Policy__AuthServId"] = "mx.pipeline.test",
            ["Policy__Dns__NameServers__0"] = $"127.0.0.1:{P(Dns.Port)}",
        };
        // One message before any Policy instance runs: the ingress waits its second, lets the message in (fail
        // open) and counts the failure, which the "policy failures" panel and the alert rules then see.
        FailOpenQueueId = await SendAsync($"early-{Guid.NewGuid():N}@example.test", $"early-{Guid.NewGuid():N}@example.test", tls: false);
        _policy = ServiceProcess.Start("Policy", policy);
        await _policy.WaitHealthyAsync($"http://127.0.0.1:{P(PolicyHttpPort)}/health/ready", Patience);

        await EnableRabbitMqPrometheusAsync();
        string config = PrometheusServer.Configuration(
            [
                new ScrapeJob("emailpipeline-ingress", $"127.0.0.1:{P(Pipeline.IngressHttpPort)}"),
                new ScrapeJob("emailpipeline-queue", $"127.0.0.1:{P(Pipeline.QueueHttpPort)}"),
                new ScrapeJob("emailpipeline-delivery", $"127.0.0.1:{P(DeliveryHttpPort)}"),
                new ScrapeJob("emailpipeline-policy", $"127.0.0.1:{P(PolicyHttpPort)}"),
                // RabbitMQ's per-queue metrics for this test's virtual host only (RabbitMQ 3.10+).
                new ScrapeJob("rabbitmq", "127.0.0.1:15692", "/metrics/detailed",
                    new Dictionary<string, string> { ["family"] = "queue_coarse_metrics", ["vhost"] = Pipeline.Broker.Name }),
            ],
            [Tools.AlertRules]);
        Prometheus = await PrometheusServer.StartAsync(config);
        await SendTrafficAsync();
    }

    /// <summary>
    /// Plain and STARTTLS mail to a local Maildir, a relay that is deferred once and then delivered, one that
    /// bounces (NXDOMAIN) with a DSN back to the sender, a recipient refused at RCPT (relaying denied), and a
    /// poison message that MassTransit dead-letters into delivery-requested_error. Returns when all of it reached
    /// its end.
    /// </summary>
    private async Task SendTrafficAsync()
    {
        string id = Guid.NewGuid().ToString("N")[..10];
        await SendAsync($"sender-{id}@example.test", $"plain-{id}@example.test", tls: false);
        await SendAsync($"sender-{id}@example.test", $"tls-{id}@example.test", tls: true);
        RetriedRecipient = $"softonce-{id}@peer.test";
        RetriedQueueId = await SendAsync($"sender-{id}@example.test", RetriedRecipient, tls: false);
        await SendAsync($"sender-{id}@example.test", $"user-{id}@nowhere.test", tls: false);
        await RefusedRecipientAsync($"someone-{id}@elsewhere.test");
        await PublishPoisonAsync();

        await WaitAsync(() => Maildir(Pipeline.MaildirRoot, $"plain-{id}@example.test") > 0, "plain message in Maildir");
        await WaitAsync(() => Maildir(Pipeline.MaildirRoot, $"tls-{id}@example.test") > 0, "STARTTLS message in Maildir");
        await WaitAsync(() => Peer.FindAll(RetriedRecipient).Count > 0 && Peer.Seen(RetriedRecipient) >= 2, "softonce delivered on its retry");
        // The bounce's DSN goes back to the (local) sender.
        await WaitAsync(() => Maildir(Pipeline.MaildirRoot, $"sender-{id}@example.test") > 0, "DSN for the bounce in the sender's Maildir");
        await WaitAsync(async () => await Pipeline.Broker.CountAsync(ErrorQueue) > 0, "poison message in delivery-requested_error");
    }

    public async Task<string> SendAsync(string from, string to, bool tls)
    {
        await using SmtpWire smtp = await SmtpWire.ConnectAsync(Pipeline.SmtpPort);
        Assert.StartsWith("250", await smtp.CommandAsync("EHLO client.remote.test"), StringComparison.Ordinal);
        if (tls)
        {
            Assert.StartsWith("220", await smtp.CommandAsync("STARTTLS"), StringComparison.Ordinal);
            await smtp.StartTlsAsync();
            Assert.StartsWith("250", await smtp.CommandAsync("EHLO client.remote.test"), StringComparison.Ordinal);
        }

        Assert.StartsWith("250", await smtp.CommandAsync($"MAIL FROM:<{from}>"), StringComparison.Ordinal);
        string rcpt = await smtp.CommandAsync($"RCPT TO:<{to}>");
        Assert.True(rcpt.StartsWith("250", StringComparison.Ordinal), $"RCPT TO:<{to}> → {rcpt}");
        Assert.StartsWith("354", await smtp.CommandAsync("DATA"), StringComparison.Ordinal);
        await smtp.SendAsync($"From: <{from}>\r\nTo: <{to}>\r\nSubject: observed\r\nMessage-ID: <{Guid.NewGuid():N}@remote.test>\r\n\r\nhello\r\n.\r\n");
        string done = await smtp.ReadReplyAsync(Patience);
        Match queued = QueuedAs().Match(done);
        Assert.True(queued.Success, $"end of DATA → {done}\n{Output}");
        await smtp.CommandAsync("QUIT");
        return queued.Groups[1].Value;
    }

    private async Task RefusedRecipientAsync(string to)
    {
        await using SmtpWire smtp = await SmtpWire.ConnectAsync(Pipeline.SmtpPort);
        await smtp.CommandAsync("EHLO client.remote.test");
        await smtp.CommandAsync("MAIL FROM:<someone@remote.test>");
        Assert.StartsWith("550", await smtp.CommandAsync($"RCPT TO:<{to}>"), StringComparison.Ordinal);
        await smtp.CommandAsync("QUIT");
    }

    /// <summary>A body no consumer can read, sent straight into the delivery work queue: MassTransit moves it to
    /// the error queue, as it does with any poison message.</summary>
    private async Task PublishPoisonAsync()
    {
        var factory = new ConnectionFactory { Uri = new Uri(Pipeline.Broker.Url) };
        await using IConnection connection = await factory.CreateConnectionAsync();
        await using IChannel channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var props = new BasicProperties { ContentType = "application/vnd.masstransit+json", Persistent = true, MessageId = Guid.NewGuid().ToString() };
        await channel.BasicPublishAsync("", EmailPipeline.Contracts.PipelineQueues.Delivery, mandatory: true, props, Encoding.UTF8.GetBytes("{ this is not a MassTransit envelope"));
    }

    /// <summary>RabbitMQ's Prometheus plugin (scripts/rabbitmq.sh enables it; enabling is idempotent and does not restart the node).</summary>
    private static async Task EnableRabbitMqPrometheusAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using HttpResponseMessage r = await http.GetAsync("http://127.0.0.1:15692/metrics/detailed?family=queue_coarse_metrics");
            if (r.IsSuccessStatusCode)
            {
                return;
            }
        }
        catch (HttpRequestException)
        {
        }
        catch (TaskCanceledException)
        {
        }

        ExternalTool.Result enable = await ExternalTool.RunAsync("rabbitmq-plugins", ["-q", "enable", "rabbitmq_prometheus"], timeout: TimeSpan.FromSeconds(60));
        Assert.True(enable.ExitCode == 0, "rabbitmq-plugins enable rabbitmq_prometheus failed: " + enable.All);
    }

    public static async Task WaitAsync(Func<bool> done, string what) => await WaitAsync(() => Task.FromResult(done()), what);

    public static async Task WaitAsync(Func<Task<bool>> done, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            if (await done())
            {
                return;
            }

            await Task.Delay(200);
        }

        Assert.Fail($"not in time: {what}");
    }

    private static int Maildir(string root, string address)
    {
        string[] parts = address.Split('@');
        string dir = Path.Combine(root, parts[1], parts[0], "new");
        return Directory.Exists(dir) ? Directory.GetFiles(dir).Length : 0;
    }

    public async ValueTask DisposeAsync()
    {
        if (Prometheus is not null)
        {
            await Prometheus.DisposeAsync();
        }

        if (_policy is not null)
        {
            await _policy.DisposeAsync();
        }

        if (Pipeline is not null)
        {
            await Pipeline.DisposeAsync();
        }

        if (Peer is not null)
        {
            await Peer.DisposeAsync();
        }

        Dns?.Dispose();
        if (Otlp is not null)
        {
            await Otlp.DisposeAsync();
        }
    }

    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"queued as (\S+)")]
    private static partial Regex QueuedAs();
}

/// <summary>MassTransit's dead-letter queue names: the consumer queue plus "_error".</summary>
public static class PipelineQueuesError
{
    public const string Delivery = EmailPipeline.Contracts.PipelineQueues.Delivery + "_error";
}
