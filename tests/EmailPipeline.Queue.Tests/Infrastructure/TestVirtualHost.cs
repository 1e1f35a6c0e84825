using EmailPipeline.Testing;

namespace EmailPipeline.Queue.Tests.Infrastructure;

/// <summary>A class fixture owning a RabbitMQ virtual host of its own on the local node, deleted afterwards.</summary>
public sealed class TestVirtualHost : IAsyncLifetime
{
    private RabbitVirtualHost? _vhost;

    public string Name => Host.Name;

    public string Url => Host.Url;

    private RabbitVirtualHost Host => _vhost ?? throw new InvalidOperationException("the virtual host is not created yet");

    public async ValueTask InitializeAsync() => _vhost = await RabbitVirtualHost.CreateAsync("queue-cli");

    public async ValueTask DisposeAsync()
    {
        if (_vhost is not null)
        {
            await _vhost.DisposeAsync();
        }
    }
}
