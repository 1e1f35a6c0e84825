using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Policy.Dns;

/// <summary>
/// Remembers answers for their TTL (capped by <see cref="DnsResolverOptions.MaximumTtl"/>), negative answers included
/// (NXDOMAIN and NODATA for their SOA-derived TTL), so that repeated checks of one sender domain ask the network once.
/// Temporary errors are never cached: the next message should try again.
/// </summary>
public sealed class CachingDnsResolver : IDnsResolver
{
    private readonly IDnsResolver _inner;
    private readonly TimeProvider _time;
    private readonly TimeSpan _maximumTtl;
    private readonly int _maximumEntries;
    private readonly ConcurrentDictionary<(char Type, string Name), Entry> _entries = new();

    public CachingDnsResolver(IDnsResolver inner, IOptions<DnsResolverOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _inner = inner;
        _time = time;
        _maximumTtl = options.Value.MaximumTtl;
        _maximumEntries = options.Value.MaximumCacheEntries;
    }

    public int Count => _entries.Count;

    public Task<DnsAnswer<IReadOnlyList<string>>> QueryTxtAsync(string name, CancellationToken cancellationToken) =>
        GetAsync('T', name, _inner.QueryTxtAsync, cancellationToken);

    public Task<DnsAnswer<IPAddress>> QueryAAsync(string name, CancellationToken cancellationToken) =>
        GetAsync('A', name, _inner.QueryAAsync, cancellationToken);

    public Task<DnsAnswer<IPAddress>> QueryAaaaAsync(string name, CancellationToken cancellationToken) =>
        GetAsync('6', name, _inner.QueryAaaaAsync, cancellationToken);

    public Task<DnsAnswer<MxHost>> QueryMxAsync(string name, CancellationToken cancellationToken) =>
        GetAsync('M', name, _inner.QueryMxAsync, cancellationToken);

    public Task<DnsAnswer<string>> QueryPtrAsync(IPAddress address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        return GetAsync('P', DnsNames.ReverseName(address), (_, ct) => _inner.QueryPtrAsync(address, ct), cancellationToken);
    }

    private async Task<DnsAnswer<T>> GetAsync<T>(
        char type, string name, Func<string, CancellationToken, Task<DnsAnswer<T>>> query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        var key = (type, name.TrimEnd('.').ToLowerInvariant());
        DateTimeOffset now = _time.GetUtcNow();
        if (_entries.TryGetValue(key, out Entry? hit) && hit.Expires > now)
        {
            return (DnsAnswer<T>)hit.Answer;
        }

        DnsAnswer<T> answer = await query(name, cancellationToken).ConfigureAwait(false);
        TimeSpan ttl = answer.TimeToLive < _maximumTtl ? answer.TimeToLive : _maximumTtl;
        if (answer.Outcome != DnsOutcome.TempError && ttl > TimeSpan.Zero)
        {
            if (_entries.Count >= _maximumEntries)
            {
                Evict(now);
            }

            _entries[key] = new Entry(answer, now + ttl);
        }

        return answer;
    }

    // Rare (the cap is far above a normal working set): drop what has expired, and everything if that was not enough.
    private void Evict(DateTimeOffset now)
    {
        foreach (KeyValuePair<(char, string), Entry> entry in _entries)
        {
            if (entry.Value.Expires <= now)
            {
                _entries.TryRemove(entry);
            }
        }

        if (_entries.Count >= _maximumEntries)
        {
            _entries.Clear();
        }
    }

    private sealed record Entry(object Answer, DateTimeOffset Expires);
}
