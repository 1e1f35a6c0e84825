using EmailPipeline.Contracts;
using EmailPipeline.Policy.Checks;
using EmailPipeline.Policy.Outbound;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace EmailPipeline.Policy.Tests.Outbound;

public sealed class OutboundPolicyWiringTests
{
    [Fact]
    public async Task AddOutboundPolicy_replaces_a_default_registered_before_it()
    {
        await using OutboundHost host = await OutboundHost.StartAsync(
            new Dictionary<string, string?> { ["Policy:Limits:PerUser:PerMinute"] = "1" },
            before: services => services.TryAddSingleton<IOutboundPolicy, NoOpinion>());

        Assert.IsType<OutboundPolicy>(host.Policy);
        Assert.Single(host.Services.GetServices<IOutboundPolicy>());
    }

    [Fact]
    public void A_default_tried_after_AddOutboundPolicy_does_not_displace_it()
    {
        var services = new ServiceCollection();
        services.AddOutboundPolicy();
        services.TryAddSingleton<IOutboundPolicy, NoOpinion>();

        Assert.Equal(typeof(OutboundPolicy), Assert.Single(services, d => d.ServiceType == typeof(IOutboundPolicy)).ImplementationType);
    }

    [Fact]
    public async Task Without_a_connection_string_the_counter_is_per_replica()
    {
        await using OutboundHost host = await OutboundHost.StartAsync(new Dictionary<string, string?>());

        Assert.IsType<MemorySendingCounter>(host.Services.GetRequiredService<ISendingCounter>());
    }

    [Fact]
    public async Task An_internationalized_sender_domain_is_signed_with_its_a_label_key()
    {
        using var keys = new KeyDirectory();
        keys.Add("s1", "xn--bcher-kva.example", TestKeys.Ed25519Sha256.Pem);
        await using OutboundHost host = await OutboundHost.StartAsync(new Dictionary<string, string?> { ["Policy:Signing:KeyDirectory"] = keys.Path });

        CheckMessage check = Submissions.Check(
            Submissions.Plain.Replace("alice@example.com>", "alice@bücher.example>", StringComparison.Ordinal), sender: "alice@bücher.example");
        PolicyVerdict verdict = (await host.Policy.DecideAsync(check, TestContext.Current.CancellationToken))!;

        IReadOnlyList<DkimCheck.Signature> signatures = await DkimCheck.VerifyAsync(
            Submissions.Assemble(verdict, check), new KeyRecordLocator().Add("s1", "xn--bcher-kva.example", TestKeys.Ed25519Sha256));
        Assert.Equal(("xn--bcher-kva.example", true), (Assert.Single(signatures).Tag("d"), signatures[0].Valid));
    }

    private sealed class NoOpinion : IOutboundPolicy
    {
        public Task<PolicyVerdict?> DecideAsync(CheckMessage message, CancellationToken ct) => Task.FromResult<PolicyVerdict?>(null);
    }
}
