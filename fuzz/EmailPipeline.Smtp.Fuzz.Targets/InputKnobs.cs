using EmailPipeline.Smtp.Data;

namespace EmailPipeline.Smtp.Fuzz;

/// <summary>
/// The reader settings and the read boundaries, taken from the first three octets of a DATA or BDAT
/// input so the fuzzer steers them with the same mutations it applies to the content. Octets missing
/// from a short input count as zero.
/// </summary>
/// <remarks>
/// Octet 0: bit 0 normalizes bare line endings (else reject); bits 1–2 pick the line limit
/// (1000, none, 2 to 33 from bits 3–7, or 80; a limit of 1, shorter than CR LF itself, is not a setting anyone can mean). Octet 1: with the high bit set the size limit is
/// (octet &amp; 0x7F) × 2, otherwise unlimited, so printable seeds get no size limit. Octet 2 seeds the
/// boundaries of the reads (DATA) or chunks (BDAT) and the segments inside each.
/// </remarks>
public readonly record struct InputKnobs(BareLineEndingMode Mode, int MaxLineLength, long MaxSize, byte SplitSeed)
{
    public const int HeaderLength = 3;

    public static InputKnobs Read(ReadOnlySpan<byte> input, out ReadOnlySpan<byte> body)
    {
        byte flags = input.Length > 0 ? input[0] : (byte)0;
        byte size = input.Length > 1 ? input[1] : (byte)0;
        byte seed = input.Length > 2 ? input[2] : (byte)0;
        body = input[Math.Min(HeaderLength, input.Length)..];

        BareLineEndingMode mode = (flags & 1) != 0 ? BareLineEndingMode.Normalize : BareLineEndingMode.Reject;
        int maxLine = ((flags >> 1) & 3) switch
        {
            0 => 1000,
            1 => 0,
            2 => 2 + (flags >> 3),
            _ => 80,
        };
        long maxSize = (size & 0x80) != 0 ? (size & 0x7F) * 2 : long.MaxValue;
        return new InputKnobs(mode, maxLine, maxSize, seed);
    }
}
