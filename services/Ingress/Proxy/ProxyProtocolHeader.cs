using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace EmailPipeline.Ingress.Proxy;

/// <summary>The outcome of reading a PROXY protocol header (HAProxy's v1 text and v2 binary forms).</summary>
internal enum ProxyParseStatus
{
    NeedMoreData,
    Parsed,
    Invalid,
}

/// <summary>
/// The client and server endpoints a load balancer reports in front of the SMTP stream. Behind a load
/// balancer the peer address is the balancer's; SPF, DNSBL and per-client limits need the real client.
/// </summary>
internal sealed record ProxyProtocolHeader(IPEndPoint? Source, IPEndPoint? Destination)
{
    private const int MaxV1Length = 107;

    private static ReadOnlySpan<byte> V2Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    /// <summary>
    /// Reads one header from the start of <paramref name="buffer"/>. <paramref name="length"/> is its size when
    /// parsed. A header of type LOCAL (v2) or UNKNOWN (v1) yields null endpoints: keep the socket's.
    /// </summary>
    public static ProxyParseStatus TryParse(in ReadOnlySequence<byte> buffer, out ProxyProtocolHeader? header, out int length)
    {
        header = null;
        length = 0;
        Span<byte> start = stackalloc byte[16];
        int have = (int)Math.Min(buffer.Length, 16);
        buffer.Slice(0, have).CopyTo(start);
        start = start[..have];

        if (start.Length >= 1 && start[0] == 0x0D)
        {
            return ParseV2(buffer, start, out header, out length);
        }

        if (start.Length >= 1 && start[0] == (byte)'P')
        {
            return ParseV1(buffer, out header, out length);
        }

        return start.Length == 0 ? ProxyParseStatus.NeedMoreData : ProxyParseStatus.Invalid;
    }

    private static ProxyParseStatus ParseV1(in ReadOnlySequence<byte> buffer, out ProxyProtocolHeader? header, out int length)
    {
        header = null;
        length = 0;
        var reader = new SequenceReader<byte>(buffer.Slice(0, Math.Min(buffer.Length, MaxV1Length)));
        if (!reader.TryReadTo(out ReadOnlySequence<byte> lineSeq, "\r\n"u8))
        {
            return buffer.Length >= MaxV1Length ? ProxyParseStatus.Invalid : ProxyParseStatus.NeedMoreData;
        }

        length = (int)reader.Consumed;
        string line = Encoding.ASCII.GetString(lineSeq);
        string[] parts = line.Split(' ');
        if (parts.Length < 2 || parts[0] != "PROXY")
        {
            return ProxyParseStatus.Invalid;
        }

        if (parts[1] == "UNKNOWN")
        {
            header = new ProxyProtocolHeader(null, null);
            return ProxyParseStatus.Parsed;
        }

        if (parts.Length != 6 || parts[1] is not ("TCP4" or "TCP6")
            || !IPAddress.TryParse(parts[2], out IPAddress? src) || !IPAddress.TryParse(parts[3], out IPAddress? dst)
            || !ushort.TryParse(parts[4], out ushort sport) || !ushort.TryParse(parts[5], out ushort dport)
            || (parts[1] == "TCP4") != (src.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork))
        {
            return ProxyParseStatus.Invalid;
        }

        header = new ProxyProtocolHeader(new IPEndPoint(src, sport), new IPEndPoint(dst, dport));
        return ProxyParseStatus.Parsed;
    }

    private static ProxyParseStatus ParseV2(in ReadOnlySequence<byte> buffer, ReadOnlySpan<byte> start, out ProxyProtocolHeader? header, out int length)
    {
        header = null;
        length = 0;
        int prefix = Math.Min(start.Length, V2Signature.Length);
        if (!start[..prefix].SequenceEqual(V2Signature[..prefix]))
        {
            return ProxyParseStatus.Invalid;
        }

        if (start.Length < 16)
        {
            return ProxyParseStatus.NeedMoreData;
        }

        byte versionCommand = start[12];
        byte family = start[13];
        int addressLength = BinaryPrimitives.ReadUInt16BigEndian(start[14..16]);
        if (versionCommand >> 4 != 2)
        {
            return ProxyParseStatus.Invalid;
        }

        if (buffer.Length < 16 + addressLength)
        {
            return ProxyParseStatus.NeedMoreData;
        }

        length = 16 + addressLength;
        int command = versionCommand & 0x0F;
        if (command == 0)
        {
            header = new ProxyProtocolHeader(null, null); // LOCAL: health check from the balancer itself
            return ProxyParseStatus.Parsed;
        }

        if (command != 1)
        {
            return ProxyParseStatus.Invalid;
        }

        byte[] body = buffer.Slice(16, addressLength).ToArray();
        switch (family)
        {
            case 0x11 when addressLength >= 12: // TCP over IPv4
                header = new ProxyProtocolHeader(
                    new IPEndPoint(new IPAddress(body.AsSpan(0, 4)), BinaryPrimitives.ReadUInt16BigEndian(body.AsSpan(8, 2))),
                    new IPEndPoint(new IPAddress(body.AsSpan(4, 4)), BinaryPrimitives.ReadUInt16BigEndian(body.AsSpan(10, 2))));
                return ProxyParseStatus.Parsed;
            case 0x21 when addressLength >= 36: // TCP over IPv6
                header = new ProxyProtocolHeader(
                    new IPEndPoint(new IPAddress(body.AsSpan(0, 16)), BinaryPrimitives.ReadUInt16BigEndian(body.AsSpan(32, 2))),
                    new IPEndPoint(new IPAddress(body.AsSpan(16, 16)), BinaryPrimitives.ReadUInt16BigEndian(body.AsSpan(34, 2))));
                return ProxyParseStatus.Parsed;
            case 0x00: // UNSPEC
                header = new ProxyProtocolHeader(null, null);
                return ProxyParseStatus.Parsed;
            default:
                return ProxyParseStatus.Invalid;
        }
    }
}
