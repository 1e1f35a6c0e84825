using System.ComponentModel.DataAnnotations;

namespace EmailPipeline.Delivery.Configuration;

/// <summary>
/// Delivery:ConnectionReuse — SMTP sessions kept open after a successful transaction and reused for the next
/// message to the same host, port, TLS requirement and AUTH identity (Postfix's connection cache). An idle
/// session is probed with NOOP before reuse; a dead one is dropped and a fresh connection made.
/// </summary>
public sealed class ConnectionReuseOptions
{
    /// <summary>
    /// Idle sessions kept per destination; 0 turns reuse off (one session per attempt, ended with QUIT). 20, the
    /// default Delivery:MaxConcurrentDeliveries: with fewer, a burst to one host closes and reopens most of its
    /// sessions (measured with 2: 574 sessions for about 1,000 transactions to one sink). A host gets no more idle
    /// sessions than the burst had open, and keeps them only <see cref="IdleTimeout"/>.
    /// </summary>
    [Range(0, 500)]
    public int MaxIdlePerHost { get; set; } = 20;

    /// <summary>
    /// How long a session may sit idle before it is closed with QUIT. 10 s: long enough to catch the next
    /// message of a burst (Postfix's smtp_connection_cache_time_limit is 2 s for its scheduler, which hands
    /// it messages back to back; our messages arrive through the queue with more spacing), far below the
    /// 5 minutes RFC 5321 §4.5.3.2.7 gives servers, and short enough that a burst's sessions do not hold a
    /// peer's session slots for long.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Messages sent over one session before it is closed (Postfix's smtp_connection_reuse_count_limit idea).</summary>
    [Range(1, 10000)]
    public int MaxMessagesPerConnection { get; set; } = 100;
}
