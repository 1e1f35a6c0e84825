using System.Net;
using EmailPipeline.Ingress.Authentication;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Ingress.Tests.Authentication;

public sealed class AuthenticationFailureTrackerTests
{
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private AuthenticationFailureTracker Tracker(int maxFailures = 3, int maxClients = 100) =>
        new(
            Options.Create(new AuthenticationOptions { MaxFailuresPerClient = maxFailures, FailureWindow = TimeSpan.FromMinutes(15), MaxTrackedClients = maxClients }),
            _time,
            NullLogger<AuthenticationFailureTracker>.Instance);

    [Fact]
    public void Client_is_blocked_once_it_reaches_the_failure_limit()
    {
        AuthenticationFailureTracker tracker = Tracker();
        IPAddress client = IPAddress.Parse("192.0.2.1");

        tracker.RecordFailure(client);
        tracker.RecordFailure(client);
        Assert.False(tracker.IsBlocked(client));

        tracker.RecordFailure(client);
        Assert.True(tracker.IsBlocked(client));
        Assert.False(tracker.IsBlocked(IPAddress.Parse("192.0.2.2")));
    }

    [Fact]
    public void Failures_older_than_the_window_slide_out()
    {
        AuthenticationFailureTracker tracker = Tracker();
        IPAddress client = IPAddress.Parse("192.0.2.1");
        tracker.RecordFailure(client);
        _time.Advance(TimeSpan.FromMinutes(10));
        tracker.RecordFailure(client);
        tracker.RecordFailure(client);
        Assert.True(tracker.IsBlocked(client));

        // The first failure leaves the 15-minute window; two remain.
        _time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        Assert.False(tracker.IsBlocked(client));

        tracker.RecordFailure(client);
        Assert.True(tracker.IsBlocked(client));
    }

    [Fact]
    public void Block_ends_when_the_window_has_passed_since_the_last_failures()
    {
        AuthenticationFailureTracker tracker = Tracker();
        IPAddress client = IPAddress.Parse("198.51.100.7");
        for (int i = 0; i < 10; i++)
        {
            tracker.RecordFailure(client);
        }

        _time.Advance(TimeSpan.FromMinutes(15));

        Assert.False(tracker.IsBlocked(client));
    }

    [Fact]
    public void Ipv6_clients_in_the_same_64_share_a_count()
    {
        AuthenticationFailureTracker tracker = Tracker();

        tracker.RecordFailure(IPAddress.Parse("2001:db8:1:2::1"));
        tracker.RecordFailure(IPAddress.Parse("2001:db8:1:2::2"));
        tracker.RecordFailure(IPAddress.Parse("2001:db8:1:2:ffff::3"));

        Assert.True(tracker.IsBlocked(IPAddress.Parse("2001:db8:1:2::99")));
        Assert.False(tracker.IsBlocked(IPAddress.Parse("2001:db8:1:3::1")));
    }

    [Fact]
    public void Ipv4_mapped_addresses_count_as_the_ipv4_address()
    {
        AuthenticationFailureTracker tracker = Tracker(maxFailures: 2);

        tracker.RecordFailure(IPAddress.Parse("::ffff:192.0.2.9"));
        tracker.RecordFailure(IPAddress.Parse("192.0.2.9"));

        Assert.True(tracker.IsBlocked(IPAddress.Parse("192.0.2.9")));
    }

    [Fact]
    public void Memory_is_capped_by_forgetting_the_least_recently_failing_client()
    {
        AuthenticationFailureTracker tracker = Tracker(maxFailures: 1, maxClients: 16);
        IPAddress first = IPAddress.Parse("10.0.0.0");
        tracker.RecordFailure(first);
        for (int i = 1; i <= 16; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            tracker.RecordFailure(IPAddress.Parse($"10.0.0.{i}"));
        }

        Assert.Equal(16, tracker.TrackedClients);
        Assert.False(tracker.IsBlocked(first));
        Assert.True(tracker.IsBlocked(IPAddress.Parse("10.0.0.16")));
        Assert.True(tracker.IsBlocked(IPAddress.Parse("10.0.0.1")));
    }

    [Fact]
    public void Expired_clients_are_dropped_when_new_failures_arrive()
    {
        AuthenticationFailureTracker tracker = Tracker();
        for (int i = 0; i < 10; i++)
        {
            tracker.RecordFailure(IPAddress.Parse($"10.1.0.{i}"));
        }

        _time.Advance(TimeSpan.FromMinutes(16));
        tracker.RecordFailure(IPAddress.Parse("10.2.0.1"));

        Assert.Equal(1, tracker.TrackedClients);
    }

    [Fact]
    public async Task Concurrent_failures_are_all_counted()
    {
        AuthenticationFailureTracker tracker = Tracker(maxFailures: 1_000, maxClients: 1_000);
        IPAddress client = IPAddress.Parse("203.0.113.5");

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(
            () =>
            {
                for (int i = 0; i < 125; i++)
                {
                    tracker.RecordFailure(client);
                    tracker.RecordFailure(IPAddress.Parse($"203.0.114.{i}"));
                }
            },
            TestContext.Current.CancellationToken)));

        Assert.True(tracker.IsBlocked(client));
    }
}
