using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using EmailPipeline.Contracts;

namespace EmailPipeline.Cli;

/// <summary>
/// A message the services consume, written as MassTransit writes it: the JSON envelope
/// (<c>application/vnd.masstransit+json</c>) with the message type <c>urn:message:EmailPipeline.Contracts:Name</c>,
/// property names in camelCase and enums by name, as the services' serializer is configured
/// (shared/ServiceDefaults). Published to the contract's message-type exchange, it reaches every queue that
/// consumes it, exactly like a service's own publish.
/// </summary>
public static class MassTransitEnvelope
{
    public const string ContentType = "application/vnd.masstransit+json";

    /// <summary>How the services read and write messages: web defaults (camelCase, case-insensitive) and enums by name.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public static string MessageTypeOf<T>() => $"urn:message:{typeof(T).Namespace}:{typeof(T).Name}";

    /// <summary>The envelope of <paramref name="message"/>, ready to publish to <see cref="PipelineQueues.ExchangeOf{T}"/>.</summary>
    /// <param name="conversationId">Kept from the dead letter, so the bounce shows up in the same conversation.</param>
    /// <param name="purgedFrom">The error queue it comes from, recorded in the envelope's headers.</param>
    public static Publication Wrap<T>(T message, string? conversationId, string purgedFrom, DateTimeOffset now)
    {
        string id = Guid.NewGuid().ToString();
        var envelope = new JsonObject
        {
            ["messageId"] = id,
            ["conversationId"] = conversationId ?? id,
            ["messageType"] = new JsonArray(MessageTypeOf<T>()),
            ["message"] = JsonSerializer.SerializeToNode(message, Json),
            ["sentTime"] = now.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
            ["headers"] = new JsonObject { ["EmailPipeline-Purged-From"] = purgedFrom },
        };
        return new Publication(PipelineQueues.ExchangeOf<T>(), typeof(T).Name, id, JsonSerializer.SerializeToUtf8Bytes(envelope, Json));
    }
}

/// <summary>One message to publish (mandatory, confirmed) before a dead letter may be removed.</summary>
/// <param name="Exchange">The message-type exchange, e.g. <c>EmailPipeline.Contracts:DeliveryAttempted</c>.</param>
/// <param name="TypeName">The contract's name, for people.</param>
/// <param name="MessageId">The envelope's and the AMQP message id.</param>
/// <param name="Body">The envelope, UTF-8 JSON.</param>
public sealed record Publication(string Exchange, string TypeName, string MessageId, byte[] Body);
