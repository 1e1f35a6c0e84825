using EmailPipeline.Contracts;
using EmailPipeline.Delivery.Delivering;

namespace EmailPipeline.Delivery.Tests;

public sealed class ReplyClassifierTests
{
    [Theory]
    [InlineData(250, "2.0.0 Ok: queued as X", DeliveryOutcome.Delivered, "2.0.0")]
    [InlineData(250, "Ok", DeliveryOutcome.Delivered, "2.0.0")]
    [InlineData(251, "2.1.5 will forward", DeliveryOutcome.Delivered, "2.1.5")]
    [InlineData(450, "4.2.1 Mailbox busy", DeliveryOutcome.Deferred, "4.2.1")]
    [InlineData(451, "Try later", DeliveryOutcome.Deferred, "4.0.0")]
    [InlineData(452, "4.5.3 Too many recipients", DeliveryOutcome.Deferred, "4.5.3")]
    [InlineData(421, "4.4.2 closing", DeliveryOutcome.Deferred, "4.4.2")]
    [InlineData(550, "5.1.1 User unknown", DeliveryOutcome.Bounced, "5.1.1")]
    [InlineData(552, "5.2.2 Mailbox full", DeliveryOutcome.Bounced, "5.2.2")]
    [InlineData(554, "Transaction failed", DeliveryOutcome.Bounced, "5.0.0")]
    [InlineData(550, "4.1.1 mismatched class", DeliveryOutcome.Bounced, "5.1.1")]
    [InlineData(450, "5.7.1 mismatched class", DeliveryOutcome.Deferred, "4.7.1")]
    [InlineData(354, "odd", DeliveryOutcome.Deferred, "4.5.0")]
    public void Reply_code_decides_outcome_and_enhanced_code_is_kept_or_made(int code, string text, DeliveryOutcome outcome, string status)
    {
        RecipientOutcome o = ReplyClassifier.Classify("a@example.test", code, text, "mx.example.test");
        Assert.Equal(outcome, o.Outcome);
        Assert.Equal(status, o.EnhancedStatus);
        Assert.Equal(code, o.ReplyCode);
        Assert.Equal("mx.example.test", o.RemoteHost);
        Assert.StartsWith($"{code} {status}", o.Diagnostic, StringComparison.Ordinal);
    }

    [Fact]
    public void Multi_line_text_becomes_one_line()
    {
        RecipientOutcome o = ReplyClassifier.Classify("a@example.test", 550, "5.7.1 Rejected\r\nsee https://x", null);
        Assert.DoesNotContain('\n', o.Diagnostic);
        Assert.Equal("550 5.7.1 Rejected  see https://x", o.Diagnostic);
    }
}
