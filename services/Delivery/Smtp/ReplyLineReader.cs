using System.Text;
using EmailPipeline.Delivery.Delivering;

namespace EmailPipeline.Delivery.Smtp;

/// <summary>
/// Reads a server's reply lines (SMTP or LMTP) from a stream through one buffer: a line ends at LF, with or without
/// the CR before it (servers that send bare LF exist, and the reply is still readable). A line longer than
/// <see cref="MaxLine"/> is an unreadable reply, not an unbounded read. The stream is passed per call because
/// STARTTLS replaces it mid-session.
/// </summary>
public sealed class ReplyLineReader(string protocol)
{
    /// <summary>RFC 5321 §4.5.3.1.5 allows 512 octets a reply line; extensions and real servers send more.</summary>
    public const int MaxLine = 4096;

    private readonly byte[] _buffer = new byte[8192];
    private int _start;
    private int _end;

    /// <summary>Bytes the server sent that no line has taken yet (after a STARTTLS 220 that is an injection).</summary>
    public bool HasBuffered => _end > _start;

    public async Task<string> ReadLineAsync(Stream stream, CancellationToken cancellationToken)
    {
        while (true)
        {
            int lf = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (lf >= 0)
            {
                int length = lf > 0 && _buffer[_start + lf - 1] == (byte)'\r' ? lf - 1 : lf;
                string line = Encoding.UTF8.GetString(_buffer, _start, length);
                _start += lf + 1;
                return line;
            }

            if (_end - _start >= MaxLine)
            {
                throw new UnreadableReplyException($"{protocol} reply line too long");
            }

            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            int n = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new IOException($"the {protocol} server closed the connection");
            }

            _end += n;
        }
    }
}
