using System.Net;
using EmailPipeline.Policy.Dns;

namespace EmailPipeline.Policy.Tests.Support;

/// <summary>An in-memory <see cref="IDnsResolver"/>: TXT and A records by name, names that time out, names that hang.</summary>
internal sealed class FakeDns : IDnsResolver
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);
    private readonly Dictionary<string, List<string>> _txt = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, List<IPAddress>> _a = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _failing = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _hanging = new(StringComparer.OrdinalIgnoreCase);

    public List<string> Queries { get; } = [];

    public FakeDns Txt(string name, string text)
    {
        (_txt.TryGetValue(name, out List<string>? list) ? list : _txt[name] = []).Add(text);
        return this;
    }

    public FakeDns A(string name, string address)
    {
        (_a.TryGetValue(name, out List<IPAddress>? list) ? list : _a[name] = []).Add(IPAddress.Parse(address));
        return this;
    }

    /// <summary>Every query for the name answers TempError (a timeout or SERVFAIL).</summary>
    public FakeDns Fail(string name)
    {
        _failing.Add(name);
        return this;
    }

    /// <summary>Every query for the name waits until cancelled.</summary>
    public FakeDns Hang(string name)
    {
        _hanging.Add(name);
        return this;
    }

    public async Task<DnsAnswer<IReadOnlyList<string>>> QueryTxtAsync(string name, CancellationToken cancellationToken)
    {
        DnsAnswer<string> answer = await AnswerAsync(name, _txt, cancellationToken);
        return new DnsAnswer<IReadOnlyList<string>>(answer.Outcome, answer.Records.Select(t => (IReadOnlyList<string>)[t]).ToArray(), answer.TimeToLive);
    }

    public Task<DnsAnswer<IPAddress>> QueryAAsync(string name, CancellationToken cancellationToken) => AnswerAsync(name, _a, cancellationToken);

    public Task<DnsAnswer<IPAddress>> QueryAaaaAsync(string name, CancellationToken cancellationToken) =>
        AnswerAsync(name, new Dictionary<string, List<IPAddress>>(), cancellationToken);

    public Task<DnsAnswer<MxHost>> QueryMxAsync(string name, CancellationToken cancellationToken) =>
        AnswerAsync(name, new Dictionary<string, List<MxHost>>(), cancellationToken);

    public Task<DnsAnswer<string>> QueryPtrAsync(IPAddress address, CancellationToken cancellationToken) =>
        AnswerAsync(DnsNames.ReverseName(address), new Dictionary<string, List<string>>(), cancellationToken);

    private async Task<DnsAnswer<T>> AnswerAsync<T>(string name, Dictionary<string, List<T>> records, CancellationToken cancellationToken)
    {
        lock (Queries)
        {
            Queries.Add(name);
        }

        if (_hanging.Contains(name))
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        if (_failing.Contains(name))
        {
            return DnsAnswer<T>.TempError;
        }

        if (records.TryGetValue(name, out List<T>? found))
        {
            return DnsAnswer<T>.Of(found, Ttl);
        }

        bool exists = _txt.ContainsKey(name) || _a.ContainsKey(name);
        return DnsAnswer<T>.Negative(exists ? DnsOutcome.NoData : DnsOutcome.NxDomain, Ttl);
    }
}
