using System.Buffers.Binary;

namespace EmailPipeline.Ingress.Authentication;

/// <summary>
/// The four MD5 chaining values (RFC 1321) between 64-byte blocks. .NET's MD5 hides this state, but CRAM-MD5
/// verification without a plaintext password has to resume HMAC-MD5 from the states after <c>key XOR ipad</c>
/// and <c>key XOR opad</c> (RFC 2104 §4), so this is a small MD5 that can start from any stored state.
/// </summary>
internal readonly record struct Md5ChainingState(uint A, uint B, uint C, uint D)
{
    public const int BlockSize = 64;
    public const int HashSize = 16;

    public static Md5ChainingState Initial { get; } = new(0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476);

    private static readonly int[] Shifts =
    [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
        5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
        4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
        6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ];

    private static readonly uint[] SineTable = BuildSineTable();

    /// <summary>The state after absorbing one 64-byte block.</summary>
    public Md5ChainingState Absorb(ReadOnlySpan<byte> block)
    {
        if (block.Length != BlockSize)
        {
            throw new ArgumentException($"An MD5 block is {BlockSize} bytes.", nameof(block));
        }

        Span<uint> words = stackalloc uint[16];
        for (int i = 0; i < 16; i++)
        {
            words[i] = BinaryPrimitives.ReadUInt32LittleEndian(block[(i * 4)..]);
        }

        uint a = A, b = B, c = C, d = D;
        for (int i = 0; i < 64; i++)
        {
            uint f;
            int g;
            switch (i >> 4)
            {
                case 0:
                    f = (b & c) | (~b & d);
                    g = i;
                    break;
                case 1:
                    f = (d & b) | (~d & c);
                    g = ((5 * i) + 1) & 15;
                    break;
                case 2:
                    f = b ^ c ^ d;
                    g = ((3 * i) + 5) & 15;
                    break;
                default:
                    f = c ^ (b | ~d);
                    g = (7 * i) & 15;
                    break;
            }

            uint rotated = uint.RotateLeft(a + f + SineTable[i] + words[g], Shifts[i]);
            a = d;
            d = c;
            c = b;
            b += rotated;
        }

        return new Md5ChainingState(A + a, B + b, C + c, D + d);
    }

    /// <summary>
    /// Finishes an MD5 hash whose first <paramref name="bytesAlreadyAbsorbed"/> bytes (a multiple of 64) are
    /// summarised by this state, by absorbing <paramref name="rest"/> and the RFC 1321 padding.
    /// </summary>
    public void Finish(long bytesAlreadyAbsorbed, ReadOnlySpan<byte> rest, Span<byte> hash)
    {
        if (bytesAlreadyAbsorbed < 0 || bytesAlreadyAbsorbed % BlockSize != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(bytesAlreadyAbsorbed), "Only whole blocks can have been absorbed.");
        }

        if (hash.Length < HashSize)
        {
            throw new ArgumentException($"An MD5 hash is {HashSize} bytes.", nameof(hash));
        }

        Md5ChainingState state = this;
        int whole = rest.Length - (rest.Length % BlockSize);
        for (int offset = 0; offset < whole; offset += BlockSize)
        {
            state = state.Absorb(rest.Slice(offset, BlockSize));
        }

        ReadOnlySpan<byte> tail = rest[whole..];
        Span<byte> padding = stackalloc byte[BlockSize * 2];
        padding.Clear();
        tail.CopyTo(padding);
        padding[tail.Length] = 0x80;
        int paddedLength = tail.Length + 1 + 8 <= BlockSize ? BlockSize : BlockSize * 2;
        ulong bitLength = (ulong)(bytesAlreadyAbsorbed + rest.Length) * 8;
        BinaryPrimitives.WriteUInt64LittleEndian(padding[(paddedLength - 8)..], bitLength);
        for (int offset = 0; offset < paddedLength; offset += BlockSize)
        {
            state = state.Absorb(padding.Slice(offset, BlockSize));
        }

        state.WriteTo(hash);
    }

    /// <summary>Writes the state as 16 bytes, little-endian words: the MD5 digest form, and Dovecot's.</summary>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, A);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], B);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], C);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], D);
    }

    public static Md5ChainingState ReadFrom(ReadOnlySpan<byte> source)
    {
        if (source.Length < HashSize)
        {
            throw new ArgumentException($"An MD5 state is {HashSize} bytes.", nameof(source));
        }

        return new Md5ChainingState(
            BinaryPrimitives.ReadUInt32LittleEndian(source),
            BinaryPrimitives.ReadUInt32LittleEndian(source[4..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[8..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[12..]));
    }

    // A state taken from a CRAM-MD5 secret is password-equivalent; keep it out of logs and debugger displays.
    public override string ToString() => nameof(Md5ChainingState);

    // RFC 1321 §3.4: T[i] = floor(2^32 * abs(sin(i))); doubles are exact enough for all 64 entries.
    private static uint[] BuildSineTable()
    {
        var table = new uint[64];
        for (int i = 0; i < table.Length; i++)
        {
            table[i] = (uint)(long)Math.Floor(Math.Abs(Math.Sin(i + 1)) * 4294967296.0);
        }

        return table;
    }
}
