using System.Globalization;
using System.Text.Json;
using EmailPipeline.Contracts;

namespace EmailPipeline.Deploy.Tests;

/// <summary>
/// The Helm chart under k8s/emailpipeline, rendered with its default values and with
/// k8s/examples/production-values.yaml: lint, schema validation of every object, and the properties an
/// operator relies on (ports, probes, security, queue names, drain, state).
/// </summary>
public sealed class ChartTests
{
    public static TheoryData<string> ValueSets => ["default", "production"];

    private static readonly string[] Components = ["ingress", "queue", "delivery", "policy"];

    [Theory]
    [MemberData(nameof(ValueSets))]
    public void Helm_lint_passes_strict(string values)
    {
        ProcessResult r = DeployTools.Run(DeployTools.Helm, ["lint", "--strict", DeployTools.Chart, .. DeployTools.ValuesArgs(values)]);
        Assert.True(r.ExitCode == 0, $"helm lint failed:\n{r.StdOut}\n{r.StdErr}");
        Assert.Contains("0 chart(s) failed", r.StdOut, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ValueSets))]
    public void Every_rendered_object_is_valid_against_the_Kubernetes_schemas(string values)
    {
        IReadOnlyList<RenderedObject> objects = DeployTools.Render(values);
        Assert.NotEmpty(objects);
        Assert.All(objects, o =>
        {
            Assert.True(o.Schema is not null, $"{o} ({o.ApiVersion}) has no schema to be validated against");
            Assert.True(o.Errors.Length == 0, $"{o}: {string.Join("; ", o.Errors)}");
        });
        foreach (string c in Components)
        {
            Single(objects, "Deployment", c);
            Single(objects, "ConfigMap", c);
        }
    }

    [Fact]
    public void Every_optional_feature_renders_valid_objects_together()
    {
        IReadOnlyList<RenderedObject> objects = DeployTools.Render("production",
            "ingress.proxyProtocol.enabled=true",
            "ingress.proxyProtocol.trustedProxies[0]=10.0.0.0/16",
            "ingress.users[0].name=alice",
            "ingress.users[0].passwordHash=$pbkdf2-sha256$210000$c2FsdA$aGFzaA",
            "ingress.users[0].senders[0]=alice@example.com",
            "ingress.usersExistingSecret=",
            "queue.store.postgres.existingSecret=",
            "queue.store.postgres.connectionString=Host=db;Username=u;Password=p",
            "rabbitmq.existingSecret=",
            "rabbitmq.url=amqp://u:p@rabbit:5672/mail");
        Assert.All(objects, o => Assert.True(o.Schema is not null && o.Errors.Length == 0, $"{o}: {string.Join("; ", o.Errors)}"));
        Assert.Contains(objects, o => o.Kind == "Secret" && o.Name.EndsWith("-ingress-users", StringComparison.Ordinal));
        Assert.Contains(objects, o => o.Kind == "Secret" && o.Name.EndsWith("-queue-postgres", StringComparison.Ordinal));
    }

    [Fact]
    public void DKIM_signing_keys_come_from_a_Secret_mounted_read_only_as_the_key_directory()
    {
        IReadOnlyList<RenderedObject> objects = DeployTools.Render("production", "policy.dkim.existingSecret=dkim-keys");
        Assert.All(objects, o => Assert.True(o.Schema is not null && o.Errors.Length == 0, $"{o}: {string.Join("; ", o.Errors)}"));
        RenderedObject deployment = Single(objects, "Deployment", "policy");
        JsonElement container = Container(deployment);
        JsonElement env = Assert.Single(container.GetProperty("env").EnumerateArray(), e => e.GetProperty("name").GetString() == "Policy__Signing__KeyDirectory");
        string directory = env.GetProperty("value").GetString()!;
        JsonElement mount = Assert.Single(container.GetProperty("volumeMounts").EnumerateArray(), m => m.GetProperty("mountPath").GetString() == directory);
        Assert.True(mount.GetProperty("readOnly").GetBoolean());
        JsonElement volume = Assert.Single(deployment.Spec.GetProperty("template").GetProperty("spec").GetProperty("volumes").EnumerateArray(),
            v => v.GetProperty("name").GetString() == mount.GetProperty("name").GetString());
        Assert.Equal("dkim-keys", volume.GetProperty("secret").GetProperty("secretName").GetString());

        // Without the Secret nothing is mounted and signing stays off.
        JsonElement plain = Container(Single(DeployTools.Render("production"), "Deployment", "policy"));
        Assert.DoesNotContain(plain.GetProperty("env").EnumerateArray(), e => e.GetProperty("name").GetString() == "Policy__Signing__KeyDirectory");
    }

    [Theory]
    [MemberData(nameof(ValueSets))]
    public void The_ingress_LoadBalancer_maps_25_587_465_to_the_container_ports_with_Local_traffic_policy(string values)
    {
        IReadOnlyList<RenderedObject> objects = DeployTools.Render(values);
        RenderedObject service = Single(objects, "Service", "ingress");
        Assert.Equal("LoadBalancer", service.Spec.GetProperty("type").GetString());
        Assert.Equal("Local", service.Spec.GetProperty("externalTrafficPolicy").GetString());
        var ports = service.Spec.GetProperty("ports").EnumerateArray()
            .Select(p => (p.GetProperty("port").GetInt32(), p.GetProperty("targetPort").GetInt32()))
            .OrderBy(p => p.Item1).ToArray();
        Assert.Equal([(25, 2525), (465, 2465), (587, 2587)], ports);

        // The container really listens there: the ConfigMap's listeners bind all addresses on those ports.
        Dictionary<string, string> env = ConfigData(objects, "ingress");
        var listenerPorts = env.Where(kv => kv.Key.StartsWith("Ingress__Listeners__", StringComparison.Ordinal) && kv.Key.EndsWith("__Port", StringComparison.Ordinal))
            .Select(kv => int.Parse(kv.Value, CultureInfo.InvariantCulture)).Order().ToArray();
        Assert.Equal([2465, 2525, 2587], listenerPorts);
        Assert.All(env.Where(kv => kv.Key.EndsWith("__Address", StringComparison.Ordinal)), kv => Assert.Equal("0.0.0.0", kv.Value));
        Assert.All(env.Where(kv => kv.Key.EndsWith("__ProxyProtocol", StringComparison.Ordinal)), kv => Assert.Equal("false", kv.Value));
        var containerPorts = Container(Single(objects, "Deployment", "ingress")).GetProperty("ports").EnumerateArray()
            .Select(p => p.GetProperty("containerPort").GetInt32()).ToHashSet();
        Assert.Superset(new HashSet<int> { 2525, 2587, 2465 }, containerPorts);
    }

    [Fact]
    public void Proxy_protocol_switch_turns_it_on_for_every_listener()
    {
        IReadOnlyList<RenderedObject> objects = DeployTools.Render("default", "ingress.proxyProtocol.enabled=true", "ingress.proxyProtocol.trustedProxies[0]=10.0.0.0/16");
        Dictionary<string, string> env = ConfigData(objects, "ingress");
        var flags = env.Where(kv => kv.Key.EndsWith("__ProxyProtocol", StringComparison.Ordinal)).ToArray();
        Assert.Equal(3, flags.Length);
        Assert.All(flags, kv => Assert.Equal("true", kv.Value));
        var trusted = env.Where(kv => kv.Key.EndsWith("__TrustedProxies__0", StringComparison.Ordinal)).ToArray();
        Assert.Equal(3, trusted.Length);
        Assert.All(trusted, kv => Assert.Equal("10.0.0.0/16", kv.Value));
        Assert.Equal("Cluster", Single(objects, "Service", "ingress").Spec.GetProperty("externalTrafficPolicy").GetString());
    }

    [Theory]
    [MemberData(nameof(ValueSets))]
    public void Probes_use_health_live_and_health_ready_on_the_port_the_service_binds(string values)
    {
        IReadOnlyList<RenderedObject> objects = DeployTools.Render(values);
        var expected = new Dictionary<string, (string Key, int Port)>
        {
            ["ingress"] = ("Ingress__HttpUrl", 8025),
            ["queue"] = ("Queue__HttpUrl", 8027),
            ["delivery"] = ("Delivery__HttpUrl", 8026),
            ["policy"] = ("Policy__HttpUrl", 8028),
        };
        foreach (string c in Components)
        {
            Assert.Equal($"http://0.0.0.0:{expected[c].Port}", ConfigData(objects, c)[expected[c].Key]);
            JsonElement container = Container(Single(objects, "Deployment", c));
            int httpPort = container.GetProperty("ports").EnumerateArray()
                .Single(p => p.GetProperty("name").GetString() == "http").GetProperty("containerPort").GetInt32();
            Assert.Equal(expected[c].Port, httpPort);
            foreach ((string probe, string path) in new[] { ("livenessProbe", "/health/live"), ("startupProbe", "/health/live"), ("readinessProbe", "/health/ready") })
            {
                JsonElement get = container.GetProperty(probe).GetProperty("httpGet");
                Assert.Equal(path, get.GetProperty("path").GetString());
                Assert.Equal("http", get.GetProperty("port").GetString());
            }

            // The metrics Service reaches the same port.
            RenderedObject http = Single(objects, "Service", c + "-http");
            Assert.Equal(expected[c].Port, http.Spec.GetProperty("ports")[0].GetProperty("port").GetInt32());
        }
    }

    [Theory]
    [MemberData(nameof(ValueSets))]
    public void Every_container_runs_non_root_read_only_without_capabilities(string values)
    {
        IReadOnlyList<RenderedObject> objects = DeployTools.Render(values);
        foreach (RenderedObject d in objects.Where(o => o.Kind == "Deployment"))
        {
            JsonElement pod = d.Spec.GetProperty("template").GetProperty("spec");
            JsonElement podSc = pod.GetProperty("securityContext");
            Assert.True(podSc.GetProperty("runAsNonRoot").GetBoolean(), d.ToString());
            Assert.NotEqual(0, podSc.GetProperty("runAsUser").GetInt32());
            Assert.Equal("RuntimeDefault", podSc.GetProperty("seccompProfile").GetProperty("type").GetString());
            Assert.False(pod.GetProperty("automountServiceAccountToken").GetBoolean());
            var containers = pod.GetProperty("containers").EnumerateArray()
                .Concat(pod.TryGetProperty("initContainers", out JsonElement init) ? init.EnumerateArray() : []).ToArray();
            Assert.NotEmpty(containers);
            foreach (JsonElement c in containers)
            {
                JsonElement sc = c.GetProperty("securityContext");
                Assert.True(sc.GetProperty("runAsNonRoot").GetBoolean(), d.ToString());
                Assert.True(sc.GetProperty("readOnlyRootFilesystem").GetBoolean(), d.ToString());
                Assert.False(sc.GetProperty("allowPrivilegeEscalation").GetBoolean(), d.ToString());
                Assert.Equal(["ALL"], sc.GetProperty("capabilities").GetProperty("drop").EnumerateArray().Select(x => x.GetString()));
                Assert.False(sc.GetProperty("capabilities").TryGetProperty("add", out _), d.ToString());
                // With a read-only root, /tmp must be a volume.
                Assert.Contains(c.GetProperty("volumeMounts").EnumerateArray(), m => m.GetProperty("mountPath").GetString() == "/tmp");
            }
        }
    }

    [Fact]
    public void KEDA_scales_the_workers_on_the_queues_the_services_declare()
    {
        IReadOnlyList<RenderedObject> objects = DeployTools.Render("production");
        string[] QueueNames(RenderedObject o) => o.Spec.GetProperty("triggers").EnumerateArray()
            .Where(t => t.GetProperty("type").GetString() == "rabbitmq")
            .Select(t => t.GetProperty("metadata").GetProperty("queueName").GetString()!).ToArray();

        RenderedObject delivery = Single(objects, "ScaledObject", "delivery");
        Assert.Equal([PipelineQueues.Delivery, PipelineQueues.DeliveryLarge], QueueNames(delivery));
        Assert.Equal(Single(objects, "Deployment", "delivery").Name, delivery.Spec.GetProperty("scaleTargetRef").GetProperty("name").GetString());

        RenderedObject queue = Single(objects, "ScaledObject", "queue");
        Assert.Equal([PipelineQueues.Accepted, PipelineQueues.DeliveryResults], QueueNames(queue));

        RenderedObject policy = Single(objects, "ScaledObject", "policy");
        Assert.Equal([PipelineQueues.PolicyCheck], QueueNames(policy));
        Assert.Equal(Single(objects, "Deployment", "policy").Name, policy.Spec.GetProperty("scaleTargetRef").GetProperty("name").GetString());
        Assert.False(Single(objects, "Deployment", "policy").Spec.TryGetProperty("replicas", out _));

        // KEDA reads the broker URL from the Secret the pods use; the workers leave replicas to KEDA.
        RenderedObject auth = Assert.Single(objects, o => o.Kind == "TriggerAuthentication");
        JsonElement target = auth.Spec.GetProperty("secretTargetRef")[0];
        Assert.Equal("host", target.GetProperty("parameter").GetString());
        Assert.Equal("emailpipeline-rabbitmq", target.GetProperty("name").GetString());
        Assert.All(QueueTriggers(objects), t => Assert.Equal(auth.Name, t.GetProperty("authenticationRef").GetProperty("name").GetString()));
        Assert.False(Single(objects, "Deployment", "delivery").Spec.TryGetProperty("replicas", out _));
        Assert.DoesNotContain(objects, o => o.Kind == "HorizontalPodAutoscaler" && o.Name.EndsWith("-delivery", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_KEDA_delivery_falls_back_to_a_CPU_HPA()
    {
        IReadOnlyList<RenderedObject> objects = DeployTools.Render("default");
        Assert.DoesNotContain(objects, o => o.Kind is "ScaledObject" or "TriggerAuthentication");
        RenderedObject hpa = Single(objects, "HorizontalPodAutoscaler", "delivery");
        JsonElement metric = Assert.Single(hpa.Spec.GetProperty("metrics").EnumerateArray());
        Assert.Equal("cpu", metric.GetProperty("resource").GetProperty("name").GetString());
        Assert.Equal(Single(objects, "Deployment", "delivery").Name, hpa.Spec.GetProperty("scaleTargetRef").GetProperty("name").GetString());
    }

    [Theory]
    [MemberData(nameof(ValueSets))]
    public void Ingress_grace_period_outlasts_the_preStop_sleep_drain_and_publish_timeouts(string values)
    {
        IReadOnlyList<RenderedObject> objects = DeployTools.Render(values);
        Dictionary<string, string> env = ConfigData(objects, "ingress");
        TimeSpan drain = TimeSpan.Parse(env["Ingress__DrainTimeout"], CultureInfo.InvariantCulture);
        TimeSpan publish = TimeSpan.Parse(env["Ingress__PublishTimeout"], CultureInfo.InvariantCulture);
        Assert.True(drain >= TimeSpan.FromSeconds(30), $"drain {drain}");
        JsonElement pod = Single(objects, "Deployment", "ingress").Spec.GetProperty("template").GetProperty("spec");
        int grace = pod.GetProperty("terminationGracePeriodSeconds").GetInt32();
        JsonElement command = Container(Single(objects, "Deployment", "ingress")).GetProperty("lifecycle").GetProperty("preStop").GetProperty("exec").GetProperty("command");
        Assert.Equal("sleep", command[0].GetString());
        int preStop = int.Parse(command[1].GetString()!, CultureInfo.InvariantCulture);
        Assert.True(preStop > 0);
        Assert.True(grace > (drain + publish).TotalSeconds + preStop, $"grace {grace}s <= preStop {preStop}s + drain {drain} + publish {publish}");
    }

    [Fact]
    public void A_grace_period_shorter_than_the_drain_fails_to_render()
    {
        ProcessResult r = DeployTools.HelmTemplate("default", "ingress.terminationGracePeriodSeconds=45");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("must exceed preStopSleepSeconds + drainTimeoutSeconds + publishTimeoutSeconds", r.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void Queue_replicas_above_one_with_SQLite_fail_to_render()
    {
        ProcessResult r = DeployTools.HelmTemplate("default", "queue.replicas=2");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("queue.replicas=2 needs queue.store.provider=Postgres", r.StdErr, StringComparison.Ordinal);

        ProcessResult scaled = DeployTools.HelmTemplate("default", "queue.autoscaling.enabled=true");
        Assert.NotEqual(0, scaled.ExitCode);
        Assert.Contains("needs queue.store.provider=Postgres", scaled.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void Queue_defaults_to_one_replica_with_SQLite_on_a_volume_claim()
    {
        IReadOnlyList<RenderedObject> objects = DeployTools.Render("default");
        RenderedObject deployment = Single(objects, "Deployment", "queue");
        Assert.Equal(1, deployment.Spec.GetProperty("replicas").GetInt32());
        Assert.Equal("Recreate", deployment.Spec.GetProperty("strategy").GetProperty("type").GetString());
        Assert.Equal("Sqlite", ConfigData(objects, "queue")["Queue__Store__Provider"]);
        RenderedObject pvc = Single(objects, "PersistentVolumeClaim", "queue-data");
        JsonElement volume = deployment.Spec.GetProperty("template").GetProperty("spec").GetProperty("volumes").EnumerateArray()
            .Single(v => v.GetProperty("name").GetString() == "data");
        Assert.Equal(pvc.Name, volume.GetProperty("persistentVolumeClaim").GetProperty("claimName").GetString());
        Assert.Equal("/var/lib/emailpipeline", ConfigData(objects, "queue")["EMAILPIPELINE_DATA"]);
    }

    [Fact]
    public void Queue_on_Postgres_scales_and_reads_its_connection_string_from_a_secret()
    {
        IReadOnlyList<RenderedObject> objects = DeployTools.Render("default",
            "queue.store.provider=Postgres", "queue.replicas=3", "queue.store.postgres.existingSecret=pg", "queue.store.postgres.existingSecretKey=cs");
        RenderedObject deployment = Single(objects, "Deployment", "queue");
        Assert.Equal(3, deployment.Spec.GetProperty("replicas").GetInt32());
        Assert.DoesNotContain(objects, o => o.Kind == "PersistentVolumeClaim");
        JsonElement env = Container(deployment).GetProperty("env").EnumerateArray()
            .Single(e => e.GetProperty("name").GetString() == "Queue__Store__ConnectionString");
        JsonElement secretRef = env.GetProperty("valueFrom").GetProperty("secretKeyRef");
        Assert.Equal("pg", secretRef.GetProperty("name").GetString());
        Assert.Equal("cs", secretRef.GetProperty("key").GetString());
    }

    [Fact]
    public void Secrets_are_referenced_never_inlined_into_ConfigMaps()
    {
        IReadOnlyList<RenderedObject> objects = DeployTools.Render("production");
        Assert.DoesNotContain(objects, o => o.Kind == "Secret"); // production names existing Secrets only
        foreach (string c in Components)
        {
            Assert.DoesNotContain(ConfigData(objects, c).Keys, k => k.Contains("Password", StringComparison.Ordinal) || k.Contains("ConnectionString", StringComparison.Ordinal) || k == "RABBITMQ_URL");
            JsonElement rabbit = Container(Single(objects, "Deployment", c)).GetProperty("env").EnumerateArray()
                .Single(e => e.GetProperty("name").GetString() == "RABBITMQ_URL");
            Assert.Equal("emailpipeline-rabbitmq", rabbit.GetProperty("valueFrom").GetProperty("secretKeyRef").GetProperty("name").GetString());
        }

        JsonElement ingress = Container(Single(objects, "Deployment", "ingress"));
        Assert.Contains(ingress.GetProperty("envFrom").EnumerateArray(), e => e.TryGetProperty("secretRef", out JsonElement s) && s.GetProperty("name").GetString() == "emailpipeline-smtp-users");
    }

    [Fact]
    public void The_cert_manager_certificate_is_mounted_where_the_ingress_reads_it()
    {
        IReadOnlyList<RenderedObject> objects = DeployTools.Render("production");
        RenderedObject certificate = Assert.Single(objects, o => o.Kind == "Certificate");
        string secretName = certificate.Spec.GetProperty("secretName").GetString()!;
        Dictionary<string, string> env = ConfigData(objects, "ingress");
        Assert.Equal("/etc/emailpipeline/tls/tls.crt", env["Ingress__Tls__CertificatePath"]);
        Assert.Equal("/etc/emailpipeline/tls/tls.key", env["Ingress__Tls__KeyPath"]);
        RenderedObject deployment = Single(objects, "Deployment", "ingress");
        JsonElement volume = deployment.Spec.GetProperty("template").GetProperty("spec").GetProperty("volumes").EnumerateArray()
            .Single(v => v.GetProperty("name").GetString() == "tls");
        Assert.Equal(secretName, volume.GetProperty("secret").GetProperty("secretName").GetString());
        Assert.Contains(Container(deployment).GetProperty("volumeMounts").EnumerateArray(),
            m => m.GetProperty("name").GetString() == "tls" && m.GetProperty("mountPath").GetString() == "/etc/emailpipeline/tls");

        // Default values: no certificate configured, none mounted (the ingress makes a self-signed one).
        IReadOnlyList<RenderedObject> plain = DeployTools.Render("default");
        Assert.DoesNotContain(ConfigData(plain, "ingress").Keys, k => k.StartsWith("Ingress__Tls__", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(ValueSets))]
    public void Disruption_budgets_network_policies_and_resources_cover_every_service(string values)
    {
        IReadOnlyList<RenderedObject> objects = DeployTools.Render(values);
        foreach (string c in Components)
        {
            Single(objects, "NetworkPolicy", c);
            JsonElement resources = Container(Single(objects, "Deployment", c)).GetProperty("resources");
            Assert.True(resources.GetProperty("requests").TryGetProperty("cpu", out _), c);
            Assert.True(resources.GetProperty("limits").TryGetProperty("memory", out _), c);
        }

        Single(objects, "PodDisruptionBudget", "ingress");
        Single(objects, "PodDisruptionBudget", "delivery");
        Single(objects, "PodDisruptionBudget", "policy");
        // One SQLite queue replica gets no budget (it would block node drains); a scaled queue does.
        Assert.Equal(values == "production", objects.Any(o => o.Kind == "PodDisruptionBudget" && o.Name.EndsWith("-queue", StringComparison.Ordinal)));
        Assert.Equal(values == "production", objects.Any(o => o.Kind == "ServiceMonitor"));
    }

    [Fact]
    public void Without_KEDA_policy_scales_on_CPU_and_the_ingress_asks_it()
    {
        IReadOnlyList<RenderedObject> objects = DeployTools.Render("default");
        RenderedObject hpa = Single(objects, "HorizontalPodAutoscaler", "policy");
        Assert.Equal(Single(objects, "Deployment", "policy").Name, hpa.Spec.GetProperty("scaleTargetRef").GetProperty("name").GetString());
        Assert.Equal("On", ConfigData(objects, "ingress")["Ingress__Policy__Mode"]);
        Assert.Equal($"ghcr.io/emailpipeline/emailpipeline-policy:{ChartVersion()}", Container(Single(objects, "Deployment", "policy")).GetProperty("image").GetString());
    }

    [Fact]
    public void Policy_can_be_left_out_and_the_ingress_then_accepts_without_asking()
    {
        IReadOnlyList<RenderedObject> objects = DeployTools.Render("default", "policy.enabled=false");
        Assert.DoesNotContain(objects, o => o.Name.EndsWith("-policy", StringComparison.Ordinal) || o.Name.EndsWith("-policy-http", StringComparison.Ordinal));
        Assert.False(ConfigData(objects, "ingress").ContainsKey("Ingress__Policy__Mode"));

        // An explicit ingress setting wins over the chart's default (and is not written twice).
        IReadOnlyList<RenderedObject> explicitOff = DeployTools.Render("default", "ingress.settings.Policy.Mode=Off");
        Assert.Equal("Off", ConfigData(explicitOff, "ingress")["Ingress__Policy__Mode"]);
    }

    [Fact]
    public void The_PrometheusRule_carries_the_alert_rules_of_deploy_prometheus_alerts_yml()
    {
        // One set of rules: the chart's copy is the file promtool checks and unit-tests.
        Assert.Equal(
            File.ReadAllText(Path.Combine(DeployTools.Root, "deploy", "prometheus", "alerts.yml")),
            File.ReadAllText(Path.Combine(DeployTools.Chart, "files", "alerts.yml")));

        IReadOnlyList<RenderedObject> objects = DeployTools.Render("production");
        RenderedObject rule = Assert.Single(objects, o => o.Kind == "PrometheusRule");
        Assert.True(rule.Schema is not null && rule.Errors.Length == 0, string.Join("; ", rule.Errors));
        Assert.Equal("kube-prometheus-stack", rule.Object.GetProperty("metadata").GetProperty("labels").GetProperty("release").GetString());
        string[] alerts = rule.Spec.GetProperty("groups").EnumerateArray().SelectMany(g => g.GetProperty("rules").EnumerateArray())
            .Select(r => r.GetProperty("alert").GetString()!).ToArray();
        Assert.Equal(
            ["EmailPipelineBounceRateSpike", "EmailPipelineBrokerUnreachable", "EmailPipelineDeliveryFailureRate", "EmailPipelineErrorQueueNotEmpty", "EmailPipelineIngress4xxRate", "EmailPipelinePublishUnroutable", "EmailPipelineQueueGrowing"],
            alerts.Order(StringComparer.Ordinal));
        Assert.DoesNotContain(DeployTools.Render("default"), o => o.Kind == "PrometheusRule");
    }

    [Theory]
    [MemberData(nameof(ValueSets))]
    public void Every_service_logs_JSON_with_trace_ids_by_default(string values)
    {
        IReadOnlyList<RenderedObject> objects = DeployTools.Render(values);
        Assert.All(Components, c => Assert.Equal("json", ConfigData(objects, c)["Logging__Console__FormatterName"]));
    }

    [Fact]
    public void Settings_maps_become_Section__Key_variables()
    {
        IReadOnlyList<RenderedObject> objects = DeployTools.Render("production");
        Dictionary<string, string> delivery = ConfigData(objects, "delivery");
        Assert.Equal("Lmtp", delivery["Delivery__Transports__0__Kind"]);
        Assert.Equal("dovecot.mail.svc", delivery["Delivery__Transports__0__Host"]);
        Assert.Equal("24", delivery["Delivery__Transports__0__Port"]);
        Dictionary<string, string> ingress = ConfigData(objects, "ingress");
        Assert.Equal("20", ingress["Ingress__Limits__MaxSessionsPerClient"]);
        Assert.Equal("example.com", ingress["Ingress__LocalDomains__0"]);
        Assert.Equal("http://otel-collector.observability.svc:4317", ingress["OTEL_EXPORTER_OTLP_ENDPOINT"]);
    }

    [Fact]
    public void The_RabbitMQ_cluster_example_has_three_replicas_for_quorum_queues()
    {
        string yaml = File.ReadAllText(Path.Combine(DeployTools.Root, "k8s", "examples", "rabbitmq-cluster.yaml"));
        RenderedObject cluster = Assert.Single(DeployTools.Validate(yaml));
        Assert.Equal("rabbitmq.com/v1beta1", cluster.ApiVersion);
        Assert.Equal("RabbitmqCluster", cluster.Kind);
        Assert.Equal(3, cluster.Spec.GetProperty("replicas").GetInt32());
        Assert.Contains("rabbitmq_prometheus", cluster.Spec.GetProperty("rabbitmq").GetProperty("additionalPlugins").EnumerateArray().Select(p => p.GetString()));
    }

    [Theory]
    [MemberData(nameof(ValueSets))]
    public void Policy_names_its_Authentication_Results_after_the_host_name_the_ingress_announces(string values)
    {
        IReadOnlyList<RenderedObject> objects = DeployTools.Render(values);
        string hostName = ConfigData(objects, "ingress")["Ingress__HostName"];
        Assert.Equal(hostName, ConfigData(objects, "policy")["Policy__AuthServId"]);
        Assert.NotEqual("mx.localhost", hostName);

        // An explicit setting wins and is written once.
        IReadOnlyList<RenderedObject> explicitly = DeployTools.Render(values, "policy.settings.AuthServId=auth.example.net");
        Assert.Equal("auth.example.net", ConfigData(explicitly, "policy")["Policy__AuthServId"]);

        // The ingress removes forged fields claiming that id, whichever it is (by default its HostName is the id).
        Assert.Equal("auth.example.net", ConfigData(explicitly, "ingress")["Ingress__Policy__AuthServId"]);
        Assert.False(ConfigData(objects, "ingress").ContainsKey("Ingress__Policy__AuthServId"));
    }

    [Fact]
    public void A_Public_Suffix_List_ConfigMap_is_mounted_read_only_and_becomes_the_list_path()
    {
        IReadOnlyList<RenderedObject> objects = DeployTools.Render("production", "policy.publicSuffixList.configMap=psl", "policy.publicSuffixList.key=list.dat");
        Assert.All(objects, o => Assert.True(o.Schema is not null && o.Errors.Length == 0, $"{o}: {string.Join("; ", o.Errors)}"));
        RenderedObject deployment = Single(objects, "Deployment", "policy");
        string path = Env(Container(deployment), "Policy__Dmarc__PublicSuffixListPath")!;
        JsonElement mount = Assert.Single(Container(deployment).GetProperty("volumeMounts").EnumerateArray(),
            m => path.StartsWith(m.GetProperty("mountPath").GetString() + "/", StringComparison.Ordinal));
        Assert.True(mount.GetProperty("readOnly").GetBoolean());
        JsonElement configMap = Volume(deployment, mount.GetProperty("name").GetString()!).GetProperty("configMap");
        Assert.Equal("psl", configMap.GetProperty("name").GetString());
        JsonElement item = Assert.Single(configMap.GetProperty("items").EnumerateArray());
        Assert.Equal("list.dat", item.GetProperty("key").GetString());
        Assert.Equal(Path.GetFileName(path), item.GetProperty("path").GetString());

        // By default the list shipped in the image is used: no path is set.
        Assert.Null(Env(Container(Single(DeployTools.Render("production"), "Deployment", "policy")), "Policy__Dmarc__PublicSuffixListPath"));
    }

    [Fact]
    public void A_Public_Suffix_List_on_an_extra_volume_is_named_by_its_path()
    {
        IReadOnlyList<RenderedObject> objects = DeployTools.Render("default",
            "policy.publicSuffixList.path=/srv/psl/public_suffix_list.dat",
            "policy.extraVolumes[0].name=psl",
            "policy.extraVolumes[0].persistentVolumeClaim.claimName=psl-refreshed",
            "policy.extraVolumeMounts[0].name=psl",
            "policy.extraVolumeMounts[0].mountPath=/srv/psl",
            "policy.extraVolumeMounts[0].readOnly=true");
        RenderedObject deployment = Single(objects, "Deployment", "policy");
        Assert.Equal("/srv/psl/public_suffix_list.dat", Env(Container(deployment), "Policy__Dmarc__PublicSuffixListPath"));
        Assert.Equal("psl-refreshed", Volume(deployment, "psl").GetProperty("persistentVolumeClaim").GetProperty("claimName").GetString());

        ProcessResult both = DeployTools.HelmTemplate("default", "policy.publicSuffixList.path=/srv/psl/list.dat", "policy.publicSuffixList.configMap=psl");
        Assert.NotEqual(0, both.ExitCode);
        Assert.Contains("policy.publicSuffixList.configMap and policy.publicSuffixList.path exclude each other", both.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void Extra_volumes_and_mounts_reach_every_service()
    {
        var sets = new List<string>();
        foreach (string c in Components)
        {
            sets.AddRange([
                $"{c}.extraVolumes[0].name=corp-ca",
                $"{c}.extraVolumes[0].configMap.name=corp-ca",
                $"{c}.extraVolumeMounts[0].name=corp-ca",
                $"{c}.extraVolumeMounts[0].mountPath=/etc/ssl/certs/corp-ca.pem",
                $"{c}.extraVolumeMounts[0].subPath=ca.pem",
                $"{c}.extraVolumeMounts[0].readOnly=true"]);
        }

        IReadOnlyList<RenderedObject> objects = DeployTools.Render("production", [.. sets]);
        Assert.All(objects, o => Assert.True(o.Schema is not null && o.Errors.Length == 0, $"{o}: {string.Join("; ", o.Errors)}"));
        foreach (string c in Components)
        {
            RenderedObject deployment = Single(objects, "Deployment", c);
            Assert.Equal("corp-ca", Volume(deployment, "corp-ca").GetProperty("configMap").GetProperty("name").GetString());
            JsonElement mount = Assert.Single(Container(deployment).GetProperty("volumeMounts").EnumerateArray(), m => m.GetProperty("name").GetString() == "corp-ca");
            Assert.Equal("/etc/ssl/certs/corp-ca.pem", mount.GetProperty("mountPath").GetString());
            Assert.Equal("ca.pem", mount.GetProperty("subPath").GetString());
            // The chart's own volumes stay.
            Assert.Contains(Container(deployment).GetProperty("volumeMounts").EnumerateArray(), m => m.GetProperty("mountPath").GetString() == "/tmp");
        }
    }

    [Fact]
    public void Proxy_protocol_without_the_load_balancers_addresses_fails_to_render()
    {
        ProcessResult r = DeployTools.HelmTemplate("default", "ingress.proxyProtocol.enabled=true");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("ingress.proxyProtocol.enabled=true needs ingress.proxyProtocol.trustedProxies", r.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void Chart_with_a_maildir_transport_on_emptyDir_fails_to_render()
    {
        ProcessResult r = DeployTools.HelmTemplate("default", "delivery.settings.Transports[0].Match=example.test", "delivery.settings.Transports[0].Kind=Maildir");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("delivery.settings.Transports[0] (Match example.test) delivers to a Maildir, but delivery.maildir.existingClaim is empty", r.StdErr, StringComparison.Ordinal);

        // The kind is matched as the service binds it (case-insensitively), and through extraEnv too.
        ProcessResult lower = DeployTools.HelmTemplate("production", "delivery.settings.Transports[1].Match=archive.example.com", "delivery.settings.Transports[1].Kind=maildir");
        Assert.NotEqual(0, lower.ExitCode);
        Assert.Contains("delivery.settings.Transports[1] (Match archive.example.com) delivers to a Maildir", lower.StdErr, StringComparison.Ordinal);
        ProcessResult env = DeployTools.HelmTemplate("default", "delivery.extraEnv[0].name=Delivery__Transports__0__Kind", "delivery.extraEnv[0].value=Maildir");
        Assert.NotEqual(0, env.ExitCode);
        Assert.Contains("delivery.maildir.existingClaim is empty", env.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void Chart_with_a_maildir_transport_on_a_claim_mounts_it_as_the_data_directory()
    {
        IReadOnlyList<RenderedObject> objects = DeployTools.Render("default",
            "delivery.settings.Transports[0].Match=example.test", "delivery.settings.Transports[0].Kind=Maildir", "delivery.maildir.existingClaim=maildir-rwx");
        Assert.All(objects, o => Assert.True(o.Schema is not null && o.Errors.Length == 0, $"{o}: {string.Join("; ", o.Errors)}"));
        RenderedObject deployment = Single(objects, "Deployment", "delivery");
        Assert.Equal("Maildir", ConfigData(objects, "delivery")["Delivery__Transports__0__Kind"]);
        string dataDirectory = ConfigData(objects, "delivery")["EMAILPIPELINE_DATA"];
        JsonElement mount = Assert.Single(Container(deployment).GetProperty("volumeMounts").EnumerateArray(), m => m.GetProperty("mountPath").GetString() == dataDirectory);
        JsonElement volume = Volume(deployment, mount.GetProperty("name").GetString()!);
        Assert.Equal("maildir-rwx", volume.GetProperty("persistentVolumeClaim").GetProperty("claimName").GetString());
        Assert.False(volume.TryGetProperty("emptyDir", out _));
    }

    /// <summary>
    /// The delivered journal answers a redelivered request after the worker's container restarted, so it lives on the
    /// pod's own emptyDir (which outlives a container restart), never on the shared Maildir claim where one pod's
    /// locked file would leave the others without one.
    /// </summary>
    [Fact]
    public void Each_delivery_pod_keeps_its_delivered_journal_on_its_own_volume_even_with_a_shared_claim()
    {
        IReadOnlyList<RenderedObject> objects = DeployTools.Render("default",
            "delivery.settings.Transports[0].Match=example.test", "delivery.settings.Transports[0].Kind=Maildir", "delivery.maildir.existingClaim=maildir-rwx");
        RenderedObject deployment = Single(objects, "Deployment", "delivery");
        JsonElement container = Container(deployment);
        string journal = container.GetProperty("env").EnumerateArray()
            .Single(e => e.GetProperty("name").GetString() == "Delivery__JournalPath").GetProperty("value").GetString()!;
        JsonElement mount = Assert.Single(container.GetProperty("volumeMounts").EnumerateArray(),
            m => journal.StartsWith(m.GetProperty("mountPath").GetString()! + "/", StringComparison.Ordinal));
        JsonElement volume = Volume(deployment, mount.GetProperty("name").GetString()!);
        Assert.True(volume.TryGetProperty("emptyDir", out _), volume.ToString());
    }

    private static string ChartVersion() =>
        File.ReadLines(Path.Combine(DeployTools.Chart, "Chart.yaml")).Single(l => l.StartsWith("appVersion:", StringComparison.Ordinal)).Split(':', 2)[1].Trim().Trim('"');

    private static IEnumerable<JsonElement> QueueTriggers(IReadOnlyList<RenderedObject> objects) =>
        objects.Where(o => o.Kind == "ScaledObject").SelectMany(o => o.Spec.GetProperty("triggers").EnumerateArray())
            .Where(t => t.GetProperty("type").GetString() == "rabbitmq");

    private static RenderedObject Single(IReadOnlyList<RenderedObject> objects, string kind, string component) =>
        Assert.Single(objects, o => o.Kind == kind && o.Name.EndsWith("-" + component, StringComparison.Ordinal));

    private static JsonElement Container(RenderedObject deployment) =>
        deployment.Spec.GetProperty("template").GetProperty("spec").GetProperty("containers")[0];

    private static JsonElement Volume(RenderedObject deployment, string name) =>
        Assert.Single(deployment.Spec.GetProperty("template").GetProperty("spec").GetProperty("volumes").EnumerateArray(),
            v => v.GetProperty("name").GetString() == name);

    /// <summary>The value of a container's env entry (null: not set).</summary>
    private static string? Env(JsonElement container, string name) =>
        container.GetProperty("env").EnumerateArray().Where(e => e.GetProperty("name").GetString() == name)
            .Select(e => e.GetProperty("value").GetString()).SingleOrDefault();

    private static Dictionary<string, string> ConfigData(IReadOnlyList<RenderedObject> objects, string component) =>
        Single(objects, "ConfigMap", component).Object.GetProperty("data").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
}
