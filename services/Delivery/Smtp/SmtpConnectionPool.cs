using EmailPipeline.Delivery.Configuration;
using EmailPipeline.Delivery.Delivering;
using EmailPipeline.Delivery.Routing;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Delivery.Smtp;

/// <summary>
/// What makes two sessions interchangeable: the host and port, whether TLS was required, and the AUTH
/// identity (a session authenticated as one relay user is never handed to another). The password is part
/// of the key so that a changed secret never reuses a session authenticated with the old one; it is never
/// printed.
/// </summary>
public sealed record SmtpPoolKey(string Host, int Port, bool RequireTls, string? Username, string? Password)
{
    public static SmtpPoolKey For(RouteHost host, DeliveryRoute route) =>
        new(host.Name.ToLowerInvariant(), host.Port, route.RequireTls, route.Rule?.Username, route.Rule?.Password);

    public override string ToString() => $"{Host}:{Port}{(RequireTls ? " tls" : "")}{(Username is null ? "" : " as " + Username)}";
}

/// <summary>One SMTP session, owned by exactly one attempt at a time (taken out of the pool while in use).</summary>
public sealed class SmtpSession(SmtpPoolKey key, OutboundSmtpClient client)
{
    public SmtpPoolKey Key { get; } = key;

    public OutboundSmtpClient Client { get; } = client;

    /// <summary>Messages sent (transactions completed) over this session.</summary>
    public int Messages { get; set; }

    /// <summary>True once the session has come out of the pool at least once.</summary>
    public bool Reused { get; set; }

    internal long IdleSince { get; set; }
}

/// <summary>
/// Idle SMTP sessions per destination (<see cref="SmtpPoolKey"/>), at most
/// <see cref="ConnectionReuseOptions.MaxIdlePerHost"/> each, closed with QUIT after
/// <see cref="ConnectionReuseOptions.IdleTimeout"/> or <see cref="ConnectionReuseOptions.MaxMessagesPerConnection"/>
/// messages. A session is removed from the pool while an attempt uses it, so no two attempts ever share one.
/// The newest idle session is handed out first (least likely to have been timed out by the peer). A sweep
/// closes expired sessions; everything is closed when the service stops.
/// </summary>
public sealed class SmtpConnectionPool : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<SmtpPoolKey, List<SmtpSession>> _idle = [];
    private readonly ConnectionReuseOptions _options;
    private readonly TimeProvider _time;
    private readonly ITimer? _sweep;
    private bool _disposed;

    public SmtpConnectionPool(IOptions<DeliveryOptions> options, TimeProvider time)
    {
        _options = options.Value.ConnectionReuse;
        _time = time;
        if (_options.MaxIdlePerHost > 0)
        {
            TimeSpan period = TimeSpan.FromTicks(Math.Clamp(_options.IdleTimeout.Ticks / 2, TimeSpan.TicksPerMillisecond * 100, TimeSpan.TicksPerSecond * 5));
            _sweep = time.CreateTimer(_ => _ = SweepAsync(), null, period, period);
        }
    }

    public bool Enabled => _options.MaxIdlePerHost > 0;

    /// <summary>Idle sessions held now (all destinations).</summary>
    public int IdleCount
    {
        get
        {
            lock (_lock)
            {
                return _idle.Values.Sum(l => l.Count);
            }
        }
    }

    /// <summary>The newest unexpired idle session for <paramref name="key"/>, now owned by the caller; expired ones are closed.</summary>
    public async ValueTask<SmtpSession?> TakeAsync(SmtpPoolKey key)
    {
        var expired = new List<SmtpSession>();
        SmtpSession? found = null;
        lock (_lock)
        {
            if (_idle.TryGetValue(key, out List<SmtpSession>? list))
            {
                while (list.Count > 0)
                {
                    SmtpSession s = list[^1];
                    list.RemoveAt(list.Count - 1);
                    if (IsExpired(s))
                    {
                        expired.Add(s);
                        continue;
                    }

                    found = s;
                    break;
                }
            }
        }

        foreach (SmtpSession s in expired)
        {
            await CloseAsync(s).ConfigureAwait(false);
        }

        if (found is not null)
        {
            found.Reused = true;
        }

        return found;
    }

    /// <summary>Gives a session back after a transaction: kept if it is reusable and there is room, else closed with QUIT.</summary>
    public async ValueTask ReturnAsync(SmtpSession session, bool reusable)
    {
        if (reusable && session.Client.IsConnected && session.Messages < _options.MaxMessagesPerConnection)
        {
            lock (_lock)
            {
                if (!_disposed && Enabled)
                {
                    if (!_idle.TryGetValue(session.Key, out List<SmtpSession>? list))
                    {
                        _idle[session.Key] = list = [];
                    }

                    if (list.Count < _options.MaxIdlePerHost)
                    {
                        session.IdleSince = _time.GetTimestamp();
                        list.Add(session);
                        return;
                    }
                }
            }
        }

        await CloseAsync(session).ConfigureAwait(false);
    }

    /// <summary>Drops a session whose connection failed, without QUIT.</summary>
    public static void Discard(SmtpSession session) => session.Client.Dispose();

    /// <summary>Ends a session politely: QUIT (bounded to 5 s), then dispose.</summary>
    public static async Task CloseAsync(SmtpSession session)
    {
        OutboundSmtpClient client = session.Client;
        try
        {
            if (client.IsConnected)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await client.QuitAsync(timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (RemoteFailure.IsRemote(ex) || ex is OperationCanceledException or ObjectDisposedException)
        {
            // The outcome is already decided (a recipient with its 250 after the data stays delivered); a failed
            // QUIT changes nothing.
        }
        finally
        {
            client.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<SmtpSession> all;
        lock (_lock)
        {
            _disposed = true;
            all = _idle.Values.SelectMany(l => l).ToList();
            _idle.Clear();
        }

        if (_sweep is not null)
        {
            await _sweep.DisposeAsync().ConfigureAwait(false);
        }

        await Task.WhenAll(all.Select(CloseAsync)).ConfigureAwait(false);
    }

    private bool IsExpired(SmtpSession s) => !s.Client.IsConnected || _time.GetElapsedTime(s.IdleSince) >= _options.IdleTimeout;

    private async Task SweepAsync()
    {
        var expired = new List<SmtpSession>();
        lock (_lock)
        {
            foreach (List<SmtpSession> list in _idle.Values)
            {
                var gone = list.Where(IsExpired).ToList();
                expired.AddRange(gone);
                list.RemoveAll(gone.Contains);
            }

            foreach (SmtpPoolKey key in _idle.Where(p => p.Value.Count == 0).Select(p => p.Key).ToList())
            {
                _idle.Remove(key);
            }
        }

        await Task.WhenAll(expired.Select(CloseAsync)).ConfigureAwait(false);
    }
}
