using EmailPipeline.Policy.Checks;
using EmailPipeline.Policy.Dns;
using EmailPipeline.Policy.Extensions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EmailPipeline.Policy.Tests.Support;

/// <summary>The checks wired exactly as the service wires them (AddPolicyChecks), over a given resolver and settings.</summary>
internal sealed class PolicyHost : IAsyncDisposable
{
    public const string AuthServId = "mx.pipeline.test";

    private readonly ServiceProvider _provider;

    public PolicyHost(IDnsResolver? dns, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var all = new Dictionary<string, string?> { ["Policy:AuthServId"] = AuthServId };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            all[k] = v;
        }

        var collection = new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(all).Build())
            .AddLogging()
            .AddMetrics();
        if (dns is not null)
        {
            collection.AddSingleton(dns);
        }

        services?.Invoke(collection);
        collection.AddPolicyChecks();
        _provider = collection.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    public T Get<T>()
        where T : notnull => _provider.GetRequiredService<T>();

    public InboundChecks Inbound => Get<InboundChecks>();

    public MessagePolicy Policy => Get<MessagePolicy>();

    public ValueTask DisposeAsync() => _provider.DisposeAsync();
}
