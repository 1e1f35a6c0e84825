using System.ComponentModel.DataAnnotations;

namespace EmailPipeline.ServiceDefaults;

/// <summary>Where the broker is. Bound from "RabbitMq"; the RABBITMQ_URL environment variable wins when set.</summary>
public sealed class RabbitMqOptions : IValidatableObject
{
    public const string Section = "RabbitMq";

    /// <summary>amqp://user:password@host:port/vhost (amqps:// for TLS).</summary>
    [Required]
    public string Url { get; set; } = "amqp://guest:guest@127.0.0.1:5672/";

    /// <summary>A name shown in the broker's connection list.</summary>
    public string? ConnectionName { get; set; }

    /// <summary>Messages a consumer holds unacknowledged at once; bodies are up to the SIZE limit each.</summary>
    [Range(1, 1000)]
    public int PrefetchCount { get; set; } = 16;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Uri.TryCreate(Url, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("amqp" or "amqps" or "rabbitmq" or "rabbitmqs"))
        {
            yield return new ValidationResult(
                "RabbitMq:Url must be an absolute amqp:// or amqps:// URL, e.g. amqp://guest:guest@127.0.0.1:5672/.",
                [nameof(Url)]);
        }
    }

    /// <summary>The URL with any password replaced, safe to log.</summary>
    public string RedactedUrl()
    {
        if (!Uri.TryCreate(Url, UriKind.Absolute, out Uri? uri))
        {
            return "(invalid)";
        }

        var builder = new UriBuilder(uri);
        if (!string.IsNullOrEmpty(builder.Password))
        {
            builder.Password = "****";
        }

        return builder.Uri.ToString();
    }
}
