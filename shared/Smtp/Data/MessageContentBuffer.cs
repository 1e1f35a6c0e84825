using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;

namespace EmailPipeline.Smtp.Data;

/// <summary>
/// Holds one message's content in pooled segments while it arrives, so a large message never needs one
/// large contiguous buffer nor repeated copying while it grows. Dispose returns the segments to the pool.
/// With an <see cref="IContentMemoryBudget"/> every new segment is asked for first; use <see cref="TryWrite"/>
/// to learn of a refusal (the <see cref="IBufferWriter{T}"/> methods and <see cref="Write"/> throw on one).
/// </summary>
public sealed class MessageContentBuffer : IBufferWriter<byte>, IDisposable
{
    private const int SegmentSize = 64 * 1024;
    private readonly List<Segment> _segments = [];
    private readonly IContentMemoryBudget? _budget;

    public MessageContentBuffer()
    {
    }

    public MessageContentBuffer(IContentMemoryBudget? budget) => _budget = budget;

    public long Length { get; private set; }

    /// <summary>Bytes of pooled memory held: <see cref="Length"/> rounded up to whole segments.</summary>
    public long Capacity { get; private set; }

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count == 0)
        {
            return;
        }

        if (_segments.Count == 0 || _segments[^1].Used + count > _segments[^1].Array.Length)
        {
            throw new InvalidOperationException("Advance past the span handed out.");
        }

        _segments[^1].Used += count;
        Length += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Segment s = Current(sizeHint);
        return s.Array.AsMemory(s.Used);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Segment s = Current(sizeHint);
        return s.Array.AsSpan(s.Used);
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        if (!TryWrite(bytes))
        {
            throw new InvalidOperationException("The content memory budget refused another segment.");
        }
    }

    /// <summary>Appends <paramref name="bytes"/>; false when the budget refused a segment (a prefix may be stored).</summary>
    public bool TryWrite(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            if (!TryCurrent(1, out Segment? s))
            {
                return false;
            }

            Span<byte> span = s.Array.AsSpan(s.Used);
            int n = Math.Min(span.Length, bytes.Length);
            bytes[..n].CopyTo(span);
            s.Used += n;
            Length += n;
            bytes = bytes[n..];
        }

        return true;
    }

    /// <summary>Copies <paramref name="prefix"/> then the content into one new array of the exact size.</summary>
    public byte[] ToArray(ReadOnlySpan<byte> prefix)
    {
        var result = GC.AllocateUninitializedArray<byte>(checked((int)(prefix.Length + Length)));
        prefix.CopyTo(result);
        int offset = prefix.Length;
        foreach (Segment segment in _segments)
        {
            segment.Array.AsSpan(0, segment.Used).CopyTo(result.AsSpan(offset));
            offset += segment.Used;
        }

        return result;
    }

    /// <summary>Empties the buffer and returns every segment: an idle session holds no content memory.</summary>
    public void Clear()
    {
        foreach (Segment segment in _segments)
        {
            ArrayPool<byte>.Shared.Return(segment.Array);
        }

        _segments.Clear();
        Length = 0;
        Capacity = 0;
    }

    public void Dispose() => Clear();

    private Segment Current(int sizeHint) => TryCurrent(sizeHint, out Segment? segment)
        ? segment
        : throw new InvalidOperationException("The content memory budget refused another segment.");

    private bool TryCurrent(int sizeHint, [NotNullWhen(true)] out Segment? segment)
    {
        int need = Math.Max(sizeHint, 1);
        if (_segments.Count == 0 || _segments[^1].Array.Length - _segments[^1].Used < need)
        {
            // The pool hands out powers of two: ask the budget for what will really be held.
            int size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(SegmentSize, need));
            if (_budget is not null && !_budget.TryGrowTo(Capacity + size))
            {
                segment = null;
                return false;
            }

            byte[] array = ArrayPool<byte>.Shared.Rent(size);
            _segments.Add(new Segment(array));
            Capacity += array.Length;
        }

        segment = _segments[^1];
        return true;
    }

    private sealed class Segment(byte[] array)
    {
        public byte[] Array { get; } = array;

        public int Used { get; set; }
    }
}
