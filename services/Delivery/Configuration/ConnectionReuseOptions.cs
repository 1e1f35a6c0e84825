using System.ComponentModel.DataAnnotations;

namespace EmailPipeline.Delivery.Configuration;

/// <summary>
/// Delivery:ConnectionReuse — SMTP sessions kept open after a successful transaction and reused for the next
/// message to the same host, port, TLS requirement and AUTH identity (Postfix's connection cache). An idle
/// session is probed with NOOP before reuse; a dead one is dropped and a fresh connection made.
/// </summary>
public sealed class ConnectionReuseOptions
{
    /// <summary>Idle sessions kept per destination; 0 turns reuse off (one session per attempt, ended with QUIT).</summary>
    [Range(0, 100)]
    public int MaxIdlePerHost { get; set; } = 2;

    /// <summary>
    /// How long a session may sit idle before it is closed with QUIT. 30 s: long enough to catch the next
    /// message of a burst (Postfix's smtp_connection_cache_time_limit is 2 s for its scheduler, which hands
    /// it messages back to back; our messages arrive through the queue with more spacing), far below the
    /// 5 minutes RFC 5321 §4.5.3.2.7 gives servers, and short enough not to hog a peer's session slots.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Messages sent over one session before it is closed (Postfix's smtp_connection_reuse_count_limit idea).</summary>
    [Range(1, 10000)]
    public int MaxMessagesPerConnection { get; set; } = 100;
}
