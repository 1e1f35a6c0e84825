using System.Buffers;

namespace EmailPipeline.Smtp.Fuzz;

/// <summary>
/// Cuts a body into reads (or chunks) and each read into sequence segments, as a socket and a pipe
/// would, at positions that follow from the input alone so every crash replays exactly.
/// </summary>
internal sealed class Splitter
{
    private ulong _state;

    public Splitter(byte seed, int length)
    {
        // Any fixed mixing works; including the length makes the cuts move when the fuzzer grows the input.
        _state = 0x9E3779B97F4A7C15UL ^ ((ulong)seed << 32) ^ (ulong)length;
        Count = 1 + (seed % 7);
    }

    /// <summary>How many reads or chunks to make.</summary>
    public int Count { get; }

    /// <summary>Ascending cut positions in [0, length], Count − 1 of them; equal positions make empty reads.</summary>
    public int[] Cuts(int length)
    {
        var cuts = new int[Count - 1];
        for (int i = 0; i < cuts.Length; i++)
        {
            cuts[i] = (int)(Next() % (ulong)(length + 1));
        }

        Array.Sort(cuts);
        return cuts;
    }

    /// <summary>The bytes as a sequence of one to three segments.</summary>
    public ReadOnlySequence<byte> Sequence(ReadOnlyMemory<byte> bytes)
    {
        int pieces = 1 + (int)(Next() % 3);
        if (pieces == 1 || bytes.Length < 2)
        {
            return new ReadOnlySequence<byte>(bytes);
        }

        var first = new Segment(bytes[..0]);
        Segment last = first;
        int start = 0;
        for (int i = 1; i < pieces; i++)
        {
            int cut = start + (int)(Next() % (ulong)(bytes.Length - start + 1));
            last = last.Append(bytes[start..cut]);
            start = cut;
        }

        last = last.Append(bytes[start..]);
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private ulong Next()
    {
        // xorshift64*: cheap, and deterministic for a given seed.
        _state ^= _state >> 12;
        _state ^= _state << 25;
        _state ^= _state >> 27;
        return _state * 0x2545F4914F6CDD1DUL;
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
