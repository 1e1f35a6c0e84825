using System.Net;
using EmailPipeline.Policy.Dns;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Policy.Tests.Dns;

public sealed class CachingDnsResolverTests
{
    private readonly ManualTime _time = new();
    private readonly CountingResolver _inner = new();
    private readonly CachingDnsResolver _cache;

    public CachingDnsResolverTests() =>
        _cache = new CachingDnsResolver(_inner, Options.Create(new DnsResolverOptions { MaximumTtl = TimeSpan.FromMinutes(10) }), _time);

    [Fact]
    public async Task Answers_are_reused_until_their_ttl_runs_out()
    {
        _inner.Answer = DnsAnswer<IPAddress>.Of([IPAddress.Loopback], TimeSpan.FromSeconds(30));
        await _cache.QueryAAsync("Example.COM.", TestContext.Current.CancellationToken);
        _time.Advance(TimeSpan.FromSeconds(29));
        DnsAnswer<IPAddress> cached = await _cache.QueryAAsync("example.com", TestContext.Current.CancellationToken);
        Assert.Equal((1, DnsOutcome.Found), (_inner.Queries, cached.Outcome));

        _time.Advance(TimeSpan.FromSeconds(2));
        await _cache.QueryAAsync("example.com", TestContext.Current.CancellationToken);
        Assert.Equal(2, _inner.Queries);
    }

    [Fact]
    public async Task Negative_answers_are_cached_and_temporary_errors_are_not()
    {
        _inner.Answer = DnsAnswer<IPAddress>.Negative(DnsOutcome.NxDomain, TimeSpan.FromMinutes(1));
        await _cache.QueryAAsync("gone.example", TestContext.Current.CancellationToken);
        Assert.Equal(DnsOutcome.NxDomain, (await _cache.QueryAAsync("gone.example", TestContext.Current.CancellationToken)).Outcome);
        Assert.Equal(1, _inner.Queries);

        _inner.Answer = DnsAnswer<IPAddress>.TempError;
        await _cache.QueryAAsync("flaky.example", TestContext.Current.CancellationToken);
        await _cache.QueryAAsync("flaky.example", TestContext.Current.CancellationToken);
        Assert.Equal(3, _inner.Queries);
    }

    [Fact]
    public async Task Long_ttls_are_capped()
    {
        _inner.Answer = DnsAnswer<IPAddress>.Of([IPAddress.Loopback], TimeSpan.FromDays(1));
        await _cache.QueryAAsync("example.com", TestContext.Current.CancellationToken);
        _time.Advance(TimeSpan.FromMinutes(11));
        await _cache.QueryAAsync("example.com", TestContext.Current.CancellationToken);
        Assert.Equal(2, _inner.Queries);
    }

    private sealed class ManualTime : TimeProvider
    {
        private DateTimeOffset _now = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }

    private sealed class CountingResolver : IDnsResolver
    {
        public DnsAnswer<IPAddress> Answer { get; set; } = DnsAnswer<IPAddress>.TempError;

        public int Queries { get; private set; }

        public Task<DnsAnswer<IPAddress>> QueryAAsync(string name, CancellationToken cancellationToken)
        {
            Queries++;
            return Task.FromResult(Answer);
        }

        public Task<DnsAnswer<IReadOnlyList<string>>> QueryTxtAsync(string name, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<DnsAnswer<IPAddress>> QueryAaaaAsync(string name, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<DnsAnswer<MxHost>> QueryMxAsync(string name, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<DnsAnswer<string>> QueryPtrAsync(IPAddress address, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
