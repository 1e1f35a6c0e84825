using System.Text.Json;
using System.Text.Json.Nodes;

namespace EmailPipeline.Cli;

/// <summary>
/// One message from a MassTransit error queue, read as the JSON envelope MassTransit wrote
/// (<c>{"messageId", "conversationId", "messageType": ["urn:message:…"], "message": {…}, …}</c>); or, when it is not
/// one, why it cannot be read. The message is deserialized on demand into the contract its type names.
/// </summary>
public sealed class DeadLetter
{
    private DeadLetter(string? messageId, string? messageType, string? conversationId, JsonNode? message, string? problem)
    {
        MessageId = messageId;
        MessageType = messageType;
        ConversationId = conversationId;
        Message = message;
        Problem = problem;
    }

    /// <summary>The envelope's message id, else the AMQP message id; null when neither is there.</summary>
    public string? MessageId { get; }

    /// <summary>The first message type of the envelope (<c>urn:message:Namespace:Name</c>), or null.</summary>
    public string? MessageType { get; }

    public string? ConversationId { get; }

    /// <summary>The <c>message</c> object of the envelope; null when the letter cannot be read.</summary>
    public JsonNode? Message { get; }

    /// <summary>Why the letter cannot be read (not JSON, no envelope, no message); null when it can.</summary>
    public string? Problem { get; }

    /// <summary>The short type name (<c>DeliveryRequested</c>) for people, or "-".</summary>
    public string TypeName => MessageType is { } t ? t[(t.LastIndexOf(':') + 1)..] : "-";

    public static DeadLetter Read(ReadOnlySpan<byte> body, string? amqpMessageId)
    {
        try
        {
            return JsonNode.Parse(body) is JsonObject envelope
                ? FromEnvelope(envelope, amqpMessageId)
                : new DeadLetter(amqpMessageId, null, null, null, "not a MassTransit envelope (no JSON object)");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            // Malformed JSON, or bytes that are not UTF-8 (the node transcodes them lazily, so this covers the reads too).
            return new DeadLetter(amqpMessageId, null, null, null, "not JSON");
        }
    }

    private static DeadLetter FromEnvelope(JsonObject envelope, string? amqpMessageId)
    {
        string? messageId = Text(envelope, "messageId") ?? amqpMessageId;
        string? type = envelope["messageType"] switch
        {
            JsonArray { Count: > 0 } types when types[0] is JsonValue v && v.TryGetValue(out string? first) => first,
            JsonValue v when v.TryGetValue(out string? only) => only,
            _ => null,
        };
        string? conversation = Text(envelope, "conversationId");
        if (type is null)
        {
            return new DeadLetter(messageId, null, conversation, null, "no messageType in the envelope");
        }

        if (envelope["message"] is not JsonObject message)
        {
            return new DeadLetter(messageId, type, conversation, null, "no message in the envelope");
        }

        // Invalid UTF-8 inside the message surfaces when it is deserialized (As), as an unreadable letter.
        return new DeadLetter(messageId, type, conversation, message, null);
    }

    /// <summary>True when the envelope says it carries <typeparamref name="T"/> (a contract of EmailPipeline.Contracts).</summary>
    public bool Is<T>() => MessageType == MassTransitEnvelope.MessageTypeOf<T>();

    /// <summary>The message as <typeparamref name="T"/>, or null with <paramref name="problem"/> when it does not fit
    /// (a required member missing, a value of the wrong kind).</summary>
    public T? As<T>(out string? problem)
        where T : class
    {
        problem = null;
        try
        {
            T? value = Message.Deserialize<T>(MassTransitEnvelope.Json);
            if (value is null)
            {
                problem = "the message is null";
            }

            return value;
        }
        catch (Exception e) when (e is JsonException or FormatException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            problem = $"not a readable {typeof(T).Name}: {e.Message}";
            return null;
        }
    }

    private static string? Text(JsonObject o, string name) =>
        o[name] is JsonValue v && v.TryGetValue(out string? s) && s.Length > 0 ? s : null;
}
