using System.Buffers;

namespace EmailPipeline.Smtp.Data;

/// <summary>
/// Holds one message's content in pooled segments while it arrives, so a large message never needs one
/// large contiguous buffer nor repeated copying while it grows. Dispose returns the segments to the pool.
/// </summary>
public sealed class MessageContentBuffer : IBufferWriter<byte>, IDisposable
{
    private const int SegmentSize = 64 * 1024;
    private readonly List<Segment> _segments = [];

    public long Length { get; private set; }

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
        while (!bytes.IsEmpty)
        {
            Span<byte> span = GetSpan(1);
            int n = Math.Min(span.Length, bytes.Length);
            bytes[..n].CopyTo(span);
            Advance(n);
            bytes = bytes[n..];
        }
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
    }

    public void Dispose() => Clear();

    private Segment Current(int sizeHint)
    {
        int need = Math.Max(sizeHint, 1);
        if (_segments.Count == 0 || _segments[^1].Array.Length - _segments[^1].Used < need)
        {
            _segments.Add(new Segment(ArrayPool<byte>.Shared.Rent(Math.Max(SegmentSize, need))));
        }

        return _segments[^1];
    }

    private sealed class Segment(byte[] array)
    {
        public byte[] Array { get; } = array;

        public int Used { get; set; }
    }
}
