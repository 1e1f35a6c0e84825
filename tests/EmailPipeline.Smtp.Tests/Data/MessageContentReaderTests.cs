using System.Buffers;
using System.Text;
using EmailPipeline.Smtp.Data;

namespace EmailPipeline.Smtp.Tests.Data;

public sealed class MessageContentReaderTests
{
    private sealed record Outcome(bool Ended, string Content, string Rest, bool BareLineEnding, bool TooBig, bool LineTooLong, bool HasError);

    /// <summary>Feeds the wire bytes in the given pieces (each its own read) and reports what the reader made of them.</summary>
    private static Outcome Run(IReadOnlyList<byte[]> pieces, long maxSize = 1 << 20, int maxLine = 1000, BareLineEndingMode mode = BareLineEndingMode.Reject)
    {
        using var buffer = new MessageContentBuffer();
        var reader = new MessageContentReader(buffer, maxSize, maxLine, mode);
        var pending = new List<byte>();
        bool ended = false;
        string rest = "";
        foreach (byte[] piece in pieces)
        {
            if (ended)
            {
                rest += Encoding.Latin1.GetString(piece);
                continue;
            }

            pending.AddRange(piece);
            var seq = Segmented(pending.ToArray());
            if (reader.ReadData(seq, out SequencePosition end))
            {
                ended = true;
                rest = Encoding.Latin1.GetString(seq.Slice(end).ToArray());
            }
            else
            {
                Assert.Equal(seq.End, end);
            }

            pending.Clear();
        }

        string content = Encoding.Latin1.GetString(buffer.ToArray([]));
        return new Outcome(ended, content, rest, reader.SawBareLineEnding, reader.TooBig, reader.LineTooLong, reader.HasError);
    }

