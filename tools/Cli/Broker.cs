using System.Diagnostics;
using System.Globalization;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace EmailPipeline.Cli;

/// <summary>
/// One AMQP connection for a command. AMQP cannot list queues, so names come from <c>--queue</c>, else from
/// <c>rabbitmqctl list_queues</c> on this host (the node the operator administers), else a caller's defaults.
/// </summary>
public sealed class Broker : IAsyncDisposable
{
    private readonly IConnection _connection;

    private Broker(IConnection connection, string virtualHost)
    {
        _connection = connection;
        VirtualHost = virtualHost;
    }

    public string VirtualHost { get; }

    public static string DefaultUrl() =>
        Environment.GetEnvironmentVariable("RABBITMQ_URL") is { Length: > 0 } url ? url : "amqp://guest:guest@127.0.0.1:5672/";

    public static async Task<Broker> ConnectAsync(string? url, CancellationToken cancellationToken)
    {
        url ??= DefaultUrl();
        if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || (uri.Scheme != "amqp" && uri.Scheme != "amqps"))
        {
            throw CliException.Usage($"--rabbitmq must be an amqp:// or amqps:// URL");
        }

        var factory = new ConnectionFactory { Uri = uri, ClientProvidedName = "emailpipeline-cli", RequestedConnectionTimeout = TimeSpan.FromSeconds(10) };
        try
        {
            IConnection connection = await factory.CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
            return new Broker(connection, factory.VirtualHost);
        }
        catch (BrokerUnreachableException e)
        {
            // The URL may hold a password: name only the host.
            throw CliException.Unavailable($"cannot reach RabbitMQ at {uri.Host}:{(uri.IsDefaultPort ? 5672 : uri.Port)} vhost '{factory.VirtualHost}': {e.InnerException?.Message ?? e.Message}");
        }
    }

    public Task<IChannel> ChannelAsync(CancellationToken cancellationToken) =>
        _connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);

    /// <summary>The queue's ready-message count, or null when it does not exist.</summary>
    public async Task<uint?> MessageCountAsync(string queue, CancellationToken cancellationToken)
    {
        // A passive declare of a missing queue closes the channel, so each probe gets its own.
        await using IChannel channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            QueueDeclareOk ok = await channel.QueueDeclarePassiveAsync(queue, cancellationToken).ConfigureAwait(false);
            return ok.MessageCount;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return null;
        }
    }

    /// <summary>Whether an exchange exists (a passive declare on a channel of its own: a miss closes the channel).</summary>
    public async Task<bool> ExchangeExistsAsync(string exchange, CancellationToken cancellationToken)
    {
        await using IChannel channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            await channel.ExchangeDeclarePassiveAsync(exchange, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return false;
        }
    }

    public async Task RequireQueueAsync(string queue, CancellationToken cancellationToken)
    {
        if (await MessageCountAsync(queue, cancellationToken).ConfigureAwait(false) is null)
        {
            throw CliException.NotFound($"queue '{queue}' does not exist in vhost '{VirtualHost}'");
        }
    }

    /// <summary>Every queue name on the vhost from rabbitmqctl, or null when rabbitmqctl is not usable here.</summary>
    public async Task<IReadOnlyList<string>?> ListQueueNamesAsync(CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo("rabbitmqctl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { "-q", "list_queues", "-p", VirtualHost, "--no-table-headers", "name" })
        {
            psi.ArgumentList.Add(arg);
        }

        Process? process;
        try
        {
            process = Process.Start(psi);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }

        if (process is null)
        {
            return null;
        }

        using (process)
        {
            Task<string> output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            Task<string> errors = process.StandardError.ReadToEndAsync(cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                process.Kill(entireProcessTree: true);
                return null;
            }

            await errors.ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                return null;
            }

            return [.. (await output.ConfigureAwait(false))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Order(StringComparer.Ordinal)];
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _connection.CloseAsync().ConfigureAwait(false);
        _connection.Dispose();
    }

    public static string Count(uint? n) => n?.ToString(CultureInfo.InvariantCulture) ?? "missing";
}
