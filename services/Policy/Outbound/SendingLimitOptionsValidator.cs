using Microsoft.Extensions.Options;
using Npgsql;

namespace EmailPipeline.Policy.Outbound;

/// <summary>Checked at start-up. The connection string is parsed, not echoed: it may hold a password.</summary>
internal sealed class SendingLimitOptionsValidator : IValidateOptions<SendingLimitOptions>
{
    public ValidateOptionsResult Validate(string? name, SendingLimitOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        const string S = SendingLimitOptions.Section;

        Check(problems, $"{S}:PerUser", options.PerUser);
        Check(problems, $"{S}:PerDomain", options.PerDomain);
        foreach ((string user, SendingRate rate) in options.Users)
        {
            Check(problems, $"{S}:Users:{user}", rate);
        }

        foreach ((string domain, SendingRate rate) in options.Domains)
        {
            if (SenderDomain.Normalize(domain) is null)
            {
                problems.Add($"{S}:Domains: '{domain}' is not a domain name.");
            }

            Check(problems, $"{S}:Domains:{domain}", rate);
        }

        if (options.StoreTimeout <= TimeSpan.Zero)
        {
            problems.Add($"{S}:StoreTimeout must be positive, not {options.StoreTimeout}.");
        }

        if (options.MaxConnections is < 1 or > 1000)
        {
            problems.Add($"{S}:MaxConnections must be between 1 and 1000, not {options.MaxConnections}.");
        }

        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            try
            {
                _ = new NpgsqlConnectionStringBuilder(options.ConnectionString);
            }
            catch (ArgumentException)
            {
                problems.Add($"{S}:ConnectionString is not a valid PostgreSQL connection string (e.g. \"Host=db;Username=policy;Password=…;Database=policy\").");
            }
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private static void Check(List<string> problems, string where, SendingRate? rate)
    {
        if (rate?.PerMinute < 0)
        {
            problems.Add($"{where}:PerMinute must be 0 (no limit) or more, not {rate.PerMinute}.");
        }

        if (rate?.PerHour < 0)
        {
            problems.Add($"{where}:PerHour must be 0 (no limit) or more, not {rate.PerHour}.");
        }
    }
}
