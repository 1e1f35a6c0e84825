using Microsoft.Extensions.Options;

namespace EmailPipeline.Policy.Outbound;

/// <summary>Turns the configured limits into the quotas of one message (its user's and its domain's) and asks the
/// counter to admit it.</summary>
internal sealed class SendingLimits
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    private readonly ISendingCounter _counter;
    private readonly SendingLimitOptions _options;
    private readonly Dictionary<string, SendingRate> _users;
    private readonly Dictionary<string, SendingRate> _domains;

    public SendingLimits(ISendingCounter counter, IOptions<SendingLimitOptions> options)
    {
        _counter = counter;
        _options = options.Value;
        _users = new Dictionary<string, SendingRate>(_options.Users, StringComparer.OrdinalIgnoreCase);
        _domains = _options.Domains.ToDictionary(d => SenderDomain.Normalize(d.Key) ?? d.Key, d => d.Value, StringComparer.OrdinalIgnoreCase);
    }

    public bool FailOpen => _options.FailOpen;

    public Task<SendingAdmission> AdmitAsync(string user, string? domain, DateTimeOffset now, CancellationToken ct)
    {
        List<SendingQuota> quotas = Quotas(user, domain);
        return quotas.Count == 0 ? Task.FromResult(SendingAdmission.Admitted) : _counter.AdmitAsync(quotas, now, ct);
    }

    internal List<SendingQuota> Quotas(string user, string? domain)
    {
        var quotas = new List<SendingQuota>(4);
        Add(quotas, "user:" + user.ToLowerInvariant(), _options.PerUser, _users.GetValueOrDefault(user));
        if (domain is not null)
        {
            Add(quotas, "domain:" + domain, _options.PerDomain, _domains.GetValueOrDefault(domain));
        }

        return quotas;
    }

    private static void Add(List<SendingQuota> quotas, string scope, SendingRate defaults, SendingRate? exception)
    {
        int perMinute = exception?.PerMinute ?? defaults.PerMinute ?? 0;
        int perHour = exception?.PerHour ?? defaults.PerHour ?? 0;
        if (perMinute > 0)
        {
            quotas.Add(new SendingQuota(scope, Minute, perMinute));
        }

        if (perHour > 0)
        {
            quotas.Add(new SendingQuota(scope, Hour, perHour));
        }
    }
}
