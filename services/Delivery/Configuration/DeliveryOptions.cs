using System.ComponentModel.DataAnnotations;
using System.Net;
using EmailPipeline.Delivery.Routing;

namespace EmailPipeline.Delivery.Configuration;

/// <summary>The "Delivery" section. Checked at start-up; every problem is reported with its key.</summary>
public sealed class DeliveryOptions : IValidatableObject
{
    public const string Section = "Delivery";

    /// <summary>The name we give in EHLO/LHLO; should resolve back to our sending address.</summary>
    [Required]
    public string HeloName { get; set; } = "localhost";

    /// <summary>Health and metrics endpoint.</summary>
    [Required]
    public string HttpUrl { get; set; } = "http://127.0.0.1:8026";

    /// <summary>Deliveries in flight at once: the consumer's concurrency and prefetch.</summary>
    [Range(1, 500)]
    public int MaxConcurrentDeliveries { get; set; } = 20;

    /// <summary>
    /// Requests taken at once from the large-message lane (content over 1 MiB). 0, the default, derives it from
    /// <see cref="MaxBodyBytesInFlight"/> and <see cref="MaxMessageSize"/> so the bodies held fit in memory.
    /// </summary>
    [Range(0, 500)]
    public int MaxConcurrentLargeDeliveries { get; set; }

    /// <summary>The largest message this worker is sent: the ingress's Ingress:Limits:MaxMessageSize (25 MiB there too).</summary>
    [Range(1024, 1024L * 1024 * 1024)]
    public long MaxMessageSize { get; set; } = 25L * 1024 * 1024;

    /// <summary>Memory for message bodies held at once (taken from the broker, being delivered). 0, the default, is
    /// half of what the GC may use, i.e. half the container's memory limit.</summary>
    [Range(0, long.MaxValue)]
    public long MaxBodyBytesInFlight { get; set; }

    /// <summary>The lanes' concurrency these settings give.</summary>
    public Consumers.DeliveryLanes Lanes() =>
        Consumers.DeliveryLanes.For(MaxConcurrentDeliveries, MaxConcurrentLargeDeliveries, MaxMessageSize,
            MaxBodyBytesInFlight > 0 ? MaxBodyBytesInFlight : Consumers.DeliveryLanes.DefaultBudget());

    /// <summary>Bound of one whole attempt (all hosts tried). Far below RabbitMQ's 30-minute consumer_timeout,
    /// so an input message is never held long enough for the broker to take it back.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:20:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>TCP connect plus greeting, EHLO and STARTTLS for one host.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Each SMTP/LMTP command's reply (RFC 5321 §4.5.3.2 suggests minutes; the attempt bound still applies).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>MX hosts tried per attempt; the rest wait for the next attempt.</summary>
    [Range(1, 20)]
    public int MaxHostsPerAttempt { get; set; } = 5;

    /// <summary>The transport map, most specific match first (exact, then longest "*." suffix, then "*").</summary>
    public List<TransportRule> Transports { get; set; } = [];

    /// <summary>Delivery:Dns — where MX and address lookups go.</summary>
    public DnsOptions Dns { get; set; } = new();

    /// <summary>Delivery:CircuitBreaker — per destination host.</summary>
    public CircuitBreakerOptions CircuitBreaker { get; set; } = new();

    /// <summary>Delivery:ConnectionReuse — idle SMTP sessions kept per destination host.</summary>
    public ConnectionReuseOptions ConnectionReuse { get; set; } = new();

    /// <summary>
    /// The delivery journal's current segment (recipients a remote accepted, by attempt id), so that a redelivered
    /// request is not delivered twice; the previous segment is this path plus ".1". Default
    /// <c>${EMAILPIPELINE_DATA:-./data}/delivery.journal</c>. One file per worker: never share it between processes.
    /// </summary>
    public string JournalPath { get; set; } = DefaultJournalPath();

