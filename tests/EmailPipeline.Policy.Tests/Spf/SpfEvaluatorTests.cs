using System.Net;
using EmailPipeline.Policy.Dns;
using EmailPipeline.Policy.Spf;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Policy.Tests.Spf;

/// <summary>What the suite does not pin down: the outcome's fields, which the Policy consumer will report.</summary>
public sealed class SpfEvaluatorTests
{
    private static readonly ZoneResolver Dns = new(new Dictionary<string, IReadOnlyList<ZoneEntry>>
    {
        ["example.com"] = [new(ZoneEntry.Txt, new[] { "v=spf1 ip4:192.0.2.0/24 -all exp=why.example.com" })],
        ["why.example.com"] = [new(ZoneEntry.Txt, new[] { "%{i} may not send for %{d}" })],
        ["mx.example.com"] = [new(ZoneEntry.Txt, new[] { "v=spf1 include:example.com ~all" })],
    });

    private static readonly SpfEvaluator Evaluator = new(Dns, Options.Create(new SpfOptions()), TimeProvider.System);

    [Fact]
    public async Task A_pass_names_the_mechanism_that_matched()
    {
        SpfOutcome outcome = await Evaluator.CheckMailFromAsync(IPAddress.Parse("192.0.2.9"), "a@example.com", "mx.example.com", TestContext.Current.CancellationToken);
        Assert.Equal(new SpfOutcome(SpfResult.Pass, Mechanism: "ip4:192.0.2.0/24"), outcome);
    }

    [Fact]
    public async Task A_fail_carries_the_expanded_explanation()
    {
        SpfOutcome outcome = await Evaluator.CheckMailFromAsync(IPAddress.Parse("198.51.100.1"), "a@example.com", "mx.example.com", TestContext.Current.CancellationToken);
        Assert.Equal(new SpfOutcome(SpfResult.Fail, "198.51.100.1 may not send for example.com", "-all"), outcome);
    }

    [Fact]
    public async Task An_empty_mail_from_checks_the_helo_identity()
    {
        SpfOutcome outcome = await Evaluator.CheckMailFromAsync(IPAddress.Parse("::ffff:192.0.2.9"), "", "mx.example.com", TestContext.Current.CancellationToken);
        Assert.Equal((SpfResult.Pass, "include:example.com"), (outcome.Result, outcome.Mechanism));
    }

    [Fact]
    public async Task Dns_timeouts_are_temperror_with_a_reason()
    {
        var timeouts = new ZoneResolver(new Dictionary<string, IReadOnlyList<ZoneEntry>> { ["example.com"] = [new(ZoneEntry.Timeout, null)] });
        var evaluator = new SpfEvaluator(timeouts, Options.Create(new SpfOptions()), TimeProvider.System);
        SpfOutcome outcome = await evaluator.CheckHostAsync(IPAddress.Loopback, "example.com", "a@example.com", "helo.example", TestContext.Current.CancellationToken);
        Assert.Equal(SpfResult.TempError, outcome.Result);
        Assert.NotNull(outcome.Reason);
    }
}
