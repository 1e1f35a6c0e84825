using System.Buffers;
using System.Text;

namespace EmailPipeline.Smtp.Replies;

/// <summary>
/// One SMTP reply: a three-digit code, its RFC 3463 enhanced status code and a short text. A text with
/// several lines (separated by '\n') is written as a multi-line reply, every line carrying the codes.
/// </summary>
public readonly record struct SmtpReply(int Code, EnhancedStatusCode Status, string Text)
{
    public bool IsPositive => Code is >= 200 and < 400;

    public bool IsTransientFailure => Code is >= 400 and < 500;

    public bool IsPermanentFailure => Code >= 500;

    /// <summary>The same codes with another text.</summary>
    public SmtpReply WithText(string text) => this with { Text = text };

    /// <summary>Writes the reply in wire form (CRLF line endings) to <paramref name="output"/>.</summary>
    public void WriteTo(IBufferWriter<byte> output)
    {
        string status = Status.ToString();
        string[] lines = Text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            char separator = i == lines.Length - 1 ? ' ' : '-';
            string wire = Status.Class == 0
                ? $"{Code}{separator}{line}\r\n"
                : $"{Code}{separator}{status} {line}\r\n";
            int max = Encoding.UTF8.GetMaxByteCount(wire.Length);
            Span<byte> span = output.GetSpan(max);
            int written = Encoding.UTF8.GetBytes(wire, span);
            output.Advance(written);
        }
    }

    public override string ToString() => Status.Class == 0 ? $"{Code} {Text}" : $"{Code} {Status} {Text}";
}