    /// <summary>A sequence of one-byte segments: the worst case for state carried across segments.</summary>
    private static ReadOnlySequence<byte> Segmented(byte[] bytes)
    {
        if (bytes.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Chunk(bytes.AsMemory(0, 1));
        Chunk last = first;
        for (int i = 1; i < bytes.Length; i++)
        {
            last = last.Append(bytes.AsMemory(i, 1));
        }

        return new ReadOnlySequence<byte>(first, 0, last, 1);
    }

    private sealed class Chunk : ReadOnlySequenceSegment<byte>
    {
        public Chunk(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Chunk Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Chunk(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }

    private static IEnumerable<IReadOnlyList<byte[]>> EverySplit(string wire)
    {
        byte[] bytes = Encoding.Latin1.GetBytes(wire);
        yield return [bytes];
        yield return bytes.Select(b => new[] { b }).ToArray();
        for (int cut = 1; cut < bytes.Length; cut++)
        {
            yield return [bytes[..cut], bytes[cut..]];
        }
    }

    private static Outcome RunEverySplit(string wire, BareLineEndingMode mode = BareLineEndingMode.Reject)
    {
        Outcome? first = null;
        foreach (var pieces in EverySplit(wire))
        {
            Outcome o = Run(pieces, mode: mode);
            first ??= o;
            Assert.Equal(first, o);
        }

        return first!;
    }

    [Fact]
    public void Message_ends_at_crlf_dot_crlf_and_keeps_what_follows()
    {
        Outcome o = RunEverySplit("Subject: hi\r\n\r\nbody\r\n.\r\nQUIT\r\n");
        Assert.True(o.Ended);
        Assert.Equal("Subject: hi\r\n\r\nbody\r\n", o.Content);
        Assert.Equal("QUIT\r\n", o.Rest);
        Assert.False(o.HasError);
    }

    [Fact]
    public void Empty_message_is_just_the_terminator()
    {
        Outcome o = RunEverySplit(".\r\n");
        Assert.True(o.Ended);
        Assert.Equal("", o.Content);
    }

    [Theory]
    [InlineData("..leading\r\n.\r\n", ".leading\r\n")]
    [InlineData("a\r\n..\r\n.\r\n", "a\r\n.\r\n")]
    [InlineData("a\r\n...\r\n.\r\n", "a\r\n..\r\n")]
    [InlineData("a\r\n.x\r\n.\r\n", "a\r\nx\r\n")]
    [InlineData("a.\r\n.b.\r\n.\r\n", "a.\r\nb.\r\n")]
    public void Dot_unstuffing_is_exact(string wire, string content)
    {
        Outcome o = RunEverySplit(wire);
        Assert.True(o.Ended);
        Assert.Equal(content, o.Content);
    }

    [Theory]
    [InlineData("a\n.\nMAIL FROM:<x@y>\r\n.\r\n")]
    [InlineData("a\r.\rMAIL FROM:<x@y>\r\n.\r\n")]
    [InlineData("a\n.\r\nMAIL FROM:<x@y>\r\n.\r\n")]
    [InlineData("a\r\n.\nMAIL FROM:<x@y>\r\n.\r\n")]
    [InlineData("a\r\n.\rMAIL FROM:<x@y>\r\n.\r\n")]
    [InlineData("a\r.\r\nMAIL FROM:<x@y>\r\n.\r\n")]
    [InlineData("a\r\r\n.\r\r\nMAIL FROM:<x@y>\r\n.\r\n")]
    [InlineData("a\n\r.\r\nMAIL FROM:<x@y>\r\n.\r\n")]
    public void Smuggling_variants_never_end_the_message_early(string wire)
    {
        foreach (BareLineEndingMode mode in Enum.GetValues<BareLineEndingMode>())
        {
            Outcome o = RunEverySplit(wire, mode);
            Assert.True(o.Ended);
            Assert.Equal("", o.Rest);
            Assert.True(o.BareLineEnding);
            if (mode == BareLineEndingMode.Normalize)
            {
                // The would-be second message is content of the first, never a transaction of its own.
                Assert.Contains("MAIL FROM:<x@y>", o.Content, StringComparison.Ordinal);
            }

            Assert.Equal(mode == BareLineEndingMode.Reject, o.HasError);
        }
    }

    [Fact]
    public void Normalizing_turns_each_bare_line_ending_into_crlf()
    {
        Outcome o = RunEverySplit("a\nb\rc\r\n.\r\n", BareLineEndingMode.Normalize);
        Assert.Equal("a\r\nb\r\nc\r\n", o.Content);
        Assert.False(o.HasError);
    }

    [Fact]
    public void Oversized_content_is_read_to_the_end_and_flagged()
    {
        string body = new string('x', 200) + "\r\n";
        string wire = string.Concat(Enumerable.Repeat(body, 20)) + ".\r\nNOOP\r\n";
        Outcome o = Run([Encoding.ASCII.GetBytes(wire)], maxSize: 1000);
        Assert.True(o.Ended);
        Assert.True(o.TooBig);
        Assert.Equal("NOOP\r\n", o.Rest);
        Assert.True(o.Content.Length <= 1000);
    }

    [Fact]
    public void A_line_over_the_limit_is_flagged_but_read_to_the_end()
    {
        string wire = new string('y', 999) + "\r\n.\r\n";
        Outcome o = Run([Encoding.ASCII.GetBytes(wire)], maxLine: 1000);
        Assert.True(o.Ended);
        Assert.True(o.LineTooLong);

        Outcome ok = Run([Encoding.ASCII.GetBytes(new string('y', 998) + "\r\n.\r\n")], maxLine: 1000);
        Assert.False(ok.LineTooLong);
    }

    [Fact]
    public void Eight_bit_and_nul_bytes_are_content()
    {
        Outcome o = RunEverySplit("caf\u00e9 \0 \u00ff\r\n.\r\n");
        Assert.Equal("caf\u00e9 \0 \u00ff\r\n", o.Content);
        Assert.False(o.HasError);
    }

    [Fact]
    public void Chunks_are_raw_and_a_trailing_cr_is_judged_at_the_end()
    {
        using var buffer = new MessageContentBuffer();
        var reader = new MessageContentReader(buffer, 1 << 20, 1000, BareLineEndingMode.Reject);
        reader.ReadChunk(new ReadOnlySequence<byte>("a\r\n.\r\nb\r"u8.ToArray()));
        reader.ReadChunk(new ReadOnlySequence<byte>("\nc\r\n"u8.ToArray()));
        reader.CompleteChunks();
        Assert.Equal("a\r\n.\r\nb\r\nc\r\n", Encoding.ASCII.GetString(buffer.ToArray([])));
        Assert.False(reader.HasError);

        using var buffer2 = new MessageContentBuffer();
        var bare = new MessageContentReader(buffer2, 1 << 20, 1000, BareLineEndingMode.Reject);
        bare.ReadChunk(new ReadOnlySequence<byte>("a\r"u8.ToArray()));
        bare.CompleteChunks();
        Assert.True(bare.SawBareLineEnding);
    }

    [Fact]
    public void Buffer_keeps_large_content_intact_across_segments()
    {
        var bytes = new byte[300_000];
        new Random(7).NextBytes(bytes);
        using var buffer = new MessageContentBuffer();
        for (int i = 0; i < bytes.Length; i += 7919)
        {
            buffer.Write(bytes.AsSpan(i, Math.Min(7919, bytes.Length - i)));
        }

        Assert.Equal(bytes.Length, buffer.Length);
        byte[] copy = buffer.ToArray("H"u8);
        Assert.Equal((byte)'H', copy[0]);
        Assert.True(copy.AsSpan(1).SequenceEqual(bytes));
    }

    /// <summary>A budget that lets the buffer grow to a fixed total, recording what it was asked.</summary>
    private sealed class FixedBudget(long limit) : IContentMemoryBudget
    {
        public List<long> Asked { get; } = [];

        public bool TryGrowTo(long bytes)
        {
            Asked.Add(bytes);
            return bytes <= limit;
        }
    }

    [Fact]
    public void Buffer_asks_the_budget_once_per_segment_for_the_total_it_will_hold()
    {
        var budget = new FixedBudget(long.MaxValue);
        using var buffer = new MessageContentBuffer(budget);
        byte[] line = new byte[1000];
        for (int i = 0; i < 200; i++)
        {
            Assert.True(buffer.TryWrite(line));
        }

        Assert.Equal(200_000, buffer.Length);
        Assert.Equal([65536L, 131072L, 196608L, 262144L], budget.Asked);
        Assert.Equal(262144, buffer.Capacity);
        buffer.Clear();
        Assert.Equal(0, buffer.Capacity);
    }

    [Fact]
    public void Content_over_the_memory_budget_is_dropped_read_to_the_end_and_flagged()
    {
        using var buffer = new MessageContentBuffer(new FixedBudget(64 * 1024));
        var reader = new MessageContentReader(buffer, 1 << 20, 1000, BareLineEndingMode.Reject);
        string line = new string('z', 98) + "\r\n";
        byte[] wire = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(line, 1000)) + ".\r\nNOOP\r\n");
        ReadOnlySequence<byte> input = Segmented(wire);
        Assert.True(reader.ReadData(input, out SequencePosition end));
        Assert.Equal("NOOP\r\n", Encoding.ASCII.GetString(input.Slice(end).ToArray()));
        Assert.True(reader.OverBudget);
        Assert.True(reader.HasError);
        Assert.False(reader.TooBig);
        Assert.Equal(100_000, reader.ContentLength);
        Assert.Equal(0, buffer.Capacity);
    }

    [Fact]
    public void A_refused_chunk_is_dropped_and_flagged()
    {
        using var buffer = new MessageContentBuffer(new FixedBudget(0));
        var reader = new MessageContentReader(buffer, 1 << 20, 1000, BareLineEndingMode.Reject);
        reader.ReadChunk(new ReadOnlySequence<byte>("a\r\nb\r\n"u8.ToArray()));
        reader.CompleteChunks();
        Assert.True(reader.OverBudget);
        Assert.Equal(0, buffer.Length);
    }
}
