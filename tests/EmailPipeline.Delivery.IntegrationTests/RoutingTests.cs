using EmailPipeline.Contracts;
using EmailPipeline.Delivery.IntegrationTests.Infrastructure;

namespace EmailPipeline.Delivery.IntegrationTests;

/// <summary>MX routing through the service's DnsClient resolver against a real DNS server on loopback.</summary>
[Collection(DeliveryCollection.Name)]
public sealed class RoutingTests(DeliveryFixture fixture)
{
    [Fact]
    public async Task Unreachable_first_mx_falls_through_to_the_next_via_its_cname()
    {
        DeliveryAttempted attempted = await fixture.DeliverAsync(DeliveryFixture.Request("mx-fallback.test", "sender@origin.test", SmtpDeliveryTests.Message("mx"), "user@mx-fallback.test"));
        RecipientOutcome o = Assert.Single(attempted.Outcomes);
        Assert.Equal((DeliveryOutcome.Delivered, "good.mx-fallback.test"), (o.Outcome, o.RemoteHost));
        Assert.NotNull(fixture.Smtp.Find("user@mx-fallback.test"));
    }

    [Fact]
    public async Task Implicit_mx_from_the_address_record()
    {
        DeliveryAttempted attempted = await fixture.DeliverAsync(DeliveryFixture.Request("implicit.test", "sender@origin.test", SmtpDeliveryTests.Message("implicit"), "user@implicit.test"));
        RecipientOutcome o = Assert.Single(attempted.Outcomes);
        Assert.Equal((DeliveryOutcome.Delivered, "implicit.test"), (o.Outcome, o.RemoteHost));
    }

    [Theory]
    [InlineData("nullmx.test", DeliveryOutcome.Bounced, "5.1.10")]
    [InlineData("nxdomain.test", DeliveryOutcome.Bounced, "5.1.2")]
    [InlineData("servfail.test", DeliveryOutcome.Deferred, "4.4.3")]
    public async Task Dns_answers_decide_without_connecting(string domain, DeliveryOutcome outcome, string status)
    {
        DeliveryAttempted attempted = await fixture.DeliverAsync(DeliveryFixture.Request(domain, "sender@origin.test", SmtpDeliveryTests.Message(domain), $"a@{domain}", $"b@{domain}"));
        Assert.All(attempted.Outcomes, o => Assert.Equal((outcome, status), (o.Outcome, o.EnhancedStatus)));
        // The body comes back both ways: for the retry (deferred) and for the DSN (bounced).
        Assert.NotNull(attempted.Content);
    }
}
