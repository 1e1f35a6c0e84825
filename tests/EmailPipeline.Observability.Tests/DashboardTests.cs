using System.Text.Json;
using System.Text.RegularExpressions;
using EmailPipeline.Observability.Tests.Support;

namespace EmailPipeline.Observability.Tests;

/// <summary>
/// The Grafana dashboards, read without running anything: provisioned in the compose stack, built on the
/// provisioned data source, covering what an operator needs, and — the point — every metric name in every
/// panel query and alert rule is one the services' code registers (OpenTelemetry names mapped to Prometheus
/// names) or one RabbitMQ's Prometheus plugin exports. ScrapeTests then proves the same against a live scrape.
/// </summary>
public sealed partial class DashboardTests
{
    /// <summary>RabbitMQ plugin metrics the dashboards and alerts may use (queue_coarse_metrics family), and
    /// Prometheus' own "up".</summary>
    public static readonly IReadOnlySet<string> ExternalMetrics = new HashSet<string>(StringComparer.Ordinal)
    {
        "rabbitmq_detailed_queue_messages", "rabbitmq_detailed_queue_messages_ready", "rabbitmq_detailed_queue_messages_unacked", "up",
    };

    [Fact]
    public void Every_metric_in_the_dashboards_and_alert_rules_is_one_the_code_registers()
    {
        IReadOnlyList<Instrument> instruments = RegisteredInstruments.Scan();
        Assert.NotEmpty(instruments);
        var registered = instruments.SelectMany(i => i.PrometheusNames).ToHashSet(StringComparer.Ordinal);

        var used = new List<(string Where, string Metric)>();
        foreach (PanelQuery q in Dashboards.Queries())
        {
            used.AddRange(Dashboards.MetricNames(q.Expr).Select(n => (q.ToString(), n)));
        }

        foreach ((string alert, string expr) in AlertExpressions())
        {
            used.AddRange(Dashboards.MetricNames(expr).Select(n => ($"alert {alert}", n)));
        }

        Assert.NotEmpty(used);
        var unknown = used.Where(u => !registered.Contains(u.Metric) && !ExternalMetrics.Contains(u.Metric)).ToArray();
        Assert.True(unknown.Length == 0,
            "Not registered by any service:\n" + string.Join("\n", unknown.Select(u => $"  {u.Metric} in {u.Where}")) +
            "\nRegistered:\n  " + string.Join("\n  ", registered.Order(StringComparer.Ordinal)));
    }

    [Fact]
    public void The_metric_name_scan_sees_each_instrument_kind_with_its_unit()
    {
        var names = RegisteredInstruments.Scan().ToDictionary(i => i.Name, StringComparer.Ordinal);
        Assert.Equal(["emailpipeline_ingress_messages_accepted_total"], names["emailpipeline.ingress.messages.accepted"].PrometheusNames);
        Assert.Equal(["emailpipeline_ingress_bytes_received_bytes_total"], names["emailpipeline.ingress.bytes.received"].PrometheusNames);
        Assert.Equal("emailpipeline_queue_delivery_latency_seconds_bucket", names["emailpipeline.queue.delivery.latency"].PrometheusNames[0]);
        Assert.Equal(["emailpipeline_ingress_sessions_active"], names["emailpipeline.ingress.sessions.active"].PrometheusNames);
        Assert.Equal(["emailpipeline_queue_recipients"], names["emailpipeline.queue.recipients"].PrometheusNames);
        Assert.Equal(["emailpipeline_bus_connected"], names["emailpipeline.bus.connected"].PrometheusNames);
    }

