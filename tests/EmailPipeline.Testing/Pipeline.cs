using System.Globalization;

namespace EmailPipeline.Testing;

/// <summary>
/// The whole pipeline as separate real processes — Ingress, Queue and one or more Delivery workers — on
/// loopback ports, in a RabbitMQ virtual host and a data directory of its own. Settings are environment
/// variables, exactly as run.sh and the Helm chart give them. Services can be killed (-9) and started again.
/// With policy settings, a Policy process runs too and the ingress asks it (Ingress:Policy:Mode=On).
/// </summary>
public sealed class Pipeline : IAsyncDisposable
{
    private readonly Dictionary<string, string> _common;
    private readonly Dictionary<string, string> _ingressSettings;
    private readonly Dictionary<string, string> _queueSettings;
    private readonly Dictionary<string, string> _deliverySettings;
    private readonly Dictionary<string, string>? _policySettings;
    private readonly List<ServiceProcess> _deliveries = [];
    private readonly List<int> _deliveryHttpPorts = [];
    private readonly List<ServiceProcess?> _journalHolders = [];
    private readonly List<int> _slotPorts = [];

    private Pipeline(RabbitVirtualHost broker, string data, IDictionary<string, string> ingress, IDictionary<string, string> queue, IDictionary<string, string> delivery,
        IDictionary<string, string>? policy = null)
    {
        Broker = broker;
        DataDirectory = data;
        int[] ports = FreePorts.Take(3);
        (SmtpPort, IngressHttpPort, QueueHttpPort) = (ports[0], ports[1], ports[2]);
        _common = new Dictionary<string, string>
        {
            ["RABBITMQ_URL"] = broker.Url,
            ["EMAILPIPELINE_DATA"] = data,
            ["Logging__LogLevel__Default"] = "Information",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
            ["Logging__LogLevel__MassTransit"] = "Warning",
        };
        _ingressSettings = new Dictionary<string, string>
        {
            ["Ingress__HostName"] = "mx.pipeline.test",
            ["Ingress__HttpUrl"] = $"http://127.0.0.1:{S(IngressHttpPort)}",
            ["Ingress__LocalDomains__0"] = "example.test",
            ["Ingress__RelayDomains__0"] = "sink.test",
            ["Ingress__RelayDomains__1"] = "peer.test",
            ["Ingress__Listeners__0__Name"] = "mx",
            ["Ingress__Listeners__0__Role"] = "Mx",
            ["Ingress__Listeners__0__Port"] = S(SmtpPort),
            ["Ingress__Limits__MaxSessionsPerClient"] = "500",
        };
        if (policy is not null)
        {
            PolicyHttpPort = FreePorts.Take(1)[0];
            _policySettings = new Dictionary<string, string>
            {
                ["Policy__HttpUrl"] = $"http://127.0.0.1:{S(PolicyHttpPort)}",
                ["Policy__AuthServId"] = "mx.pipeline.test",
            };
            Merge(_policySettings, policy);
            _ingressSettings["Ingress__Policy__Mode"] = "On";
        }

        Merge(_ingressSettings, ingress);
        _queueSettings = new Dictionary<string, string>
        {
            ["Queue__HostName"] = "mx.pipeline.test",
            ["Queue__HttpUrl"] = $"http://127.0.0.1:{S(QueueHttpPort)}",
            ["Queue__Store__SqlitePath"] = Path.Combine(data, "queue.db"),
        };
        Merge(_queueSettings, queue);
        _deliverySettings = new Dictionary<string, string>
        {
            ["Delivery__HeloName"] = "mx.pipeline.test",
            ["Delivery__Transports__0__Match"] = "example.test",
            ["Delivery__Transports__0__Kind"] = "Maildir",
            ["Delivery__Transports__0__Path"] = MaildirRoot,
        };
        Merge(_deliverySettings, delivery);
    }

    public RabbitVirtualHost Broker { get; }

    public string DataDirectory { get; }

    public string MaildirRoot => Path.Combine(DataDirectory, "maildir");

    public string QueueDatabase => _queueSettings["Queue__Store__SqlitePath"];

    public int SmtpPort { get; }

    public int IngressHttpPort { get; }

    public int QueueHttpPort { get; }

    /// <summary>0 unless the pipeline runs a Policy service.</summary>
    public int PolicyHttpPort { get; }

    public ServiceProcess? Ingress { get; private set; }

    public ServiceProcess? Policy { get; private set; }

    public ServiceProcess? Queue { get; private set; }

    public IReadOnlyList<ServiceProcess> Deliveries => _deliveries;

    /// <summary>The health and metrics port of each Delivery worker, in the order of <see cref="Deliveries"/>.</summary>
    public IReadOnlyList<int> DeliveryHttpPorts => _deliveryHttpPorts;

