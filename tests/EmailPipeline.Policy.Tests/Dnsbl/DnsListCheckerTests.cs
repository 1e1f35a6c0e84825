using System.Diagnostics;
using System.Net;
using EmailPipeline.Policy.Dnsbl;
using EmailPipeline.Policy.Tests.Support;

namespace EmailPipeline.Policy.Tests.Dnsbl;

public sealed class DnsListCheckerTests
{
    private static readonly Dictionary<string, string?> Zones = new()
    {
        ["Policy:DnsLists:Zones:0:Zone"] = "bl.example",
        ["Policy:DnsLists:Zones:0:Codes:127.0.0.2"] = "spam source",
        ["Policy:DnsLists:Zones:0:Codes:127.0.0.4"] = "exploited host",
        ["Policy:DnsLists:Zones:1:Zone"] = "any.example",
        ["Policy:DnsLists:Zones:2:Zone"] = "wl.example",
        ["Policy:DnsLists:Zones:2:Kind"] = "Allow",
        ["Policy:DnsLists:Budget"] = "00:00:00.300",
    };

    private static async Task<DnsListOutcome> CheckAsync(FakeDns dns, string ip)
    {
        await using var host = new PolicyHost(dns, Zones);
        return await host.Get<DnsListChecker>().CheckAsync(IPAddress.Parse(ip), CancellationToken.None);
    }

    [Theory]
    [InlineData("2.2.0.192.bl.example", "127.0.0.2", "bl.example", "spam source")]
    [InlineData("2.2.0.192.bl.example", "127.0.0.4", "bl.example", "exploited host")]
    [InlineData("2.2.0.192.any.example", "127.0.0.9", "any.example", "listed")]
    public async Task Return_codes_carry_their_meaning(string name, string code, string zone, string meaning)
    {
        DnsListOutcome outcome = await CheckAsync(new FakeDns().A(name, code), "192.0.2.2");

        Assert.Equal((zone, code, meaning), (outcome.BlockedBy, outcome.Code, outcome.Meaning));
    }

    [Theory]
    [InlineData("2.2.0.192.bl.example", "127.255.255.254")] // "query refused": not in the code map
    [InlineData("2.2.0.192.any.example", "10.0.0.1")] // outside 127/8
    public async Task Codes_that_do_not_mean_listed_are_ignored(string name, string code)
    {
        DnsListOutcome outcome = await CheckAsync(new FakeDns().A(name, code), "192.0.2.2");

        Assert.Null(outcome.BlockedBy);
    }

    [Fact]
    public async Task An_allow_list_wins_over_a_block_list()
    {
        var dns = new FakeDns().A("2.2.0.192.bl.example", "127.0.0.2").A("2.2.0.192.wl.example", "127.0.10.3");

        DnsListOutcome outcome = await CheckAsync(dns, "192.0.2.2");

        Assert.Null(outcome.BlockedBy);
        Assert.Equal("wl.example", outcome.AllowedBy);
    }

    [Fact]
    public async Task Ipv6_clients_are_looked_up_by_nibbles()
    {
        string name = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.any.example";

        DnsListOutcome outcome = await CheckAsync(new FakeDns().A(name, "127.0.0.2"), "2001:db8::1");

        Assert.Equal("any.example", outcome.BlockedBy);
    }

    [Fact]
    public async Task A_list_that_never_answers_costs_at_most_the_budget()
    {
        var dns = new FakeDns().Hang("2.2.0.192.bl.example").Hang("2.2.0.192.wl.example").A("2.2.0.192.any.example", "127.0.0.2");
        var clock = Stopwatch.StartNew();

        DnsListOutcome outcome = await CheckAsync(dns, "192.0.2.2");

        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(2));
        Assert.Equal("any.example", outcome.BlockedBy);
        Assert.Equal(["bl.example", "wl.example"], outcome.Unanswered);
    }
}
