using System.Text.RegularExpressions;
using EmailPipeline.Observability.Tests.Support;

namespace EmailPipeline.Observability.Tests;

/// <summary>deploy/prometheus/alerts.yml: valid, unit-tested with promtool, and every alert has its runbook.</summary>
public sealed partial class AlertRulesTests
{
    private static readonly string[] RequiredAlerts =
    [
        "EmailPipelineQueueGrowing", "EmailPipelineErrorQueueNotEmpty", "EmailPipelineBounceRateSpike",
        "EmailPipelineDeliveryFailureRate", "EmailPipelineIngress4xxRate", "EmailPipelineBrokerUnreachable",
        "EmailPipelinePublishUnroutable",
    ];

    [Fact]
    public async Task Promtool_check_rules_accepts_the_alert_rules()
    {
        ExternalTool.Result r = await Tools.RunAsync(Tools.Promtool, "check", "rules", Tools.AlertRules);
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains($"SUCCESS: {RequiredAlerts.Length} rules found", r.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Promtool_unit_tests_of_every_alert_pass()
    {
        string tests = Path.Combine(Tools.Deploy, "prometheus", "alerts.test.yml");
        ExternalTool.Result r = await Tools.RunAsync(Tools.Promtool, "test", "rules", tests);
        Assert.True(r.ExitCode == 0, r.All);

        // Every alert is exercised by at least one test case.
        string text = await File.ReadAllTextAsync(tests);
        Assert.All(RequiredAlerts, a => Assert.Contains($"alertname: {a}", text, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_local_stack_Prometheus_configuration_is_valid_and_loads_the_rules()
    {
        ExternalTool.Result r = await Tools.RunAsync(Tools.Promtool, "check", "config", Path.Combine(Tools.Deploy, "prometheus", "prometheus.yml"));
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("1 rule files found", r.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_alert_links_to_a_runbook_section_of_the_operations_guide()
    {
        string rules = await File.ReadAllTextAsync(Tools.AlertRules);
        string[] alerts = AlertNames().Matches(rules).Select(m => m.Groups[1].Value).ToArray();
        Assert.Equal(RequiredAlerts.Order(), alerts.Order());

        string guide = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "docs", "operations.md"));
        HashSet<string> anchors = Headings().Matches(guide).Select(m => Anchor(m.Groups[1].Value)).ToHashSet(StringComparer.Ordinal);
        MatchCollection links = Runbooks().Matches(rules);
        Assert.Equal(alerts.Length, links.Count);
        Assert.All(links, l => Assert.True(anchors.Contains(l.Groups[1].Value), $"docs/operations.md has no heading for #{l.Groups[1].Value}"));
    }

    /// <summary>GitHub's heading anchors: lower case, spaces to hyphens, punctuation dropped.</summary>
    private static string Anchor(string heading) =>
        new string(heading.Trim().ToLowerInvariant().Where(c => char.IsLetterOrDigit(c) || c is ' ' or '-' or '_').ToArray()).Replace(' ', '-');

    [GeneratedRegex(@"- alert: (\S+)")]
    private static partial Regex AlertNames();

    [GeneratedRegex(@"runbook_url: ""docs/operations\.md#([a-z0-9-]+)""")]
    private static partial Regex Runbooks();

    [GeneratedRegex(@"^#+ (.+)$", RegexOptions.Multiline)]
    private static partial Regex Headings();
}
