using System.Globalization;
using EmailPipeline.Contracts;
using EmailPipeline.Ingress.Authentication;

namespace EmailPipeline.Ingress.IntegrationTests.Infrastructure;

/// <summary>
/// A real ingress process on loopback ports against the real RabbitMQ (a virtual host of its own), with
/// the listeners and users the tests need. Limits are small so the tests can reach them quickly.
/// </summary>
public sealed class IngressFixture : IAsyncLifetime
{
    public const string AlicePassword = "alice-Secret-1";
    public const string BobPassword = "bob-Secret-2";
    public const long MaxMessageSize = 1024 * 1024;
    public const int MaxRecipients = 5;

    private Broker? _broker;
    private ServiceProcess? _process;

    public int MxPort { get; private set; }

    public int SubmissionPort { get; private set; }

    public int SubmissionsPort { get; private set; }

    public int ProxyPort { get; private set; }

    public int SlowGreetingPort { get; private set; }

    public int HttpPort { get; private set; }

    public int Ipv6Port { get; private set; }

    internal Broker Broker => _broker!;

    internal ServiceProcess Process => _process!;

    public string Output => _process?.Output ?? "";

    public async ValueTask InitializeAsync()
    {
        _broker = await Broker.CreateVirtualHostAsync("ingress-tests");
        int[] ports = FreePorts.Take(7);
        (MxPort, SubmissionPort, SubmissionsPort, ProxyPort, SlowGreetingPort, HttpPort, Ipv6Port) = (ports[0], ports[1], ports[2], ports[3], ports[4], ports[5], ports[6]);
        _process = ServiceProcess.Start("Ingress", Environment());
        await _process.WaitHealthyAsync($"http://127.0.0.1:{HttpPort}/health/ready", TimeSpan.FromSeconds(60));
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }
    }

    /// <summary>Takes the messages the ingress queued (waiting for at least <paramref name="atLeast"/>).</summary>
    internal Task<List<QueuedMessage>> QueuedAsync(int atLeast = 1, double waitSeconds = 10) =>
        Broker.DrainAsync(PipelineQueues.Accepted, atLeast, TimeSpan.FromSeconds(waitSeconds));

    private Dictionary<string, string> Environment()
    {
        static string S(int n) => n.ToString(CultureInfo.InvariantCulture);
        var env = new Dictionary<string, string>
        {
            ["RABBITMQ_URL"] = _broker!.Url,
            ["Ingress__HostName"] = "mx.test.internal",
            ["Ingress__HttpUrl"] = $"http://127.0.0.1:{S(HttpPort)}",
            ["Ingress__LocalDomains__0"] = "example.test",
            ["Ingress__LocalDomains__1"] = "例子.测试",
            ["Ingress__RelayDomains__0"] = "relay.test",
            ["Ingress__Listeners__0__Name"] = "mx",
            ["Ingress__Listeners__0__Role"] = "Mx",
            ["Ingress__Listeners__0__Port"] = S(MxPort),
            ["Ingress__Listeners__1__Name"] = "submission",
            ["Ingress__Listeners__1__Role"] = "Submission",
            ["Ingress__Listeners__1__Port"] = S(SubmissionPort),
            ["Ingress__Listeners__2__Name"] = "submissions",
            ["Ingress__Listeners__2__Role"] = "Submissions",
            ["Ingress__Listeners__2__Port"] = S(SubmissionsPort),
            ["Ingress__Listeners__3__Name"] = "mx-proxied",
            ["Ingress__Listeners__3__Role"] = "Mx",
            ["Ingress__Listeners__3__Port"] = S(ProxyPort),
            ["Ingress__Listeners__3__ProxyProtocol"] = "true",
            ["Ingress__Listeners__3__TrustedProxies__0"] = "127.0.0.1", // the "load balancer"; 127.0.0.2+ are anyone else
            ["Ingress__Listeners__4__Name"] = "mx-slow-greeting",
            ["Ingress__Listeners__4__Role"] = "Mx",
            ["Ingress__Listeners__4__Port"] = S(SlowGreetingPort),
            ["Ingress__Listeners__4__GreetingDelay"] = "00:00:01",
            ["Ingress__Listeners__5__Name"] = "mx-v6",
            ["Ingress__Listeners__5__Role"] = "Mx",
            ["Ingress__Listeners__5__Address"] = "::1",
            ["Ingress__Listeners__5__Port"] = S(Ipv6Port),
            ["Ingress__Limits__MaxMessageSize"] = S((int)MaxMessageSize),
            ["Ingress__Limits__MaxRecipients"] = S(MaxRecipients),
            ["Ingress__Limits__CommandTimeout"] = "00:00:06",
            ["Ingress__Limits__DataTimeout"] = "00:00:06",
            ["Ingress__Limits__WriteTimeout"] = "00:00:03",
            ["Ingress__Limits__MaxErrors"] = "10",
            ["Ingress__Limits__MaxSessionsPerClient"] = "8",
            ["Ingress__Authentication__MaxFailuresPerClient"] = "3",
            ["Ingress__Authentication__Users__0__Name"] = "alice",
            ["Ingress__Authentication__Users__0__PasswordHash"] = PasswordHash.Create(AlicePassword, 100_000).Format(),
            ["Ingress__Authentication__Users__0__CramMd5Secret"] = CramMd5Secret.FromPassword(AlicePassword).Format(),
            ["Ingress__Authentication__Users__0__Senders__0"] = "alice@example.test",
            ["Ingress__Authentication__Users__0__Senders__1"] = "@alice.test",
            ["Ingress__Authentication__Users__0__Senders__2"] = "ålice@例子.测试",
            ["Ingress__Authentication__Users__1__Name"] = "bob",
            ["Ingress__Authentication__Users__1__PasswordHash"] = PasswordHash.Create(BobPassword, 100_000).Format(),
            ["Ingress__Authentication__Users__1__Senders__0"] = "bob@example.test",
        };
        return env;
    }
}

[CollectionDefinition(Name)]
public sealed class IngressCollection : ICollectionFixture<IngressFixture>
{
    public const string Name = "ingress";
}
