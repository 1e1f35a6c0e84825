using System.Text.Json;
using EmailPipeline.Observability.Tests.Support;

namespace EmailPipeline.Observability.Tests;

/// <summary>
/// A real Prometheus scrapes the running pipeline (and RabbitMQ's per-queue metrics) while mail flows; the
/// dashboards and alert rules are asked of it exactly as Grafana and the rule evaluator ask.
/// </summary>
[Collection(ObservedCollection.Name)]
public sealed class ScrapeTests(ObservedPipeline f)
{
    /// <summary>Counters that exist only once their event happened at least once (the OpenTelemetry exporter
    /// writes no series before the first increment), and that the observed traffic does not cause: no circuit
    /// opens, and a Policy service that answers in time causes no policy failure. The static test proves the code
    /// registers them.</summary>
    private static readonly HashSet<string> OnlyAfterTheirEvent = new(StringComparer.Ordinal)
    {
        "emailpipeline_delivery_circuit_changes_total", "emailpipeline_ingress_policy_failures_total",
    };

    [Fact]
    public async Task Every_scrape_target_is_up()
    {
        await ObservedPipeline.WaitAsync(async () => (await f.Prometheus.VectorAsync("up == 1")).Count == 5, "all five targets up");
        var jobs = (await f.Prometheus.VectorAsync("up")).Select(s => (s.Labels["job"], s.Value)).OrderBy(s => s.Item1, StringComparer.Ordinal).ToArray();
        Assert.Equal(
            [("emailpipeline-delivery", "1"), ("emailpipeline-ingress", "1"), ("emailpipeline-policy", "1"), ("emailpipeline-queue", "1"), ("rabbitmq", "1")],
            jobs);
    }

    [Fact]
    public async Task Every_dashboard_panel_shows_data_from_the_live_pipeline()
    {
        IReadOnlyList<PanelQuery> queries = Dashboards.Queries();
        Assert.NotEmpty(queries);
        var results = new Dictionary<PanelQuery, int>();
        var deadline = DateTime.UtcNow + ObservedPipeline.Patience;
        while (true)
        {
            foreach (PanelQuery q in queries)
            {
                // Prometheus must accept every query (the helper asserts status "success").
                results[q] = (await f.Prometheus.VectorAsync(q.Resolved())).Count;
            }

            string[] blank = queries.GroupBy(q => (q.Dashboard, q.Panel)).Where(p => p.All(q => results[q] == 0)).Select(p => $"{p.Key.Dashboard} / {p.Key.Panel}").ToArray();
            if (blank.Length == 0)
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, "Panels without data:\n  " + string.Join("\n  ", blank) + "\n" + f.Output[^Math.Min(f.Output.Length, 20000)..]);
            await Task.Delay(1000);
        }

