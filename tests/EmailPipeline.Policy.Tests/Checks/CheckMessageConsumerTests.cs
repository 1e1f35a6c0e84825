using EmailPipeline.Contracts;
using EmailPipeline.Policy.Consumers;
using EmailPipeline.Policy.Extensions;
using EmailPipeline.Policy.Dns;
using EmailPipeline.Policy.Tests.Support;
using EmailPipeline.Testing;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EmailPipeline.Policy.Tests.Checks;

public sealed class CheckMessageConsumerTests
{
    [Fact]
    public async Task A_request_gets_the_verdict_as_its_response()
    {
        FakeDns dns = new FakeDns().Txt("_dmarc.example.com", "v=DMARC1; p=reject");
        await using ServiceProvider provider = new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Policy:AuthServId"] = "mx.harness.test" }).Build())
            .AddLogging()
            .AddMetrics()
            .AddSingleton<IDnsResolver>(dns)
            .AddPolicyChecks()
            .AddMassTransitTestHarness(x => x.AddConsumer<CheckMessageConsumer, CheckMessageConsumerDefinition>())
            .BuildServiceProvider(true);
        ITestHarness harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var check = new CheckMessage
        {
            MessageId = "01HARNESS",
            Envelope = new Envelope("x@forger.example", [new EnvelopeRecipient("bob@example.test", DsnNotify.Default, null)], null, DsnReturn.Unspecified, BodyType.SevenBit, false, null),
            Session = new SessionFacts("203.0.113.9", 1, "forger.example", "mx", "mx", null, null, null, null),
            Content = TestKeys.Bytes(TestKeys.Message("ceo@example.com")),
        };

        Response<PolicyVerdict> response = await harness.GetRequestClient<CheckMessage>().GetResponse<PolicyVerdict>(check);

        Assert.Equal((PolicyAction.Reject, 550, "5.7.1", "mx.harness.test"),
            (response.Message.Action, response.Message.ReplyCode, response.Message.EnhancedStatus, response.Message.AuthServId));
        Assert.True(await harness.Consumed.Any<CheckMessage>());
    }

    [Fact]
    public void The_endpoint_is_the_shared_policy_queue()
    {
        Assert.Equal(PipelineQueues.PolicyCheck, ((IConsumerDefinition)new CheckMessageConsumerDefinition()).GetEndpointName(KebabCaseEndpointNameFormatter.Instance));
    }
}