    /// <summary>Starts everything. Settings given win over the defaults (keys as environment variables,
    /// e.g. "Queue__RetrySchedule__0" = "00:00:02", "Delivery__Transports__1__Match" = "sink.test").
    /// <paramref name="policy"/> non-null starts the Policy service with those settings (e.g. "Policy__Dns__NameServers__0")
    /// and turns the ingress's policy check on.</summary>
    public static async Task<Pipeline> StartAsync(
        IDictionary<string, string>? ingress = null,
        IDictionary<string, string>? queue = null,
        IDictionary<string, string>? delivery = null,
        int deliveryWorkers = 1,
        IDictionary<string, string>? policy = null)
    {
        RabbitVirtualHost broker = await RabbitVirtualHost.CreateAsync("pipeline");
        string data = Directory.CreateTempSubdirectory("emailpipeline-data-").FullName;
        var pipeline = new Pipeline(broker, data, ingress ?? new Dictionary<string, string>(), queue ?? new Dictionary<string, string>(), delivery ?? new Dictionary<string, string>(), policy);
        try
        {
            if (policy is not null)
            {
                await pipeline.StartPolicyAsync();
            }

            await pipeline.StartQueueAsync();
            for (int i = 0; i < deliveryWorkers; i++)
            {
                await pipeline.StartDeliveryAsync();
            }

            await pipeline.StartIngressAsync();
            return pipeline;
        }
        catch
        {
            await pipeline.DisposeAsync();
            throw;
        }
    }

    public async Task StartIngressAsync()
    {
        Ingress = ServiceProcess.Start("Ingress", With(_ingressSettings));
        await Ingress.WaitHealthyAsync($"http://127.0.0.1:{S(IngressHttpPort)}/health/ready", TimeSpan.FromSeconds(60));
    }

    /// <summary>Starts (or restarts) the Policy service; only for a pipeline made with policy settings.</summary>
    public async Task StartPolicyAsync()
    {
        Dictionary<string, string> settings = _policySettings ?? throw new InvalidOperationException("This pipeline was started without a Policy service.");
        Policy = ServiceProcess.Start("Policy", With(settings));
        await Policy.WaitHealthyAsync($"http://127.0.0.1:{S(PolicyHttpPort)}/health/ready", TimeSpan.FromSeconds(60));
    }

    public async Task StartQueueAsync()
    {
        Queue = ServiceProcess.Start("Queue", With(_queueSettings));
        await Queue.WaitHealthyAsync($"http://127.0.0.1:{S(QueueHttpPort)}/health/ready", TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// Starts a Delivery worker. Each worker has a journal file of its own (Delivery:JournalPath, never shared); a worker
    /// started after one died takes over the dead one's journal, as a restarted pod keeps its data directory.
    /// </summary>
    public async Task<ServiceProcess> StartDeliveryAsync()
    {
        int slot = _journalHolders.FindIndex(p => p is null || p.HasExited);
        if (slot < 0)
        {
            slot = _journalHolders.Count;
            _journalHolders.Add(null);
            _slotPorts.Add(FreePorts.Take(1)[0]);
        }

        // A restarted worker listens where its predecessor did, as the other services do: a port chosen afresh at every
        // restart could be one a killed service is about to bind again.
        int port = _slotPorts[slot];
        var settings = new Dictionary<string, string>(_deliverySettings) { ["Delivery__HttpUrl"] = $"http://127.0.0.1:{S(port)}" };

        settings.TryAdd("Delivery__JournalPath", Path.Combine(DataDirectory, $"delivery-{S(slot)}.journal"));
        ServiceProcess delivery = ServiceProcess.Start("Delivery", With(settings));
        _journalHolders[slot] = delivery;
        _deliveries.Add(delivery);
        _deliveryHttpPorts.Add(port);
        await delivery.WaitHealthyAsync($"http://127.0.0.1:{S(port)}/health/ready", TimeSpan.FromSeconds(60));
        return delivery;
    }

    /// <summary>kill -9: no shutdown, no goodbye — what a crash or an OOM kill does.</summary>
    public static async Task KillAsync(ServiceProcess process) => await process.KillHardAsync();

    /// <summary>Everything the processes printed, for a failing test's message.</summary>
    public string Output =>
        $"--- ingress\n{Ingress?.Output}\n--- queue\n{Queue?.Output}\n" +
        (Policy is null ? "" : $"--- policy\n{Policy.Output}\n") +
        string.Join("\n", _deliveries.Select((d, i) => $"--- delivery {i}\n{d.Output}"));

    public async ValueTask DisposeAsync()
    {
        foreach (ServiceProcess p in new[] { Ingress, Queue, Policy }.Concat(_deliveries).OfType<ServiceProcess>())
        {
            await p.DisposeAsync();
        }

        await Broker.DisposeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private Dictionary<string, string> With(Dictionary<string, string> settings)
    {
        var all = new Dictionary<string, string>(_common);
        Merge(all, settings);
        return all;
    }

    private static void Merge(IDictionary<string, string> into, IDictionary<string, string> from)
    {
        foreach (var (k, v) in from)
        {
            into[k] = v;
        }
    }

    private static string S(int n) => n.ToString(CultureInfo.InvariantCulture);
}
