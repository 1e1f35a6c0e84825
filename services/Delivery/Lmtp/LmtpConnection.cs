using System.Net.Sockets;
using System.Text;
using EmailPipeline.Delivery.Delivering;
using EmailPipeline.Delivery.Smtp;

namespace EmailPipeline.Delivery.Lmtp;

/// <summary>
/// The wire side of an LMTP session (RFC 2033): commands out, multi-line replies in, DATA dot-stuffed.
/// Our own, like the SMTP client (<see cref="OutboundSmtpClient"/>); LMTP's one difference from SMTP (a reply per
/// accepted recipient after DATA) is small.
/// </summary>
public sealed class LmtpConnection(Socket socket, TimeSpan commandTimeout) : IAsyncDisposable
{
    private readonly NetworkStream _stream = new(socket, ownsSocket: true);
    private readonly ReplyLineReader _reader = new("LMTP");

    public async Task<LmtpReply> CommandAsync(string line, CancellationToken cancellationToken)
    {
        await WriteAsync(Encoding.UTF8.GetBytes(line + "\r\n"), cancellationToken).ConfigureAwait(false);
        return await ReadReplyAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        using var timeout = Timeout(cancellationToken);
        await _stream.WriteAsync(bytes, timeout.Token).ConfigureAwait(false);
    }

    /// <summary>Sends the message with leading dots doubled and the terminating CRLF.CRLF (<see cref="DotStuffing"/>).</summary>
    public Task WriteDataAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
        WriteAsync(DotStuffing.Encode(content.Span), cancellationToken);

    public async Task<LmtpReply> ReadReplyAsync(CancellationToken cancellationToken)
    {
        using var timeout = Timeout(cancellationToken);
        var text = new StringBuilder();
        while (true)
        {
            string line = await _reader.ReadLineAsync(_stream, timeout.Token).ConfigureAwait(false);
            if (line.Length < 3 || !int.TryParse(line.AsSpan(0, 3), System.Globalization.CultureInfo.InvariantCulture, out int code))
            {
                throw new UnreadableReplyException($"malformed LMTP reply: {(line.Length > 80 ? line[..80] : line)}");
            }

            if (text.Length > 0)
            {
                text.Append(' ');
            }

            text.Append(line.Length > 4 ? line[4..] : "");
            if (line.Length == 3 || line[3] != '-')
            {
                return new LmtpReply(code, text.ToString());
            }
        }
    }

    public async ValueTask DisposeAsync() => await _stream.DisposeAsync().ConfigureAwait(false);

    private CancellationTokenSource Timeout(CancellationToken cancellationToken)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(commandTimeout);
        return cts;
    }

}
