using EmailPipeline.Contracts;
using EmailPipeline.Queue.Configuration;
using EmailPipeline.Queue.Scheduling;
using EmailPipeline.Queue.State;
using EmailPipeline.Queue.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using static EmailPipeline.Queue.Tests.Infrastructure.TestMessages;

namespace EmailPipeline.Queue.Tests.Scheduling;

/// <summary>The shaping decision over a real (SQLite) store: what is in flight and what came back in the last minute.</summary>
public sealed class DestinationShapingTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("emailpipeline-shaping-").FullName;
    private readonly ManualTime _clock = new(Epoch.AddMinutes(5));
    private SqliteQueueStore _store = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _store = new SqliteQueueStore(Path.Combine(_dir, "queue.db"), _clock);
        await _store.InitializeAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private DestinationShaping Shaping(int maxConcurrent, int maxPerMinute) => new(_store, Options.Create(new ShapingOptions
    {
        Destinations = { ["dest.test"] = new DestinationLimits { MaxConcurrent = maxConcurrent, MaxPerMinute = maxPerMinute } },
    }), _clock);

    [Fact]
    public async Task An_unlimited_destination_never_waits_and_takes_no_lock()
    {
        await _store.AddMessageAsync(Accepted("s@example.com", Epoch, "a@free.test"), Ct);
        DestinationShaping shaping = Shaping(1, 1);
        Assert.False(await shaping.MustWaitAsync("free.test", "asking", Ct));
        Assert.Null(await shaping.EnterAsync("free.test", Ct));
    }

    [Fact]
    public async Task The_concurrency_limit_counts_other_messages_in_flight()
    {
        MessageAccepted inFlight = Accepted("s@example.com", Epoch, "a@dest.test");
        await _store.AddMessageAsync(inFlight, Ct);
        Assert.True(await Shaping(1, 0).MustWaitAsync("dest.test", "asking", Ct));
        Assert.False(await Shaping(2, 0).MustWaitAsync("dest.test", "asking", Ct));
        Assert.False(await Shaping(1, 0).MustWaitAsync("dest.test", inFlight.MessageId, Ct)); // itself is no competitor
    }

    [Fact]
    public async Task The_rate_limit_counts_recorded_attempts_of_the_last_minute_and_those_still_in_flight()
    {
        MessageAccepted done = Accepted("s@example.com", Epoch, "a@dest.test");
        await _store.AddMessageAsync(done, Ct);
        await _store.RecordAttemptAsync(Attempt(done.MessageId, "att-1", 1, _clock.GetUtcNow().AddSeconds(-30), Delivered("a@dest.test")), Ct);
        MessageAccepted flying = Accepted("s@example.com", Epoch, "b@dest.test");
        await _store.AddMessageAsync(flying, Ct);

        Assert.True(await Shaping(0, 2).MustWaitAsync("dest.test", "asking", Ct)); // one recorded + one in flight
        Assert.False(await Shaping(0, 3).MustWaitAsync("dest.test", "asking", Ct));

        _clock.Now += TimeSpan.FromMinutes(1);
        Assert.False(await Shaping(0, 2).MustWaitAsync("dest.test", "asking", Ct)); // the recorded one is over a minute old
    }
}
