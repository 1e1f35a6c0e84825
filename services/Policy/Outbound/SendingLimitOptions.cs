namespace EmailPipeline.Policy.Outbound;

/// <summary>
/// Sending limits for authenticated submission ("Policy:Limits"): messages per minute and per hour, per user
/// (the SASL identity) and per sender domain (see <see cref="SenderDomain"/>). Everything is off by default.
/// Windows are fixed clock minutes and hours (see the README for what that allows at a boundary).
/// </summary>
public sealed class SendingLimitOptions
{
    public const string Section = "Policy:Limits";

    /// <summary>The limit of every authenticated user without an entry in <see cref="Users"/>.</summary>
    public SendingRate PerUser { get; set; } = new();

    /// <summary>The limit of every sender domain without an entry in <see cref="Domains"/>.</summary>
    public SendingRate PerDomain { get; set; } = new();

    /// <summary>Per-user exceptions, keyed by the SASL user name (case-insensitive). A number left out is
    /// taken from <see cref="PerUser"/>.</summary>
    public Dictionary<string, SendingRate> Users { get; set; } = [];

    /// <summary>Per-domain exceptions, keyed by domain (case-insensitive). A number left out is taken from
    /// <see cref="PerDomain"/>.</summary>
    public Dictionary<string, SendingRate> Domains { get; set; } = [];

    /// <summary>
    /// A PostgreSQL connection string. Set, the counters live in one table that every Policy replica shares, so a
    /// limit holds for the whole deployment; unset, each replica counts for itself and N replicas together let
    /// through up to N times the limit.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>Connections this replica keeps to PostgreSQL at most (the pool size); checks beyond it wait for
    /// one. Keep replicas × this under the server's max_connections.</summary>
    public int MaxConnections { get; set; } = 10;

    /// <summary>How long one check may wait for PostgreSQL before it counts as unavailable.</summary>
    public TimeSpan StoreTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>When the shared counter cannot be reached: false (the default) answers 451 4.3.0 so nothing
    /// leaves unlimited; true accepts the message uncounted.</summary>
    public bool FailOpen { get; set; }
}