        // Each query on its own returns data too, unless it only counts events this traffic does not cause.
        string[] emptyQueries = queries.Where(q => results[q] == 0 && !Dashboards.MetricNames(q.Expr).All(OnlyAfterTheirEvent.Contains)).Select(q => q.ToString()).ToArray();
        Assert.True(emptyQueries.Length == 0, "Queries without data:\n  " + string.Join("\n  ", emptyQueries));
    }

    [Fact]
    public async Task The_mail_flow_the_test_caused_is_what_the_dashboard_counts()
    {
        // Four messages received and accepted (one over STARTTLS), one recipient refused for relaying.
        await ObservedPipeline.WaitAsync(async () => await Scalar("sum(emailpipeline_ingress_messages_accepted_total)") >= 4, "4 accepted");
        Assert.True(await Scalar("sum(emailpipeline_ingress_messages_received_total)") >= 4);
        Assert.Equal(1, await Scalar("sum(emailpipeline_ingress_messages_accepted_total{tls=\"true\"})"));
        Assert.Equal(1, await Scalar("sum(emailpipeline_ingress_messages_rejected_total{reason=\"relay_denied\",class=\"5xx\"})"));

        // Outcomes: the retry was deferred once, the NXDOMAIN domain bounced, the rest delivered (the DSN too).
        await ObservedPipeline.WaitAsync(async () => await Scalar("sum(emailpipeline_queue_recipients_outcomes_total{outcome=\"delivered\"})") >= 4, "4 delivered");
        Assert.True(await Scalar("sum(emailpipeline_queue_recipients_outcomes_total{outcome=\"deferred\"})") >= 1);
        Assert.True(await Scalar("sum(emailpipeline_queue_recipients_outcomes_total{outcome=\"bounced\",destination=\"nowhere.test\"})") >= 1);
        Assert.True(await Scalar("sum(emailpipeline_delivery_recipients_total{destination=\"peer.test\",outcome=\"deferred\"})") >= 1);
        Assert.True(await Scalar("sum(emailpipeline_delivery_dns_duration_seconds_count{type=\"mx\",status=\"nosuchdomain\"})") >= 1);

        // RabbitMQ's per-queue depth of this test's virtual host, the dead-lettered poison message included.
        await ObservedPipeline.WaitAsync(async () => await Scalar($"sum(rabbitmq_detailed_queue_messages{{queue=\"{ObservedPipeline.ErrorQueue}\"}})") == 1, "error queue depth 1");
        Assert.Contains((await f.Prometheus.VectorAsync("rabbitmq_detailed_queue_messages")).Select(s => s.Labels["queue"]), q => q == "delivery-requested");
    }

    [Fact]
    public async Task Every_metric_the_dashboards_and_alerts_name_is_scraped()
    {
        using JsonDocument names = await f.Prometheus.GetAsync("api/v1/label/__name__/values");
        var scraped = names.RootElement.GetProperty("data").EnumerateArray().Select(e => e.GetString()!).ToHashSet(StringComparer.Ordinal);
        scraped.Add("up");
        var used = Dashboards.Queries().SelectMany(q => Dashboards.MetricNames(q.Expr))
            .Concat(DashboardTests.AlertExpressions().SelectMany(a => Dashboards.MetricNames(a.Expr)))
            .ToHashSet(StringComparer.Ordinal);
        string[] missing = used.Where(n => !scraped.Contains(n) && !OnlyAfterTheirEvent.Contains(n)).Order(StringComparer.Ordinal).ToArray();
        Assert.True(missing.Length == 0, "Not scraped: " + string.Join(", ", missing) + "\nScraped: " + string.Join(", ", scraped.Where(s => s.StartsWith("emailpipeline", StringComparison.Ordinal) || s.StartsWith("rabbitmq_detailed", StringComparison.Ordinal)).Order(StringComparer.Ordinal)));
    }

    [Fact]
    public async Task The_alert_rules_evaluate_on_the_live_series_and_the_dead_letter_alert_fires()
    {
        await ObservedPipeline.WaitAsync(async () =>
        {
            using JsonDocument alerts = await f.Prometheus.GetAsync("api/v1/alerts");
            return alerts.RootElement.GetProperty("data").GetProperty("alerts").EnumerateArray()
                .Any(a => a.GetProperty("labels").GetProperty("alertname").GetString() == "EmailPipelineErrorQueueNotEmpty"
                          && a.GetProperty("labels").GetProperty("queue").GetString() == ObservedPipeline.ErrorQueue);
        }, "EmailPipelineErrorQueueNotEmpty pending for " + ObservedPipeline.ErrorQueue);

        using JsonDocument rules = await f.Prometheus.GetAsync("api/v1/rules");
        JsonElement[] all = rules.RootElement.GetProperty("data").GetProperty("groups").EnumerateArray()
            .SelectMany(g => g.GetProperty("rules").EnumerateArray()).ToArray();
        Assert.Equal(7, all.Length);
        Assert.All(all, r => Assert.True(r.GetProperty("health").GetString() == "ok", $"{r.GetProperty("name")}: {r}"));

        // Nothing else is wrong with this pipeline: no other alert is pending or firing.
        using JsonDocument active = await f.Prometheus.GetAsync("api/v1/alerts");
        string[] names = active.RootElement.GetProperty("data").GetProperty("alerts").EnumerateArray()
            .Select(a => a.GetProperty("labels").GetProperty("alertname").GetString()!).Distinct().ToArray();
        Assert.Equal(["EmailPipelineErrorQueueNotEmpty"], names);
    }

    [Fact]
    public async Task The_generated_scrape_configuration_passes_promtool()
    {
        ExternalTool.Result r = await Tools.RunAsync(Tools.Promtool, "check", "config", f.Prometheus.ConfigPath);
        Assert.True(r.ExitCode == 0, r.All);
    }

    private async Task<double> Scalar(string promql)
    {
        var v = await f.Prometheus.VectorAsync(promql);
        return v.Count == 0 ? 0 : double.Parse(v[0].Value, System.Globalization.CultureInfo.InvariantCulture);
    }
}
