using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Ingress.Authentication;

/// <summary>
/// Counts failed AUTH attempts per client over a sliding window; a client with
/// <see cref="AuthenticationOptions.MaxFailuresPerClient"/> failures inside
/// <see cref="AuthenticationOptions.FailureWindow"/> is blocked until the oldest of them ages out.
/// IPv6 clients are counted per /64, since one host can use any address in its /64. IPv4-mapped IPv6
/// addresses count as their IPv4 address. Memory is bounded: at most
/// <see cref="AuthenticationOptions.MaxTrackedClients"/> clients are remembered, and the one whose last
/// failure is oldest is forgotten first. Thread-safe.
/// </summary>
public sealed class AuthenticationFailureTracker
{
    private readonly Lock _lock = new();
    private readonly Dictionary<IPAddress, LinkedListNode<Client>> _clients = [];

    // Least recently failing first, so eviction and expiry both work from the head.
    private readonly LinkedList<Client> _byLastFailure = new();
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly int _maxFailures;
    private readonly TimeSpan _window;
    private readonly int _maxClients;

    public AuthenticationFailureTracker(IOptions<AuthenticationOptions> options, TimeProvider timeProvider, ILogger<AuthenticationFailureTracker> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _timeProvider = timeProvider;
        _logger = logger;
        _maxFailures = options.Value.MaxFailuresPerClient;
        _window = options.Value.FailureWindow;
        _maxClients = options.Value.MaxTrackedClients;
    }

    /// <summary>How many clients are remembered now (for metrics and tests).</summary>
    public int TrackedClients
    {
        get
        {
            lock (_lock)
            {
                return _clients.Count;
            }
        }
    }

    public void RecordFailure(IPAddress client)
    {
        ArgumentNullException.ThrowIfNull(client);
        IPAddress key = KeyFor(client);
        DateTimeOffset now = _timeProvider.GetUtcNow();
        int failures;
        bool wasBlocked;
        lock (_lock)
        {
            ForgetExpired(now);
            wasBlocked = false;
            if (_clients.TryGetValue(key, out LinkedListNode<Client>? node))
            {
                wasBlocked = node.Value.CountSince(now - _window) >= _maxFailures;
                _byLastFailure.Remove(node);
            }
            else
            {
                if (_clients.Count >= _maxClients && _byLastFailure.First is { } oldest)
                {
                    _clients.Remove(oldest.Value.Key);
                    _byLastFailure.RemoveFirst();
                }

                node = new LinkedListNode<Client>(new Client(key));
                _clients[key] = node;
            }

            _byLastFailure.AddLast(node);
            failures = node.Value.Add(now, _window, _maxFailures);
        }

        if (!wasBlocked && failures >= _maxFailures)
        {
            AuthenticationLog.ClientBlocked(_logger, key.ToString(), failures);
        }
    }

    public bool IsBlocked(IPAddress client)
    {
        ArgumentNullException.ThrowIfNull(client);
        IPAddress key = KeyFor(client);
        DateTimeOffset now = _timeProvider.GetUtcNow();
        lock (_lock)
        {
            return _clients.TryGetValue(key, out LinkedListNode<Client>? node)
                && node.Value.CountSince(now - _window) >= _maxFailures;
        }
    }

    private void ForgetExpired(DateTimeOffset now)
    {
        DateTimeOffset cutoff = now - _window;
        while (_byLastFailure.First is { } oldest && oldest.Value.LastFailure <= cutoff)
        {
            _clients.Remove(oldest.Value.Key);
            _byLastFailure.RemoveFirst();
        }
    }

    private static IPAddress KeyFor(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address;
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes);
    }

    /// <summary>One client's recent failure times, oldest first, at most MaxFailuresPerClient of them.</summary>
    private sealed class Client(IPAddress key)
    {
        private readonly Queue<DateTimeOffset> _failures = new();

        public IPAddress Key { get; } = key;

        public DateTimeOffset LastFailure { get; private set; }

        public int Add(DateTimeOffset now, TimeSpan window, int maxFailures)
        {
            while (_failures.Count > 0 && (_failures.Peek() <= now - window || _failures.Count >= maxFailures))
            {
                _failures.Dequeue();
            }

            _failures.Enqueue(now);
            LastFailure = now;
            return _failures.Count;
        }

        public int CountSince(DateTimeOffset cutoff) => _failures.Count(time => time > cutoff);
    }
}
