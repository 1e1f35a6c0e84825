using System.Buffers;

namespace EmailPipeline.Smtp.Data;

/// <summary>
/// Reads message content as it arrives and stores it in a <see cref="MessageContentBuffer"/>.
/// In DATA mode it removes the transparency dots (RFC 5321 §4.5.2) and finds the end, which is
/// CRLF "." CRLF and nothing else: a dot after a bare LF or bare CR is content, so no arrangement of
/// bare line endings can end the message early (SMTP smuggling). In BDAT mode (RFC 3030) the chunk
/// is raw and its end is its length; the same line-ending and line-length checks apply.
/// The reader never stops early on a limit: it keeps consuming to the end so the session stays in step,
/// and reports what went wrong once the end is reached.
/// </summary>
public sealed class MessageContentReader
{
    private const byte CR = (byte)'\r';
    private const byte LF = (byte)'\n';
    private const byte Dot = (byte)'.';
    private static ReadOnlySpan<byte> Crlf => "\r\n"u8;

    private readonly MessageContentBuffer _content;
    private readonly long _maxSize;
    private readonly int _maxLineLength;
    private readonly BareLineEndingMode _bareLineEndings;
    private State _state = State.LineStart;
    private long _lineLength;

    /// <param name="content">Where the content goes.</param>
    /// <param name="maxSize">Bytes stored at most; beyond it the content is counted and dropped.</param>
    /// <param name="maxLineLength">Octets per line including CRLF (RFC 5321 §4.5.3.1.6: 1000); 0 for no limit.</param>
    /// <param name="bareLineEndings">Reject or normalize bare CR and LF.</param>
    public MessageContentReader(MessageContentBuffer content, long maxSize, int maxLineLength, BareLineEndingMode bareLineEndings)
    {
        _content = content;
        _maxSize = maxSize;
        _maxLineLength = maxLineLength;
        _bareLineEndings = bareLineEndings;
    }

    private enum State
    {
        LineStart,
        InLine,
        CarriageReturn,
        LeadingDot,
        LeadingDotCarriageReturn,
    }

    /// <summary>The content is larger than the maximum size (552 5.3.4 once the end is reached).</summary>
    public bool TooBig { get; private set; }

    /// <summary>A bare CR or LF was seen (rejected at the end unless normalizing).</summary>
    public bool SawBareLineEnding { get; private set; }

    /// <summary>A line was longer than the limit.</summary>
    public bool LineTooLong { get; private set; }

    /// <summary>The buffer's memory budget refused to let it grow: the host is short of memory, not the client at
    /// fault, so the refusal is temporary (452 4.3.1 once the end is reached).</summary>
    public bool OverBudget { get; private set; }

    /// <summary>Bytes of content after unstuffing, including any not stored because of the size limit.</summary>
    public long ContentLength { get; private set; }

    /// <summary>True when the content must be refused: bare line endings in reject mode, a long line, size, or memory.</summary>
    public bool HasError => TooBig || LineTooLong || OverBudget || (SawBareLineEnding && _bareLineEndings == BareLineEndingMode.Reject);

    /// <summary>
    /// DATA mode: consumes bytes of <paramref name="input"/> up to and including the terminating
    /// CRLF "." CRLF. Returns true when the end was found; <paramref name="consumed"/> is the position
    /// after it (or the end of the input when more is needed). Everything before is always consumed:
    /// the reader keeps the little state it needs (a pending CR or dot) itself.
    /// </summary>
    public bool ReadData(in ReadOnlySequence<byte> input, out SequencePosition consumed)
    {
        SequencePosition position = input.Start;
        foreach (ReadOnlyMemory<byte> memory in input)
        {
            int end = ReadDataSpan(memory.Span);
            if (end >= 0)
            {
                consumed = input.GetPosition(end, position);
                return true;
            }

            position = input.GetPosition(memory.Length, position);
        }

        consumed = input.End;
        return false;
    }

    /// <summary>
    /// BDAT mode: consumes the whole of <paramref name="chunk"/> (the caller slices exactly the chunk's
    /// bytes). Call <see cref="CompleteChunks"/> after BDAT LAST so a trailing CR is judged.
    /// </summary>
    public void ReadChunk(in ReadOnlySequence<byte> chunk)
    {
        foreach (ReadOnlyMemory<byte> memory in chunk)
        {
            ReadRawSpan(memory.Span);
        }
    }

