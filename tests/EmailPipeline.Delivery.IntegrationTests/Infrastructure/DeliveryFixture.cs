using System.Diagnostics;
using System.Globalization;
using EmailPipeline.Contracts;

namespace EmailPipeline.Delivery.IntegrationTests.Infrastructure;

/// <summary>
/// A real delivery process against its own RabbitMQ virtual host, with real peers on loopback: a scripted SMTP
/// server (with and without SMTPUTF8), an LMTP server, Postfix's smtp-sink, a Maildir on a temp directory and a
/// DNS server for MX lookups. The transport map sends each test domain to one of them.
/// </summary>
public sealed class DeliveryFixture : IAsyncLifetime
{
    private Broker? _broker;
    private ServiceProcess? _process;
    private Process? _sink;

    internal Broker Broker => _broker!;

    internal ScriptedMailServer Smtp { get; private set; } = null!;

    internal ScriptedMailServer AsciiSmtp { get; private set; } = null!;

    internal ScriptedMailServer Lmtp { get; private set; } = null!;

    internal TestDns Dns { get; private set; } = null!;

    public string MaildirRoot { get; } = Directory.CreateTempSubdirectory("delivery-maildir-").FullName;

    public string SinkDirectory { get; } = Directory.CreateTempSubdirectory("delivery-sink-").FullName;

    public string Output => _process?.Output ?? "";

    public async ValueTask InitializeAsync()
    {
        _broker = await Broker.CreateAsync("delivery-tests");
        int[] ports = FreePorts.Take(7);
        int http = ports[0], dead = ports[5], sink = ports[6];
        Smtp = new ScriptedMailServer(ports[1]);
        AsciiSmtp = new ScriptedMailServer(ports[2], smtpUtf8: false);
        Lmtp = new ScriptedMailServer(ports[3], lmtp: true);
        Dns = new TestDns(ports[4])
            .Mx("mx-fallback.test", 10, "dead.mx-fallback.test").A("dead.mx-fallback.test", "127.0.0.2")
            .Mx("mx-fallback.test", 20, "good.mx-fallback.test").Cname("good.mx-fallback.test", "real.mx-fallback.test").A("real.mx-fallback.test", "127.0.0.1")
            .Mx("nullmx.test", 0, ".")
            .A("implicit.test", "127.0.0.1")
            .ServFail("servfail.test");
        _sink = StartSink(sink);

        static string S(int n) => n.ToString(CultureInfo.InvariantCulture);
        var env = new Dictionary<string, string>
        {
            ["RABBITMQ_URL"] = _broker.Url,
            ["Delivery__HeloName"] = "delivery.test.internal",
            ["Delivery__HttpUrl"] = $"http://127.0.0.1:{S(http)}",
            ["Delivery__AttemptTimeout"] = "00:00:40",
            ["Delivery__ConnectTimeout"] = "00:00:05",
            ["Delivery__CommandTimeout"] = "00:00:10",
            ["Delivery__Dns__Servers__0"] = $"127.0.0.1:{S(Dns.Port)}",
            ["Delivery__Dns__Timeout"] = "00:00:02",
            ["Delivery__Dns__Retries"] = "0",
            ["Delivery__CircuitBreaker__MinimumThroughput"] = "2",
            ["Delivery__CircuitBreaker__FailureRatio"] = "0.5",
            ["Delivery__CircuitBreaker__BreakDuration"] = "00:01:00",
        };
        (string Match, string Kind, string? Host, int Port, bool Tls, string? Path)[] transports =
        [
            ("relay.test", "Smtp", "127.0.0.1", Smtp.Port, false, null),
            ("ascii.test", "Smtp", "127.0.0.1", AsciiSmtp.Port, false, null),
            ("lmtp.test", "Lmtp", "127.0.0.1", Lmtp.Port, false, null),
            ("maildir.test", "Maildir", null, 25, false, MaildirRoot),
            ("sink.test", "Smtp", "127.0.0.1", sink, false, null),
            ("dead.test", "Smtp", "127.0.0.1", dead, false, null),
            ("tls.test", "Smtp", "127.0.0.1", Smtp.Port, true, null),
            ("*", "Smtp", null, Smtp.Port, false, null),
        ];
        for (int i = 0; i < transports.Length; i++)
        {
            var t = transports[i];
            string p = $"Delivery__Transports__{S(i)}__";
            env[p + "Match"] = t.Match;
            env[p + "Kind"] = t.Kind;
            env[p + "Port"] = S(t.Port);
            env[p + "RequireTls"] = t.Tls ? "true" : "false";
            if (t.Host is not null)
            {
                env[p + "Host"] = t.Host;
            }

            if (t.Path is not null)
            {
                env[p + "Path"] = t.Path;
            }
        }

        _process = ServiceProcess.Start("Delivery", env);
        await _process.WaitHealthyAsync($"http://127.0.0.1:{S(http)}/health/ready", TimeSpan.FromSeconds(60));
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        if (_sink is not null)
        {
            // Bounded: an smtp-sink that outlives SIGKILL must not hang the run.
            await ProcessTree.KillAsync(_sink);
        }

        _sink?.Dispose();
        await Smtp.DisposeAsync();
        await AsciiSmtp.DisposeAsync();
        await Lmtp.DisposeAsync();
        Dns.Dispose();
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }

        Directory.Delete(MaildirRoot, recursive: true);
        Directory.Delete(SinkDirectory, recursive: true);
    }

    /// <summary>Publishes a request and waits for its outcome.</summary>
    internal async Task<DeliveryAttempted> DeliverAsync(DeliveryRequested request)
    {
        await Broker.PublishAsync(request);
        try
        {
            return await Broker.AttemptedAsync(request.MessageId);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}\n{Output}", ex);
        }
    }

    internal static DeliveryRequested Request(string destination, string sender, byte[] content, params string[] recipients) => new()
    {
        MessageId = QueueId.New(),
        AttemptId = Guid.NewGuid().ToString("N"),
        Destination = destination,
        Sender = sender,
        Recipients = recipients.Select(r => new EnvelopeRecipient(r, DsnNotify.Default, null)).ToList(),
        Content = content,
    };

    private Process StartSink(int port)
    {
        var psi = new ProcessStartInfo("smtp-sink") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in (string[])["-u", "root", "-d", Path.Combine(SinkDirectory, "%M."), $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}", "100"])
        {
            psi.ArgumentList.Add(a);
        }

        return ChildProcess.Start(psi);
    }
}

[CollectionDefinition(Name)]
public sealed class DeliveryCollection : ICollectionFixture<DeliveryFixture>
{
    public const string Name = "delivery";
}
