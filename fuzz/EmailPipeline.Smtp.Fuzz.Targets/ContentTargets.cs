using System.Buffers;
using EmailPipeline.Smtp.Data;

namespace EmailPipeline.Smtp.Fuzz;

/// <summary>The DATA and BDAT targets: <see cref="MessageContentReader"/> fed in pieces, checked against <see cref="ContentModel"/>.</summary>
public static class ContentTargets
{
    private const byte CR = (byte)'\r';
    private const byte LF = (byte)'\n';

    /// <summary>Stands for the trace header the session puts before the content.</summary>
    private static ReadOnlySpan<byte> Prefix => "Received: from fuzz\r\n"u8;

    /// <summary>
    /// DATA: the body arrives in several reads, each a sequence of segments. The session stops feeding once
    /// the end is reported, as the bytes after it belong to the next command.
    /// </summary>
    public static void Data(ReadOnlySpan<byte> input)
    {
        InputKnobs knobs = InputKnobs.Read(input, out ReadOnlySpan<byte> body);
        byte[] wire = body.ToArray();
        var splitter = new Splitter(knobs.SplitSeed, wire.Length);
        int[] cuts = splitter.Cuts(wire.Length);

        using var buffer = new MessageContentBuffer();
        var reader = new MessageContentReader(buffer, knobs.MaxSize, knobs.MaxLineLength, knobs.Mode);
        int end = -1;
        int start = 0;
        for (int i = 0; i <= cuts.Length && end < 0; i++)
        {
            int stop = i < cuts.Length ? cuts[i] : wire.Length;
            ReadOnlySequence<byte> read = splitter.Sequence(wire.AsMemory(start, stop - start));
            bool done = reader.ReadData(read, out SequencePosition consumed);
            long used = read.Slice(read.Start, consumed).Length;
            FuzzInvariantException.Check(used >= 0 && used <= read.Length, $"consumed {used} of a {read.Length}-byte read");
            if (done)
            {
                end = start + (int)used;
            }
            else
            {
                FuzzInvariantException.Check(used == read.Length, $"no end, yet only {used} of {read.Length} bytes consumed");
            }

            start = stop;
        }

        ContentModel model = ContentModel.Data(wire, knobs.Mode, knobs.MaxLineLength);
        FuzzInvariantException.Check(end == model.End, $"end reported at {end}, CRLF.CRLF ends at {model.End}");
        Compare(reader, buffer, model, knobs);
    }

    /// <summary>BDAT: the body arrives as chunks of lengths taken from the input, then BDAT LAST.</summary>
    public static void Bdat(ReadOnlySpan<byte> input)
    {
        InputKnobs knobs = InputKnobs.Read(input, out ReadOnlySpan<byte> body);
        byte[] wire = body.ToArray();
        var splitter = new Splitter(knobs.SplitSeed, wire.Length);
        int[] cuts = splitter.Cuts(wire.Length);

        using var buffer = new MessageContentBuffer();
        var reader = new MessageContentReader(buffer, knobs.MaxSize, knobs.MaxLineLength, knobs.Mode);
        int start = 0;
        for (int i = 0; i <= cuts.Length; i++)
        {
            int stop = i < cuts.Length ? cuts[i] : wire.Length;
            reader.ReadChunk(splitter.Sequence(wire.AsMemory(start, stop - start)));
            start = stop;
        }

        reader.CompleteChunks();

        ContentModel model = ContentModel.Bdat(wire, knobs.Mode, knobs.MaxLineLength);
        byte[] stored = Compare(reader, buffer, model, knobs);
        if (!reader.HasError && !reader.SawBareLineEnding)
        {
            // BDAT is raw: with nothing to refuse or rewrite, the content is the wire bytes exactly.
            FuzzInvariantException.Check(stored.AsSpan().SequenceEqual(wire), "BDAT content differs from the chunks");
        }
    }

    /// <summary>Checks what every mode shares and returns the stored content (without the prefix).</summary>
    private static byte[] Compare(MessageContentReader reader, MessageContentBuffer buffer, ContentModel model, InputKnobs knobs)
    {
        byte[] all = buffer.ToArray(Prefix);
        FuzzInvariantException.Check(all.Length == Prefix.Length + buffer.Length, "ToArray length differs from prefix + Length");
        FuzzInvariantException.Check(all.AsSpan().StartsWith(Prefix), "ToArray lost its prefix");
        byte[] stored = all[Prefix.Length..];

        FuzzInvariantException.Check(stored.Length <= knobs.MaxSize, $"stored {stored.Length} bytes, limit {knobs.MaxSize}");
        FuzzInvariantException.Check(reader.ContentLength == model.Content.Length, $"ContentLength {reader.ContentLength}, expected {model.Content.Length}");
        FuzzInvariantException.Check(reader.TooBig == (model.Content.Length > knobs.MaxSize), $"TooBig {reader.TooBig} for {model.Content.Length} bytes, limit {knobs.MaxSize}");
        FuzzInvariantException.Check(reader.SawBareLineEnding == model.SawBareLineEnding, $"SawBareLineEnding {reader.SawBareLineEnding}, expected {model.SawBareLineEnding}");
        FuzzInvariantException.Check(reader.LineTooLong == model.LineTooLong, $"LineTooLong {reader.LineTooLong}, expected {model.LineTooLong}");

        // Whatever is stored is the start of the right content: nothing is stored that should have been removed.
        FuzzInvariantException.Check(model.Content.AsSpan().StartsWith(stored), "stored content is not a prefix of the expected content");
        if (!reader.HasError)
        {
            FuzzInvariantException.Check(stored.AsSpan().SequenceEqual(model.Content), "content differs from the expected content");
        }

        if (!reader.SawBareLineEnding || knobs.Mode == BareLineEndingMode.Normalize)
        {
            // The smuggling property in its plainest form: a lone CR or LF never reaches storage.
            int bare = FindBareLineEnding(stored);
            FuzzInvariantException.Check(bare < 0, $"stored content has a bare CR or LF at {bare}");
        }

        return stored;
    }

    /// <summary>Index of a CR not followed by LF or an LF not preceded by CR; a final CR counts as bare.</summary>
    private static int FindBareLineEnding(ReadOnlySpan<byte> content)
    {
        for (int i = 0; i < content.Length; i++)
        {
            if (content[i] == CR && (i + 1 == content.Length || content[i + 1] != LF))
            {
                return i;
            }

            if (content[i] == LF && (i == 0 || content[i - 1] != CR))
            {
                return i;
            }
        }

        return -1;
    }
}
