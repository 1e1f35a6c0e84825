using EmailPipeline.Testing;
using EmailPipeline.Contracts;
using EmailPipeline.Policy.Outbound;
using Microsoft.Extensions.Options;
using Npgsql;

namespace EmailPipeline.Policy.Tests.Outbound;

/// <summary>The shared counter: several replicas (here several counters, each with its own connection pool, as
/// separate processes would have) must together admit no more than the limit.</summary>
public sealed class PostgresSendingCounterTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Replicas_sharing_the_table_together_admit_exactly_the_limit()
    {
        PostgresSendingCounter[] replicas = [Counter(), Counter(), Counter()];
        try
        {
            var quotas = new[] { new SendingQuota("user:race@example.com", TimeSpan.FromMinutes(1), 17), new SendingQuota("domain:example.com", TimeSpan.FromHours(1), 1000) };
            SendingAdmission[] results = await Task.WhenAll(Enumerable.Range(0, 120).Select(i =>
                Task.Run(() => replicas[i % replicas.Length].AdmitAsync(quotas, Noon.AddSeconds(i % 50), TestContext.Current.CancellationToken))));

            Assert.Equal(17, results.Count(r => r.Outcome == SendingAdmissionOutcome.Admitted));
            Assert.All(results.Where(r => r.Outcome != SendingAdmissionOutcome.Admitted), r => Assert.Equal(("user:race@example.com", SendingAdmissionOutcome.Exceeded), (r.Exceeded!.Scope, r.Outcome)));
            // Refused messages were not counted for the domain either.
            Assert.Equal(17, await SentAsync("domain:example.com", 3600));
        }
        finally
        {
            foreach (PostgresSendingCounter replica in replicas)
            {
                await replica.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Messages_of_users_sharing_a_domain_race_without_deadlock()
    {
        PostgresSendingCounter[] replicas = [Counter(), Counter()];
        try
        {
            // Each message locks its user row and the shared domain row; lock order is fixed, so no deadlocks.
            SendingAdmission[] results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
                Task.Run(() => replicas[i % 2].AdmitAsync(
                    [new SendingQuota($"user:u{i % 10}@shared.example", TimeSpan.FromMinutes(1), 8), new SendingQuota("domain:shared.example", TimeSpan.FromMinutes(1), 50)],
                    Noon, TestContext.Current.CancellationToken))));

            Assert.DoesNotContain(results, r => r.Outcome == SendingAdmissionOutcome.Unavailable);
            Assert.Equal(50, results.Count(r => r.Outcome == SendingAdmissionOutcome.Admitted));
        }
        finally
        {
            foreach (PostgresSendingCounter replica in replicas)
            {
                await replica.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task The_next_window_starts_from_zero_and_ended_windows_are_swept()
    {
        await using PostgresSendingCounter counter = Counter();
        var quota = new[] { new SendingQuota("user:sweep@example.com", TimeSpan.FromMinutes(1), 1) };
        CancellationToken ct = TestContext.Current.CancellationToken;

        Assert.Equal(SendingAdmissionOutcome.Admitted, (await counter.AdmitAsync(quota, Noon, ct)).Outcome);
        SendingAdmission full = await counter.AdmitAsync(quota, Noon.AddSeconds(59), ct);
        Assert.Equal((SendingAdmissionOutcome.Exceeded, TimeSpan.FromSeconds(1)), (full.Outcome, full.RetryAfter));
        Assert.Equal(SendingAdmissionOutcome.Admitted, (await counter.AdmitAsync(quota, Noon.AddMinutes(1), ct)).Outcome);

        // Ten minutes on, the sweep (five minutes' grace) drops both old windows.
        await counter.AdmitAsync([new SendingQuota("user:other@example.com", TimeSpan.FromMinutes(1), 1)], Noon.AddMinutes(10), ct);
        Assert.Equal(0, await SentAsync("user:sweep@example.com", 60));
    }

    [Fact]
    public async Task The_policy_uses_the_shared_counter_when_a_connection_string_is_set()
    {
        var clock = new ManualClock(Noon);
        var settings = new Dictionary<string, string?>
        {
            ["Policy:Limits:ConnectionString"] = database.ConnectionString,
            ["Policy:Limits:PerDomain:PerMinute"] = "2",
        };
        await using OutboundHost first = await OutboundHost.StartAsync(settings, clock);
        await using OutboundHost second = await OutboundHost.StartAsync(settings, clock);

        CheckMessage check = Submissions.Check(Submissions.Plain.Replace("alice@example.com>", "alice@policy-replicas.example>", StringComparison.Ordinal));
        Assert.Equal(PolicyAction.Accept, (await first.Policy.DecideAsync(check, TestContext.Current.CancellationToken))!.Action);
        Assert.Equal(PolicyAction.Accept, (await second.Policy.DecideAsync(check, TestContext.Current.CancellationToken))!.Action);
        PolicyVerdict refused = (await first.Policy.DecideAsync(check, TestContext.Current.CancellationToken))!;
        Assert.Equal((PolicyAction.TempFail, 451, "4.7.1"), (refused.Action, refused.ReplyCode, refused.EnhancedStatus));
        Assert.StartsWith("Sending limit reached: policy-replicas.example may send 2 messages per minute", refused.ReplyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_database_tempfails_451_4_3_0_or_accepts_when_configured_to_fail_open()
    {
        string nowhere = $"Host=127.0.0.1;Port={EmailPipeline.Testing.FreePorts.Take(1)[0]};Username=postgres;Password=hunter2;Timeout=2";
        var settings = new Dictionary<string, string?>
        {
            ["Policy:Limits:ConnectionString"] = nowhere,
            ["Policy:Limits:PerUser:PerMinute"] = "5",
        };
        CheckMessage check = Submissions.Check(Submissions.Plain);

        await using (OutboundHost closed = await OutboundHost.StartAsync(settings))
        {
            PolicyVerdict verdict = (await closed.Policy.DecideAsync(check, TestContext.Current.CancellationToken))!;
            Assert.Equal((PolicyAction.TempFail, 451, "4.3.0"), (verdict.Action, verdict.ReplyCode, verdict.EnhancedStatus));
            Assert.Contains(closed.Logs.Lines, l => l.Contains("[4505]", StringComparison.Ordinal) && l.Contains("answering 451 4.3.0", StringComparison.Ordinal));
            Assert.DoesNotContain("hunter2", closed.Logs.All, StringComparison.Ordinal);
        }

        settings["Policy:Limits:FailOpen"] = "true";
        await using OutboundHost open = await OutboundHost.StartAsync(settings);
        PolicyVerdict accepted = (await open.Policy.DecideAsync(check, TestContext.Current.CancellationToken))!;
        Assert.Equal(PolicyAction.Accept, accepted.Action);
        Assert.Contains(open.Logs.Lines, l => l.Contains("[4505]", StringComparison.Ordinal) && l.Contains("FailOpen", StringComparison.Ordinal));
    }

    private PostgresSendingCounter Counter() =>
        new(Options.Create(new SendingLimitOptions { ConnectionString = database.ConnectionString, StoreTimeout = TimeSpan.FromSeconds(30) }));

    private async Task<long> SentAsync(string scope, int windowSeconds)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand("SELECT coalesce(sum(sent), 0) FROM policy_sending_windows WHERE scope = @s AND window_seconds = @w", connection);
        command.Parameters.AddWithValue("s", scope);
        command.Parameters.AddWithValue("w", windowSeconds);
        return Convert.ToInt64(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }
}
