using System.Text;
using EmailPipeline.Contracts;
using EmailPipeline.Ingress.Queueing;
using EmailPipeline.Smtp.Data;

namespace EmailPipeline.Ingress.Tests.Queueing;

public sealed class ForgedAuthenticationResultsTests
{
    private const string Ours = "mx.example.test";

    [Theory]
    [InlineData("Authentication-Results: mx.example.test; spf=pass smtp.mailfrom=a@b.example\r\n")]
    [InlineData("authentication-results:MX.Example.Test;dkim=pass\r\n")]
    [InlineData("Authentication-Results: (forged) mx.example.test; none\r\n")]
    [InlineData("Authentication-Results: mx.example.test 1; spf=pass\r\n")]
    [InlineData("Authentication-Results:\r\n\tmx.example.test;\r\n\tdmarc=pass header.from=b.example\r\n")]
    [InlineData("Authentication-Results: \"mx.example.test\"; none\r\n")]
    public void A_field_claiming_our_authserv_id_is_removed(string forged)
    {
        string message = "Received: from x\r\n" + forged + "From: a@b.example\r\n\r\nbody\r\n";

        string result = Remove(message);

        Assert.Equal("Received: from x\r\nFrom: a@b.example\r\n\r\nbody\r\n", result);
    }

    [Theory]
    [InlineData("Authentication-Results: mx.other.example; spf=pass\r\n")]
    [InlineData("Authentication-Results: mx.example.test.evil; spf=pass\r\n")]
    [InlineData("X-Authentication-Results: mx.example.test; spf=pass\r\n")]
    [InlineData("Subject: Authentication-Results: mx.example.test; spf=pass\r\n")]
    public void Other_fields_stay_byte_for_byte(string field)
    {
        string message = "Received: from x\r\n" + field + "From: a@b.example\r\n\r\nbody\r\n";

        Assert.Equal(message, Remove(message));
    }

    [Fact]
    public void The_body_is_never_touched()
    {
        string message = "From: a@b.example\r\n\r\nAuthentication-Results: mx.example.test; spf=pass\r\n";

        Assert.Equal(message, Remove(message));
    }

    [Fact]
    public void Every_forged_field_goes_and_the_others_keep_their_order()
    {
        string message =
            "Authentication-Results: mx.example.test; spf=pass\r\n" +
            "Authentication-Results: relay.example; dkim=pass\r\n" +
            "Authentication-Results: mx.example.test; dmarc=pass\r\n" +
            "Subject: hi\r\n\r\nbody";

        Assert.Equal("Authentication-Results: relay.example; dkim=pass\r\nSubject: hi\r\n\r\nbody", Remove(message));
    }

    [Fact]
    public void Assemble_puts_ours_on_top_and_drops_the_forged_one()
    {
        using var buffer = new MessageContentBuffer();
        buffer.Write("Authentication-Results: mx.example.test; dmarc=pass\r\nFrom: a@b.example\r\n\r\nhi\r\n"u8);
        var draft = new MessageDraft
        {
            SessionId = "s",
            QueueId = "q",
            Envelope = new Envelope("a@b.example", [new EnvelopeRecipient("u@example.test", DsnNotify.Default, null)], null, DsnReturn.Unspecified, BodyType.SevenBit, false, null),
            Session = new SessionFacts("192.0.2.1", 1, "b.example", "mx", "mx", null, null, null, null),
            ReceivedAt = DateTimeOffset.UnixEpoch,
            ReceivedHeader = "Received: by us\r\n"u8.ToArray(),
            Content = buffer,
        };

        string assembled = Encoding.ASCII.GetString(draft.Assemble("Authentication-Results: mx.example.test; dmarc=fail\r\n", Ours));
        string unchanged = Encoding.ASCII.GetString(draft.Assemble("", "mx.other.test"));

        Assert.Equal("Authentication-Results: mx.example.test; dmarc=fail\r\nReceived: by us\r\nFrom: a@b.example\r\n\r\nhi\r\n", assembled);
        Assert.StartsWith("Received: by us\r\nAuthentication-Results: mx.example.test; dmarc=pass\r\n", unchanged, StringComparison.Ordinal);
    }

    private static string Remove(string message) =>
        Encoding.ASCII.GetString(ForgedAuthenticationResults.Remove(Encoding.ASCII.GetBytes(message), 0, Ours));
}
