using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using EmailPipeline.Cli;
using EmailPipeline.Contracts;
using EmailPipeline.Queue.State;
using static EmailPipeline.Queue.Tests.Infrastructure.TestMessages;

namespace EmailPipeline.Queue.Tests.Cli;

/// <summary>The purge plan for one dead letter (<see cref="OperatorBounce"/>), without a broker: the rows of its table
/// that the broker tests do not reach, and every way a letter can be unreadable.</summary>
public sealed class OperatorBounceTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private static readonly PurgeContext Context = new("x_error", Epoch, "mx.example.test", 10 * 1024 * 1024);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("", "not JSON")]
    [InlineData("not json", "not JSON")]
    [InlineData("\"a string\"", "not a MassTransit envelope")]
    [InlineData("[1, 2]", "not a MassTransit envelope")]
    [InlineData("{\"message\": {}}", "no messageType")]
    [InlineData("{\"messageType\": [\"urn:message:EmailPipeline.Contracts:DeliveryRequested\"]}", "no message in the envelope")]
    [InlineData("{\"messageType\": [\"urn:message:EmailPipeline.Contracts:DeliveryRequested\"], \"message\": {\"messageId\": \"m\"}}", "not a readable DeliveryRequested")]
    [InlineData("{\"messageType\": [\"urn:message:EmailPipeline.Contracts:DeliveryRequested\"], \"message\": {\"messageId\": \"m\", \"attemptId\": \"\", \"destination\": \"d\", \"sender\": \"\", \"recipients\": [], \"content\": \"\"}}", "without its message id, attempt id or recipients")]
    [InlineData("{\"messageType\": [\"urn:message:EmailPipeline.Contracts:DeliveryAttempted\"], \"message\": {\"messageId\": \"m\", \"attemptId\": \"a\", \"destination\": \"d\", \"attemptNumber\": 1, \"attemptedAt\": \"2025-01-01T00:00:00Z\", \"outcomes\": [{\"recipient\": \"r@d\", \"outcome\": \"Sideways\"}]}}", "not a readable DeliveryAttempted")]
    [InlineData("{\"messageType\": [\"urn:message:EmailPipeline.Contracts:MessageAccepted\"], \"message\": {\"messageId\": \"m\", \"envelope\": null, \"session\": null, \"receivedAt\": \"2025-01-01T00:00:00Z\", \"content\": null}}", "a MessageAccepted without its id, sender or recipients")]
    [InlineData("{\"messageType\": [\"urn:message:Other:Thing\"], \"message\": {}}", "urn:message:Other:Thing is not a message that carries recipients")]
    public async Task A_letter_that_cannot_be_read_or_bounced_is_left_in_place(string body, string why)
    {
        PurgeAction action = await PlanAsync(Encoding.UTF8.GetBytes(body));

        Assert.Equal(PurgeVerdict.Left, action.Verdict);
        Assert.Contains(why, action.Description, StringComparison.Ordinal);
        Assert.Empty(action.Publications);
    }

    [Fact]
    public async Task Bytes_that_are_not_utf8_are_not_json()
    {
        PurgeAction action = await PlanAsync([0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D]); // {"\xFF\xFE":1}

        Assert.Equal((PurgeVerdict.Left, "cannot be read: not JSON"), (action.Verdict, action.Description));
    }

    [Fact]
    public async Task Bytes_that_are_not_utf8_inside_the_message_make_it_unreadable()
    {
        byte[] body = [.. "{\"messageType\": [\"urn:message:EmailPipeline.Contracts:DeliveryRequested\"], \"message\": {\"messageId\": \""u8, 0xFF, .. "\"}}"u8];

        PurgeAction action = await PlanAsync(body);

        Assert.Equal(PurgeVerdict.Left, action.Verdict);
        Assert.Contains("not a readable DeliveryRequested", action.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_policy_check_is_removed_without_publishing()
    {
        var check = new CheckMessage
        {
            MessageId = "m",
            Envelope = Accepted("a@example.com", Epoch, "b@example.org").Envelope,
            Session = new SessionFacts("192.0.2.1", 1, "h", "mx", "mx", null, null, null, null),
            Content = [],
        };

        PurgeAction action = await PlanAsync(Envelope(check));

        Assert.Equal(PurgeVerdict.Removed, action.Verdict);
        Assert.Empty(action.Publications);
    }

    [Fact]
    public async Task An_attempt_whose_recipients_were_all_delivered_is_handed_back_and_removed()
    {
        PurgeAction action = await PlanAsync(Envelope(Attempt("m", "a", 1, Epoch, Delivered("x@example.org"))));

        Assert.Equal(PurgeVerdict.Removed, action.Verdict);
        Assert.Equal("EmailPipeline.Contracts:DeliveryAttempted", Assert.Single(action.Publications).Exchange);
    }

    [Fact]
    public async Task A_recorded_message_whose_recipients_are_all_final_is_removed_without_publishing()
    {
        MessageAccepted accepted = Accepted("a@example.com", Epoch, "b@example.org");
        var record = new MessageRecord(accepted.MessageId, "a@example.com", null, DsnReturn.Unspecified, false, Epoch, 10, false, false, false, false,
            [new RecipientRecord(accepted.MessageId, "b@example.org", "example.org", DsnNotify.Default, null, RecipientState.Delivered, 1, null, 250, "2.0.0", "ok", null, Epoch)]);

        PurgeAction action = await PlanAsync(Envelope(accepted), record);

        Assert.Equal(PurgeVerdict.Removed, action.Verdict);
        Assert.Contains("every recipient is final already", action.Description, StringComparison.Ordinal);
        Assert.Empty(action.Publications);
    }

    [Fact]
    public async Task An_unrecorded_message_whose_recipients_asked_for_no_dsn_is_removed_without_one()
    {
        MessageAccepted accepted = Accepted("a@example.com", Epoch, "b@example.org");
        accepted = accepted with { Envelope = accepted.Envelope with { Recipients = [new EnvelopeRecipient("b@example.org", DsnNotify.Never, null)] } };

        PurgeAction action = await PlanAsync(Envelope(accepted));

        Assert.Equal(PurgeVerdict.Removed, action.Verdict);
        Assert.Contains("NOTIFY asks for no failure DSN", action.Description, StringComparison.Ordinal);
        Assert.Empty(action.Publications);
    }

    [Fact]
    public async Task Enums_written_as_numbers_are_read_too()
    {
        JsonObject envelope = Envelope(Attempt("m", "a", 1, Epoch, Deferred("x@example.org")));
        envelope["message"]!["outcomes"]![0]!["outcome"] = 1; // Deferred

        PurgeAction action = await PlanAsync(JsonSerializer.SerializeToUtf8Bytes(envelope));

        Assert.Equal(PurgeVerdict.Bounced, action.Verdict);
    }

    private static Task<PurgeAction> PlanAsync(JsonObject envelope, MessageRecord? record = null) => PlanAsync(JsonSerializer.SerializeToUtf8Bytes(envelope), record);

    private static Task<PurgeAction> PlanAsync(byte[] body, MessageRecord? record = null) =>
        OperatorBounce.PlanAsync(DeadLetter.Read(body, "amqp-id"), Context, (_, _) => Task.FromResult(record), Ct);

    private static JsonObject Envelope<T>(T message) => new()
    {
        ["messageId"] = Guid.NewGuid().ToString(),
        ["messageType"] = new JsonArray($"urn:message:EmailPipeline.Contracts:{typeof(T).Name}"),
        ["message"] = JsonSerializer.SerializeToNode(message, Json),
    };
}
