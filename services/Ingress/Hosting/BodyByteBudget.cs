using System.Diagnostics;

namespace EmailPipeline.Ingress.Hosting;

/// <summary>
/// The ingress-wide bound on message bodies held in memory. Each session reserves bytes as its body grows
/// (per 64 KiB segment, see <see cref="Session.BodyReservation"/>) and gives them back when its message is
/// published or its transaction ends in any way. A body that cannot get its bytes is drained and refused with
/// 452 4.3.1, so a burst of large messages is answered 250 or 4xx and never runs the process out of memory.
/// </summary>
public sealed class BodyByteBudget
{
    /// <summary>
    /// The default budget is this fraction of the memory the GC may use (in a container: 75 % of its limit).
    /// A body on its way to the broker is held six to eight times over: the assembled message, MassTransit's JSON
    /// with the content in base64 (4/3) plus the pooled buffer it grew in (rounded up to a power of two), the
    /// RabbitMQ client's frame (pooled, rounded up too). Measured with a 768 MiB heap limit (a 1 GiB pod) and
    /// 45 sessions × 24 MiB at once: an eighth (96 MiB) peaked at 722 MiB and one publish failed for memory; a
    /// twelfth (64 MiB) peaked at about 510 MiB with every session answered 250 or 452.
    /// </summary>
    public const int DefaultMemoryFraction = 12;

    private long _reserved;
    private long _refusals;

    public BodyByteBudget(long capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
    }

    /// <summary>Bytes all sessions together may hold.</summary>
    public long Capacity { get; }

    /// <summary>Bytes held now.</summary>
    public long Reserved => Volatile.Read(ref _reserved);

    public long Available => Capacity - Reserved;

    /// <summary>Reservations refused so far. A content buffer asks again only after its message ended, so this
    /// counts bodies refused for memory, at the moment they were (the 452 comes at the end of their content).</summary>
    public long Refusals => Interlocked.Read(ref _refusals);

    /// <summary>The budget when none is configured: a fraction of <paramref name="availableMemory"/>, but never
    /// less than one message of the largest size accepted.</summary>
    public static long DefaultFor(long availableMemory, long maxMessageSize) =>
        Math.Max(maxMessageSize, availableMemory / DefaultMemoryFraction);

    /// <summary>Takes <paramref name="bytes"/> if they fit, all or nothing.</summary>
    public bool TryReserve(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        long current = Volatile.Read(ref _reserved);
        while (true)
        {
            if (bytes > Capacity - current)
            {
                Interlocked.Increment(ref _refusals);
                return false;
            }

            long seen = Interlocked.CompareExchange(ref _reserved, current + bytes, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }
    }

    /// <summary>Gives back bytes taken with <see cref="TryReserve"/>.</summary>
    public void Release(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        long after = Interlocked.Add(ref _reserved, -bytes);
        Debug.Assert(after >= 0, "More bytes released than reserved.");
    }

    /// <summary>Whether <paramref name="bytes"/> would fit now: the early answer to MAIL FROM's SIZE=. Nothing is
    /// held, so a session that declared a size and then idles keeps no one else's mail out.</summary>
    public bool WouldFit(long bytes) => bytes <= Available;
}