    /// <summary>How long the journal keeps a record at least (and at most twice as long): the segment rolls over at this age.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan JournalRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>A segment also rolls over at this size (about 150 bytes a record), which bounds the index in memory.</summary>
    [Range(64 * 1024, 1024L * 1024 * 1024)]
    public long JournalMaxSegmentBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Relay for every domain the transport map does not cover (Postfix's relayhost); MX lookup when unset.</summary>
    public TransportRule? Smarthost { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Uri.TryCreate(HttpUrl, UriKind.Absolute, out _))
        {
            yield return new ValidationResult($"Delivery:HttpUrl '{HttpUrl}' is not an absolute URL.", [nameof(HttpUrl)]);
        }

        if (string.IsNullOrWhiteSpace(JournalPath) || JournalPath.IndexOfAny(Path.GetInvalidPathChars()) >= 0 || Path.EndsInDirectorySeparator(JournalPath))
        {
            yield return new ValidationResult($"Delivery:JournalPath '{JournalPath}' must be a file path.", [nameof(JournalPath)]);
        }
        else if (Directory.Exists(JournalPath))
        {
            yield return new ValidationResult($"Delivery:JournalPath '{JournalPath}' is a directory; give a file in it.", [nameof(JournalPath)]);
        }

        if (HeloName.Any(c => c <= ' ' || c > '~'))
        {
            yield return new ValidationResult($"Delivery:HeloName '{HeloName}' must be a domain name in ASCII.", [nameof(HeloName)]);
        }

        // The nested sections are checked here so that one start-up report lists every problem at once.
        foreach ((string section, object nested) in new (string, object)[] { ("Dns", Dns), ("CircuitBreaker", CircuitBreaker), ("ConnectionReuse", ConnectionReuse) })
        {
            var results = new List<ValidationResult>();
            Validator.TryValidateObject(nested, new ValidationContext(nested), results, validateAllProperties: true);
            foreach (ValidationResult r in results)
            {
                string message = r.ErrorMessage ?? "invalid";
                yield return new ValidationResult(message.StartsWith("Delivery:", StringComparison.Ordinal) ? message : $"Delivery:{section}: {message}", [section]);
            }
        }

        for (int i = 0; i < Transports.Count; i++)
        {
            foreach (string problem in Problems(Transports[i], requireMatch: true))
            {
                yield return new ValidationResult($"Delivery:Transports:{i} ({Transports[i].Match}): {problem}", [nameof(Transports)]);
            }
        }

        var duplicates = Transports.GroupBy(t => t.Match.Trim().ToLowerInvariant()).Where(g => g.Count() > 1).Select(g => g.Key);
        foreach (string duplicate in duplicates)
        {
            yield return new ValidationResult($"Delivery:Transports: '{duplicate}' is matched by more than one entry.", [nameof(Transports)]);
        }

        if (Smarthost is not null)
        {
            foreach (string problem in Problems(Smarthost, requireMatch: false))
            {
                yield return new ValidationResult($"Delivery:Smarthost: {problem}", [nameof(Smarthost)]);
            }

            if (Smarthost.Kind != TransportKind.Smtp)
            {
                yield return new ValidationResult("Delivery:Smarthost: Kind must be Smtp.", [nameof(Smarthost)]);
            }
        }
    }

    private static IEnumerable<string> Problems(TransportRule rule, bool requireMatch)
    {
        if (requireMatch && !TransportMap.IsValidPattern(rule.Match))
        {
            yield return "Match must be a domain, \"*.domain\" or \"*\".";
        }

        if (rule.Port is < 1 or > 65535)
        {
            yield return "Port must be 1-65535.";
        }

        switch (rule.Kind)
        {
            case TransportKind.Lmtp when string.IsNullOrWhiteSpace(rule.Host):
                yield return "an Lmtp transport needs Host.";
                break;
            case TransportKind.Smtp when !requireMatch && string.IsNullOrWhiteSpace(rule.Host):
                yield return "Host is required.";
                break;
            case TransportKind.Maildir when rule.Host is not null:
                yield return "a Maildir transport takes Path, not Host.";
                break;
        }

        if (rule.Host is not null && Uri.CheckHostName(rule.Host.Trim('[', ']')) == UriHostNameType.Unknown)
        {
            yield return $"Host '{rule.Host}' is not a host name or IP address.";
        }

        if (!string.IsNullOrEmpty(rule.Username) && string.IsNullOrEmpty(rule.Password))
        {
            yield return "Username is set but Password is not (give it as a secret).";
        }

        if (rule.Kind == TransportKind.Maildir && rule.Path is not null && rule.Path.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            yield return $"Path '{rule.Path}' is not a valid path.";
        }
    }

    /// <summary>The Maildir root used when a Maildir transport gives no Path: $EMAILPIPELINE_DATA/maildir, else ./data/maildir.</summary>
    public static string DefaultMaildirRoot()
    {
        string? data = Environment.GetEnvironmentVariable("EMAILPIPELINE_DATA");
        return string.IsNullOrWhiteSpace(data)
            ? Path.GetFullPath(Path.Combine("data", "maildir"))
            : Path.GetFullPath(Path.Combine(data, "maildir"));
    }

    /// <summary>The journal used when Delivery:JournalPath is not set: $EMAILPIPELINE_DATA/delivery.journal, else ./data/delivery.journal.</summary>
    public static string DefaultJournalPath()
    {
        string? data = Environment.GetEnvironmentVariable("EMAILPIPELINE_DATA");
        return Path.GetFullPath(Path.Combine(string.IsNullOrWhiteSpace(data) ? "data" : data, "delivery.journal"));
    }

    internal static bool IsIpLiteral(string host) => IPAddress.TryParse(host.Trim('[', ']'), out _);
}
