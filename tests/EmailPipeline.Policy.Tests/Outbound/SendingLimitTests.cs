using EmailPipeline.Contracts;
using EmailPipeline.Policy.Outbound;

namespace EmailPipeline.Policy.Tests.Outbound;

public sealed class SendingLimitTests
{
    // 12:00:00 UTC: a minute and an hour start here.
    private static readonly DateTimeOffset Noon = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    private readonly ManualClock _clock = new(Noon);

    [Fact]
    public async Task The_user_limit_admits_exactly_the_limit_then_answers_451_4_7_1()
    {
        await using OutboundHost host = await StartAsync(new() { ["Policy:Limits:PerUser:PerMinute"] = "3" });

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(PolicyAction.Accept, (await DecideAsync(host, "alice@example.com")).Action);
        }

        _clock.Advance(TimeSpan.FromSeconds(15));
        PolicyVerdict refused = await DecideAsync(host, "alice@example.com");
        Assert.Equal((PolicyAction.TempFail, 451, "4.7.1"), (refused.Action, refused.ReplyCode, refused.EnhancedStatus));
        Assert.Equal("Sending limit reached: this account may send 3 messages per minute; try again in 45 seconds", refused.ReplyText);
        Assert.Equal("", refused.HeadersToPrepend);
        Assert.Contains(host.Logs.Lines, l => l.Contains("[4504]", StringComparison.Ordinal) && l.Contains("user:alice@example.com", StringComparison.Ordinal));

