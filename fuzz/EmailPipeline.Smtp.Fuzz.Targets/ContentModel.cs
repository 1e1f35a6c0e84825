using EmailPipeline.Smtp.Data;

namespace EmailPipeline.Smtp.Fuzz;

/// <summary>
/// A slow, obviously-correct model of <see cref="MessageContentReader"/> written straight from the
/// rules it documents: only CR LF ends a line; a lone CR or LF is a bare line ending (dropped when
/// rejecting, CR LF when normalizing) that never starts a line; in DATA mode a line-start dot is dropped
/// and "." CR LF at a line start is the end. It sees the whole input at once, so comparing it with the
/// streaming reader checks the reader under every split of its reads.
/// </summary>
internal sealed class ContentModel
{
    private const byte CR = (byte)'\r';
    private const byte LF = (byte)'\n';

    private ContentModel(byte[] content, int end, bool sawBare, bool lineTooLong)
    {
        Content = content;
        End = end;
        SawBareLineEnding = sawBare;
        LineTooLong = lineTooLong;
    }

    /// <summary>The content with no size limit: what the reader must store when nothing is wrong.</summary>
    public byte[] Content { get; }

    /// <summary>DATA mode: offset just after the terminating CR LF "." CR LF, or −1 when it never came.</summary>
    public int End { get; }

    public bool SawBareLineEnding { get; }

    public bool LineTooLong { get; }

    /// <summary>DATA mode. The content starts at a line start: the DATA command line ended with CR LF.</summary>
    public static ContentModel Data(ReadOnlySpan<byte> wire, BareLineEndingMode mode, int maxLineLength) =>
        Run(wire, mode, maxLineLength, dataMode: true, complete: false);

    /// <summary>BDAT mode over all chunks, after the last one (a final lone CR is bare).</summary>
    public static ContentModel Bdat(ReadOnlySpan<byte> wire, BareLineEndingMode mode, int maxLineLength) =>
        Run(wire, mode, maxLineLength, dataMode: false, complete: true);

    private static ContentModel Run(ReadOnlySpan<byte> wire, BareLineEndingMode mode, int maxLineLength, bool dataMode, bool complete)
    {
        var content = new List<byte>(wire.Length);
        bool sawBare = false;
        bool tooLong = false;
        bool lineStart = true;
        long line = 0;

        void Count()
        {
            line++;
            tooLong |= maxLineLength > 0 && line > maxLineLength - 2;
        }

        void Bare()
        {
            sawBare = true;
            if (mode == BareLineEndingMode.Normalize)
            {
                content.Add(CR);
                content.Add(LF);
            }
        }

        for (int i = 0; i < wire.Length; i++)
        {
            byte b = wire[i];
            if (b == CR && i + 1 < wire.Length && wire[i + 1] == LF)
            {
                content.Add(CR);
                content.Add(LF);
                i++;
                line = 0;
                lineStart = true;
                continue;
            }

            if (b == CR && i + 1 == wire.Length)
            {
                // A CR at the very end may still meet its LF in the next read; only the last chunk decides.
                if (complete)
                {
                    Bare();
                }

                break;
            }

            if (b == CR || b == LF)
            {
                Bare();
                lineStart = false;
                continue;
            }

            if (dataMode && lineStart && b == (byte)'.')
            {
                Count();
                if (i + 2 < wire.Length && wire[i + 1] == CR && wire[i + 2] == LF)
                {
                    return new ContentModel([.. content], i + 3, sawBare, tooLong);
                }

                // The transparency dot is dropped whatever follows it.
                lineStart = false;
                continue;
            }

            content.Add(b);
            Count();
            lineStart = false;
        }

        return new ContentModel([.. content], -1, sawBare, tooLong);
    }
}
