namespace EmailPipeline.Policy.Dns;

/// <summary>
/// The answer to one query: its outcome, the records (empty unless <see cref="DnsOutcome.Found"/>) and how long it may
/// be cached (the smallest record TTL, or the SOA minimum for a negative answer).
/// </summary>
public sealed record DnsAnswer<T>(DnsOutcome Outcome, IReadOnlyList<T> Records, TimeSpan TimeToLive)
{
    public static DnsAnswer<T> Of(IReadOnlyList<T> records, TimeSpan timeToLive) =>
        records.Count == 0 ? new(DnsOutcome.NoData, [], timeToLive) : new(DnsOutcome.Found, records, timeToLive);

    public static DnsAnswer<T> Negative(DnsOutcome outcome, TimeSpan timeToLive) => new(outcome, [], timeToLive);

    public static DnsAnswer<T> TempError { get; } = new(DnsOutcome.TempError, [], TimeSpan.Zero);
}