        // Another user is not affected.
        Assert.Equal(PolicyAction.Accept, (await DecideAsync(host, "bob@example.com", "bob@example.com")).Action);
    }

    [Fact]
    public async Task The_window_boundary_is_exact()
    {
        await using OutboundHost host = await StartAsync(new() { ["Policy:Limits:PerUser:PerMinute"] = "2" });

        _clock.Set(Noon.AddSeconds(59.9));
        Assert.Equal(PolicyAction.Accept, (await DecideAsync(host, "alice@example.com")).Action);
        Assert.Equal(PolicyAction.Accept, (await DecideAsync(host, "alice@example.com")).Action);
        PolicyVerdict refused = await DecideAsync(host, "alice@example.com");
        Assert.Equal(PolicyAction.TempFail, refused.Action);
        Assert.EndsWith("try again in 1 second", refused.ReplyText, StringComparison.Ordinal);

        _clock.Set(Noon.AddMinutes(1));
        Assert.Equal(PolicyAction.Accept, (await DecideAsync(host, "alice@example.com")).Action);
        Assert.Equal(PolicyAction.Accept, (await DecideAsync(host, "alice@example.com")).Action);
        Assert.Equal(PolicyAction.TempFail, (await DecideAsync(host, "alice@example.com")).Action);
    }

    [Fact]
    public async Task The_domain_limit_counts_every_user_of_the_domain_and_names_it()
    {
        await using OutboundHost host = await StartAsync(new() { ["Policy:Limits:PerDomain:PerHour"] = "2" });

        Assert.Equal(PolicyAction.Accept, (await DecideAsync(host, "alice@example.com")).Action);
        Assert.Equal(PolicyAction.Accept, (await DecideAsync(host, "bob@example.com", "bob@example.com")).Action);
        _clock.Advance(TimeSpan.FromMinutes(20));
        PolicyVerdict refused = await DecideAsync(host, "carol@example.com", "carol@example.com");
        Assert.Equal((PolicyAction.TempFail, 451, "4.7.1"), (refused.Action, refused.ReplyCode, refused.EnhancedStatus));
        Assert.Equal("Sending limit reached: example.com may send 2 messages per hour; try again in 2400 seconds", refused.ReplyText);

        Assert.Equal(PolicyAction.Accept, (await DecideAsync(host, "dave@example.org", "dave@example.org")).Action);
    }

    [Fact]
    public async Task When_both_windows_are_full_the_later_reset_is_reported()
    {
        await using OutboundHost host = await StartAsync(new()
        {
            ["Policy:Limits:PerUser:PerMinute"] = "1",
            ["Policy:Limits:PerUser:PerHour"] = "1",
        });

        await DecideAsync(host, "alice@example.com");
        PolicyVerdict refused = await DecideAsync(host, "alice@example.com");
        Assert.Equal("Sending limit reached: this account may send 1 message per hour; try again in 3600 seconds", refused.ReplyText);
    }

    [Fact]
    public async Task Exceptions_replace_the_default_for_one_user_or_domain()
    {
        await using OutboundHost host = await StartAsync(new()
        {
            ["Policy:Limits:PerUser:PerMinute"] = "1",
            ["Policy:Limits:PerUser:PerHour"] = "1",
            ["Policy:Limits:Users:Newsletter@Example.com:PerMinute"] = "5",
            ["Policy:Limits:Users:Newsletter@Example.com:PerHour"] = "0",
            ["Policy:Limits:PerDomain:PerMinute"] = "100",
            ["Policy:Limits:Domains:tiny.example:PerMinute"] = "1",
        });

        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(PolicyAction.Accept, (await DecideAsync(host, "newsletter@example.com", "newsletter@example.com")).Action);
        }

        Assert.Equal(PolicyAction.TempFail, (await DecideAsync(host, "newsletter@example.com", "newsletter@example.com")).Action);

        Assert.Equal(PolicyAction.Accept, (await DecideAsync(host, "a@tiny.example", "a@tiny.example")).Action);
        PolicyVerdict tiny = await DecideAsync(host, "b@tiny.example", "b@tiny.example");
        Assert.StartsWith("Sending limit reached: tiny.example may send 1 message per minute", tiny.ReplyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_domain_counted_is_the_from_domain()
    {
        await using OutboundHost host = await StartAsync(new() { ["Policy:Limits:PerDomain:PerMinute"] = "1" });

        Assert.Equal(PolicyAction.Accept, (await DecideAsync(host, "alice@example.com")).Action);
        CheckMessage otherFrom = Submissions.Check(Submissions.Plain.Replace("alice@example.com>", "alice@brand.example>", StringComparison.Ordinal), "alice@example.com", "alice@example.com");
        Assert.Equal(PolicyAction.Accept, (await host.Policy.DecideAsync(otherFrom, TestContext.Current.CancellationToken))!.Action);
        PolicyVerdict again = (await host.Policy.DecideAsync(otherFrom, TestContext.Current.CancellationToken))!;
        Assert.StartsWith("Sending limit reached: brand.example", again.ReplyText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("no header here, just text\r\n")]
    [InlineData("\0\0\0 binary junk \xff\xfe")]
    public async Task Content_that_is_no_message_is_still_limited_and_never_throws(string content)
    {
        await using OutboundHost host = await StartAsync(new() { ["Policy:Limits:PerUser:PerMinute"] = "1" });
        CheckMessage junk = Submissions.Check(System.Text.Encoding.Latin1.GetBytes(content));

        Assert.Equal(PolicyAction.Accept, (await host.Policy.DecideAsync(junk, TestContext.Current.CancellationToken))!.Action);
        PolicyVerdict refused = (await host.Policy.DecideAsync(junk, TestContext.Current.CancellationToken))!;
        Assert.Equal((PolicyAction.TempFail, "4.7.1"), (refused.Action, refused.EnhancedStatus));
    }

    [Fact]
    public async Task A_message_refused_by_one_quota_uses_up_none_of_the_others()
    {
        var counter = new MemorySendingCounter();
        var user = new SendingQuota("user:a", TimeSpan.FromMinutes(1), 2);
        var domain = new SendingQuota("domain:d", TimeSpan.FromMinutes(1), 1);
        CancellationToken ct = TestContext.Current.CancellationToken;

        Assert.Equal(SendingAdmissionOutcome.Admitted, (await counter.AdmitAsync([user, domain], Noon, ct)).Outcome);
        SendingAdmission refused = await counter.AdmitAsync([user, domain], Noon, ct);
        Assert.Equal((SendingAdmissionOutcome.Exceeded, domain), (refused.Outcome, refused.Exceeded));
        // The refused message did not count for the user: one more fits.
        Assert.Equal(SendingAdmissionOutcome.Admitted, (await counter.AdmitAsync([user], Noon, ct)).Outcome);
        Assert.Equal(SendingAdmissionOutcome.Exceeded, (await counter.AdmitAsync([user], Noon, ct)).Outcome);
    }

    [Fact]
    public async Task Counters_of_ended_windows_are_forgotten()
    {
        var counter = new MemorySendingCounter();
        CancellationToken ct = TestContext.Current.CancellationToken;
        for (int i = 0; i < 50; i++)
        {
            await counter.AdmitAsync([new SendingQuota($"user:{i}", TimeSpan.FromMinutes(1), 10)], Noon, ct);
        }

        Assert.Equal(50, counter.TrackedCounters);
        await counter.AdmitAsync([new SendingQuota("user:late", TimeSpan.FromMinutes(1), 10)], Noon.AddMinutes(2), ct);
        Assert.Equal(1, counter.TrackedCounters);
    }

    [Fact]
    public async Task Parallel_requests_never_pass_the_limit()
    {
        await using OutboundHost host = await StartAsync(new()
        {
            ["Policy:Limits:PerUser:PerMinute"] = "25",
            ["Policy:Limits:PerDomain:PerMinute"] = "40",
        });

        // 8 users of one domain, 30 messages each, all at once: each user stops at 25, the domain at 40.
        string[] users = [.. Enumerable.Range(0, 8).Select(i => $"user{i}@example.com")];
        PolicyVerdict[] verdicts = await Task.WhenAll(users.SelectMany(u => Enumerable.Range(0, 30).Select(_ => Task.Run(() => DecideAsync(host, u, u)))));

        Assert.Equal(40, verdicts.Count(v => v.Action == PolicyAction.Accept));
        Assert.Equal(200, verdicts.Count(v => v.Action == PolicyAction.TempFail && v.ReplyCode == 451));
    }

    [Fact]
    public async Task Parallel_requests_of_one_user_stop_at_the_user_limit()
    {
        await using OutboundHost host = await StartAsync(new() { ["Policy:Limits:PerUser:PerHour"] = "17" });

        PolicyVerdict[] verdicts = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(() => DecideAsync(host, "alice@example.com"))));

        Assert.Equal(17, verdicts.Count(v => v.Action == PolicyAction.Accept));
    }

    [Fact]
    public async Task With_no_limits_configured_nothing_is_counted()
    {
        await using OutboundHost host = await StartAsync([]);

        PolicyVerdict[] verdicts = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => DecideAsync(host, "alice@example.com")));

        Assert.All(verdicts, v => Assert.Equal(PolicyAction.Accept, v.Action));
        Assert.Equal(0, ((MemorySendingCounter)host.Services.GetService(typeof(ISendingCounter))!).TrackedCounters);
    }

    private Task<OutboundHost> StartAsync(Dictionary<string, string?> settings) => OutboundHost.StartAsync(settings, _clock);

    private static async Task<PolicyVerdict> DecideAsync(OutboundHost host, string user, string sender = "alice@example.com")
    {
        string from = sender == "alice@example.com" ? Submissions.Plain : Submissions.Plain.Replace("alice@example.com>", sender + ">", StringComparison.Ordinal);
        return await host.Policy.DecideAsync(Submissions.Check(from, user, sender), TestContext.Current.CancellationToken) ?? throw new InvalidOperationException("no verdict");
    }
}