    [Fact]
    public void The_dashboard_has_a_panel_for_each_view_operators_need()
    {
        string[] titles = Dashboards.Files.SelectMany(f =>
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(f));
            return Dashboards.Panels(doc.RootElement).Select(p => p.GetProperty("title").GetString() ?? "").ToArray();
        }).ToArray();
        foreach (string needed in (string[])[
                     "Mail flow per minute", "Rejected per minute by reason", "Queue depth per queue", "Dead letters per error queue",
                     "End-to-end latency (accepted → delivered)", "Policy verdict latency", "DNS latency (delivery routing)",
                     "Delivery outcomes per destination domain", "Circuit breakers by state", "TLS share inbound", "TLS share outbound"])
        {
            Assert.Contains(needed, titles);
        }

        // The mail-flow panel shows every stage named in the issue.
        PanelQuery[] flow = Dashboards.Queries().Where(q => q.Panel == "Mail flow per minute").ToArray();
        string all = string.Join("\n", flow.Select(q => q.Expr));
        Assert.Contains("emailpipeline_ingress_messages_received_total", all, StringComparison.Ordinal);
        Assert.Contains("emailpipeline_ingress_messages_accepted_total", all, StringComparison.Ordinal);
        Assert.Contains("sum by (outcome) (rate(emailpipeline_queue_recipients_outcomes_total", all, StringComparison.Ordinal);
    }

    [Fact]
    public void Dashboards_are_provisioned_in_the_compose_stack_and_query_the_provisioned_data_source()
    {
        string compose = File.ReadAllText(Path.Combine(Tools.Deploy, "docker-compose.yml"));
        Assert.Contains("./grafana/dashboards:/var/lib/grafana/dashboards:ro", compose, StringComparison.Ordinal);
        string provider = File.ReadAllText(Path.Combine(Tools.Deploy, "grafana", "provisioning", "dashboards", "dashboards.yaml"));
        Assert.Contains("path: /var/lib/grafana/dashboards", provider, StringComparison.Ordinal);
        string datasources = File.ReadAllText(Path.Combine(Tools.Deploy, "grafana", "provisioning", "datasources", "datasources.yaml"));
        Assert.Contains("uid: prometheus", datasources, StringComparison.Ordinal);

        Assert.NotEmpty(Dashboards.Files);
        var uids = new HashSet<string>(StringComparer.Ordinal);
        foreach (string file in Dashboards.Files)
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(file));
            JsonElement root = doc.RootElement;
            Assert.True(uids.Add(root.GetProperty("uid").GetString()!), $"{file}: duplicate uid");
            JsonElement variable = root.GetProperty("templating").GetProperty("list").EnumerateArray().Single(v => v.GetProperty("name").GetString() == "datasource");
            Assert.Equal("prometheus", variable.GetProperty("query").GetString());
            Assert.Equal("prometheus", variable.GetProperty("current").GetProperty("value").GetString());
            foreach (JsonElement panel in Dashboards.Panels(root).Where(p => p.GetProperty("type").GetString() != "row"))
            {
                Assert.Equal("${datasource}", panel.GetProperty("datasource").GetProperty("uid").GetString());
                Assert.NotEmpty(panel.GetProperty("targets").EnumerateArray());
                Assert.False(string.IsNullOrWhiteSpace(panel.GetProperty("description").GetString()), panel.GetProperty("title").GetString());
            }
        }
    }

    [Fact]
    public void The_PromQL_metric_name_extraction_skips_functions_labels_and_strings()
    {
        IReadOnlySet<string> names = Dashboards.MetricNames(
            "histogram_quantile(0.9, sum by (le, verdict) (rate(a_seconds_bucket{queue=~\".+_error\"}[$__rate_interval]))) / on(job) group_left b_total or vector(0)");
        Assert.Equal(["a_seconds_bucket", "b_total"], names.Order(StringComparer.Ordinal));
    }

    /// <summary>(alert, expr) from alerts.yml: the expr block scalar or single line after "expr:".</summary>
    public static IReadOnlyList<(string Alert, string Expr)> AlertExpressions()
    {
        string[] lines = File.ReadAllLines(Tools.AlertRules);
        var result = new List<(string, string)>();
        string alert = "";
        for (int i = 0; i < lines.Length; i++)
        {
            Match a = AlertLine().Match(lines[i]);
            if (a.Success)
            {
                alert = a.Groups[1].Value;
                continue;
            }

            Match e = ExprLine().Match(lines[i]);
            if (!e.Success)
            {
                continue;
            }

            if (e.Groups[2].Value != "|")
            {
                result.Add((alert, e.Groups[2].Value));
                continue;
            }

            int indent = e.Groups[1].Value.Length;
            var block = new List<string>();
            while (i + 1 < lines.Length && (lines[i + 1].Trim().Length == 0 || lines[i + 1].Length - lines[i + 1].TrimStart().Length > indent))
            {
                block.Add(lines[++i].Trim());
            }

            result.Add((alert, string.Join(" ", block)));
        }

        return result;
    }

    [GeneratedRegex(@"- alert: (\S+)")]
    private static partial Regex AlertLine();

    [GeneratedRegex(@"^(\s*)expr: (.+)$")]
    private static partial Regex ExprLine();
}
