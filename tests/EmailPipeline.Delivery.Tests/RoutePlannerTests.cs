using EmailPipeline.Contracts;
using EmailPipeline.Delivery.Configuration;
using EmailPipeline.Delivery.Routing;

namespace EmailPipeline.Delivery.Tests;

public sealed class RoutePlannerTests
{
    private static RoutePlanner Planner(FakeResolver dns, TransportRule? smarthost = null, int seed = 1, params TransportRule[] rules) =>
        new(new TransportMap(rules), smarthost, dns, new Random(seed));

    private static Task<DeliveryRoute> Plan(RoutePlanner planner, string domain) => planner.PlanAsync(domain, CancellationToken.None);

    [Fact]
    public async Task Transport_map_beats_smarthost_and_mx()
    {
        var dns = new FakeResolver().WithMx("example.test", new MxRecord(10, "mx.example.test"));
        var planner = Planner(dns, new TransportRule { Host = "smart.relay", Port = 587 }, 1,
            new TransportRule { Match = "example.test", Kind = TransportKind.Lmtp, Host = "127.0.0.1", Port = 24 });

        DeliveryRoute route = await Plan(planner, "example.test");

        Assert.Equal(TransportKind.Lmtp, route.Kind);
        Assert.Equal([new RouteHost("127.0.0.1", 24)], route.Hosts);
        Assert.Equal(0, dns.MxQueries);
    }

    [Fact]
    public async Task Maildir_rule_needs_no_hosts()
    {
        var planner = Planner(new FakeResolver(), null, 1, new TransportRule { Match = "*.local.test", Kind = TransportKind.Maildir, Path = "/tmp/x" });
        DeliveryRoute route = await Plan(planner, "a.local.test");
        Assert.Equal(TransportKind.Maildir, route.Kind);
        Assert.False(route.Failed);
    }

    [Fact]
    public async Task Smarthost_takes_everything_the_map_does_not_cover()
    {
        var dns = new FakeResolver();
        var planner = Planner(dns, new TransportRule { Host = "smart.relay", Port = 587, RequireTls = true });
        DeliveryRoute route = await Plan(planner, "anywhere.test");
        Assert.Equal([new RouteHost("smart.relay", 587)], route.Hosts);
        Assert.True(route.RequireTls);
        Assert.Equal(0, dns.MxQueries);
    }

    [Fact]
    public async Task Map_entry_without_host_uses_mx_with_its_port()
    {
        var dns = new FakeResolver().WithMx("example.test", new MxRecord(10, "mx.example.test"));
        var planner = Planner(dns, new TransportRule { Host = "smart.relay" }, 1, new TransportRule { Match = "example.test", Kind = TransportKind.Smtp, Port = 2525 });
        DeliveryRoute route = await Plan(planner, "example.test");
        Assert.Equal([new RouteHost("mx.example.test", 2525)], route.Hosts);
    }

    [Fact]
    public async Task Mx_hosts_are_in_preference_order()
    {
        var dns = new FakeResolver().WithMx("example.test",
            new MxRecord(30, "c.example.test"), new MxRecord(10, "a.example.test."), new MxRecord(20, "B.example.test"));
        DeliveryRoute route = await Plan(Planner(dns), "example.test");
        Assert.Equal(["a.example.test", "b.example.test", "c.example.test"], route.Hosts.Select(h => h.Name));
        Assert.All(route.Hosts, h => Assert.Equal(25, h.Port));
    }

    [Fact]
    public async Task Equal_preferences_are_shuffled_but_stay_after_better_ones()
    {
        var dns = new FakeResolver().WithMx("example.test",
            new MxRecord(10, "first.example.test"),
            new MxRecord(20, "p1.example.test"), new MxRecord(20, "p2.example.test"), new MxRecord(20, "p3.example.test"), new MxRecord(20, "p4.example.test"),
            new MxRecord(50, "last.example.test"));
        var orders = new HashSet<string>();
        for (int seed = 0; seed < 30; seed++)
        {
            DeliveryRoute route = await Plan(Planner(dns, null, seed), "example.test");
            Assert.Equal("first.example.test", route.Hosts[0].Name);
            Assert.Equal("last.example.test", route.Hosts[^1].Name);
            Assert.Equal(6, route.Hosts.Count);
            orders.Add(string.Join(",", route.Hosts.Skip(1).Take(4).Select(h => h.Name)));
        }

        Assert.True(orders.Count > 3, $"equal-preference hosts were not shuffled: {string.Join(" | ", orders)}");
    }

    [Fact]
    public async Task Null_mx_bounces_with_5_1_10()
    {
        var dns = new FakeResolver().WithMx("nomail.test", new MxRecord(0, ""));
        DeliveryRoute route = await Plan(Planner(dns), "nomail.test");
        Assert.Equal(DeliveryOutcome.Bounced, route.Failure!.Outcome);
        Assert.Equal("5.1.10", route.Failure.EnhancedStatus);
    }

    [Fact]
    public async Task No_mx_but_an_address_is_an_implicit_mx()
    {
        var dns = new FakeResolver().WithAddress("implicit.test", "192.0.2.1");
        DeliveryRoute route = await Plan(Planner(dns), "implicit.test");
        Assert.Equal([new RouteHost("implicit.test", 25)], route.Hosts);
    }

    [Fact]
    public async Task Nxdomain_bounces_with_5_1_2()
    {
        DeliveryRoute route = await Plan(Planner(new FakeResolver()), "nowhere.test");
        Assert.Equal(DeliveryOutcome.Bounced, route.Failure!.Outcome);
        Assert.Equal("5.1.2", route.Failure.EnhancedStatus);
    }

    [Fact]
    public async Task Dns_trouble_defers_with_4_4_3()
    {
        var dns = new FakeResolver();
        dns.Mx["flaky.test"] = MxLookup.Failed(DnsLookupStatus.TemporaryFailure, "SERVFAIL");
        DeliveryRoute route = await Plan(Planner(dns), "flaky.test");
        Assert.Equal(DeliveryOutcome.Deferred, route.Failure!.Outcome);
        Assert.Equal("4.4.3", route.Failure.EnhancedStatus);
    }

    [Fact]
    public async Task Mx_naming_an_ip_literal_is_skipped()
    {
        var dns = new FakeResolver().WithMx("odd.test", new MxRecord(5, "192.0.2.7"), new MxRecord(10, "mx.odd.test"));
        DeliveryRoute route = await Plan(Planner(dns), "odd.test");
        Assert.Equal(["mx.odd.test"], route.Hosts.Select(h => h.Name));

        var only = new FakeResolver().WithMx("odd.test", new MxRecord(5, "[192.0.2.7]"));
        DeliveryRoute failed = await Plan(Planner(only), "odd.test");
        Assert.Equal("4.4.4", failed.Failure!.EnhancedStatus);
        Assert.Equal(DeliveryOutcome.Deferred, failed.Failure.Outcome);
    }

    [Fact]
    public async Task Null_mx_among_real_ones_is_ignored()
    {
        var dns = new FakeResolver().WithMx("mixed.test", new MxRecord(0, "."), new MxRecord(10, "mx.mixed.test"));
        DeliveryRoute route = await Plan(Planner(dns), "mixed.test");
        Assert.Equal(["mx.mixed.test"], route.Hosts.Select(h => h.Name));
    }
}