    /// <summary>After the last chunk: a CR still waiting for its LF was a bare CR.</summary>
    public void CompleteChunks()
    {
        if (_state == State.CarriageReturn)
        {
            BareEnding();
            _state = State.InLine;
        }
    }

    private int ReadDataSpan(ReadOnlySpan<byte> span)
    {
        int i = 0;
        while (i < span.Length)
        {
            switch (_state)
            {
                case State.InLine:
                    i = ReadRun(span, i);
                    break;

                case State.LineStart:
                {
                    byte b = span[i++];
                    if (b == Dot)
                    {
                        CountLine(1);
                        _state = State.LeadingDot;
                    }
                    else
                    {
                        _state = State.InLine;
                        AfterLineStart(b);
                    }

                    break;
                }

                case State.CarriageReturn:
                {
                    byte b = span[i++];
                    if (b == LF)
                    {
                        EndLine();
                    }
                    else
                    {
                        BareEnding();
                        _state = State.InLine;
                        AfterLineStart(b);
                    }

                    break;
                }

                case State.LeadingDot:
                {
                    // The leading dot is transparency: it is dropped whatever follows, except CRLF (the end).
                    byte b = span[i++];
                    if (b == CR)
                    {
                        _state = State.LeadingDotCarriageReturn;
                    }
                    else
                    {
                        _state = State.InLine;
                        AfterLineStart(b);
                    }

                    break;
                }

                case State.LeadingDotCarriageReturn:
                {
                    byte b = span[i++];
                    if (b == LF)
                    {
                        _state = State.LineStart;
                        return i;
                    }

                    // "." CR x: the CR was bare; the line goes on.
                    BareEnding();
                    _state = State.InLine;
                    AfterLineStart(b);
                    break;
                }
            }
        }

        return -1;
    }

    private void ReadRawSpan(ReadOnlySpan<byte> span)
    {
        int i = 0;
        while (i < span.Length)
        {
            if (_state == State.CarriageReturn)
            {
                byte b = span[i++];
                if (b == LF)
                {
                    EndLine();
                    _state = State.InLine;
                }
                else
                {
                    BareEnding();
                    _state = State.InLine;
                    AfterLineStart(b);
                }

                continue;
            }

            i = ReadRun(span, i);
        }
    }

    /// <summary>The fast path: copies everything up to the next CR or LF in one go, then takes that byte.</summary>
    private int ReadRun(ReadOnlySpan<byte> span, int i)
    {
        int stop = span[i..].IndexOfAny(CR, LF);
        int run = stop < 0 ? span.Length - i : stop;
        Emit(span.Slice(i, run));
        CountLine(run);
        i += run;
        if (stop >= 0)
        {
            if (span[i++] == CR)
            {
                _state = State.CarriageReturn;
            }
            else
            {
                BareEnding();
            }
        }

        return i;
    }

    /// <summary>Handles the byte that follows something that did not turn out to be a line ending.</summary>
    private void AfterLineStart(byte b)
    {
        if (b == CR)
        {
            _state = State.CarriageReturn;
        }
        else if (b == LF)
        {
            BareEnding();
        }
        else
        {
            Emit([b]);
            CountLine(1);
        }
    }

    private void EndLine()
    {
        Emit(Crlf);
        _lineLength = 0;
        _state = State.LineStart;
    }

    /// <summary>A CR or LF that is not part of CRLF. It never starts a new line for dot handling.</summary>
    private void BareEnding()
    {
        SawBareLineEnding = true;
        if (_bareLineEndings == BareLineEndingMode.Normalize)
        {
            Emit(Crlf);
        }
    }

    private void CountLine(long n)
    {
        _lineLength += n;
        if (_maxLineLength > 0 && _lineLength > _maxLineLength - 2)
        {
            LineTooLong = true;
        }
    }

    private void Emit(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }

        ContentLength += bytes.Length;
        if (TooBig || HasError)
        {
            // Nothing refused is stored: once the message can only be refused, stop buffering it and give back
            // what is held, so the rest of a large refused message is drained without keeping memory.
            TooBig |= ContentLength > _maxSize;
            if (_content.Capacity > 0)
            {
                _content.Clear();
            }

            return;
        }

        if (ContentLength > _maxSize)
        {
            TooBig = true;
            _content.Clear();
            return;
        }

        if (!_content.TryWrite(bytes))
        {
            OverBudget = true;
            _content.Clear();
        }
    }
}
